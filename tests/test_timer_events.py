from __future__ import annotations

from datetime import datetime, timezone

import pytest
from events.load import ali_event, aws_event

from cloudfn.errors import EventFormatError
from cloudfn.events import timer


def test_scheduler_input_and_fc_envelope_give_the_same_tick() -> None:
    aws = timer.from_aws(aws_event("scheduler_input.json"))
    ali = timer.from_ali(ali_event("timer_envelope.json"))
    assert aws == ali
    assert aws.time == datetime(2026, 11, 24, 10, 5, tzinfo=timezone.utc)
    assert aws.schedule == "timer-every-5m"
    assert aws.payload == {"message": "some-custom-payload"}


def test_tutorial_events_on_both_clouds() -> None:
    rule = timer.from_aws(aws_event("eventbridge_scheduled_rule.json"))
    assert (rule.schedule, rule.payload) == ("timer_event_rule", None)
    assert rule.time == datetime(2019, 3, 29, 5, 56, 24, tzinfo=timezone.utc)
    fc = timer.from_ali(ali_event("timer_tutorial.json"))
    assert (fc.schedule, fc.payload) == ("timer-fc-trigger", "some-custom-payload")


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        ([], "list"),
        ({"Records": []}, "Records"),
        ({"schedule": "", "time": "2026-01-01T00:00:00Z"}, "'schedule'"),
        ({"schedule": "s", "time": "yesterday"}, "'yesterday'"),
    ],
)
def test_malformed_aws_events_name_what_was_expected(event: object, needle: str) -> None:
    with pytest.raises(EventFormatError, match="expected") as err:
        timer.from_aws(event)
    assert needle in str(err.value)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [(b"\xff\xfe", "UTF-8 JSON"), (b"not json", "not json"), (b"[1]", "list"), (b'{"payload": "x"}', "payload")],
)
def test_malformed_fc_events_name_what_was_expected(raw: bytes, needle: str) -> None:
    with pytest.raises(EventFormatError, match="expected an FC timer event") as err:
        timer.from_ali(raw)
    assert needle in str(err.value)
