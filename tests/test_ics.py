"""out/events.ics: every published event, parsed back with icalendar, whatever its text."""

from __future__ import annotations

import functools
import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from conftest import SITE
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.commands.build import build
from newsletter.render.calendar import render_calendar
from newsletter.sources.config import Config, load_config
from newsletter.sources.items import Item, load_items

OSLO = ZoneInfo("Europe/Oslo")
URL = "https://news.example.org/test/news/"

DST_NIGHT = """\
title: "Night shift: a very long title about telomeres, æøå, and the clocks that change"
date: 2024-03-20
summary: Observing cells through the night the clocks go forward.
event:
  start: 2024-03-31T01:30
  end: 2024-03-31T03:30
  location: Lab 3
"""

ALL_DAY = """\
title: Open days
date: 2024-03-25T12:00+00:00
updated: 2024-03-26T09:15
body: Come and see the labs.
event:
  start: 2024-04-22
  end: 2024-04-23
  host: The institute
"""

LATER = """\
title: Scheduled seminar
date: 2024-06-01
body: Not yet published.
event: {start: 2024-06-10T10:00}
"""


def built_calendar(project: Path) -> bytes:
    items = project / "items"
    (items / "dst-night.yaml").write_text(DST_NIGHT, encoding="utf-8")
    (items / "open-days.yaml").write_text(ALL_DAY, encoding="utf-8")
    (items / "later.yaml").write_text(LATER, encoding="utf-8")
    build(project, project / "out", date(2024, 4, 30))
    return (project / "out" / "events.ics").read_bytes()


def test_every_published_event_parses_back(project: Path) -> None:
    calendar = icalendar.Calendar.from_ical(built_calendar(project))
    events = calendar.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [
        "dst-night@example.org",
        "lecture@example.org",
        "open-days@example.org",
    ]
    night, lecture, open_days = events
    assert night.start == datetime(2024, 3, 31, 1, 30, tzinfo=OSLO)
    assert night.start.astimezone(UTC) == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    assert night.end.astimezone(UTC) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert night.end.astimezone(UTC) - night.start.astimezone(UTC) == timedelta(hours=1)
    assert str(night["dtstart"].params["TZID"]) == "Europe/Oslo"
    assert str(night["summary"]) == (
        "Night shift: a very long title about telomeres, æøå, and the clocks that change"
    )
    assert str(night["location"]) == "Lab 3"
    assert str(night["description"]) == (
        f"Observing cells through the night the clocks go forward.\n\n{URL}dst-night.html"
    )
    assert str(night["url"]) == f"{URL}dst-night.html"
    assert night["dtstamp"].dt == datetime(2024, 3, 19, 23, 0, tzinfo=UTC)
    assert lecture.start == datetime(2024, 4, 19, 10, 30, tzinfo=OSLO)
    assert str(lecture["description"]) == (
        f"Targeting cellular immortality in cancer.\n\nHost: Kjetil Taskén\n\n{URL}lecture.html"
    )
    assert (open_days.start, open_days.end) == (date(2024, 4, 22), date(2024, 4, 24))
    assert open_days["dtstart"].params["VALUE"] == "DATE"
    assert open_days["dtstamp"].dt == datetime(2024, 3, 26, 8, 15, tzinfo=UTC)
    assert "LOCATION" not in open_days


def test_calendar_is_folded_crlf_with_a_short_time_zone(project: Path) -> None:
    data = built_calendar(project)
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert all(b"\n" not in line and len(line) <= 75 for line in lines)
    assert b"\r\n DTSTART" not in data  # a folded line continues a value, not a property
    calendar = icalendar.Calendar.from_ical(data)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/Oslo"
    # Each onset in local time before the change: 02:00 in winter time, 03:00 in summer.
    assert sorted(sub["dtstart"].dt for sub in zone.subcomponents) == [
        datetime(2024, 1, 1, 0, 0),
        datetime(2024, 3, 31, 2, 0),
        datetime(2024, 10, 27, 3, 0),
    ]
    assert calendar.get_missing_tzids() == set()


