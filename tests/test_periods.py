# ruff: noqa: RUF001  (the spans are typeset with en dashes)
"""Periods: ISO weeks from Monday 00:00 local time, months, and PERIOD texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsletter.domain.periods import (
    BadPeriod,
    latest_complete,
    parse_period,
    period_of,
    periods_from,
)

OSLO = ZoneInfo("Europe/Oslo")
AS_OF = datetime(2024, 4, 30, 12, 0, tzinfo=OSLO)


def hours(period_start: datetime, period_end: datetime) -> float:
    return (period_end.astimezone(UTC) - period_start.astimezone(UTC)) / timedelta(hours=1)


def test_a_week_starts_monday_midnight_local_time() -> None:
    week = parse_period("2024-W16", "weekly", OSLO, AS_OF)
    assert (week.key, week.title, week.span) == ("2024-W16", "Week 16, 2024", "15–21 April 2024")
    assert week.start == datetime(2024, 4, 15, tzinfo=OSLO)
    assert week.end == datetime(2024, 4, 22, tzinfo=OSLO)
    assert week.start.utcoffset() == timedelta(hours=2)


def test_a_moment_belongs_to_the_week_of_its_local_date_not_its_utc_date() -> None:
    assert period_of(datetime(2024, 4, 21, 23, 30, tzinfo=OSLO), "weekly", OSLO).key == "2024-W16"
    sunday_in_utc = datetime(2024, 4, 21, 22, 30, tzinfo=UTC)  # Monday 00:30 in Oslo
    assert period_of(sunday_in_utc, "weekly", OSLO).key == "2024-W17"
    assert period_of(datetime(2024, 4, 22, tzinfo=OSLO), "weekly", OSLO).key == "2024-W17"


def test_the_week_clocks_go_forward_in_march_has_167_hours() -> None:
    week = parse_period("2024-W13", "weekly", OSLO, AS_OF)  # 25-31 March; DST on Sunday 31
    assert week.span == "25–31 March 2024"
    assert hours(week.start, week.end) == 167
    assert week.end.utcoffset() == timedelta(hours=2)
    after_change = datetime(2024, 3, 31, 3, 30, tzinfo=OSLO)
    assert period_of(after_change, "weekly", OSLO) == week
    assert period_of(datetime(2024, 3, 31, 22, 30, tzinfo=UTC), "weekly", OSLO).key == "2024-W14"


def test_the_week_clocks_go_back_in_october_has_169_hours() -> None:
    week = parse_period("2024-W43", "weekly", OSLO, AS_OF)  # 21-27 October; DST ends Sunday 27
    assert week.span == "21–27 October 2024"
    assert hours(week.start, week.end) == 169
    assert (week.start.utcoffset(), week.end.utcoffset()) == (
        timedelta(hours=2),
        timedelta(hours=1),
    )
    assert period_of(datetime(2024, 10, 27, 22, 59, tzinfo=UTC), "weekly", OSLO) == week
    assert period_of(datetime(2024, 10, 27, 23, 0, tzinfo=UTC), "weekly", OSLO).key == "2024-W44"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2020-W53", "28 December 2020 – 3 January 2021"),
        ("2026-W53", "28 December 2026 – 3 January 2027"),
        ("2025-W01", "30 December 2024 – 5 January 2025"),
    ],
)
def test_iso_weeks_across_new_year(text: str, span: str) -> None:
    week = parse_period(text, "weekly", OSLO, AS_OF)
    assert (week.key, week.span) == (text, span)
    assert period_of(week.start + timedelta(days=6, hours=23), "weekly", OSLO) == week


def test_new_years_day_2021_is_in_week_53_of_2020() -> None:
    assert period_of(datetime(2021, 1, 1, 12, tzinfo=OSLO), "weekly", OSLO).key == "2020-W53"
    assert period_of(datetime(2021, 1, 4, tzinfo=OSLO), "weekly", OSLO).key == "2021-W01"


def test_months() -> None:
    month = parse_period("2024-10", "monthly", OSLO, AS_OF)
    assert (month.key, month.title, month.span) == ("2024-10", "October 2024", "1–31 October 2024")
    assert hours(month.start, month.end) == 31 * 24 + 1
    december = parse_period("2024-12", "monthly", OSLO, AS_OF)
    assert december.end == datetime(2025, 1, 1, tzinfo=OSLO)


def test_latest_is_the_last_complete_period() -> None:
    assert parse_period("latest", "weekly", OSLO, AS_OF).key == "2024-W17"
    assert parse_period("latest", "monthly", OSLO, AS_OF).key == "2024-03"
    monday_midnight = datetime(2024, 4, 22, tzinfo=OSLO)
    assert latest_complete(monday_midnight, "weekly", OSLO).key == "2024-W16"
    assert latest_complete(monday_midnight - timedelta(microseconds=1), "weekly", OSLO).key == (
        "2024-W15"
    )


def test_periods_from_lists_every_complete_period_in_order() -> None:
    first = datetime(2020, 12, 20, tzinfo=OSLO)
    as_of = datetime(2021, 1, 12, tzinfo=OSLO)
    keys = [p.key for p in periods_from(first, as_of, "weekly", OSLO)]
    assert keys == ["2020-W51", "2020-W52", "2020-W53", "2021-W01"]
    months = [p.key for p in periods_from(first, as_of, "monthly", OSLO)]
    assert months == ["2020-12"]


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        (
            "2024-W99",
            "weekly",
            "'2024-W99' is not a period; give a week such as 2024-W16, or latest",
        ),
        (
            "2024-W53",
            "weekly",
            "'2024-W53' is not a period; give a week such as 2024-W16, or latest",
        ),
        (
            "2024-W00",
            "weekly",
            "'2024-W00' is not a period; give a week such as 2024-W16, or latest",
        ),
        (
            "2024-13",
            "monthly",
            "'2024-13' is not a period; give a month such as 2024-04, or latest",
        ),
        (
            "2024-00",
            "monthly",
            "'2024-00' is not a period; give a month such as 2024-04, or latest",
        ),
        (
            "2024-04",
            "weekly",
            "'2024-04': this site's digests are weekly; give a week such as 2024-W16",
        ),
        (
            "2024-W16",
            "monthly",
            "'2024-W16': this site's digests are monthly; give a month such as 2024-04",
        ),
        (
            "last week",
            "weekly",
            "'last week' is not a period; give a week such as 2024-W16, or latest",
        ),
    ],
)
def test_impossible_periods_are_refused(text: str, kind: str, message: str) -> None:
    with pytest.raises(BadPeriod) as raised:
        parse_period(text, kind, OSLO, AS_OF)  # type: ignore[arg-type]
    assert str(raised.value) == message
