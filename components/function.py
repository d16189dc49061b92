"""``ServerlessFunction``: one function, on AWS Lambda or Alibaba Cloud Function Compute 3.0."""

from __future__ import annotations

import dataclasses
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pulumi

from components import artifacts, packaging
from components.app import Application
from components.errors import invalid
from components.limits import FUNCTION_LIMITS
from components.naming import validate_name
from components.permissions import PERMISSIONS, Grant, policy_output

TYPE = "multicloud:index:ServerlessFunction"
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Prefixes the platforms (or this library) set themselves; a user value would be ignored or
# rejected at deploy time, so refuse it now.
RESERVED_ENV_PREFIXES = ("AWS_", "LAMBDA_", "_HANDLER", "FC_", "ALIBABA_CLOUD_", "CLOUDFN_")


class NativeFunction(Protocol):
    """What a backend built for one function."""

    @property
    def function_name(self) -> pulumi.Output[str]: ...

    @property
    def arn(self) -> pulumi.Output[str]: ...

    def attach_policy(self, suffix: str, policy: pulumi.Input[str]) -> pulumi.Resource:
        """Give the function's role one more policy document (the grants); returns the resource
        that makes it effective (what triggers checking the role must depend on)."""
        ...


class FunctionBackend(Protocol):
    """The contract of a cloud's function backend (``app.backend("ServerlessFunction")``)."""

    def validate(self, name: str, args: FunctionArgs) -> None:
        """Checks only this cloud needs beyond ``FUNCTION_LIMITS`` (a ``RunError`` before any
        resource exists)."""
        ...

    def create(
        self,
        fn: ServerlessFunction,
        app: Application,
        environment: pulumi.Output[Any],
        vpc: pulumi.Output[Any],
    ) -> NativeFunction:
        """Role, logs and the function; ``environment`` and ``vpc`` resolve when the program is
        sealed (grants add settings and ``attach_vpc`` a network until then)."""
        ...


@dataclass
class FunctionArgs:
    """Neutral settings of a function. Defaults are the same on both clouds.

    - ``code``: folder under ``functions/``; its contents become the root of the zip.
    - ``handler``: ``<module>.<function>``; the module gets the cloud's suffix, so
      ``entry.handler`` runs ``entry_aws.handler`` on Lambda and ``entry_ali.handler`` on FC.
    - ``memory_mb``: 128..10240 on AWS; 128..32768 in steps of 64 on Alibaba Cloud. FC's CPU
      is derived from it the way Lambda allocates CPU (1 vCPU per 1,769 MB), capped at FC's
      16 vCPU and kept within its 1:1..1:4 vCPU:GB window.
    - ``timeout_s``: 1..900 on AWS, 1..86400 on Alibaba Cloud.
    - ``aws`` / ``ali``: extra arguments passed verbatim to ``aws.lambda_.Function`` /
      ``alicloud.fc.V3Function`` (escape hatch), overriding what the component sets.
    """

    code: str
    handler: str = "entry.handler"
    memory_mb: int = 128
    timeout_s: int = 30
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    description: str = ""
    aws: Mapping[str, Any] = field(default_factory=dict)
    ali: Mapping[str, Any] = field(default_factory=dict)


def validate(name: str, args: FunctionArgs, cloud: str, root: Path) -> None:
    """``RunError`` for any setting of ``args`` the cloud would refuse; ``root``: ``functions/``."""
    where = f"function '{name}'"
    code_dir = root / str(args.code)
    if not isinstance(args.code, str) or "/" in args.code or args.code.startswith(".") or not code_dir.is_dir():
        folders = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name != "cloudfn") if root.is_dir() else []
        raise invalid(f"{where} code", args.code, f"a folder under {root}: " + (", ".join(folders) or "none found"))
    module, _, func = str(args.handler).rpartition(".")
    if not module or not all(p.isidentifier() and not keyword.iskeyword(p) for p in (module, func)):
        raise invalid(f"{where} handler", args.handler, "'<module>.<function>', e.g. 'entry.handler'")
    entry = code_dir / f"{module}_{cloud}.py"
    if not entry.is_file():
        raise invalid(f"{where} handler", args.handler, f"a module {entry.relative_to(root.parent)} defining {func}()")

    low, high, step = FUNCTION_LIMITS[cloud]["memory"]
    mem = args.memory_mb
    if not isinstance(mem, int) or isinstance(mem, bool) or not low <= mem <= high or mem % step:
        raise invalid(
            f"{where} memory_mb",
            mem,
            "128..10240 MB on AWS and 128..32768 MB in multiples of 64 on Alibaba Cloud",
        )
    t_low, t_high = FUNCTION_LIMITS[cloud]["timeout"]
    t = args.timeout_s
    if not isinstance(t, int) or isinstance(t, bool) or not t_low <= t <= t_high:
        raise invalid(f"{where} timeout_s", t, "1..900 seconds on AWS and 1..86400 on Alibaba Cloud")
    for key in args.environment:
        if not ENV_KEY.match(key) or key.upper().startswith(RESERVED_ENV_PREFIXES):
            raise invalid(
                f"{where} environment key",
                key,
                "letters, digits and '_', not starting with a digit nor with " + ", ".join(RESERVED_ENV_PREFIXES),
            )
    if not isinstance(args.description, str) or len(args.description) > 256:
        raise invalid(f"{where} description", args.description, "a string of at most 256 characters")


def function_label(fn: object) -> str:
    """How an error names a function argument (the logical name, or what was passed instead)."""
    return fn.logical_name if isinstance(fn, ServerlessFunction) else repr(fn)


