"""Where the program finds function code and keeps build output."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
SHARED_LIBRARY_DIR = FUNCTIONS_DIR / "cloudfn"


def build_cache_dir() -> Path:
    """``.build/`` beside the program, or ``$CLOUDFN_BUILD_DIR`` (tests use a temp dir)."""
    return Path(os.environ.get("CLOUDFN_BUILD_DIR", ROOT / ".build"))
