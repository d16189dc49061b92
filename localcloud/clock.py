"""The local cloud's clock: virtual by default, the wall clock on request.

Everything time-driven in the local cloud (schedules, retry back-offs, SQS visibility timeouts as
the trigger engine sees them) is put on this clock with ``call_at``.  In virtual mode time stands
still until ``advance(seconds)`` moves it: each due callback then runs in time order, with
``now()`` set to its due time, so a schedule fired by an advance of an hour sees the twelve
five-minute tick times it would have seen live.  ``wall=True`` makes virtual time follow real time
(plus any advances), so schedules fire by themselves.

Schedule expressions, as deployed (``next_fire``):
- AWS EventBridge Scheduler: ``rate(N minute|minutes|hour|hours|day|days)``,
  ``cron(min hour day-of-month month day-of-week year)`` with ``*``, ``?``, numbers, names, ranges,
  lists, steps; day-of-week 1-7 = SUN-SAT; ``at(yyyy-mm-ddThh:mm:ss)``;
  https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
- FC timer triggers: ``@every 5m`` / ``@every 1h30m`` and six-field ``sec min hour dom month dow``
  with day-of-week 0-6 = SUN-SAT, optionally prefixed ``CRON_TZ=<zone>``;
  https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/timer-trigger-overview
``L``, ``W`` and ``#`` are refused with an error naming them (the program never generates them).
A rate schedule first fires one period after the local cloud starts (its creation time).
"""

from __future__ import annotations

import heapq
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc

__all__ = ["Clock", "ScheduleExpressionError", "next_fire", "parse_duration"]


class ScheduleExpressionError(ValueError):
    """An expression the local clock cannot evaluate; the message names it."""


