"""localcloud.policy: IAM/RAM document validation and request evaluation, by value."""

from __future__ import annotations

import json

import pytest

from localcloud.policy import PolicyError, check, evaluate, is_allowed, validate

AWS_FORM = "arn:<partition>:<service>:<region>:<account>:<resource>"
ALI_FORM = "acs:<service>:<region>:<account>:<resource>"
AWS_OK = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ObjectsRead", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
    ],
}
ALI_OK = {
    "Version": "1",
    "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject"], "Resource": ["acs:oss:*:123:b/*"]}],
}
OK = {"aws": AWS_OK, "ali": ALI_OK}


def _with(cloud: str, **changes: object) -> dict:
    doc = json.loads(json.dumps(OK[cloud]))
    doc["Statement"][0].update(changes)
    return doc


def errors(doc: object, cloud: str) -> list[str]:
    return [f.message for f in validate(doc, cloud) if f.level == "error"]  # type: ignore[arg-type]


def test_generated_shapes_are_valid(cloud: str) -> None:
    assert validate(OK[cloud], cloud) == []
    assert validate(json.dumps(OK[cloud]), cloud) == []


@pytest.mark.parametrize(
    ("cloud", "doc", "expected"),
    [
        ("aws", {**AWS_OK, "Version": "2013-01-01"}, "Version '2013-01-01'; allowed: 2012-10-17, 2008-10-17"),
        ("ali", {**ALI_OK, "Version": "2012-10-17"}, "Version '2012-10-17'; RAM requires '1'"),
        ("aws", {"Version": "2012-10-17", "Statement": []}, "Statement must be a non-empty list of statements"),
        ("ali", {"Version": "1"}, "Statement must be a non-empty list of statements"),
        ("aws", {**AWS_OK, "Extra": 1}, "unknown element 'Extra'; allowed: ['Id', 'Statement', 'Version']"),
        ("aws", _with("aws", Effect="allow"), "statement 0 (ObjectsRead): Effect 'allow'; allowed: 'Allow', 'Deny'"),
        ("ali", _with("ali", Effect="Permit"), "statement 0: Effect 'Permit'; allowed: 'Allow', 'Deny'"),
        (
            "aws",
            _with("aws", NotAction=["s3:PutObject"]),
            "statement 0 (ObjectsRead): exactly one of Action and NotAction is required",
        ),
        (
            "aws",
            _with("aws", Action=[]),
            "statement 0 (ObjectsRead): Action must be a string or a non-empty list of strings",
        ),
        (
            "aws",
            _with("aws", Action=["GetObject"]),
            "statement 0 (ObjectsRead): action 'GetObject' is not '<service>:<action>'",
        ),
        (
            "aws",
            _with("aws", Resource=["arn:aws:s3::b"]),
            "statement 0 (ObjectsRead): 'arn:aws:s3::b' is not an ARN: " + AWS_FORM,
        ),
        (
            "aws",
            _with("aws", Resource=["arn:aws:s3:::"]),
            "statement 0 (ObjectsRead): 'arn:aws:s3:::': the service and the resource must not be empty",
        ),
        (
            "aws",
            _with("aws", Resource=["arn:azure:s3:::b"]),
            "statement 0 (ObjectsRead): 'arn:azure:s3:::b': unknown partition 'azure' (aws, aws-cn, aws-us-gov)",
        ),
        (
            "ali",
            _with("ali", Resource=["acs:oss:*:b"]),
            "statement 0: 'acs:oss:*:b' is not an Alibaba Cloud resource name: " + ALI_FORM,
        ),
        (
            "ali",
            _with("ali", Resource=["arn:aws:s3:::b"]),
            "statement 0: 'arn:aws:s3:::b' is not an Alibaba Cloud resource name: " + ALI_FORM,
        ),
        (
            "ali",
            _with("ali", Resource=["acs::*:1:b"]),
            "statement 0: 'acs::*:1:b': the service and the resource must not be empty",
        ),
        ("aws", _with("aws", Sid="Objects-Read"), "Sid 'Objects-Read': IAM accepts only ASCII letters and digits"),
        (
            "aws",
            _with("aws", Principal={"Service": "lambda.amazonaws.com"}),
            "statement 0 (ObjectsRead): Principal is not allowed in an identity policy",
        ),
        (
            "aws",
            _with("aws", Condition="x"),
            "statement 0 (ObjectsRead): Condition must map operators to {key: value(s)}",
        ),
        ("ali", _with("ali", Actions=["oss:GetObject"]), "statement 0: unknown element 'Actions'"),
    ],
)
def test_invalid_documents_are_refused_with_the_reason(cloud: str, doc: dict, expected: str) -> None:
    assert errors(doc, cloud) == [expected]


def test_duplicate_sids_are_refused(cloud: str) -> None:
    doc = json.loads(json.dumps(OK[cloud]))
    doc["Statement"][0]["Sid"] = "Same"
    doc["Statement"].append({**doc["Statement"][0]})
    assert errors(doc, cloud) == ["duplicate Sid 'Same' (statements 0 and 1)"]
    with pytest.raises(PolicyError) as err:
        check(doc, cloud, function="fn-1", policy="grants")
    assert (err.value.function, err.value.policy, err.value.sid) == ("fn-1", "grants", "Same")
    assert str(err.value) == "function 'fn-1' policy 'grants': duplicate Sid 'Same' (statements 0 and 1)"


