"""Environment variable names that grants inject, matching ``cloudfn.settings`` exactly.

The program never imports function code (it is packaged, not run, here), so the rule is stated
twice; ``tests/test_settings_contract.py`` checks both sides agree.
"""

from __future__ import annotations

from typing import Any


def setting_name(kind: str, binding: str, field: str) -> str:
    """``setting_name("bucket", "uploads", "name") == "BUCKET_UPLOADS_NAME"``."""
    return "_".join((kind, binding, field)).replace("-", "_").upper()


def database_settings(binding: str, **fields: Any) -> dict[str, Any]:
    """The ``DB_<BINDING>_*`` settings ``cloudfn.drivers.postgres`` reads: ``host``, ``port``,
    ``name``, ``user``, ``sslmode``, and per cloud ``auth`` or ``password`` (values may be Outputs)."""
    return {setting_name("db", binding, field): value for field, value in fields.items()}
