"""The local clock: virtual time, due callbacks in order at their own time, and each cloud's
schedule expressions as the program deploys them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from localcloud.clock import Clock, ScheduleExpressionError, next_fire, parse_duration

UTC = timezone.utc
T0 = datetime(2026, 11, 24, 10, 2, 30, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("expression", "timezone_name", "expected"),
    [
        ("rate(5 minutes)", None, datetime(2026, 11, 24, 10, 7, 30, tzinfo=UTC)),
        ("rate(1 hour)", None, datetime(2026, 11, 24, 11, 2, 30, tzinfo=UTC)),
        ("@every 5m", None, datetime(2026, 11, 24, 10, 7, 30, tzinfo=UTC)),
        ("@every 1h30m", None, datetime(2026, 11, 24, 11, 32, 30, tzinfo=UTC)),
        ("cron(0 3 * * ? *)", "UTC", datetime(2026, 11, 25, 3, 0, tzinfo=UTC)),
        ("cron(0 3 * * ? *)", "Asia/Shanghai", datetime(2026, 11, 24, 19, 0, tzinfo=UTC)),
        ("cron(*/15 * * * ? *)", None, datetime(2026, 11, 24, 10, 15, tzinfo=UTC)),
        # AWS day-of-week 2 = Monday
        ("cron(30 8 ? * 2 *)", None, datetime(2026, 11, 30, 8, 30, tzinfo=UTC)),
        ("cron(30 8 ? * MON-FRI *)", None, datetime(2026, 11, 25, 8, 30, tzinfo=UTC)),
        # FC: seconds first, day-of-week 1 = Monday
        ("0 30 8 * * 1", None, datetime(2026, 11, 30, 8, 30, tzinfo=UTC)),
        ("CRON_TZ=Asia/Shanghai 0 0 3 * * *", None, datetime(2026, 11, 24, 19, 0, tzinfo=UTC)),
        ("0 0 0 1 * *", None, datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_next_fire(expression: str, timezone_name: str | None, expected: datetime) -> None:
    assert next_fire(expression, timezone_name, T0, T0) == expected


def test_unsupported_fields_are_named() -> None:
    with pytest.raises(ScheduleExpressionError, match=r"'L'"):
        next_fire("cron(0 3 L * ? *)", None, T0, T0)


def test_advance_runs_due_callbacks_in_order_at_their_time() -> None:
    clock = Clock(T0)
    seen: list[tuple[str, datetime, datetime]] = []
    clock.call_later(120, lambda t: seen.append(("b", t, clock.now())), "b")
    clock.call_later(60, lambda t: seen.append(("a", t, clock.now())), "a")
    clock.call_later(600, lambda t: seen.append(("late", t, clock.now())), "late")
    assert clock.advance(119) == 1
    assert clock.now() == datetime(2026, 11, 24, 10, 4, 29, tzinfo=UTC)
    assert clock.advance(1) == 1
    assert [(n, t.minute, now.minute) for n, t, now in seen] == [("a", 3, 3), ("b", 4, 4)]
    assert clock.pending() == [(datetime(2026, 11, 24, 10, 12, 30, tzinfo=UTC), "late")]
    with pytest.raises(ValueError, match="back"):
        clock.advance(-1)


def test_virtual_time_stands_still() -> None:
    clock = Clock(T0)
    assert clock.now() == T0
    assert Clock(T0, wall=True).now() >= T0


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_parse_duration_refuses_junk() -> None:
    with pytest.raises(ValueError, match="like 90s, 5m"):
        parse_duration("5 minutes")
