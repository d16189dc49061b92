"""Schedule expressions: one neutral syntax, translated to EventBridge Scheduler and FC timers.

Neutral syntax (documented in the README):
- ``rate``: ``"<n> minute(s)|hour(s)|day(s)"``, at least 1 minute;
- ``cron``: the 5-field Unix syntax ``minute hour day-of-month month day-of-week`` with ``*``,
  numbers, ranges ``a-b``, lists ``a,b`` and steps ``*/n`` / ``a-b/n``; months 1-12 or JAN-DEC,
  days of week 0-7 (0 and 7 are Sunday) or SUN-SAT.

Targets:
- AWS ``rate(5 minutes)`` and ``cron(min hour dom month dow year)``, where days of week are
  1-7 with 1 = Sunday and exactly one of day-of-month / day-of-week must be ``?``;
- FC ``@every 5m`` and six-field ``sec min hour dom month dow`` with Sunday = 0.
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
        dow = "?" if self.dow == "*" else _shift_dow(self.dow)
        dom = "?" if self.dow != "*" else self.dom
        return f"cron({self.minute} {self.hour} {dom} {self.month} {dow} *)"

    def fc(self) -> str:
        return f"0 {self.minute} {self.hour} {self.dom} {self.month} {_fc_dow(self.dow)}"

    def fields(self) -> tuple[str, str, str, str, str]:
        return (self.minute, self.hour, self.dom, self.month, self.dow)


def _fc_dow(text: str) -> str:
    """Unix 0-7 to FC's 0-6: Sunday written as 7 becomes 0, including at the end of a range."""
    out = []
    for part in text.split(","):
        base, _, step = part.partition("/")
        start, dash, end = base.partition("-")
        if base == "7":
            out.append("0")
        elif dash and end == "7" and start.isdigit():
            days = list(range(int(start), 8, int(step) if step else 1))
            out.append(",".join(str(d % 7) for d in days) if step else f"{start}-6,0")
        else:
            out.append(part)
    return ",".join(out)


def _shift_dow(text: str) -> str:
    """Unix 0-7 (Sunday 0 or 7) to AWS 1-7 (Sunday 1); names pass through."""

    def aws_day(unix: int) -> int:
        return unix % 7 + 1

    out = []
    for part in text.split(","):
        base, _, step = part.partition("/")
        start, dash, end = base.partition("-")
        if base == "*" or not start.isdigit() or (dash and not end.isdigit()):
            out.append(part.upper())  # "*", "*/n" and names mean the same days on AWS
        elif not dash:
            out.append(str(aws_day(int(start))) + (f"/{step}" if step else ""))
        else:
            days = [aws_day(d) for d in range(int(start), int(end) + 1, int(step) if step else 1)]
            contiguous = not step and days == list(range(days[0], days[0] + len(days)))
            out.append(f"{days[0]}-{days[-1]}" if contiguous and len(days) > 1 else ",".join(map(str, days)))
    return ",".join(out)


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
