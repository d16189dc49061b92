"""Shared function library shipped inside every function's deployment zip.

Three rings (see README "Function code"):
- business logic (one module or package per function) imports nothing from here but
  the neutral types and driver interfaces;
- ``cloudfn.drivers`` holds the small I/O interfaces and one adapter per cloud;
- ``cloudfn.entry`` turns each platform's (event, context) into a neutral
  :class:`~cloudfn.invocation.Invocation` and the result back into what the platform expects;
- ``cloudfn.bootstrap.warm`` wires each function the same way: its ``bootstrap(env)`` builds
  the drivers from the injected settings, once per warm instance;
- ``cloudfn.testing`` holds the in-memory fakes for tests; it is never shipped in a zip.

Everything here must import on Python 3.10 (FC GA), 3.11 (local) and 3.12+ (Lambda, FC preview).
"""

from cloudfn.invocation import Cloud, Invocation

__all__ = ["Cloud", "Invocation"]
