"""Hostile event structures: every parser either returns neutral records or raises
EventFormatError with a bounded message, never AttributeError, ValueError or OverflowError.

Each real fixture (tests/events/) is mutated with a fixed seed: a random node replaced by junk
(wrong types, huge or non-finite numbers, long strings, nested containers) or a key removed.
Every parser sees every mutant, so shapes of one cloud also hit the other's parser.
"""

from __future__ import annotations

import copy
import json
import math
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cloudfn.errors import MAX_MESSAGE_CHARS, EventFormatError
from cloudfn.events import messages, objects, timer
from cloudfn.events.messages import Message
from cloudfn.events.objects import ObjectCreated

EVENTS = Path(__file__).parent / "events"
JUNK: list[Any] = [
    None,
    True,
    -1,
    0,
    10**30,
    -(10**30),
    1e308,
    -1e308,
    math.inf,
    math.nan,
    "",
    "x",
    "2026-13-45T99:99:99Z",
    "9" * 40,
    "k" * 5000,
    [],
    {},
    [None],
    {"k": None},
    {"Records": []},
]

PARSERS: dict[str, Callable[[Any], Any]] = {
    "messages.from_aws": messages.from_aws,
    "messages.from_ali": lambda e: messages.from_ali(_as_bytes(e)),
    "messages.from_ali_stream": lambda e: messages.from_ali_stream(_as_bytes(e)),
    "objects.from_aws": objects.from_aws,
    "objects.from_ali": lambda e: objects.from_ali(_as_bytes(e)),
    "timer.from_aws": timer.from_aws,
    "timer.from_ali": lambda e: timer.from_ali(_as_bytes(e)),
}


def _as_bytes(event: Any) -> bytes:
    return event if isinstance(event, bytes) else json.dumps(event).encode()


def _fixtures() -> list[Any]:
    out = []
    for path in sorted((EVENTS / "aws").glob("*.json")) + sorted((EVENTS / "ali").glob("*.json")):
        out.append(json.loads(path.read_text()))
    return out


def _nodes(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _nodes(v, (*path, i))
    return found


def mutate(event: Any, rng: random.Random) -> Any:
    event = copy.deepcopy(event)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_nodes(event))
        if not path:
            return rng.choice(JUNK)
        parent = event
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and rng.random() < 0.25:
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(JUNK))
    return event


def _check(result: Any) -> None:
    """What a parser returns is neutral and well-typed, whatever came in."""
    items = result if isinstance(result, list) else [result]
    for item in items:
        if isinstance(item, Message):
            assert isinstance(item.id, str) and isinstance(item.body, str) and isinstance(item.source, str)
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in item.attributes.items())
            assert item.receive_count is None or isinstance(item.receive_count, int)
            assert item.sent_at is None or isinstance(item.sent_at, datetime)
        elif isinstance(item, ObjectCreated):
            assert isinstance(item.key, str) and isinstance(item.bucket, str) and isinstance(item.time, datetime)
            assert item.size is None or isinstance(item.size, int)


def test_mutated_events_are_parsed_or_rejected_with_a_bounded_event_format_error() -> None:
    rng = random.Random(11)
    crashes: list[str] = []
    outcomes = {"parsed": 0, "rejected": 0}
    fixtures = _fixtures()
    for n in range(600):
        event = mutate(fixtures[n % len(fixtures)], rng)
        for name, parse in PARSERS.items():
            try:
                _check(parse(event))
                outcomes["parsed"] += 1
            except EventFormatError as exc:
                assert len(str(exc)) <= MAX_MESSAGE_CHARS + 60
                outcomes["rejected"] += 1
            except Exception as exc:
                crashes.append(f"{name} on mutant {n}: {type(exc).__name__}: {exc}"[:300])
    assert crashes == []
    assert outcomes["parsed"] > 100 and outcomes["rejected"] > 1000


@pytest.mark.parametrize(
    ("event", "where"),
    [
        ({"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": "b", "attributes": []}]}, "'attributes'"),
        (
            {"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": "b", "messageAttributes": "x"}]},
            "'messageAttributes'",
        ),
        (
            {
                "Records": [
                    {
                        "eventSource": "aws:sqs",
                        "messageId": "m",
                        "body": "b",
                        "attributes": {"ApproximateReceiveCount": "two"},
                    }
                ]
            },
            "ApproximateReceiveCount",
        ),
        (
            {"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": "b", "eventSourceARN": 7}]},
            "eventSourceARN",
        ),
        ({"Records": [{"Sns": {"MessageId": "m", "Message": "b", "MessageAttributes": ["x"]}}]}, "'MessageAttributes'"),
    ],
)
def test_structurally_odd_records_name_the_record_and_the_key(event: Any, where: str) -> None:
    with pytest.raises(EventFormatError, match=f"record 0.*{where}"):
        messages.from_aws(event)


@pytest.mark.parametrize("stamp", [1e300, -1e300, 10**20, math.inf, math.nan, "99999999999999999999"])
def test_odd_numeric_timestamps_never_reject_a_batch(stamp: Any) -> None:
    sns = {"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m", "Message": "b", "Timestamp": stamp}}]}
    sqs = {
        "Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": "b", "attributes": {"SentTimestamp": stamp}}]
    }
    cloud_event = {
        "specversion": "1.0",
        "type": "mns:Queue:SendMessage",
        "time": stamp,
        "data": {"messageId": "m", "messageBody": "b"},
    }
    topic_json = {"TopicName": "t", "MessageId": "m", "Message": "b", "PublishTime": stamp}
    for parsed in (
        messages.from_aws(sns),
        messages.from_aws(sqs),
        messages.from_ali(json.dumps(cloud_event).encode()),
        messages.from_ali(json.dumps(topic_json).encode()),
    ):
        assert [(m.id, m.body, m.sent_at) for m in parsed] == [("m", "b", None)]


def test_a_five_megabyte_event_gives_a_short_rejection() -> None:
    wide = {f"key-{i:07d}-" + "x" * 40: i for i in range(100_000)}  # ~5 MB of keys
    assert len(json.dumps(wide)) > 5_000_000
    for name, parse in PARSERS.items():
        if name == "messages.from_ali_stream":
            continue  # STREAM takes any text as a body
        with pytest.raises(EventFormatError) as caught:
            parse(wide)
        assert len(str(caught.value)) < 1500, name  # 20 keys of at most 40 characters, and the expected shape
        assert "(+99980 more)" in str(caught.value), name


def test_a_huge_value_is_shown_cut() -> None:
    record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "eventTime": "x" * 3_000_000, "s3": {}}
    with pytest.raises(EventFormatError) as caught:
        objects.from_aws({"Records": [record]})
    assert len(str(caught.value)) < 600
    with pytest.raises(EventFormatError, match=r"too large to show|UTF-8 JSON"):
        timer.from_ali(b'{"triggerTime": ' + b"9" * 5000 + b"}")


@pytest.mark.parametrize("resources", [{"k": None}, 5, "arn", [None], [{}]])
def test_a_scheduled_event_with_odd_resources_is_rejected_by_name(resources: Any) -> None:
    event = {"detail-type": "Scheduled Event", "time": "2026-01-01T00:00:00Z", "resources": resources}
    with pytest.raises(EventFormatError, match="'resources' as a list of rule ARNs"):
        timer.from_aws(event)
