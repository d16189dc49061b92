"""ServerlessFunction's exact wiring on both stacks (Pulumi mocks)."""

from __future__ import annotations

import json
import zipfile

import pulumi
import pytest
from pulumi_harness import ACCOUNT, REGION, deploy, resolve

from components.function import FunctionArgs, ServerlessFunction
from components.limits import fc_cpu
from components.permissions import Grant


def _one_function(app, **overrides):
    args = FunctionArgs(code="basic", description="d", **overrides)
    return {"fn": ServerlessFunction("hello", args)}


def test_aws_role_logs_and_function() -> None:
    d = deploy("aws", _one_function)
    suffix = resolve(d.outputs["fn"].physical_name).rsplit("-", 1)[1]
    role = d.one("aws:iam/role:Role")
    assert role.json("assumeRolePolicy") == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    lg = d.one("aws:cloudwatch/logGroup:LogGroup")
    assert lg.inputs["name"] == f"/aws/lambda/hello-{suffix}"
    assert lg.inputs["retentionInDays"] == 30
    policy = d.one("aws:iam/rolePolicy:RolePolicy", "hello-logging")
    assert policy.inputs["role"] == "hello-role-id"
    assert policy.json("policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LogsWrite",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"arn:aws:logs:{REGION['aws']}:{ACCOUNT['aws']}:log-group:/aws/lambda/hello-{suffix}:*"],
            }
        ],
    }
    # No managed policy attached (AWSLambdaBasicExecutionRole allows every log group).
    assert d.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []
    fn = d.one("aws:lambda/function:Function")
    assert fn.inputs["runtime"] == "python3.12"
    assert fn.inputs["architectures"] == ["x86_64"]
    assert fn.inputs["handler"] == "entry_aws.handler"
    assert fn.inputs["role"] == f"arn:aws:iam::{ACCOUNT['aws']}:role/hello-fn-{suffix}"
    assert fn.inputs["loggingConfig"] == {"logFormat": "Text", "logGroup": f"/aws/lambda/hello-{suffix}"}
    assert fn.inputs["environment"] == {"variables": {"CLOUDFN_CLOUD": "aws"}}
    assert fn.inputs["memorySize"] == 128 and fn.inputs["timeout"] == 30


def test_ali_role_sls_and_function() -> None:
    d = deploy("ali", _one_function)
    suffix = resolve(d.outputs["fn"].physical_name).rsplit("-", 1)[1]
    role = d.one("alicloud:ram/role:Role")
    assert role.json("assumeRolePolicyDocument") == {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": ["fc.aliyuncs.com"]}, "Action": "sts:AssumeRole"}],
    }
    project = d.one("alicloud:log/project:Project")
    store = d.one("alicloud:log/store:Store")
    index = d.one("alicloud:log/storeIndex:StoreIndex")
    assert project.inputs["projectName"] == f"hello-log-{suffix}"
    assert store.inputs["projectName"] == project.inputs["projectName"]
    assert store.inputs["logstoreName"] == "hello-logs"
    assert index.inputs["project"] == project.inputs["projectName"]
    assert index.inputs["logstore"] == "hello-logs"
    assert index.inputs["fullText"]["caseSensitive"] is False
    policy = d.one("alicloud:ram/policy:Policy")
    assert policy.json("policyDocument") == {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["log:PostLogStoreLogs"],
                "Resource": [
                    f"acs:log:{REGION['ali']}:{ACCOUNT['ali']}:project/hello-log-{suffix}/logstore/hello-logs"
                ],
            }
        ],
    }
    attachment = d.one("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs == {
        "roleName": role.inputs["roleName"],
        "policyName": policy.inputs["policyName"],
        "policyType": "Custom",
    }
    fn = d.one("alicloud:fc/v3Function:V3Function")
    assert fn.inputs["runtime"] == "python3.12"
    assert fn.inputs["handler"] == "entry_ali.handler"
    assert fn.inputs["role"] == f"acs:ram::{ACCOUNT['ali']}:role/hello-fn-{suffix}"
    assert fn.inputs["logConfig"]["project"] == project.inputs["projectName"]
    assert fn.inputs["logConfig"]["logstore"] == store.inputs["logstoreName"]
    assert fn.inputs["environmentVariables"] == {"CLOUDFN_CLOUD": "ali"}
    assert fn.inputs["cpu"] == fc_cpu(128) and fn.inputs["memorySize"] == 128
    # No deprecated FC 2.0 resources.
    assert not [r for r in d.resources if r.type.startswith("alicloud:fc/") and "V3" not in r.type]


