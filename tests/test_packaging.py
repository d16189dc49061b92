"""Packaging: exact contents, byte-identical rebuilds, cache, and wheels for the target."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from components import packaging
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR

TARGET = packaging.Target.for_runtime("aws", "python3.12")


def _copy_tree(dest: Path) -> tuple[Path, Path]:
    """A checkout of one function and the shared library somewhere else, with noise added."""
    fn = dest / "functions" / "timer"
    shared = dest / "functions" / "cloudfn"
    shutil.copytree(FUNCTIONS_DIR / "timer", fn, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SHARED_LIBRARY_DIR, shared, ignore=shutil.ignore_patterns("__pycache__"))
    for junk in (
        fn / "__pycache__" / "timer.cpython-311.pyc",
        fn / "tests" / "test_timer.py",
        fn / "test_local.py",
        fn / "conftest.py",
        fn / ".env",
        shared / "__pycache__" / "x.pyc",
        fn / ".pytest_cache" / "v",
    ):
        junk.parent.mkdir(parents=True, exist_ok=True)
        junk.write_text("junk\n")
    (fn / "requirements.txt").write_text("# no third-party dependencies\n")  # read, never shipped
    return fn, shared


def _touch_all(root: Path, when: float) -> None:
    for path in root.rglob("*"):
        os.utime(path, (when, when))


def test_rebuilds_in_other_checkouts_with_other_mtimes_are_byte_identical(tmp_path: Path) -> None:
    fn_a, shared_a = _copy_tree(tmp_path / "a")
    fn_b, shared_b = _copy_tree(tmp_path / "b")
    _touch_all(tmp_path / "a", 1_000_000_000)
    _touch_all(tmp_path / "b", time.time())
    art_a = packaging.build(fn_a, shared_a, TARGET, tmp_path / "cache-a")
    art_b = packaging.build(fn_b, shared_b, TARGET, tmp_path / "cache-b")
    assert art_a.path.read_bytes() == art_b.path.read_bytes()
    assert art_a.sha256_hex == art_b.sha256_hex
    with zipfile.ZipFile(art_a.path) as zf:
        assert {i.date_time for i in zf.infolist()} == {packaging.ZIP_EPOCH}


def test_zip_holds_exactly_the_function_and_the_shared_library(tmp_path: Path) -> None:
    fn, shared = _copy_tree(tmp_path)
    art = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    expected_own = {"entry_aws.py", "entry_ali.py", "timer.py"}
    expected_shared = {
        f"cloudfn/{p.relative_to(SHARED_LIBRARY_DIR).as_posix()}"
        for p in SHARED_LIBRARY_DIR.rglob("*.py")
        if "__pycache__" not in p.parts and p.name != "testing.py"  # test fakes never ship
    }
    assert "cloudfn/testing.py" not in art.files
    assert set(art.files) == expected_own | expected_shared
    assert list(art.files) == sorted(art.files)
    assert not [n for n in art.files if "__pycache__" in n or n.endswith(".pyc") or "test" in n.split("/")[-1]]


def test_a_change_rebuilds_and_an_unchanged_tree_hits_the_cache(tmp_path: Path) -> None:
    fn, shared = _copy_tree(tmp_path)
    first = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    again = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    assert (first.cached, again.cached) == (False, True)
    assert first.path == again.path
    (fn / "timer.py").write_text((fn / "timer.py").read_text() + "\n# changed\n")
    changed = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    assert not changed.cached and changed.sha256_hex != first.sha256_hex


def test_each_cloud_gets_its_own_artifact_form(tmp_path: Path) -> None:
    fn, shared = _copy_tree(tmp_path)
    art = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    import base64
    import hashlib

    assert base64.b64decode(art.base64()) == art.path.read_bytes()  # FC code.zipFile
    assert art.sha256_b64 == base64.b64encode(hashlib.sha256(art.path.read_bytes()).digest()).decode()  # Lambda


@pytest.mark.parametrize("line", ["-e ./lib", "-r other.txt", "./wheel.whl", "file:///x"])
def test_local_or_indirect_requirements_are_refused(tmp_path: Path, line: str) -> None:
    fn, shared = _copy_tree(tmp_path)
    (fn / "requirements.txt").write_text(f"{line}\n")
    with pytest.raises(packaging.PackagingError, match="not allowed"):
        packaging.build(fn, shared, TARGET, tmp_path / "cache")


def test_a_function_may_not_shadow_the_shared_library(tmp_path: Path) -> None:
    fn, shared = _copy_tree(tmp_path)
    (fn / "cloudfn").mkdir()
    (fn / "cloudfn" / "x.py").write_text("")
    with pytest.raises(packaging.PackagingError, match="shared library"):
        packaging.build(fn, shared, TARGET, tmp_path / "cache")


def _wheel_tags(zf: zipfile.ZipFile, dist: str) -> list[str]:
    name = next(n for n in zf.namelist() if n.lower().startswith(dist) and n.endswith(".dist-info/WHEEL"))
    return [ln.split(": ", 1)[1] for ln in zf.read(name).decode().splitlines() if ln.startswith("Tag: ")]


@pytest.mark.network
@pytest.mark.parametrize(
    ("cloud", "runtime", "abi"),
    [
        ("aws", "python3.12", "cp312"),
        ("aws", "python3.13", "cp313"),
        ("ali", "python3.10", "cp310"),
        ("ali", "python3.12", "cp312"),
    ],
)
def test_dependencies_are_wheels_built_for_the_target(tmp_path: Path, cloud: str, runtime: str, abi: str) -> None:
    fn, shared = _copy_tree(tmp_path)
    # A small package with compiled code, so the wrong platform or Python would show.
    (fn / f"requirements.{cloud}.txt").write_text("markupsafe==3.0.3\n")
    target = packaging.Target.for_runtime(cloud, runtime)
    cache = Path(os.environ["CLOUDFN_BUILD_DIR"]) / "wheel-tags"
    art = packaging.build(fn, shared, target, cache)
    with zipfile.ZipFile(art.path) as zf:
        tags = _wheel_tags(zf, "markupsafe")
        binaries = [n for n in zf.namelist() if n.endswith(".so")]
    assert tags and all(t.startswith(f"{abi}-{abi}-") and t.endswith("x86_64") and "manylinux" in t for t in tags), tags
    assert binaries and all(f".cpython-{abi[2:]}-x86_64-linux-gnu.so" in b for b in binaries), binaries
    assert not [n for n in zf.namelist() if n.startswith("bin/")]


@pytest.mark.network
def test_a_package_without_a_target_wheel_is_a_clear_error(tmp_path: Path) -> None:
    fn, shared = _copy_tree(tmp_path)
    (fn / "requirements.txt").write_text("this-package-does-not-exist-cloudfn==9.9.9\n")
    with pytest.raises(packaging.PackagingError, match=r"x86_64 manylinux wheels for CPython 3\.12"):
        packaging.build(fn, shared, TARGET, tmp_path / "cache")


def test_markers_are_evaluated_for_the_target_not_this_machine(tmp_path: Path) -> None:
    fn, shared = _copy_tree(tmp_path)
    # True here (3.11) but false on FC's python3.10: must be skipped there, without pip.
    (fn / "requirements.txt").write_text('markupsafe==3.0.3; python_version >= "3.11"\n')
    art = packaging.build(fn, shared, packaging.Target.for_runtime("ali", "python3.10"), tmp_path / "cache")
    assert not [n for n in art.files if n.lower().startswith("markupsafe")]
    (fn / "requirements.txt").write_text("not a requirement !!\n")
    with pytest.raises(packaging.PackagingError, match="not a valid requirement"):
        packaging.build(fn, shared, TARGET, tmp_path / "cache")


def test_evaluated_requirements_are_cached_by_content_and_target(tmp_path: Path) -> None:
    """A warm run in a fresh process reads the evaluated requirements back (no ``packaging``
    import, no parse); another text or another target is evaluated afresh; a bad line is never
    kept, so it is refused on every run."""
    import subprocess
    import sys

    fn, _ = _copy_tree(tmp_path)
    cache = tmp_path / "cache"
    req = fn / "requirements.txt"
    req.write_text('six==1.16.0; python_version < "3.11"\nidna==3.10  # any\n')
    files = [req]
    py310 = packaging.Target.for_runtime("ali", "python3.10")
    assert packaging._requirements_text(files, py310, cache) == "six==1.16.0\nidna==3.10"
    assert packaging._requirements_text(files, TARGET, cache) == "idna==3.10"  # 3.12: marker false
    kept = sorted(p.read_text() for p in (cache / "requirements").glob("*.txt"))
    assert kept == ["idna==3.10", "six==1.16.0\nidna==3.10"]

    probe = (
        "import sys; from pathlib import Path; from components import packaging\n"
        f"t = packaging.Target.for_runtime('ali', 'python3.10')\n"
        f"print(repr(packaging._requirements_text([Path({str(req)!r})], t, Path({str(cache)!r}))))\n"
        "print('packaging.requirements' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == [repr("six==1.16.0\nidna==3.10"), "False"]

    req.write_text('six==1.16.0; python_version >= "3.11"\n')  # another text: evaluated again
    assert packaging._requirements_text(files, py310, cache) == ""
    req.write_text("not a requirement !!\n")
    for _ in range(2):
        with pytest.raises(packaging.PackagingError, match="not a valid requirement"):
            packaging._requirements_text(files, py310, cache)


def test_a_same_size_edit_in_the_same_process_is_seen(tmp_path: Path) -> None:
    fn, shared = _copy_tree(tmp_path)
    first = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    source = fn / "timer.py"
    text = source.read_text()
    source.write_text(text.replace("import", "IMPORT", 1))  # same size; new mtime
    assert len(source.read_text()) == len(text)
    changed = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    assert changed.path != first.path and not changed.cached


def test_cached_zip_metadata_comes_from_a_sidecar_that_must_match(tmp_path: Path) -> None:
    import hashlib
    import json

    fn, shared = _copy_tree(tmp_path)
    art = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    sidecar = art.path.with_name(art.path.name + ".json")
    meta = json.loads(sidecar.read_text())
    assert meta == {
        "size": art.path.stat().st_size,
        "sha256": hashlib.sha256(art.path.read_bytes()).hexdigest(),
        "files": list(art.files),
    }
    # A new process (no in-memory memo) trusts a sidecar that describes the zip...
    packaging._BUILT.clear()
    sidecar.write_text(json.dumps({**meta, "files": ["from-the-sidecar"]}))
    assert packaging.build(fn, shared, TARGET, tmp_path / "cache").files == ("from-the-sidecar",)
    # ...and ignores (and rewrites) one that does not.
    packaging._BUILT.clear()
    sidecar.write_text(json.dumps({**meta, "size": 1, "sha256": "0" * 64}))
    again = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    assert (again.sha256_hex, again.files) == (art.sha256_hex, art.files)
    assert json.loads(sidecar.read_text()) == meta


# -- a local wheel index: pip's real selection, offline ---------------------------------------
def _wheel(index: Path, name: str, version: str, tag: str) -> Path:
    """A minimal valid wheel ``<name>-<version>-<tag>.whl`` holding one module."""
    import base64
    import hashlib

    index.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n"
        + "".join(f"Tag: {t}\n" for t in [tag]),
    }
    record = []
    for arc, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    path = index / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for arc, text in files.items():
            zf.writestr(arc, text)
    return path


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip (run by the packager) sees only this folder of wheels, never PyPI."""
    index = tmp_path / "index"
    index.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    return index