@dataclass(order=True)
class _Task:
    due: datetime
    seq: int
    callback: Callable[[datetime], None] = field(compare=False)
    name: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Virtual time with ``call_at`` timers. Thread-safe; callbacks run on the advancing thread."""

    def __init__(self, start: datetime | None = None, *, wall: bool = False) -> None:
        self._base = (start or datetime.now(UTC)).replace(microsecond=0)
        self._offset = timedelta()
        self._wall = wall
        self._real0 = time.monotonic()
        self._tasks: list[_Task] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self._run_lock = threading.Lock()
        self._fixed: datetime | None = None  # set while a due callback runs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def wall(self) -> bool:
        return self._wall

    def now(self) -> datetime:
        with self._lock:
            if self._fixed is not None:
                return self._fixed
            real = timedelta(seconds=time.monotonic() - self._real0) if self._wall else timedelta()
            return self._base + self._offset + real

    def call_at(self, due: datetime, callback: Callable[[datetime], None], name: str = "") -> _Task:
        task = _Task(due, next(self._seq), callback, name)
        with self._lock:
            heapq.heappush(self._tasks, task)
        return task

    def call_later(self, seconds: float, callback: Callable[[datetime], None], name: str = "") -> _Task:
        return self.call_at(self.now() + timedelta(seconds=seconds), callback, name)

    def pending(self) -> list[tuple[datetime, str]]:
        with self._lock:
            return sorted((t.due, t.name) for t in self._tasks if not t.cancelled)

    def advance(self, seconds: float) -> int:
        """Move virtual time forward, running every callback that falls due; returns how many ran."""
        if seconds < 0:
            raise ValueError(f"cannot move the clock back ({seconds:g} s)")
        with self._run_lock:
            target = self.now() + timedelta(seconds=seconds)
            ran = self._run_due(target)
            with self._lock:
                self._offset += target - self.now()
            return ran

    def _run_due(self, until: datetime) -> int:
        ran = 0
        while True:
            with self._lock:
                while self._tasks and self._tasks[0].cancelled:
                    heapq.heappop(self._tasks)
                if not self._tasks or self._tasks[0].due > until:
                    return ran
                task = heapq.heappop(self._tasks)
                # Time moves to the task's due time, and reads as exactly that while it runs.
                if task.due > self.now():
                    self._offset += task.due - self.now()
                self._fixed = task.due
            try:
                task.callback(task.due)
            finally:
                with self._lock:
                    self._fixed = None
            ran += 1

    # -- wall clock --------------------------------------------------------

    def start(self) -> None:
        if self._wall and self._thread is None:
            self._thread = threading.Thread(target=self._tick, name="localcloud-clock", daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            with self._run_lock:
                self._run_due(self.now())

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None


# --------------------------------------------------------------------------
# Durations ("90s", "5m", "1h30m", "2d") for the CLI and API
# --------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | float | int) -> float:
    """Seconds in ``text``: a number of seconds or ``1h30m``-style units (ms, s, m, h, d)."""
    if isinstance(text, (int, float)):
        return float(text)
    value = text.strip()
    try:
        return float(value)
    except ValueError:
        pass
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"duration {text!r} is not seconds or a duration like 90s, 5m, 1h30m, 2d")
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


# --------------------------------------------------------------------------
# Schedule expressions
# --------------------------------------------------------------------------

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_AWS_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_AWS_CRON = re.compile(r"^cron\((.*)\)$")
_AWS_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
_FC_EVERY = re.compile(r"^@every\s+((?:\d+[hms])+)$")


def _field(text: str, low: int, high: int, names: tuple[str, ...] = (), name_base: int = 0) -> frozenset[int]:
    """The set of values a cron field allows."""
    if text in ("*", "?"):
        return frozenset(range(low, high + 1))
    values: set[int] = set()

    def value(token: str) -> int:
        upper = token.upper()
        if names and upper in names:
            return names.index(upper) + name_base
        if not token.isdigit():
            raise ScheduleExpressionError(f"cron field value {token!r} is not supported by the local clock")
        return int(token)

    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = value(a), value(b)
        else:
            first = value(base)
            last = high if step_text else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class _CronSpec:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: frozenset[int]
    months: frozenset[int]
    dow: frozenset[int]  # 0 = Sunday
    dom_any: bool
    dow_any: bool
    years: frozenset[int] | None
    zone: ZoneInfo

    def matches(self, t: datetime) -> bool:
        if t.second not in self.seconds or t.minute not in self.minutes or t.hour not in self.hours:
            return False
        if t.month not in self.months or (self.years is not None and t.year not in self.years):
            return False
        dow = (t.weekday() + 1) % 7
        dom_ok, dow_ok = t.day in self.dom, dow in self.dow
        if self.dom_any:
            return dow_ok
        if self.dow_any:
            return dom_ok
        return dom_ok or dow_ok  # Unix rule when both are restricted


def _reject_special(expression: str, fields: list[str]) -> None:
    for f in fields:
        if any(c in f.upper() for c in ("L", "W", "#")) and f.upper() not in _MONTHS + _DAYS and not f.isalpha():
            raise ScheduleExpressionError(f"{expression!r}: field {f!r} (L, W, #) is not supported by the local clock")


def _aws_cron(expression: str, inner: str, zone: ZoneInfo) -> _CronSpec:
    fields = inner.split()
    if len(fields) != 6:
        raise ScheduleExpressionError(f"{expression!r}: AWS cron needs 6 fields (min hour dom month dow year)")
    _reject_special(expression, fields)
    minute, hour, dom, month, dow, year = fields
    dows = _field(dow, 1, 7, _DAYS, 1)
    return _CronSpec(
        frozenset({0}),
        _field(minute, 0, 59),
        _field(hour, 0, 23),
        _field(dom, 1, 31),
        _field(month, 1, 12, _MONTHS, 1),
        frozenset(d - 1 for d in dows),  # AWS 1 = Sunday
        dom in ("*", "?"),
        dow in ("*", "?"),
        None if year in ("*", "?") else _field(year, 1970, 2199),
        zone,
    )


def _fc_cron(expression: str, zone: ZoneInfo) -> _CronSpec:
    text = expression.strip()
    if text.startswith("CRON_TZ="):
        tz, _, text = text.partition(" ")
        zone = ZoneInfo(tz.removeprefix("CRON_TZ="))
    fields = text.split()
    if len(fields) != 6:
        raise ScheduleExpressionError(f"{expression!r}: FC cron needs 6 fields (sec min hour dom month dow)")
    _reject_special(expression, fields)
    sec, minute, hour, dom, month, dow = fields
    return _CronSpec(
        _field(sec, 0, 59),
        _field(minute, 0, 59),
        _field(hour, 0, 23),
        _field(dom, 1, 31),
        _field(month, 1, 12, _MONTHS, 1),
        frozenset(d % 7 for d in _field(dow, 0, 7, _DAYS, 0)),
        dom in ("*", "?"),
        dow in ("*", "?"),
        None,
        zone,
    )


def _every(text: str) -> timedelta:
    total = timedelta()
    for n, unit in re.findall(r"(\d+)([hms])", text):
        total += timedelta(**{{"h": "hours", "m": "minutes", "s": "seconds"}[unit]: int(n)})
    return total


def next_fire(expression: str, timezone: str | None, after: datetime, created: datetime) -> datetime | None:
    """The first fire time strictly after ``after`` (UTC), or None if it never fires again."""
    zone = ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    expr = expression.strip()
    if m := _AWS_RATE.match(expr):
        period = timedelta(minutes=int(m[1]) * {"m": 1, "h": 60, "d": 1440}[m[2][0]])
        return _next_period(created, period, after)
    if m := _FC_EVERY.match(expr):
        return _next_period(created, _every(m[1]), after)
    if m := _AWS_AT.match(expr):
        when = datetime.fromisoformat(m[1]).replace(tzinfo=zone).astimezone(UTC)
        return when if when > after else None
    if m := _AWS_CRON.match(expr):
        spec = _aws_cron(expr, m[1], zone)
        step = timedelta(minutes=1)
    else:
        spec = _fc_cron(expr, zone)
        step = timedelta(seconds=1) if spec.seconds != frozenset(range(60)) and len(spec.seconds) > 1 else None
        step = step or timedelta(minutes=1)
    return _scan(spec, after, step)


def _next_period(created: datetime, period: timedelta, after: datetime) -> datetime:
    if period <= timedelta():
        raise ScheduleExpressionError("a rate of zero never fires")
    n = max(1, int((after - created) / period) + 1)
    when = created + n * period
    while when <= after:
        when += period
    return when


def _scan(spec: _CronSpec, after: datetime, step: timedelta) -> datetime | None:
    local = after.astimezone(spec.zone)
    if step == timedelta(minutes=1):
        # Candidate seconds within each minute, ascending (AWS: only :00).
        t = local.replace(second=0, microsecond=0)
        limit = local + timedelta(days=366 * 5)
        while t <= limit:
            if t.minute in spec.minutes and t.hour in spec.hours:
                for s in sorted(spec.seconds):
                    c = t.replace(second=s)
                    if c.astimezone(UTC) > after and spec.matches(c):
                        return c.astimezone(UTC)
            t += step
        return None
    t = local.replace(microsecond=0) + timedelta(seconds=1)
    limit = local + timedelta(days=8)
    while t <= limit:
        if spec.matches(t):
            return t.astimezone(UTC)
        t += step
    return None
