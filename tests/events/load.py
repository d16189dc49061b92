"""Event fixtures: ``aws`` ones as the dict Lambda passes, ``ali`` ones as the bytes FC passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def aws_event(name: str) -> Any:
    return json.loads((HERE / "aws" / name).read_text())


def ali_event(name: str) -> bytes:
    return (HERE / "ali" / name).read_bytes()
