"""The events calendar, events.ics: one VEVENT per published event (RFC 5545).

icalendar writes the calendar's head and the time zone (VTIMEZONE), which it works
out from the zone's rules. The events are written here: they are all of the file but
a few lines, and icalendar takes some milliseconds for each, which a build pays
whenever any event changes. Their lines are as icalendar would order them; a test
reads them back with icalendar.

icalendar is imported when the calendar is rendered: a build after an edit that
touches no event should not pay for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from newsletter.sources.config import Config
from newsletter.sources.items import Event, Item

CALENDAR_FILE = "events.ics"
LINE_OCTETS = 75  # the longest a line should be, without its CRLF (RFC 5545, 3.1)
_END = "END:VCALENDAR\r\n"


def render_calendar(items: Sequence[Item], config: Config) -> dict[str, bytes]:
    """Render events.ics holding every event of ITEMS, byte for byte the same each time."""
    events = [(item, item.event) for item in items if item.event is not None]
    events.sort(key=lambda pair: (pair[1].start, pair[0].id))
    head = _head(config, [event for _, event in events]).removesuffix(_END)
    body = "".join(_vevent(item, event, config) for item, event in events)
    return {CALENDAR_FILE: (head + body + _END).encode()}


def _head(config: Config, events: list[Event]) -> str:
    """The calendar without its events, and the time zone the timed ones are in."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{config.host}//newsletter//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", config.title)
    calendar.add("x-wr-timezone", config.timezone)
    if any(not event.all_day for event in events):
        # The default range (1970-2038) makes a VTIMEZONE of hundreds of lines.
        years = [moment.year for e in events for moment in (e.start, e.end or e.start)]
        first, last = date(min(years), 1, 1), date(max(years) + 1, 1, 1)
        with contextlib.suppress(ValueError):  # a zone icalendar does not know: none
            zone = icalendar.Timezone.from_tzid(config.timezone, first_date=first, last_date=last)
            calendar.add_component(zone)
    text: str = calendar.to_ical().decode()
    return text


def _vevent(item: Item, event: Event, config: Config) -> str:
    """One VEVENT, its properties in the order icalendar gives them: the usual ones
    first, then the others by name."""
    authority = (config.id_authority or config.host).split(",")[0]
    if event.all_day:
        # DTEND of an all-day event is exclusive: the day after the last one.
        end = (event.end or event.start).date() + timedelta(days=1)
        times = [
            f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{end:%Y%m%d}",
        ]
    else:
        times = [f"DTSTART;TZID={config.timezone}:{_local(event.start, config)}"]
        if event.end is not None:
            times.append(f"DTEND;TZID={config.timezone}:{_local(event.end, config)}")
    host = f"Host: {event.host}\n\n" if event.host else ""
    description = f"{item.summary}\n\n{host}{item.url}"
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(item.title)}",
        *times,
        f"DTSTAMP:{item.updated.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"UID:{_text(f'{item.id}@{authority}')}",
        f"DESCRIPTION:{_text(description)}",
        *([f"LOCATION:{_text(event.location)}"] if event.location else []),
        f"URL:{item.url}",
        "END:VEVENT",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)


def _local(moment: datetime, config: Config) -> str:
    return f"{moment.astimezone(config.tz):%Y%m%dT%H%M%S}"


def _text(value: str) -> str:
    """Escape a TEXT value (RFC 5545, 3.3.11); any line break becomes \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Fold *line* into lines of at most LINE_OCTETS octets, each continued one starting
    with a space, never within a UTF-8 character or a backslash escape."""
    if len(line) <= LINE_OCTETS // 4 or len(line.encode()) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    start, octets = 0, 0
    for index, char in enumerate(line):
        size = len(char.encode())
        if octets + size > LINE_OCTETS:
            escape = len(line[start:index]) - len(line[start:index].rstrip("\\"))
            # An odd run of backslashes ends in one that begins an escape: keep it with
            # the character it escapes.
            cut = index - 1 if escape % 2 and index - 1 > start else index
            parts.append(line[start:cut])
            start, octets = cut, 1 + len(line[cut:index].encode())  # the space
        octets += size
    parts.append(line[start:])
    return "\r\n ".join(parts)
