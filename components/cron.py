"""Schedule expressions: one neutral syntax, translated to EventBridge Scheduler and FC timers.

Neutral syntax (documented in the README):
- ``rate``: ``"<n> minute(s)|hour(s)|day(s)"``, at least 1 minute;
- ``cron``: the 5-field Unix syntax ``minute hour day-of-month month day-of-week`` with ``*``,
  numbers, ranges ``a-b``, lists ``a,b`` and steps ``*/n`` / ``a-b/n``; months 1-12 or JAN-DEC,
  days of week 0-7 (0 and 7 are Sunday) or SUN-SAT.

Targets:
- AWS ``rate(5 minutes)`` and ``cron(min hour dom month dow year)``, where exactly one of
  day-of-month / day-of-week must be ``?``;
- FC ``@every 5m`` and six-field ``sec min hour dom month dow``.
Days of week are emitted as names on both (``MON-FRI``, ``SUN``): AWS numbers them 1-7 from
Sunday, FC 1-7 from Monday, and neither documents ``/`` in that field (see ``_dow_names``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.errors import invalid

RATE = re.compile(r"^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
FIELDS = (  # name, low, high, names
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day-of-week", 0, 7, DAYS),
)
CRON_SYNTAX = (
    "5 fields 'minute hour day-of-month month day-of-week' using *, numbers, a-b, a,b and */n "
    "(months 1-12 or JAN-DEC, days of week 0-7 or SUN-SAT)"
)


@dataclass(frozen=True)
class Rate:
    minutes: int

    def aws(self) -> str:
        for unit, size in (("day", 1440), ("hour", 60)):
            if self.minutes % size == 0:
                n = self.minutes // size
                return f"rate({n} {unit}{'s' if n > 1 else ''})"
        return f"rate({self.minutes} minute{'s' if self.minutes > 1 else ''})"

    def fc(self) -> str:
        return f"@every {self.minutes // 60}h" if self.minutes % 60 == 0 else f"@every {self.minutes}m"


def parse_rate(setting: str, value: str) -> Rate:
    m = RATE.match(value) if isinstance(value, str) else None
    if not m:
        raise invalid(setting, value, "'<n> minutes', '<n> hours' or '<n> days'")
    n, unit = int(m.group(1)), m.group(2)
    minutes = n * {"m": 1, "h": 60, "d": 1440}[unit[0]]
    if not 1 <= minutes <= 365 * 1440:
        raise invalid(setting, value, "a rate from 1 minute to 365 days")
    return Rate(minutes)


def _value(token: str, low: int, high: int, names: tuple[str, ...]) -> int:
    upper = token.upper()
    if names and upper in names:
        return names.index(upper) + (1 if names is MONTHS else 0)
    if not token.isdigit():
        raise ValueError(token)
    number = int(token)
    if not low <= number <= high:
        raise ValueError(token)
    return number


def _check_field(text: str, low: int, high: int, names: tuple[str, ...]) -> None:
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) < 1):
            raise ValueError(part)
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        a = _value(start, low, high, names)
        if dash and _value(end, low, high, names) < a:
            raise ValueError(part)
        if step and not dash:
            raise ValueError(part)  # "5/10" is not Unix cron


@dataclass(frozen=True)
class Cron:
    minute: str
    hour: str
    dom: str
    month: str
    dow: str

    def aws(self) -> str:
        if self.dom != "*" and self.dow != "*":
            raise invalid(
                "cron",
                " ".join(self.fields()),
                "restrict day-of-month or day-of-week, not both: Unix cron ORs them, AWS cannot",
            )
        dow = "?" if self.dow == "*" else _dow_names(self.dow)
        dom = "?" if self.dow != "*" else self.dom
        return f"cron({self.minute} {self.hour} {dom} {self.month} {dow} *)"

    def fc(self) -> str:
        return f"0 {self.minute} {self.hour} {self.dom} {self.month} {_dow_names(self.dow)}"

    def fields(self) -> tuple[str, str, str, str, str]:
        return (self.minute, self.hour, self.dom, self.month, self.dow)


# Day-of-week is written with names only, because the two clouds number the days differently
# and neither documents '/' there:
# - EventBridge Scheduler / EventBridge cron: "1-7 or SUN-SAT", wildcards ", - * ? L #" (1 = Sunday);
# - FC timer triggers: "1~7 or MON~SUN", special characters ", - * ?".
# Steps (Unix "*/2", "1-5/2") are expanded into the list of days they denote. Ranges are emitted
# only between MON and SAT: a range through SUN would wrap on one of the two clouds (SUN is the
# first day on AWS and the last on FC), so SUN is always listed on its own.
WEEK_ORDER = (1, 2, 3, 4, 5, 6, 0)  # MON..SAT, then SUN, in Unix numbers


def _dow_days(text: str) -> set[int]:
    """The Unix days (0 = Sunday .. 6) a validated day-of-week field denotes."""
    days: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            start, end = 0, 7
        else:
            first, dash, last = base.partition("-")
            start = _value(first, 0, 7, DAYS)
            end = _value(last, 0, 7, DAYS) if dash else start
        days.update(d % 7 for d in range(start, end + 1, int(step) if step else 1))
    return days


def _dow_names(text: str) -> str:
    """A day-of-week field both clouds read the same way: '*' or day names, e.g. 'MON-FRI,SUN'."""
    if text == "*":
        return "*"
    days = _dow_days(text)
    parts: list[str] = []
    run: list[int] = []
    for day in (*WEEK_ORDER, None):  # None flushes the last run
        if day is not None and day != 0 and day in days:
            run.append(day)
            continue
        if len(run) >= 3:
            parts.append(f"{DAYS[run[0]]}-{DAYS[run[-1]]}")
        else:
            parts.extend(DAYS[d] for d in run)
        run = []
    if 0 in days:
        parts.append("SUN")
    return ",".join(parts)


def parse_cron(setting: str, value: str) -> Cron:
    parts = value.split() if isinstance(value, str) else []
    if len(parts) != 5:
        raise invalid(setting, value, CRON_SYNTAX)
    for text, (field, low, high, names) in zip(parts, FIELDS):
        try:
            _check_field(text, low, high, names)
        except ValueError:
            raise invalid(setting, value, f"{field} {text!r} is out of range {low}-{high}; {CRON_SYNTAX}") from None
    return Cron(*parts)