class ServerlessFunction(pulumi.ComponentResource):
    """A function deployed from ``functions/<code>`` to the stack's cloud.

    AWS creates:
      - an IAM role trusting only ``lambda.amazonaws.com``;
      - the log group ``/aws/lambda/<function>`` with the stack's retention;
      - an inline policy allowing ``logs:CreateLogStream`` and ``logs:PutLogEvents`` on that log
        group only (not the managed basic-execution policy, which allows every log group);
      - the Lambda function (x86_64, the stack's ``lambdaRuntime``) logging to that group, its
        code a ``FileArchive``, or above 50 MiB zipped an object ``<function>/<sha256>.zip`` in the
        stack's artifact bucket (see ``components/artifacts.py``);
      - once something is granted, one more inline policy with exactly those grants.
    Alibaba Cloud creates:
      - a RAM role trusting only ``fc.aliyuncs.com``;
      - an SLS project, a logstore and a full-text index so the logs can be queried;
      - a RAM policy allowing ``log:PostLogStoreLogs`` on that logstore only, attached to the role;
      - the FC 3.0 function (``alicloud.fc.V3Function``, the stack's ``fcRuntime``) with
        ``log_config`` pointing at that project and logstore, its code an object
        ``<function>/<sha256>.zip`` in the stack's OSS artifact bucket, with FC's CRC-64 checksum;
      - once something is granted, one more RAM policy with exactly those grants.

    Other components grant access with intent methods (``bucket.grant_read(fn)``); each adds
    least-privilege statements here and injects the settings its driver reads. The native
    resources are exposed as ``native`` (escape hatch).
    """

    def __init__(self, name: str, args: FunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        app = Application.current()
        validate_name("ServerlessFunction", name)
        paths = app.paths
        validate(name, args, app.cloud, paths.functions)
        backend: FunctionBackend = app.backend("ServerlessFunction")
        backend.validate(name, args)
        # Built, described by content and checked against the cloud's size limits before any
        # resource of it exists; once per code folder and runtime in a run, since functions
        # sharing a folder share its zip (each still gets its own object, by name).
        target = packaging.Target.for_runtime(app.cloud, app.settings.runtime)

        def build() -> tuple[packaging.Artifact, artifacts.CodeArtifact]:
            artifact = packaging.build(paths.functions / args.code, paths.shared_library, target, paths.build_cache)
            code = artifacts.prepare(name, artifact.path, app.cloud, paths.build_cache, paths.project)
            return artifact, code

        self.artifact, code = app.shared(("function code", args.code, target.key), build)
        self.code = code if code.function == name else dataclasses.replace(code, function=name)
        super().__init__(TYPE, name, None, opts)

        self.logical_name = name
        self.cloud = app.cloud
        self.args = args
        self.timeout_s = args.timeout_s
        self.physical_name = app.names.physical(name)
        self._app = app
        self._grants: list[Grant] = []
        self._settings: dict[str, pulumi.Input[str]] = {}
        self._vpc: dict[str, Any] | None = None
        self._grant_policy: Any = None

        module, _, func = args.handler.rpartition(".")
        self.handler = f"{module}_{app.cloud}.{func}"

        environment = app.deferred(
            lambda: {
                **dict(args.environment),
                **self._settings,
                "CLOUDFN_CLOUD": app.cloud,
            }
        )
        vpc = app.deferred(lambda: self._vpc)
        # Where the code lives (see components/artifacts.py): the backend spreads these inputs.
        self.code_args = artifacts.code_inputs(self, app, self.code)
        self.native = backend.create(self, app, environment, vpc)
        self.function_name: pulumi.Output[str] = self.native.function_name
        self.arn: pulumi.Output[str] = self.native.arn
        app.register_outputs_at_end(self, {"function_name": self.function_name, "arn": self.arn})

    # -- what other components call -------------------------------------------------------
    def add_settings(self, settings: Mapping[str, pulumi.Input[str]]) -> None:
        """Inject settings its drivers read (``cloudfn.settings``), each name at most once."""
        self._app.require_open(f"function '{self.logical_name}' add_settings")
        for key in settings:
            if key in self._settings:
                raise pulumi.RunError(f"function '{self.logical_name}': setting {key} is injected twice")
        self._settings.update(settings)

    def grant(self, grant: Grant) -> None:
        """Add a least-privilege grant and the settings it injects (see ``permissions``)."""
        self._app.require_open(f"function '{self.logical_name}' grant({getattr(grant, 'permission', grant)!r})")
        if not isinstance(grant, Grant):
            raise invalid(f"function '{self.logical_name}' grant", grant, "a permissions.Grant")
        self.add_settings(grant.settings)
        if not PERMISSIONS[grant.permission].actions(self.cloud):
            return  # the cloud does this through a service-linked role; nothing to attach
        self._grants.append(grant)
        if self._grant_policy is None:
            document = self._app.deferred(lambda: policy_output(self.cloud, self._grants))
            self._grant_policy = self.native.attach_policy("grants", document)

    def attach_vpc(self, config: Mapping[str, Any]) -> None:
        """Run the function inside a VPC (set by ``PgDatabase.connect``)."""
        self._app.require_open(f"function '{self.logical_name}' attach_vpc")
        if self._vpc is not None:
            raise pulumi.RunError(f"function '{self.logical_name}' is already attached to a VPC")
        self._vpc = dict(config)

    @property
    def granted(self) -> tuple[Grant, ...]:
        return tuple(self._grants)

    @property
    def grant_policy(self) -> Any:
        """The resource attaching the grants (None before the first grant). Triggers the cloud
        checks against the role at creation (an SQS event source mapping) depend on it."""
        return self._grant_policy
