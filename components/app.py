"""The running program: its validated settings, its names, and the late-bound inputs.

Grants and triggers are declared after the resources they connect (``bucket.grant_read(fn)``,
``bucket.on_object_created(fn)``), yet they change inputs of resources that already exist: the
function's environment and VPC settings, the single S3 bucket notification. Those inputs are
*deferred*: Outputs that resolve only when :meth:`Application.finalize` seals the program, which
the ``with Application.load() as app:`` block in ``__main__.py`` does on exit. Until then the
engine simply waits for them; nothing is registered with a partial value. If the program raises
instead, the deferred inputs fail with it, so the engine reports the error rather than hanging.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar

import pulumi

from components import settings as settings_mod
from components.naming import Namer, stack_suffix


class Application:
    """One program run. ``Application.current()`` is what components consult for the cloud."""

    _current: ClassVar[Application | None] = None

    def __init__(self, settings: settings_mod.StackSettings, account_id: str) -> None:
        self.settings = settings
        self.account_id = account_id
        suffix = settings.name_suffix or stack_suffix(
            settings.cloud, account_id, settings.region, settings.project, settings.stack
        )
        self.names = Namer(suffix)
        self._sealed: asyncio.Future[None] = asyncio.Future()
        self._sealing = False
        self._finalizers: list[Callable[[], None]] = []
        # Optional settings a component actually read (``"dbPassword"``), checked at the seal.
        self.used_settings: set[str] = set()

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def load(cls) -> Application:
        """Validate the config (raising before any resource exists), then look up the account."""
        stack_settings = settings_mod.load()
        return cls(stack_settings, _account_id(stack_settings.cloud))

    @classmethod
    def current(cls) -> Application:
        if cls._current is None:
            raise pulumi.RunError(
                "components must be created inside 'with Application.load() as app:' "
                "(see __main__.py): the cloud is chosen from the stack's config there"
            )
        return cls._current

    def __enter__(self) -> Application:
        Application._current = self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.finalize()
            elif not self._sealed.done():
                self._sealed.set_exception(pulumi.RunError(f"program failed before it was finalized: {exc}"))
                # Mark it retrieved: the original exception is what the user must see.
                self._sealed.exception()
        finally:
            Application._current = None

    # -- facts components need --------------------------------------------------------------
    @property
    def cloud(self) -> str:
        return self.settings.cloud

    @property
    def region(self) -> str:
        return self.settings.region

    # -- late-bound inputs --------------------------------------------------------------------
    def deferred(self, build: Callable[[], Any]) -> pulumi.Output[Any]:
        """An Output whose value is ``build()`` evaluated when the program is finalized.

        ``build`` may return Outputs (nested in dicts and lists); their secrecy and resource
        dependencies carry over to the result.
        """
        sealed = self._sealed

        async def wait() -> Any:
            await sealed
            return build()

        return pulumi.Output.from_input(wait())

    def require_open(self, call: str) -> None:
        """Refuse a change to declared components once it could no longer take effect.

        Grants, triggers, VPC attachments and ``connect`` change deferred inputs, which are
        computed once, when the program is sealed. A call after the ``with Application.load()``
        block (or while finalizing) would be silently dropped; a call from an ``Output.apply``
        callback is invisible to ``pulumi preview`` and runs only if that Output resolves.
        ``call`` names the call in the error, e.g. ``"bucket 'images' grant_read(resize)"``.
        """
        if _inside_apply():
            raise pulumi.RunError(
                f"{call}: called from an Output.apply callback; declare grants, triggers and connections "
                "directly in the program (pass Outputs as inputs instead), so preview shows them"
            )
        if self._sealing or self._sealed.done() or Application._current is not self:
            raise pulumi.RunError(
                f"{call}: the program is already sealed (the 'with Application.load() as app:' block has "
                "ended), so this would change nothing; declare every grant, trigger and connection inside "
                "that block"
            )

    def on_finalize(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once all components are declared (validation across calls)."""
        self._finalizers.append(callback)

    def finalize(self) -> None:
        """Seal the program: run the cross-component checks, then release deferred inputs."""
        if self._sealed.done():
            return
        self._sealing = True
        try:
            for callback in self._finalizers:
                callback()
        except BaseException as exc:
            self._sealed.set_exception(pulumi.RunError(f"program failed while finalizing: {exc}"))
            self._sealed.exception()
            raise
        self._warn_unused_settings()
        self._sealed.set_result(None)

    def _warn_unused_settings(self) -> None:
        # settings.load() already refuses dbPassword when no selected sample has a database; a
        # program declaring its own PgDatabase (or one given ``password=`` in code) may still
        # leave it unread. Resources are registered by now, so a RunError here would stop
        # ``pulumi up`` midway: a warning naming the setting is the safe signal.
        if self.settings.db_password is not None and "dbPassword" not in self.used_settings:
            pulumi.log.warn(
                "config 'dbPassword' is set but no PgDatabase used it (none was declared, or each was "
                "given its own password): it does nothing; remove it with: pulumi config rm dbPassword"
            )


def _inside_apply() -> bool:
    """True when called (at any depth) from an ``Output.apply`` callback.

    Pulumi calls the callback directly from the ``run`` coroutine defined in ``Output.apply``
    (pulumi/output.py), so that coroutine's frame is on the stack; no public API says so.
    """
    import sys

    from pulumi import output

    apply_code = output.Output.apply.__code__
    run_codes = {c for c in apply_code.co_consts if getattr(c, "co_name", None) == "run"}
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code in run_codes:
            return True
        frame = frame.f_back
    return False


def _account_id(cloud: str) -> str:
    # Plain strings (not Outputs) keep names and ARNs computable up front, so names can be
    # validated before anything is registered. One invoke per program run.
    if cloud == "aws":
        import pulumi_aws as aws

        return aws.get_caller_identity().account_id
    import pulumi_alicloud as alicloud

    return alicloud.get_account().id