def _set_modes(root: Path, file_mode: int, dir_mode: int) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        os.chmod(path, dir_mode if path.is_dir() else file_mode)


def test_rebuilds_from_checkouts_with_other_file_modes_are_byte_identical(tmp_path: Path, local_index: Path) -> None:
    # Dependencies too: pip writes them under the builder's umask.
    _wheel(local_index, "cfnfake", "1.0", "py3-none-any")
    arts = []
    for label, umask, file_mode, dir_mode in (("a", 0o022, 0o644, 0o755), ("b", 0o077, 0o700, 0o700)):
        old = os.umask(umask)
        try:
            fn, shared = _copy_tree(tmp_path / label)
            (fn / "requirements.txt").write_text("cfnfake==1.0\n")
            _set_modes(tmp_path / label, file_mode, dir_mode)  # b: every file executable, owner-only
            arts.append(packaging.build(fn, shared, TARGET, tmp_path / f"cache-{label}"))
        finally:
            os.umask(old)
    a, b = arts
    assert "cfnfake/__init__.py" in a.files
    assert a.path.read_bytes() == b.path.read_bytes()
    with zipfile.ZipFile(b.path) as zf:
        assert {i.external_attr >> 16 for i in zf.infolist()} == {0o100644}


def test_a_changed_pin_invalidates_the_cache(tmp_path: Path, local_index: Path) -> None:
    _wheel(local_index, "cfnfake", "1.0", "py3-none-any")
    _wheel(local_index, "cfnfake", "1.1", "py3-none-any")
    fn, shared = _copy_tree(tmp_path)
    cache = tmp_path / "cache"
    (fn / "requirements.txt").write_text("cfnfake==1.0\n")
    first = packaging.build(fn, shared, TARGET, cache)
    (fn / "requirements.txt").write_text("cfnfake==1.1\n")
    second = packaging.build(fn, shared, TARGET, cache)
    assert not second.cached and second.path != first.path
    assert "cfnfake-1.0.dist-info/METADATA" in first.files and "cfnfake-1.1.dist-info/METADATA" in second.files
    with zipfile.ZipFile(second.path) as zf:
        assert zf.read("cfnfake/__init__.py") == b"VERSION = '1.1'\n"