def test_missing_version_is_an_iam_warning_and_a_ram_error() -> None:
    aws = {k: v for k, v in AWS_OK.items() if k != "Version"}
    assert [(f.level, f.message) for f in validate(aws, "aws")] == [
        ("warning", "no Version: IAM assumes 2008-10-17 (no policy variables)")
    ]
    ali = {k: v for k, v in ALI_OK.items() if k != "Version"}
    assert errors(ali, "ali") == ["Version None; RAM requires '1'"]


def test_wildcard_actions_are_flagged_not_refused(cloud: str) -> None:
    service = "s3" if cloud == "aws" else "oss"
    doc = _with(cloud, Action=["*", f"{service}:Get*", f"{service}:GetObject"])
    found = [(f.level, f.message.split(": ", 1)[1]) for f in validate(doc, cloud)]
    assert found == [("warning", "wildcard action '*'"), ("warning", f"wildcard action '{service}:Get*'")]
    assert check(doc, cloud) != []


def test_size_limits() -> None:
    big = "arn:aws:s3:::" + "b" * 10300
    assert errors(_with("aws", Resource=[big]), "aws")[0].endswith("characters; at most 10240")
    assert errors(_with("ali", Resource=["acs:oss:*:1:" + "b" * 6200]), "ali")[0].endswith("characters; at most 6144")


ALLOW_GET = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}


@pytest.mark.parametrize(
    ("statements", "action", "resource", "reason"),
    [
        ([ALLOW_GET], "s3:GetObject", "arn:aws:s3:::b/a.txt", "allow"),
        ([ALLOW_GET], "S3:getobject", "arn:aws:s3:::b/a/b:c.txt", "allow"),  # actions ignore case; * spans / and :
        ([ALLOW_GET], "s3:GetObject", "arn:aws:s3:::B/a.txt", "implicit-deny"),  # resources do not
        ([ALLOW_GET], "s3:GetObject", "arn:aws:s3:::other/a.txt", "implicit-deny"),
        ([ALLOW_GET], "s3:PutObject", "arn:aws:s3:::b/a.txt", "implicit-deny"),
        ([ALLOW_GET], "s3:GetObject", "arn:aws:s3:::b", "implicit-deny"),
        ([{**ALLOW_GET, "Action": "s3:Get*"}], "s3:GetObjectAcl", "arn:aws:s3:::b/k", "allow"),
        ([{**ALLOW_GET, "Action": "s3:GetObjec?"}], "s3:GetObject", "arn:aws:s3:::b/k", "allow"),
        ([{**ALLOW_GET, "Action": "s3:GetObjec?"}], "s3:GetObjectAcl", "arn:aws:s3:::b/k", "implicit-deny"),
        ([{**ALLOW_GET, "Resource": "arn:aws:s3:::b/?.txt"}], "s3:GetObject", "arn:aws:s3:::b/ab.txt", "implicit-deny"),
        (
            [ALLOW_GET, {**ALLOW_GET, "Effect": "Deny", "Resource": "arn:aws:s3:::b/secret/*"}],
            "s3:GetObject",
            "arn:aws:s3:::b/secret/x",
            "explicit-deny",
        ),
        (
            [ALLOW_GET, {**ALLOW_GET, "Effect": "Deny", "Resource": "arn:aws:s3:::b/secret/*"}],
            "s3:GetObject",
            "arn:aws:s3:::b/public/x",
            "allow",
        ),
        (
            [{"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}],
            "s3:PutObject",
            "arn:aws:s3:::b/k",
            "allow",
        ),
        (
            [{"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}],
            "s3:DeleteObject",
            "arn:aws:s3:::b/k",
            "implicit-deny",
        ),
        (
            [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b/*"}],
            "s3:PutObject",
            "arn:aws:s3:::b/k",
            "implicit-deny",
        ),
        # Conditions are not evaluated: a conditional Allow never grants, a conditional Deny always applies.
        (
            [{**ALLOW_GET, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}],
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            "implicit-deny",
        ),
        (
            [ALLOW_GET, {**ALLOW_GET, "Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            "explicit-deny",
        ),
    ],
)
def test_evaluate(statements: list, action: str, resource: str, reason: str) -> None:
    decision = evaluate([{"Version": "2012-10-17", "Statement": statements}], action, resource)
    assert (decision.allowed, decision.reason) == (reason == "allow", reason)


def test_evaluate_across_documents_and_ram_shapes() -> None:
    docs = [
        json.dumps(
            {
                "Version": "1",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["mns:SendMessage"],
                        "Resource": ["acs:mns:cn-hangzhou:1:/queues/q/messages"],
                    }
                ],
            }
        ),
        {"Version": "1", "Statement": [{"Effect": "Deny", "Action": "mns:*", "Resource": "acs:mns:*:*:/queues/dlq/*"}]},
    ]
    assert is_allowed(docs, "mns:SendMessage", "acs:mns:cn-hangzhou:1:/queues/q/messages")
    assert not is_allowed(docs, "mns:SendMessage", "acs:mns:cn-hangzhou:1:/queues/q2/messages")
    assert not is_allowed(docs, "mns:PublishMessage", "acs:mns:cn-hangzhou:1:/queues/q/messages")
    assert evaluate(docs, "mns:ReceiveMessage", "acs:mns:cn-hangzhou:1:/queues/dlq/messages").reason == "explicit-deny"
    assert evaluate([], "mns:SendMessage", "acs:mns:cn-hangzhou:1:/queues/q/messages").reason == "implicit-deny"