def test_calendars_match_golden(project: Path, golden) -> None:  # type: ignore[no-untyped-def]
    # Line ends are checked above; the golden files hold the text, with plain newlines.
    golden("site/events.ics", built_calendar(project).replace(b"\r\n", b"\n"))
    for name in ("dst-night", "open-days"):
        data = (project / "out" / "events" / f"{name}.ics").read_bytes()
        golden(f"site/events/{name}.ics", data.replace(b"\r\n", b"\n"))


def test_calendar_is_byte_identical_across_builds(project: Path) -> None:
    first = built_calendar(project)
    build(project, project / "out", date(2024, 4, 30))
    assert (project / "out" / "events.ics").read_bytes() == first


def test_an_event_page_links_to_the_calendar(project: Path) -> None:
    build(project, project / "out", date(2024, 4, 30))
    link = (
        '<p class="calendar"><a href="https://news.example.org/test/events/lecture.ics"'
        ' type="text/calendar">Add to calendar</a></p>'
    )
    assert link in (project / "out" / "news" / "lecture.html").read_text(encoding="utf-8")
    assert (project / "out" / "events" / "lecture.ics").is_file()
    assert 'class="calendar"' not in (project / "out/news/older.html").read_text("utf-8")


def test_an_event_with_a_registration_link_offers_it(project: Path) -> None:
    lecture = project / "items" / "lecture.yaml"
    text = lecture.read_text(encoding="utf-8")
    lecture.write_text(
        text.replace(
            "  host: Kjetil Taskén\n",
            "  host: Kjetil Taskén\n  registration: https://example.org/r\n",
        ).replace("2024-04-19T1", "2024-04-24T1"),  # coming up after week 16
        encoding="utf-8",
    )
    build(project, project / "out", date(2024, 4, 30))
    page = (project / "out/news/lecture.html").read_text(encoding="utf-8")
    assert ' · <a href="https://example.org/r">Register</a></p>' in page
    email = (project / "out/digests/2024-W16/email.html").read_text(encoding="utf-8")
    assert 'aria-label="Register: Guest lecture 19 April - Dr. Maria A. Blasco"' in email
    text_part = (project / "out/digests/2024-W16/email.txt").read_text(encoding="utf-8")
    assert (
        "Add to calendar: https://news.example.org/test/events/lecture.ics\n"
        "Register: https://example.org/r\n"
    ) in text_part


def test_a_site_without_events_has_an_empty_calendar(project: Path) -> None:
    (project / "items" / "lecture.yaml").unlink()
    build(project, project / "out", date(2024, 4, 30))
    assert (project / "out" / "events.ics").read_bytes() == (
        b"BEGIN:VCALENDAR\r\n"
        b"VERSION:2.0\r\n"
        b"PRODID:-//news.example.org//newsletter//EN\r\n"
        b"CALSCALE:GREGORIAN\r\n"
        b"METHOD:PUBLISH\r\n"
        b"X-WR-CALNAME:Test Institute \xe2\x80\x94 News\r\n"
        b"X-WR-TIMEZONE:Europe/Oslo\r\n"
        b"END:VCALENDAR\r\n"
    )


@functools.cache
def an_event() -> tuple[Item, Config]:
    config = load_config(SITE)
    lecture = next(item for item in load_items(SITE, config).items if item.event)
    return lecture, config


# Text with what a calendar must escape, line breaks of every kind, letters of two,
# three and four bytes in UTF-8, and backslashes next to what they could escape.
TEXT = st.lists(st.sampled_from([*'ab ,;:\\\n\r"', "æ", "€", "🧬", "\\n", "\\N"]), max_size=60)


def read_back(data: bytes) -> dict[str, str]:
    """The event's values by property name: unfolded, then unescaped left to right.
    (icalendar's reader turns the escaped backslash of "\\\\n" into a line break.)"""
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")  # well-formed, one event
    lines = data.decode().replace("\r\n ", "").split("\r\n")
    start, end = lines.index("BEGIN:VEVENT"), lines.index("END:VEVENT")
    values = {}
    for line in lines[start + 1 : end]:
        name, _, value = line.partition(":")
        if name in ("SUMMARY", "DESCRIPTION", "LOCATION"):  # TEXT: nothing unescaped
            assert not set(re.sub(r"\\.", "", value)) & set(",;\\"), line
        text = re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)
        values[name.split(";")[0]] = text
    assert set(values) == {name for name in event}
    return values


