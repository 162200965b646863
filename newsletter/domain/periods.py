"""Digest periods: ISO weeks from Monday 00:00 local time, or calendar months.

A period is named by its key (2024-W16, 2024-04) and spans [start, end) in the
configured time zone, so a week around a daylight-saving change is 167 or 169 hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal["weekly", "monthly"]
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DASH = "\u2013"
_SPACED_DASH = f" {_DASH} "
_EXAMPLES = {"weekly": "a week such as 2024-W16", "monthly": "a month such as 2024-04"}


class BadPeriod(ValueError):
    """A PERIOD text that names no period of this site: a usage error."""


@dataclass(frozen=True)
class Period:
    """One digest's span of time: start inclusive, end exclusive, both local."""

    kind: Kind
    key: str
    start: datetime
    end: datetime

    @property
    def title(self) -> str:
        """Say which period it is: Week 16, 2024 or April 2024."""
        if self.kind == "monthly":
            return f"{MONTHS[self.start.month - 1]} {self.start.year}"
        year, week, _ = self.start.date().isocalendar()
        return f"Week {week}, {year}"

    @property
    def span(self) -> str:
        """Say its days, joined by an en dash: 15-21 April 2024, 29 April - 5 May 2024."""
        first, last = self.start.date(), self.end.date() - timedelta(days=1)
        if first.year != last.year:
            return f"{_day(first)} {first.year}{_SPACED_DASH}{_day(last)} {last.year}"
        if first.month != last.month:
            return f"{_day(first)}{_SPACED_DASH}{_day(last)} {last.year}"
        return f"{first.day}{_DASH}{_day(last)} {last.year}"

    def contains(self, moment: datetime) -> bool:
        """Tell whether *moment* falls within the period."""
        return self.start <= moment < self.end


def period_of(moment: datetime, kind: Kind, tz: ZoneInfo) -> Period:
    """Return the period that contains *moment*, in local time of *tz*."""
    day = moment.astimezone(tz).date()
    if kind == "monthly":
        return _month(day.year, day.month, tz)
    return _week(day - timedelta(days=day.weekday()), tz)


def previous(period: Period, tz: ZoneInfo) -> Period:
    """Return the period just before *period*."""
    return period_of(period.start - timedelta(days=1), period.kind, tz)


def following(period: Period, tz: ZoneInfo) -> Period:
    """Return the period just after *period*."""
    return period_of(period.end, period.kind, tz)


def latest_complete(as_of: datetime, kind: Kind, tz: ZoneInfo) -> Period:
    """Return the last period that has ended at *as_of*."""
    return previous(period_of(as_of, kind, tz), tz)


def periods_from(first: datetime, as_of: datetime, kind: Kind, tz: ZoneInfo) -> Iterator[Period]:
    """Yield every complete period at *as_of*, oldest first, from the one holding *first*."""
    period, last = period_of(first, kind, tz), latest_complete(as_of, kind, tz)
    while period.start <= last.start:
        yield period
        period = following(period, tz)


def parse_period(text: str, kind: Kind, tz: ZoneInfo, as_of: datetime) -> Period:
    """Read PERIOD: 2024-W16, 2024-04, or latest (the last complete period at *as_of*)."""
    text = text.strip()
    if text.lower() == "latest":
        return latest_complete(as_of, kind, tz)
    week, month = _WEEK.match(text), _MONTH.match(text)
    try:
        if week and kind == "weekly":
            monday = date.fromisocalendar(int(week[1]), int(week[2]), 1)
            return _week(monday, tz)
        if month and kind == "monthly" and 1 <= int(month[2]) <= 12:
            return _month(int(month[1]), int(month[2]), tz)
    except ValueError:
        pass  # date.fromisocalendar refuses week 53 of a 52-week year, and week 0
    if (week or month) and not (week if kind == "weekly" else month):
        raise BadPeriod(f"{text!r}: this site's digests are {kind}; give {_EXAMPLES[kind]}")
    raise BadPeriod(f"{text!r} is not a period; give {_EXAMPLES[kind]}, or latest")


def _week(monday: date, tz: ZoneInfo) -> Period:
    year, week, _ = monday.isocalendar()
    return Period(
        "weekly",
        f"{year}-W{week:02d}",
        _midnight(monday, tz),
        _midnight(monday + timedelta(days=7), tz),
    )


def _month(year: int, month: int, tz: ZoneInfo) -> Period:
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return Period("monthly", f"{year}-{month:02d}", _midnight(first, tz), _midnight(after, tz))


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"
