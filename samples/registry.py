"""The registry of samples: each sample module registers its ``build`` with ``@sample("<name>")``.

Adding a sample is adding one module to this package: :func:`registered` imports every module
of the package, so a new module is found without being listed anywhere.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from typing import Any

from components.app import Application

Build = Callable[[Application], dict[str, Any]]
SAMPLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PACKAGE = __name__.rpartition(".")[0]
# Not samples: the package's own machinery.
_INFRASTRUCTURE = frozenset({"registry"})

_SAMPLES: dict[str, Build] = {}


def sample(name: str, *, reads: tuple[str, ...] = ()) -> Callable[[Build], Build]:
    """Register ``build(app) -> outputs`` as the sample ``name`` (the ``samples`` setting's value).

    ``outputs`` may hold ``"functions"``: ``{key: function name}``; every other key becomes the
    stack output ``<sample>.<key>``. ``reads``: the optional settings the sample reads
    (``dbPassword``, ``createServiceLinkedRoles``); ``Application.load`` refuses one that is set
    while no selected sample reads it, before any resource (it would do nothing).
    """
    if not SAMPLE_NAME.match(name):
        raise ValueError(f"sample name {name!r}: lowercase letters, digits and '_', starting with a letter")

    def register(build: Build) -> Build:
        build.reads_settings = tuple(reads)  # type: ignore[attr-defined]
        existing = _SAMPLES.get(name)
        if existing is not None and existing.__module__ != build.__module__:
            raise ValueError(f"sample {name!r} is registered twice: {existing.__module__} and {build.__module__}")
        _SAMPLES[name] = build
        return build

    return register


def discover() -> None:
    """Import every module of the package, so each registers itself."""
    package = importlib.import_module(PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _INFRASTRUCTURE and not info.name.startswith("_"):
            importlib.import_module(f"{PACKAGE}.{info.name}")


def registered() -> dict[str, Build]:
    """Every sample of the package, by name, in a stable order (the default selection's order)."""
    discover()
    return dict(sorted(_SAMPLES.items()))
