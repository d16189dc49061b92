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
import functools
import importlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from types import ModuleType, TracebackType
from typing import Any, ClassVar, TypeVar

import pulumi

from components import settings as settings_mod
from components.naming import Namer, stack_suffix
from components.paths import ProgramPaths

T = TypeVar("T")


class Application:
    """One program run. ``Application.current()`` is what components consult for the cloud."""

    _current: ClassVar[Application | None] = None

    def __init__(self, settings: settings_mod.StackSettings, account_id: str, cloud: ModuleType | None = None) -> None:
        self.settings = settings
        self.account_id = account_id
        # The backend package of the stack's cloud (components.aws / components.ali), picked
        # once here: neutral components ask ``backend(kind)`` and never branch on the cloud.
        self._cloud = cloud or cloud_package(settings.cloud)
        self._backends: Mapping[str, Any] = self._cloud.BACKENDS
        # Per-program state (account-wide singletons and who creates them), never module globals:
        # two programs in one process (tests, automation) must not see each other's.
        self._shared: dict[Hashable, Any] = {}
        self._claims: dict[str, str] = {}
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
    def load(cls, samples: Iterable[str] = ()) -> Application:
        """Validate the config (raising before any resource exists), then look up the account.

        ``samples``: the names the application registered, which the ``samples`` setting
        selects among (``__main__.py`` passes ``samples.registered()``). When it maps each name
        to its build, a build's ``reads_settings`` (set by ``@sample(..., reads=...)``) names the
        optional settings it reads; one set while no selected sample reads it is refused.
        """
        readers: dict[str, list[str]] = {}
        if isinstance(samples, Mapping):
            for name, build in samples.items():
                for key in getattr(build, "reads_settings", ()):
                    readers.setdefault(key, []).append(name)
        stack_settings = settings_mod.load(tuple(samples), readers)
        cloud = cloud_package(stack_settings.cloud)
        return cls(stack_settings, cloud.account_id(), cloud)

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

    @functools.cached_property
    def paths(self) -> ProgramPaths:
        """Where this run finds function code and keeps build output (resolved once per run)."""
        return ProgramPaths.now()

    # -- backends -----------------------------------------------------------------------------
    def backend(self, kind: str) -> Any:
        """The stack's cloud backend of a component kind (``"Bucket"``, ``"Queue"``, ...): an
        object providing the contract the neutral module declares (``BucketBackend``, ...)."""
        try:
            return self._backends[kind]
        except KeyError:
            raise pulumi.RunError(
                f"no {self.cloud} backend for component {kind!r}; known: {', '.join(sorted(self._backends))}"
            ) from None

    # -- per-program state ----------------------------------------------------------------------
    def shared(self, key: Hashable, create: Callable[[], T]) -> T:
        """The program's one ``key``, created by the first caller: an account-wide resource, or a
        value computed once per run (a code folder's build, shared by the functions using it)."""
        if key not in self._shared:
            self._shared[key] = create()
        return self._shared[key]

    def lookup(self, key: str, default: T) -> T:
        """The shared ``key`` if a component created it, else ``default``."""
        return self._shared.get(key, default)

    def claim(self, key: str, owner: str) -> str:
        """Record ``owner`` as the one component doing ``key``; returns the first claimant."""
        return self._claims.setdefault(key, owner)

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

    def register_outputs_at_end(self, component: pulumi.ComponentResource, outputs: Mapping[str, Any]) -> None:
        """Register ``component``'s outputs when the program is sealed, not at construction:
        grants and triggers still add children to it until then, and Pulumi expects
        ``register_outputs`` to be a component's last word."""
        self.on_finalize(lambda: component.register_outputs(dict(outputs)))

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


def cloud_package(cloud: str) -> ModuleType:
    """``components.aws`` or ``components.ali``: its ``BACKENDS`` and ``account_id()``.

    Imported by name, so the neutral layer has no import of any backend (and a stack never
    imports the other cloud's provider SDK).
    """
    return importlib.import_module(f"components.{cloud}")
