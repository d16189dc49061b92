"""Create a new function from templates/function:

    .venv/bin/python templates/new_function.py <folder_name>

writes ``functions/<folder_name>/`` (its logic module ``<folder_name>.py`` and both entries) and
``tests/test_<folder_name>.py`` (logic on the fakes, then deploy -> unpack -> invoke on both
clouds). The folder name is also the logic module's and the sample's name, so it is a Python
identifier (``a-z``, ``0-9``, ``_``); the function's logical name is the same with ``-`` for
``_`` (logical names allow no ``_``).
"""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "function"
PLACEHOLDER = "template_function"
FOLDER = re.compile(r"^[a-z][a-z0-9_]{0,30}[a-z0-9]$")


def logical_name(folder: str) -> str:
    return folder.replace("_", "-")


def check(folder: str, root: Path) -> None:
    if not FOLDER.match(folder) or "__" in folder or keyword.iskeyword(folder):
        raise SystemExit(
            f"{folder!r}: use 2-32 of a-z, 0-9 and single '_', starting with a letter (it is a Python module name)"
        )
    if folder in {"cloudfn", "samples", "components", "tests"} or (root / "functions" / folder).exists():
        raise SystemExit(f"{folder!r}: functions/{folder} exists or the name is taken")
    if (root / "tests" / f"test_{folder}.py").exists():
        raise SystemExit(f"tests/test_{folder}.py exists")


def render(text: str, folder: str) -> str:
    return text.replace(PLACEHOLDER, folder).replace(PLACEHOLDER.replace("_", "-"), logical_name(folder))


def create(folder: str, root: Path = ROOT) -> list[Path]:
    check(folder, root)
    target = root / "functions" / folder
    target.mkdir(parents=True)
    written = []
    for src in sorted(TEMPLATE.glob("*.py")):
        if src.name == f"test_{PLACEHOLDER}.py":
            dest = root / "tests" / f"test_{folder}.py"
        else:
            dest = target / src.name.replace(PLACEHOLDER, folder)
        dest.write_text(render(src.read_text(), folder))
        written.append(dest)
    return written


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    for path in create(argv[0]):
        print(f"created {path.relative_to(ROOT)}")
    print(f"next: register its sample in samples/{argv[0]}.py (README: Adding a function)")


if __name__ == "__main__":
    main(sys.argv[1:])
