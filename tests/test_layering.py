"""The layering of library, backends, application and function code (``[tool.importlinter]`` in
pyproject.toml), and the shape of the neutral layer."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "components"
NEUTRAL = ["bucket", "queue", "topic", "database", "function", "schedule"]
CONTRACTS = 5
# Content-addressed memos (keyed by a file's stat signature / a zip's input hash): the same answer
# for every program in the process, so not program state.
PROCESS_CACHES = {"_FILE_HASHES", "_BUILT"}


def lint_imports(root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "functions")])}
    return subprocess.run(
        [str(exe), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layering_contracts_hold() -> None:
    run = lint_imports()
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Contracts: {CONTRACTS} kept, 0 broken." in run.stdout


@pytest.fixture
def copy_of_the_tree(tmp_path: Path) -> Path:
    """The library, application and cloudfn in a scratch tree, to break on purpose."""
    for folder in ("components", "samples", "tools"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "functions" / "cloudfn", tmp_path / "functions" / "cloudfn")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # A backend reaching back into its neutral module: a cycle, and the backend rule.
        ("components/ali/queue.py", "from components.queue import QueueArgs", "Backends never import"),
        ("components/ali/queue.py", "from components.queue import QueueArgs", "No import cycles"),
        # A leaf module importing a module that imports it.
        ("components/naming.py", "import components.app", "No import cycles"),
        ("components/aws/bucket.py", "import components.ali.arns", "One cloud's backends"),
        ("components/bucket.py", "import samples", "The library never imports the application"),
        ("components/app.py", "import tools.picture", "The library never imports the application"),
        ("functions/cloudfn/settings.py", "import components.bindings", "Function code (cloudfn)"),
    ],
)
def test_each_contract_catches_its_violation(copy_of_the_tree: Path, module: str, line: str, broken: str) -> None:
    path = copy_of_the_tree / module
    source = path.read_text()
    # After the module docstring and `from __future__`, as a real import would be.
    anchor = "from __future__ import annotations\n"
    assert anchor in source
    path.write_text(source.replace(anchor, f"{anchor}{line}\n", 1))
    run = lint_imports(copy_of_the_tree)
    assert run.returncode != 0
    assert f"{broken}" in run.stdout and "BROKEN" in run.stdout


def _compares_cloud(node: ast.AST) -> bool:
    """``<...>cloud == ...`` / ``!=`` / ``in``: a branch on the cloud."""
    if not isinstance(node, ast.Compare):
        return False
    names = [node.left, *node.comparators]
    return any(
        (isinstance(n, ast.Name) and n.id == "cloud") or (isinstance(n, ast.Attribute) and n.attr == "cloud")
        for n in names
    )


@pytest.mark.parametrize("module", NEUTRAL)
def test_neutral_modules_never_branch_on_the_cloud_nor_import_a_backend(module: str) -> None:
    tree = ast.parse((COMPONENTS / f"{module}.py").read_text())
    branches = [ast.unparse(n) for n in ast.walk(tree) if _compares_cloud(n)]
    assert branches == []
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)] + [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ]
    assert not [m for m in imported if m.startswith(("components.aws", "components.ali"))]


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in COMPONENTS.rglob("*.py")))
def test_no_program_state_in_module_globals(path: str) -> None:
    """Per-program state lives on Application: no module-level dict/list/weak map assigned and
    then mutated (constants are tuples, frozensets and read-only tables)."""
    tree = ast.parse((ROOT / path).read_text())
    mutable = ("WeakKeyDictionary", "WeakValueDictionary", "defaultdict")
    found = []
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if path == "components/packaging.py" and getattr(target, "id", "") in PROCESS_CACHES:
            continue
        if isinstance(value, ast.Call):
            func = value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in mutable or (name in ("dict", "list", "set") and not value.args):
                found.append(ast.unparse(node))
        if isinstance(value, (ast.Dict, ast.List, ast.Set)) and not getattr(value, "keys", getattr(value, "elts", [1])):
            found.append(ast.unparse(node))
    assert found == []


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "functions").rglob("*.py") if "cloudfn" not in p.parts),
)
def test_function_code_never_imports_the_program(path: str) -> None:
    """Every function's own modules too (``lint-imports`` covers ``cloudfn``): they ship in zips
    that hold neither ``components`` nor ``samples``."""
    tree = ast.parse((ROOT / path).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert [m for m in imported if m.split(".")[0] in ("components", "samples")] == []
