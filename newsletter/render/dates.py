"""Dates, times, periods and events as a reader of the site's language writes them."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time

from newsletter.domain.periods import Period
from newsletter.render.i18n import locale_of, translations
from newsletter.sources.items import Event


def long_date(moment: datetime, language: str) -> str:
    """The day with its weekday: Friday, 19 April 2024 / fredag 19. april 2024."""
    return _long_day(moment.date(), language)


# A build writes some 100,000 dates (every item in every list, feed and digest), of a
# few thousand days: Babel looks up its locale's pattern afresh each time (7 % of a
# cold build's time in a profile of 10,000 items).
@functools.lru_cache(maxsize=8192)
def _long_day(day: date, language: str) -> str:
    return format_date(day, "full", locale=locale_of(language))


def clock(moment: datetime, language: str) -> str:
    """The time of day: 10:30."""
    return format_time(moment.replace(tzinfo=None), "short", locale=locale_of(language))


# Each period is written several times a build (its digest, the list of digests and
# their feed), and Babel looks up its locale's patterns afresh each time.
@functools.lru_cache(maxsize=4096)
def period_title(period: Period, language: str) -> str:
    """Say which period it is: Week 16, 2024 / Uke 16, 2024, or April 2024."""
    if period.kind == "monthly":
        month = format_skeleton("yMMMM", period.start, locale=locale_of(language))
        return month[:1].upper() + month[1:]
    year, week, _ = period.start.date().isocalendar()
    return translations(language).gettext("Week %(week)s, %(year)s") % {
        "week": week,
        "year": year,
    }


@functools.lru_cache(maxsize=4096)
def period_name(period: Period, language: str) -> str:
    """Name the period as a subject line does: Week 16 / Uke 16, or April 2024."""
    if period.kind == "monthly":
        return period_title(period, language)
    week = period.start.date().isocalendar()[1]
    return translations(language).gettext("Week %(week)s") % {"week": week}


@functools.lru_cache(maxsize=4096)
def period_span(period: Period, language: str) -> str:
    """Say its first and last days: 15 - 21 April 2024 / 15.-21. april 2024 (en dashes).

    The locale's own pattern for a span of days, with the month's name in full.
    """
    first, last = period.start.date(), period.end.date() - timedelta(days=1)
    locale = locale_of(language)
    differs = "y" if first.year != last.year else "M" if first.month != last.month else "d"
    start, end = (p.replace("MMM", "MMMM") for p in locale.interval_formats["yMMMd"][differs])
    return format_date(first, start, locale=locale) + format_date(last, end, locale=locale)


def event_when(event: Event, tz: ZoneInfo, language: str) -> str:
    """Say when an event is, in local time: Friday, 19 April 2024, 10:30-11:30."""
    start = event.start.astimezone(tz)
    end = event.end.astimezone(tz) if event.end else None
    text = long_date(start, language)
    if not event.all_day:
        text += f", {clock(start, language)}"
    if end and end.date() != start.date() and not (event.all_day and end == start):
        text += f" \u2013 {long_date(end, language)}"
        return text + (f", {clock(end, language)}" if not event.all_day else "")
    return text + (f"\u2013{clock(end, language)}" if end and not event.all_day else "")
