"""Schedule: expression translation (table-driven) and exact wiring on both stacks."""

from __future__ import annotations

import json

import pulumi
import pytest
from pulumi_harness import ACCOUNT, deploy, resolve

from components.cron import parse_cron, parse_rate
from components.function import FunctionArgs, ServerlessFunction
from components.schedule import Schedule, ScheduleArgs

RATES = [
    ("1 minute", "rate(1 minute)", "@every 1m"),
    ("5 minutes", "rate(5 minutes)", "@every 5m"),
    ("90 minutes", "rate(90 minutes)", "@every 90m"),
    ("1 hour", "rate(1 hour)", "@every 1h"),
    ("2 hours", "rate(2 hours)", "@every 2h"),
    ("1 day", "rate(1 day)", "@every 24h"),
    ("3 days", "rate(3 days)", "@every 72h"),
]
CRONS = [
    # neutral (Unix)          AWS EventBridge Scheduler            FC 3.0 timer
    ("0 3 * * *", "cron(0 3 * * ? *)", "0 0 3 * * *"),
    ("*/15 * * * *", "cron(*/15 * * * ? *)", "0 */15 * * * *"),
    # Days of week as names on both: AWS counts 1-7 from Sunday, FC 1-7 from Monday.
    ("30 8 * * 1-5", "cron(30 8 ? * MON-FRI *)", "0 30 8 * * MON-FRI"),
    ("0 9 * * MON-FRI", "cron(0 9 ? * MON-FRI *)", "0 0 9 * * MON-FRI"),
    ("0 9 * * mon-fri", "cron(0 9 ? * MON-FRI *)", "0 0 9 * * MON-FRI"),
    ("0 0 1 * *", "cron(0 0 1 * ? *)", "0 0 0 1 * *"),
    ("0 12 * * 0", "cron(0 12 ? * SUN *)", "0 0 12 * * SUN"),
    ("0 12 * * 7", "cron(0 12 ? * SUN *)", "0 0 12 * * SUN"),
    ("0 12 * * 1", "cron(0 12 ? * MON *)", "0 0 12 * * MON"),
    ("0 12 * * 6", "cron(0 12 ? * SAT *)", "0 0 12 * * SAT"),
    # A range through Sunday would wrap on one cloud: Sunday is listed on its own.
    ("0 12 * * 5-7", "cron(0 12 ? * FRI,SAT,SUN *)", "0 0 12 * * FRI,SAT,SUN"),
    ("0 12 * * 0-2", "cron(0 12 ? * MON,TUE,SUN *)", "0 0 12 * * MON,TUE,SUN"),
    ("0 12 * * 0-6", "cron(0 12 ? * MON-SAT,SUN *)", "0 0 12 * * MON-SAT,SUN"),
    # Neither cloud documents '/' in day-of-week: steps become the days they denote.
    ("0 12 * * 1-7/2", "cron(0 12 ? * MON,WED,FRI,SUN *)", "0 0 12 * * MON,WED,FRI,SUN"),
    ("0 12 * * */2", "cron(0 12 ? * TUE,THU,SAT,SUN *)", "0 0 12 * * TUE,THU,SAT,SUN"),
    ("0 12 * * */3", "cron(0 12 ? * WED,SAT,SUN *)", "0 0 12 * * WED,SAT,SUN"),
    ("0 12 * * 1,3,TUE", "cron(0 12 ? * MON-WED *)", "0 0 12 * * MON-WED"),
    ("0 6,18 1-15 JAN,JUL *", "cron(0 6,18 1-15 JAN,JUL ? *)", "0 0 6,18 1-15 JAN,JUL *"),
]

# How each cloud reads a day name (its documentation's numbering is irrelevant to names).
NAMES = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}
AWS_ORDER = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # AWS: 1-7 or SUN-SAT
FC_ORDER = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]  # FC: 1~7 or MON~SUN


def _unix_days(field: str) -> set[int]:
    """Vixie cron's reading of a day-of-week field (0-7, 0 and 7 Sunday), written independently."""
    days = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        lo, hi = 0, 7
        if base != "*":
            a, _, b = base.partition("-")
            lo = NAMES[a.upper()] if a.upper() in NAMES else int(a)
            hi = (NAMES[b.upper()] if b.upper() in NAMES else int(b)) if b else lo
        days |= {d % 7 for d in range(lo, hi + 1, int(step or 1))}
    return days


def _cloud_days(field: str, order: list[str]) -> set[int]:
    """A cloud's reading of an emitted day-of-week field; ranges follow that cloud's week order."""
    assert "/" not in field and not any(c.isdigit() for c in field), field
    days = set()
    for part in field.split(","):
        a, _, b = part.partition("-")
        i, j = order.index(a), order.index(b or a)
        assert i <= j, f"{part} wraps in {order[0]}-first numbering"
        days |= {NAMES[n] for n in order[i : j + 1]}
    return days


DOW_FIELDS = ["0", "1", "6", "7", "1-5", "0-6", "5-7", "0-2", "*/2", "*/3", "1-7/2", "2-6/2", "SAT,SUN", "sun-tue"]


