"""Environment variable names that grants inject, matching ``cloudfn.settings`` exactly.

The program never imports function code (it is packaged, not run, here), so the rule is stated
twice; ``tests/test_settings_contract.py`` checks both sides agree.
"""

from __future__ import annotations


def setting_name(kind: str, binding: str, field: str) -> str:
    """``setting_name("bucket", "uploads", "name") == "BUCKET_UPLOADS_NAME"``."""
    return "_".join((kind, binding, field)).replace("-", "_").upper()