def test_handler_string_matches_zip_contents(cloud: str) -> None:
    d = deploy(cloud, _one_function)
    fn = resolve(d.outputs["fn"].handler)
    module, func = fn.rsplit(".", 1)
    artifact = d.outputs["fn"].artifact
    with zipfile.ZipFile(artifact.path) as zf:
        source = zf.read(f"{module}.py").decode()
        assert f"{func} =" in source or f"def {func}(" in source
        assert "cloudfn/entry.py" in zf.namelist()
    if cloud == "ali":
        code = d.one("alicloud:fc/v3Function:V3Function").inputs["code"]
        assert code["ossObjectName"] == f"hello/{artifact.sha256_hex}.zip"  # details: test_artifacts.py
    else:
        assert d.one("aws:lambda/function:Function").inputs["sourceCodeHash"] == artifact.sha256_b64


def test_late_grant_injects_settings_and_one_scoped_policy(cloud: str) -> None:
    arn = "arn:aws:s3:::b/*" if cloud == "aws" else f"acs:oss:*:{ACCOUNT['ali']}:b/*"

    def program(app):
        fn = ServerlessFunction("hello", FunctionArgs(code="basic", environment={"MODE": "x"}))
        # Granted after the function exists, as bucket.grant_read(fn) does.
        fn.grant(Grant("objects.read", [arn], {"BUCKET_B_NAME": pulumi.Output.from_input("b")}))
        fn.grant(Grant("objects.write", [arn]))
        return {"fn": fn}

    d = deploy(cloud, program)
    if cloud == "aws":
        env = d.one("aws:lambda/function:Function").inputs["environment"]["variables"]
        doc = d.one("aws:iam/rolePolicy:RolePolicy", "hello-grants").json("policy")
        actions = [s["Action"] for s in doc["Statement"]]
        assert actions == [["s3:GetObject"], ["s3:PutObject"]]
    else:
        env = d.one("alicloud:fc/v3Function:V3Function").inputs["environmentVariables"]
        doc = d.one("alicloud:ram/policy:Policy", "hello-grants").json("policyDocument")
        actions = [s["Action"] for s in doc["Statement"]]
        assert actions == [["oss:GetObject"], ["oss:PutObject"]]
        attach = d.one("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", "hello-grants")
        assert attach.inputs["policyType"] == "Custom"
    assert env == {"MODE": "x", "BUCKET_B_NAME": "b", "CLOUDFN_CLOUD": cloud}
    assert all(s["Resource"] == [arn] for s in doc["Statement"])
    assert json.dumps(doc).count('*"') <= 2  # only the object wildcard in the ARN, never an action


def test_escape_hatch_overrides_native_arguments(cloud: str) -> None:
    key = "aws" if cloud == "aws" else "ali"
    extra = {"reserved_concurrent_executions": 3} if cloud == "aws" else {"disk_size": 10240}
    d = deploy(cloud, lambda app: {"fn": ServerlessFunction("hello", FunctionArgs(code="basic", **{key: extra}))})
    if cloud == "aws":
        assert d.one("aws:lambda/function:Function").inputs["reservedConcurrentExecutions"] == 3
    else:
        assert d.one("alicloud:fc/v3Function:V3Function").inputs["diskSize"] == 10240