def one_line_break(text: str) -> str:
    """*text* as a calendar holds it: any line break one \\n; a backslash and N stay."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=300, deadline=None)
@given(
    title=TEXT.map("".join),
    summary=TEXT.map("".join),
    place=TEXT.map("".join),
    host=TEXT.map("".join),
)
def test_any_text_reads_back_from_lines_of_at_most_75_octets(
    title: str, summary: str, place: str, host: str
) -> None:
    lecture, config = an_event()
    assert lecture.event is not None
    event = replace(lecture.event, location=place or None, host=host or None)
    item = replace(lecture, title=title, summary=summary, event=event)
    data = render_calendar([item], config)["events.ics"]
    lines = data.split(b"\r\n")
    for line in lines:  # folded where RFC 5545 allows: anywhere but within a character
        assert len(line) <= 75
        line.decode()
        assert (len(line) - len(line.rstrip(b"\\"))) % 2 == 0  # nor within an escape
    values = read_back(data)
    assert values["SUMMARY"] == one_line_break(title)
    assert values.get("LOCATION", "") == one_line_break(place)
    hosted = f"Host: {host}\n\n" if host else ""
    assert values["DESCRIPTION"] == one_line_break(f"{summary}\n\n{hosted}{item.url}")
    assert values["URL"] == item.url


def test_each_event_has_its_own_calendar_holding_the_same_event(project: Path) -> None:
    everything = icalendar.Calendar.from_ical(built_calendar(project))
    folder = project / "out" / "events"
    assert sorted(path.name for path in folder.iterdir()) == [
        "dst-night.ics",
        "lecture.ics",
        "open-days.ics",
    ]
    for event in everything.walk("VEVENT"):
        own = icalendar.Calendar.from_ical(
            (folder / f"{event['uid'].split('@')[0]}.ics").read_bytes()
        )
        (alone,) = own.walk("VEVENT")
        assert alone.to_ical() == event.to_ical()
        assert str(own["method"]) == "PUBLISH"
        assert own.get_missing_tzids() == set()
    night = icalendar.Calendar.from_ical((folder / "dst-night.ics").read_bytes())
    assert [str(zone["tzid"]) for zone in night.walk("VTIMEZONE")] == ["Europe/Oslo"]
    open_days = icalendar.Calendar.from_ical((folder / "open-days.ics").read_bytes())
    assert open_days.walk("VTIMEZONE") == []  # all-day: no time zone needed


def test_an_event_offers_its_calendar_file_and_registration(project: Path) -> None:
    registration = "https://example.org/register?event=night&lang=en"
    night = DST_NIGHT + f"  registration: {registration}\n"
    (project / "items" / "dst-night.yaml").write_text(night, encoding="utf-8")
    config = load_config(project)
    item = next(item for item in load_items(project, config).items if item.id == "dst-night")
    assert item.event is not None and item.event.registration == registration
    assert item.calendar_url == "https://news.example.org/test/events/dst-night.ics"
    older = next(item for item in load_items(project, config).items if item.id == "older")
    assert older.calendar_url is None
    build(project, project / "out", date(2024, 4, 30))
    own = (project / "out" / "events" / "dst-night.ics").read_bytes()
    (event,) = icalendar.Calendar.from_ical(own).walk("VEVENT")
    assert str(event["description"]) == (
        "Observing cells through the night the clocks go forward.\n\n"
        f"Registration: {registration}\n\n{URL}dst-night.html"
    )


def test_an_events_own_calendar_follows_its_item_from_build_to_build(project: Path) -> None:
    built_calendar(project)
    folder = project / "out" / "events"
    lecture = project / "items" / "lecture.yaml"
    lecture.write_text(lecture.read_text("utf-8").replace("Auditorium", "Great hall"), "utf-8")
    (project / "items" / "open-days.yaml").write_text(ALL_DAY.split("event:")[0], "utf-8")
    build(project, project / "out", date(2024, 4, 30))
    assert sorted(path.name for path in folder.iterdir()) == ["dst-night.ics", "lecture.ics"]
    (event,) = icalendar.Calendar.from_ical((folder / "lecture.ics").read_bytes()).walk("VEVENT")
    assert str(event["location"]).startswith("Great hall")


def test_a_norwegian_site_writes_the_calendars_words_in_norwegian(project: Path) -> None:
    config = project / "newsletter.yaml"
    config.write_text(config.read_text("utf-8").replace("language: en", "language: nb"), "utf-8")
    lecture = project / "items" / "lecture.yaml"
    text = lecture.read_text(encoding="utf-8")
    registration = "  registration: https://example.org/r\n"
    lecture.write_text(
        text.replace("  host: Kjetil Taskén\n", f"  host: Kjetil Taskén\n{registration}")
    )
    build(project, project / "out", date(2024, 4, 30))
    own = (project / "out" / "events" / "lecture.ics").read_bytes()
    (event,) = icalendar.Calendar.from_ical(own).walk("VEVENT")
    assert str(event["description"]) == (
        "Targeting cellular immortality in cancer.\n\nVert: Kjetil Taskén\n\n"
        f"Påmelding: https://example.org/r\n\n{URL}lecture.html"
    )


def test_a_site_in_utc_writes_utc_times_without_a_time_zone(project: Path) -> None:
    config = project / "newsletter.yaml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("timezone: Europe/Oslo", "timezone: UTC"), "utf-8")
    calendar = icalendar.Calendar.from_ical(built_calendar(project))
    assert calendar.walk("VTIMEZONE") == []
    night = calendar.walk("VEVENT")[0]
    assert night.start == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert b"DTSTART:20240331T013000Z\r\n" in (project / "out/events/dst-night.ics").read_bytes()


def test_events_years_apart_share_one_time_zone_holding_each_change(project: Path) -> None:
    later = DST_NIGHT.replace("2024-03-31T0", "2026-03-29T0").replace("2024-03-20", "2024-03-21")
    (project / "items" / "later-night.yaml").write_text(later, encoding="utf-8")
    data = built_calendar(project)
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar.get_missing_tzids() == set()
    (zone,) = calendar.walk("VTIMEZONE")
    summer = [sub for sub in zone.subcomponents if sub.name == "DAYLIGHT"]
    assert len(summer) == 1 and summer[0]["dtstart"].dt == datetime(2024, 3, 31, 2, 0)
    assert b"RDATE:20250330T020000,20260329T020000\r\n" in data
    assert b"RDATE:20251026T030000,20261025T030000\r\n" in data
    night = next(e for e in calendar.walk("VEVENT") if e["uid"] == "later-night@example.org")
    assert night.start.astimezone(UTC) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert night.end.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_upcoming_ics_holds_the_events_not_over_and_events_ics_every_one(project: Path) -> None:
    built_calendar(project)  # as of 30 April 2024: every event is over
    out = project / "out"
    assert icalendar.Calendar.from_ical((out / "upcoming.ics").read_bytes()).walk("VEVENT") == []
    every = icalendar.Calendar.from_ical((out / "events.ics").read_bytes())
    assert {str(e["uid"]).split("@")[0] for e in every.walk("VEVENT")} == {
        "dst-night",
        "lecture",
        "open-days",
    }
    # On 23 April the latest complete week ended on the 22nd, when its email went out:
    # the lecture (19 April) was over then, the open days (22-23 April) were not.
    build(project, out, date(2024, 4, 23))
    upcoming = icalendar.Calendar.from_ical((out / "upcoming.ics").read_bytes())
    assert [str(e["summary"]) for e in upcoming.walk("VEVENT")] == ["Open days"]
    assert str(upcoming["x-wr-calname"]) == "Test Institute — News"


def test_upcoming_ics_stays_a_clean_builds_through_a_week_that_changes_nothing(
    project: Path, tmp_path: Path
) -> None:
    """A build later in the same week stops early (nothing it shows changed): the
    upcoming events it keeps are those a clean build that day would list."""
    built_calendar(project)
    out = project / "out"
    build(project, out, date(2024, 4, 22))  # the open days (22-23 April) are to come
    later = build(project, out, date(2024, 4, 26))  # they are over, in the same week
    assert later.rendered == 0
    clean = tmp_path / "clean"
    shutil.copytree(project, clean, ignore=shutil.ignore_patterns(".newsletter", "out", ".out*"))
    build(clean, clean / "out", date(2024, 4, 26))
    upcoming = (out / "upcoming.ics").read_bytes()
    assert upcoming == (clean / "out" / "upcoming.ics").read_bytes()
    events = icalendar.Calendar.from_ical(upcoming).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Open days"]