def test_a_tests_folder_never_reaches_a_zip_whatever_it_holds(tmp_path: Path) -> None:
    fn, shared = _copy_tree(tmp_path)
    for folder in (fn / "tests", fn / "timer_pkg" / "tests", shared / "tests"):
        for rel in ("conftest.py", "helpers.py", "__init__.py", "fixtures/event.json", "data/photo.jpg"):
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text("not for the zip\n")
    (fn / "timer_pkg" / "__init__.py").write_text("")
    art = packaging.build(fn, shared, TARGET, tmp_path / "cache")
    assert "timer_pkg/__init__.py" in art.files
    assert [n for n in art.files if "tests" in n.split("/")] == []


# Each runtime's image and glibc, from the platforms' own runtime tables (see packaging.py).
GLIBC = {
    ("aws", "python3.12"): (2, 34),
    ("aws", "python3.13"): (2, 34),
    ("aws", "python3.14"): (2, 34),
    ("ali", "python3.10"): (2, 28),
    ("ali", "python3.12"): (2, 31),
}


@pytest.mark.parametrize(("cloud", "runtime"), sorted(GLIBC))
def test_no_manylinux_tag_above_the_targets_glibc_is_offered(cloud: str, runtime: str) -> None:
    import re

    target = packaging.Target.for_runtime(cloud, runtime)
    glibc = GLIBC[(cloud, runtime)]
    versions = [
        tuple(map(int, m.groups()))
        for m in map(re.compile(r"manylinux_(\d+)_(\d+)_x86_64").match, target.platforms)
        if m
    ]
    assert max(versions) == glibc  # the newest the image runs, and nothing newer
    assert {"manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux1_x86_64"} <= set(target.platforms)
    assert all(p.endswith("_x86_64") for p in target.platforms)