@pytest.mark.parametrize(
    ("name", "args", "needles"),
    [
        ("Hello", {}, ["ServerlessFunction name", "'Hello'", "lowercase"]),
        ("hello_world", {}, ["'hello_world'"]),
        ("a" * 33, {}, ["1-32"]),
        ("hello", {"code": "nope"}, ["code", "'nope'", "basic"]),
        ("hello", {"code": "../components"}, ["code"]),
        ("hello", {"handler": "entry"}, ["handler", "'entry'"]),
        ("hello", {"handler": "missing.handler"}, ["handler", "missing_"]),
        ("hello", {"memory_mb": 64}, ["memory_mb", "64", "128..10240"]),
        ("hello", {"timeout_s": 0}, ["timeout_s", "1..900", "1..86400"]),
        ("hello", {"environment": {"AWS_REGION": "x"}}, ["environment key", "'AWS_REGION'"]),
        ("hello", {"environment": {"1BAD": "x"}}, ["environment key", "'1BAD'"]),
        ("hello", {"description": "x" * 300}, ["description"]),
    ],
)
def test_bad_function_args_fail_before_any_resource(cloud: str, name: str, args: dict, needles: list[str]) -> None:
    created = []

    def program(app):
        fargs = {"code": "basic", **args}
        created.append(ServerlessFunction(name, FunctionArgs(**fargs)))

    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, program)
    assert created == []
    for needle in needles:
        assert needle in str(err.value), str(err.value)


@pytest.mark.parametrize(("cloud", "memory", "timeout"), [("aws", 900, 901), ("ali", 200, 86401)])
def test_limits_are_per_cloud(cloud: str, memory: int, timeout: int) -> None:
    # 900 MB is fine on Lambda; 200 MB is no multiple of 64 on FC.
    with pytest.raises(pulumi.RunError, match="timeout_s"):
        deploy(cloud, lambda app: ServerlessFunction("a", FunctionArgs(code="basic", timeout_s=timeout)))
    if cloud == "ali":
        with pytest.raises(pulumi.RunError, match="multiples of 64"):
            deploy(cloud, lambda app: ServerlessFunction("a", FunctionArgs(code="basic", memory_mb=memory)))
    else:
        deploy(cloud, lambda app: ServerlessFunction("a", FunctionArgs(code="basic", memory_mb=memory)))


@pytest.mark.parametrize(
    ("memory", "cpu"),
    [
        (128, 0.05),  # FC's floor, and 1:4 would allow 0.03
        (192, 0.1),
        (512, 0.3),
        (1024, 0.6),
        (1728, 1.0),
        (1792, 1.0),
        (3072, 1.75),
        (28224, 15.95),
        (28288, 16.0),
        (28352, 16.0),  # Lambda's proportion gives 16.05: capped at FC's 16 vCPU
        (30720, 16.0),
        (32768, 16.0),  # FC's largest memory: 16 vCPU : 32 GB is 1:2, inside the window
    ],
)
def test_fc_cpu_follows_lambda_proportion_within_fc_window(memory: int, cpu: float) -> None:
    assert fc_cpu(memory) == cpu
    gb = memory / 1024
    assert gb / 4 <= fc_cpu(memory) <= gb


def test_fc_cpu_is_valid_for_every_memory_size_fc_accepts() -> None:
    # FC 3.0 "Instance types and specifications": 0.05-16 vCPU in steps of 0.05, 128-32768 MB
    # in steps of 64, vCPU:GB between 1:1 and 1:4.
    for memory in range(128, 32768 + 1, 64):
        cpu = fc_cpu(memory)
        steps = round(cpu * 20)
        assert abs(cpu * 20 - steps) < 1e-9, (memory, cpu)
        assert 1 <= steps <= 320, (memory, cpu)
        assert memory / 4096 <= cpu <= memory / 1024, (memory, cpu)


def test_fc_function_gets_the_capped_cpu() -> None:
    d = deploy("ali", lambda app: ServerlessFunction("big", FunctionArgs(code="basic", memory_mb=32768)))
    fn = d.one("alicloud:fc/v3Function:V3Function")
    assert (fn.inputs["cpu"], fn.inputs["memorySize"]) == (16.0, 32768)


def test_a_memory_size_without_a_valid_fc_cpu_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Were FC's ceiling 1 vCPU, 8 GB (which needs at least 2 vCPU at 1:4) would have none.
    import components.limits as limits_module

    monkeypatch.setattr(limits_module, "FC_MAX_CPU_STEPS", 20)
    with pytest.raises(pulumi.RunError) as err:
        deploy("ali", lambda app: ServerlessFunction("big", FunctionArgs(code="basic", memory_mb=8192)))
    assert "function 'big' memory_mb: got 8192" in str(err.value) and "1:4" in str(err.value)
    deploy("ali", lambda app: ServerlessFunction("small", FunctionArgs(code="basic", memory_mb=4096)))
