"""Settings injected into the function's environment by the program's grants.

The program (``components/``) and this module agree on one naming rule, checked by a test:
``<KIND>_<BINDING>_<FIELD>`` in upper snake case, e.g. ``BUCKET_UPLOADS_NAME``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cloudfn.errors import SettingError

_BINDING = re.compile(r"^[a-z][a-z0-9_-]*$")


def setting_name(kind: str, binding: str, field: str) -> str:
    """Environment variable name for one field of one binding (``bucket``, ``uploads``, ``name``)."""
    if not _BINDING.match(binding):
        raise SettingError(f"binding name must match {_BINDING.pattern}; got {binding!r}")
    return "_".join((kind, binding, field)).replace("-", "_").upper()


def require(name: str, env: Mapping[str, str] | None = None) -> str:
    """Read one setting or fail with a message that says how it is normally provided."""
    value = (os.environ if env is None else env).get(name, "")
    if not value:
        raise SettingError(
            f"environment variable {name} is not set; it is injected by the program's grant "
            "(e.g. bucket.grant_read(fn)) - grant the function access in __main__.py"
        )
    return value


def binding(kind: str, name: str, field: str, env: Mapping[str, str] | None = None) -> str:
    """Shorthand: ``binding("bucket", "uploads", "name")`` reads ``BUCKET_UPLOADS_NAME``."""
    return require(setting_name(kind, name, field), env)


def current_cloud(env: Mapping[str, str] | None = None) -> str:
    """The cloud the program deployed this function to (``CLOUDFN_CLOUD``)."""
    value = require("CLOUDFN_CLOUD", env)
    if value not in ("aws", "ali"):
        raise SettingError(f"CLOUDFN_CLOUD must be 'aws' or 'ali'; got {value!r}")
    return value