@pytest.mark.parametrize(
    ("cloud", "runtime", "wheel_glibc", "accepted"),
    [
        ("ali", "python3.10", "2_28", True),
        ("ali", "python3.10", "2_31", False),
        ("ali", "python3.10", "2_34", False),
        ("ali", "python3.12", "2_31", True),
        ("ali", "python3.12", "2_34", False),
        ("aws", "python3.12", "2_34", True),
        ("aws", "python3.13", "2_35", False),
    ],
)
def test_pip_never_picks_a_wheel_needing_a_newer_glibc_than_the_target(
    tmp_path: Path, local_index: Path, cloud: str, runtime: str, wheel_glibc: str, accepted: bool
) -> None:
    abi = "cp" + runtime.removeprefix("python").replace(".", "")
    _wheel(local_index, "cfnfake", "1.0", f"{abi}-{abi}-manylinux_{wheel_glibc}_x86_64")
    fn, shared = _copy_tree(tmp_path)
    (fn / "requirements.txt").write_text("cfnfake==1.0\n")
    target = packaging.Target.for_runtime(cloud, runtime)
    if accepted:
        assert "cfnfake/__init__.py" in packaging.build(fn, shared, target, tmp_path / "cache").files
    else:
        with pytest.raises(packaging.PackagingError, match=r"cfnfake==1\.0.*glibc <= "):
            packaging.build(fn, shared, target, tmp_path / "cache")