@pytest.mark.parametrize("field", DOW_FIELDS)
def test_day_of_week_means_the_same_days_on_both_clouds(field: str) -> None:
    cron = parse_cron("cron", f"0 12 * * {field}")
    aws_dow = cron.aws().removeprefix("cron(").removesuffix(")").split()[4]
    fc_dow = cron.fc().split()[5]
    wanted = _unix_days(field)
    assert _cloud_days(aws_dow, AWS_ORDER) == wanted
    assert _cloud_days(fc_dow, FC_ORDER) == wanted


@pytest.mark.parametrize(("neutral", "aws", "fc"), RATES)
def test_rates(neutral: str, aws: str, fc: str) -> None:
    rate = parse_rate("rate", neutral)
    assert (rate.aws(), rate.fc()) == (aws, fc)


@pytest.mark.parametrize(("neutral", "aws", "fc"), CRONS)
def test_crons(neutral: str, aws: str, fc: str) -> None:
    cron = parse_cron("cron", neutral)
    assert (cron.aws(), cron.fc()) == (aws, fc)


def _timer_app(**schedule_args):
    def program(app):
        fn = ServerlessFunction("tick", FunctionArgs(code="timer"))
        return {"fn": fn, "schedule": Schedule("nightly", ScheduleArgs(function=fn, **schedule_args))}

    return program


def test_aws_scheduler_wiring() -> None:
    d = deploy("aws", _timer_app(cron="0 3 * * *", payload={"job": "nightly"}, timezone="Asia/Shanghai"))
    fn_arn = resolve(d.outputs["fn"].arn)
    role = d.one("aws:iam/role:Role", "nightly-role")
    assert role.json("assumeRolePolicy")["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT["aws"]}},
        }
    ]
    policy = d.one("aws:iam/rolePolicy:RolePolicy", "nightly-invoke").json("policy")
    assert policy["Statement"] == [
        {
            "Sid": "FunctionInvoke",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [fn_arn, f"{fn_arn}:*"],
        }
    ]
    sched = d.one("aws:scheduler/schedule:Schedule")
    assert sched.inputs["scheduleExpression"] == "cron(0 3 * * ? *)"
    assert sched.inputs["scheduleExpressionTimezone"] == "Asia/Shanghai"
    assert sched.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    assert sched.inputs["state"] == "ENABLED"
    target = sched.inputs["target"]
    assert target["arn"] == fn_arn and target["roleArn"] == role.state["arn"]
    assert json.loads(target["input"]) == {
        "schedule": "nightly",
        "time": "<aws.scheduler.scheduled-time>",
        "payload": {"job": "nightly"},
    }
    # No lambda.Permission: Scheduler invokes through its role.
    assert d.of_type("aws:lambda/permission:Permission") == []


def test_ali_timer_trigger_wiring() -> None:
    d = deploy("ali", _timer_app(cron="0 3 * * *", payload={"job": "nightly"}, timezone="Asia/Shanghai", enabled=False))
    trigger = d.one("alicloud:fc/v3Trigger:V3Trigger")
    assert trigger.inputs["triggerType"] == "timer"
    assert trigger.inputs["qualifier"] == "LATEST"
    assert trigger.inputs["functionName"] == resolve(d.outputs["fn"].function_name)
    config = trigger.json("triggerConfig")
    assert config == {
        "cronExpression": "CRON_TZ=Asia/Shanghai 0 0 3 * * *",
        "enable": False,
        "payload": json.dumps(
            {"payload": {"job": "nightly"}, "schedule": "nightly"}, separators=(",", ":"), sort_keys=True
        ),
    }
    assert "invocationRole" not in trigger.inputs


def test_rate_and_disabled_on_aws() -> None:
    d = deploy("aws", _timer_app(rate="5 minutes", enabled=False))
    sched = d.one("aws:scheduler/schedule:Schedule")
    assert (sched.inputs["scheduleExpression"], sched.inputs["state"]) == ("rate(5 minutes)", "DISABLED")
    assert sched.inputs["scheduleExpressionTimezone"] == "UTC"


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        ({}, ["exactly one of rate or cron"]),
        ({"rate": "5 minutes", "cron": "0 3 * * *"}, ["exactly one"]),
        ({"rate": "30 seconds"}, ["rate", "'30 seconds'"]),
        ({"rate": "0 minutes"}, ["1 minute"]),
        ({"rate": "400 days"}, ["365 days"]),
        ({"cron": "0 3 * *"}, ["5 fields"]),
        ({"cron": "0 24 * * *"}, ["hour", "'24'", "0-23"]),
        ({"cron": "61 3 * * *"}, ["minute"]),
        ({"cron": "0 3 0 * *"}, ["day-of-month"]),
        ({"cron": "0 3 * 13 *"}, ["month"]),
        ({"cron": "0 3 * * 8"}, ["day-of-week"]),
        ({"cron": "0 3 1 * 1"}, ["not both"]),
        ({"cron": "0 3 * * *", "timezone": "Mars/Olympus"}, ["timezone", "IANA"]),
        ({"rate": "5 minutes", "timezone": "UTC"}, ["only with cron"]),
        ({"rate": "5 minutes", "payload": object()}, ["payload", "JSON"]),
        ({"rate": "5 minutes", "payload": "x" * 5000}, ["payload", "4096"]),
        ({"rate": "5 minutes", "enabled": "yes"}, ["enabled"]),
    ],
)
def test_bad_schedules_fail_clearly_on_both_clouds(cloud: str, args: dict, needles: list[str]) -> None:
    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, _timer_app(**args))
    for needle in needles:
        assert needle in str(err.value), str(err.value)
