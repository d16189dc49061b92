"""Topic: exact wiring on both stacks (permission scoped to the topic, invocation role, trigger, grants)."""

from __future__ import annotations

import pulumi
import pytest
from pulumi_harness import ACCOUNT, REGION, deploy, resolve

from components.function import FunctionArgs, ServerlessFunction
from components.topic import Topic, TopicArgs


def _program(app):
    a = ServerlessFunction("audit", FunctionArgs(code="trigger_notification"))
    b = ServerlessFunction("mailer", FunctionArgs(code="trigger_notification"))
    publisher = ServerlessFunction("publisher", FunctionArgs(code="output_notification"))
    topic = Topic("events")
    topic.subscribe(a)
    topic.subscribe(b)
    topic.grant_publish(publisher)
    return {"a": a, "b": b, "publisher": publisher, "topic": topic, "suffix": app.names.suffix}


def test_aws_sns_subscription_and_permission_scoped_to_the_topic() -> None:
    d = deploy("aws", _program)
    suffix, region, account = d.outputs["suffix"], REGION["aws"], ACCOUNT["aws"]
    topic_arn = f"arn:aws:sns:{region}:{account}:events-{suffix}"
    assert d.one("aws:sns/topic:Topic", "events").inputs["name"] == f"events-{suffix}"
    for fn in ("audit", "mailer"):
        permission = d.one("aws:lambda/permission:Permission", f"events-to-{fn}-invoke")
        assert {k: v for k, v in permission.inputs.items() if not k.startswith("__")} == {
            "action": "lambda:InvokeFunction",
            "function": f"{fn}-{suffix}",
            "principal": "sns.amazonaws.com",
            "sourceArn": topic_arn,
        }
        sub = d.one("aws:sns/topicSubscription:TopicSubscription", f"events-to-{fn}")
        assert {k: v for k, v in sub.inputs.items() if not k.startswith("__")} == {
            "topic": topic_arn,
            "protocol": "lambda",
            "endpoint": f"arn:aws:lambda:{region}:{account}:function:{fn}-{suffix}",
        }
    policy = d.one("aws:iam/rolePolicy:RolePolicy", "publisher-grants").json("policy")
    assert policy["Statement"] == [
        {"Sid": "TopicPublish", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [topic_arn]}
    ]
    env = d.one("aws:lambda/function:Function", "publisher").inputs["environment"]["variables"]
    assert env["TOPIC_EVENTS_ARN"] == topic_arn


def test_ali_mns_topic_trigger_role_trusts_only_mns_and_invokes_one_function() -> None:
    d = deploy("ali", _program)
    suffix, region, account = d.outputs["suffix"], REGION["ali"], ACCOUNT["ali"]
    assert d.one("alicloud:message/serviceTopic:ServiceTopic", "events").inputs["topicName"] == f"events-{suffix}"
    role_names = set()
    for fn in ("audit", "mailer"):
        fn_arn = f"acs:fc:{region}:{account}:functions/{fn}-{suffix}"
        role = d.one("alicloud:ram/role:Role", f"events-to-{fn}-role")
        role_names.add(role.inputs["roleName"])
        assert len(role.inputs["roleName"]) <= 64
        assert role.json("assumeRolePolicyDocument") == {
            "Version": "1",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": ["mns.aliyuncs.com"]}, "Action": "sts:AssumeRole"}
            ],
        }
        policy = d.one("alicloud:ram/policy:Policy", f"events-to-{fn}-invoke")
        assert policy.json("policyDocument") == {
            "Version": "1",
            "Statement": [{"Effect": "Allow", "Action": ["fc:InvokeFunction"], "Resource": [fn_arn, f"{fn_arn}/*"]}],
        }
        attachment = d.one("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", f"events-to-{fn}-invoke")
        assert attachment.inputs["policyName"] == policy.inputs["policyName"]
        assert attachment.inputs["roleName"] == role.inputs["roleName"]
        trigger = d.one("alicloud:fc/v3Trigger:V3Trigger", f"events-to-{fn}")
        assert {k: v for k, v in trigger.inputs.items() if not k.startswith("__")} == {
            "functionName": f"{fn}-{suffix}",
            "triggerName": "events-topic",
            "triggerType": "mns_topic",
            "qualifier": "LATEST",
            "sourceArn": f"acs:mns:{region}:{account}:/topics/events-{suffix}",
            "invocationRole": role.state["arn"],
            "description": f"MNS topic events-{suffix}",
            "triggerConfig": trigger.inputs["triggerConfig"],
        }
        assert trigger.json("triggerConfig") == {"notifyContentFormat": "JSON", "notifyStrategy": "BACKOFF_RETRY"}
    assert len(role_names) == 2  # one role per subscriber, distinct names
    grants = d.one("alicloud:ram/policy:Policy", "publisher-grants").json("policyDocument")
    assert grants["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["mns:PublishMessage"],
            "Resource": [f"acs:mns:{region}:{account}:/topics/events-{suffix}/messages"],
        }
    ]
    env = d.one("alicloud:fc/v3Function:V3Function", "publisher").inputs["environmentVariables"]
    assert env["TOPIC_EVENTS_NAME"] == f"events-{suffix}"
    assert env["TOPIC_EVENTS_ENDPOINT"] == f"https://{account}.mns.{region}.aliyuncs.com"


def test_subscribing_twice_and_non_functions_are_refused(cloud: str) -> None:
    def twice(app):
        fn = ServerlessFunction("audit", FunctionArgs(code="trigger_notification"))
        t = Topic("events")
        t.subscribe(fn)
        t.subscribe(fn)

    with pytest.raises(pulumi.RunError, match="at most once per topic"):
        deploy(cloud, twice)
    with pytest.raises(pulumi.RunError, match="a ServerlessFunction"):
        deploy(cloud, lambda app: Topic("events").subscribe("audit"))  # type: ignore[arg-type]
    with pytest.raises(pulumi.RunError, match="Topic name"):
        deploy(cloud, lambda app: Topic("Bad_Name"))


def test_escape_hatch_and_arn_output(cloud: str) -> None:
    hatch = {"aws": {"display_name": "Events"}, "ali": {"max_message_size": 16384}}
    d = deploy(cloud, lambda app: {"t": Topic("events", TopicArgs(**{cloud: hatch[cloud]})), "s": app.names.suffix})
    if cloud == "aws":
        assert d.one("aws:sns/topic:Topic").inputs["displayName"] == "Events"
        assert resolve(d.outputs["t"].arn) == f"arn:aws:sns:{REGION['aws']}:{ACCOUNT['aws']}:events-{d.outputs['s']}"
    else:
        assert d.one("alicloud:message/serviceTopic:ServiceTopic").inputs["maxMessageSize"] == 16384
        expected = f"acs:mns:{REGION['ali']}:{ACCOUNT['ali']}:/topics/events-{d.outputs['s']}"
        assert resolve(d.outputs["t"].arn) == expected
