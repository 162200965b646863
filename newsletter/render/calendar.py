"""The events calendars (RFC 5545), each written whole by this module: events.ics with
every published event, and events/<id>.ics with one, for an "Add to calendar" link. An
event has the same VEVENT, UID included, in both.

Written here rather than by icalendar, which the tests read every calendar back with:
a build writes a calendar of its own for every event, and icalendar builds each as a
tree of components, works out its time zone afresh and folds every line character by
character. Measured in one process on the 10,000 items of bench/synthetic.py (2,466
events), CPU time, best of three, the two run in turns twice on a busy machine:
icalendar wrote the events' own files in 3.7 to 4.5 s and events.ics in 1.2 to 1.6 s
(with each time zone worked out once and kept, the files still took 3.1 to 3.4 s);
this writer takes 0.14 to 0.19 s and 0.11 s. icalendar's 5 s were some 7 % of the
CPU of a cold build of that archive (70 s in one process). Profiled, a cold build in
one process spent 19 % of its time in the calendars with icalendar, 1.1 % with this
writer.

Lines end in CRLF and are folded at 75 octets, between UTF-8 characters and never
inside an escape; TEXT values escape backslash, semicolon, comma and line breaks. A
timed event is written in the site's time zone, with a VTIMEZONE of that zone's
changes of offset over the years its events span (from the tz database Python reads);
a site in UTC writes UTC times. DTSTAMP is the item's `updated`: nothing comes from
the clock.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from newsletter.core.layout import EVENTS_DIR
from newsletter.render.i18n import translations
from newsletter.sources.config import Config
from newsletter.sources.items import Event, Item

CALENDAR_FILE = "events.ics"
_UTC_ZONES = ("UTC", "Etc/UTC")  # written as UTC times, without a VTIMEZONE
_LIMIT = 75  # octets of a line, CRLF aside (RFC 5545, 3.1)


def render_calendar(items: Sequence[Item], config: Config) -> dict[str, bytes]:
    """Render events.ics holding every event of ITEMS, by start time (ties by id)."""
    events = sorted(((item, item.event) for item in items if item.event), key=_by_start)
    lines = _head(config)
    lines += [f"X-WR-CALNAME:{_text(config.title)}", f"X-WR-TIMEZONE:{config.timezone}"]
    lines += _zone(config, [event for _, event in events])
    for item, event in events:
        lines += _vevent(item, event, config)
    return {CALENDAR_FILE: _document([*lines, "END:VCALENDAR"])}


def render_event_calendar(item: Item, config: Config) -> dict[str, bytes]:
    """Render events/<id>.ics: the calendar of *item*'s event alone; {} without one."""
    if item.event is None:
        return {}
    lines = _head(config) + _zone(config, [item.event]) + _vevent(item, item.event, config)
    return {f"{EVENTS_DIR}/{item.id}.ics": _document([*lines, "END:VCALENDAR"])}


def _by_start(pair: tuple[Item, Event]) -> tuple[datetime, str]:
    return (pair[1].start, pair[0].id)


def _head(config: Config) -> list[str]:
    return [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{config.host}//newsletter//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]


def _vevent(item: Item, event: Event, config: Config) -> list[str]:
    """The VEVENT of *item*'s *event*: the same in events.ics and in its own file."""
    if event.all_day:
        # DTEND of an all-day event is exclusive: the day after the last one.
        last = (event.end or event.start).date() + timedelta(days=1)
        when = [f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}", f"DTEND;VALUE=DATE:{last:%Y%m%d}"]
    else:
        when = [f"DTSTART{_moment(event.start, config)}"]
        if event.end is not None:
            when.append(f"DTEND{_moment(event.end, config)}")
    authority = (config.id_authority or config.host).split(",")[0]
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(item.title)}",
        *when,
        f"DTSTAMP:{item.updated.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"UID:{item.id}@{authority}",
        f"DESCRIPTION:{_text(_description(item, event, config))}",
    ]
    if event.location:
        lines.append(f"LOCATION:{_text(event.location)}")
    return [*lines, f"URL:{item.url}", "END:VEVENT"]


def _description(item: Item, event: Event, config: Config) -> str:
    """The summary, who hosts it and where to sign up, in the site's language; the link."""
    _ = translations(config.language).gettext
    parts = [item.summary]
    if event.host:
        parts.append(_("Host: %(name)s") % {"name": event.host})
    if event.registration:
        parts.append(_("Registration: %(url)s") % {"url": event.registration})
    return "\n\n".join([*parts, item.url])


def _moment(moment: datetime, config: Config) -> str:
    """A time after its property's name: in the site's zone, or in UTC for a UTC site."""
    if config.timezone in _UTC_ZONES:
        return f":{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f";TZID={config.timezone}:{moment.astimezone(config.tz):%Y%m%dT%H%M%S}"


def _zone(config: Config, events: Iterable[Event]) -> list[str]:
    """The VTIMEZONE the timed *events* are written in, over the years they span."""
    moments = [m for e in events if not e.all_day for m in (e.start, e.end) if m is not None]
    if not moments or config.timezone in _UTC_ZONES:
        return []
    # Each year a VTIMEZONE covers adds lines; a file covers the years its events need.
    years = [moment.astimezone(config.tz).year for moment in moments]
    return list(_vtimezone(config.timezone, min(years), max(years) + 1))


@functools.lru_cache(maxsize=64)
def _vtimezone(name: str, first: int, last: int) -> tuple[str, ...]:
    """The VTIMEZONE of zone *name* from 1 January of year FIRST to that of LAST.

    Each kind of observance (its offsets from and to, its name, standard or daylight)
    is written once: DTSTART its first onset, RDATE the others. An onset is local
    time before the change (RFC 5545, 3.6.5): 02:00 for Oslo's spring, 03:00 for
    its autumn. The first observance starts on 1 January of FIRST.
    """
    zone = ZoneInfo(name)
    observances: dict[tuple[timedelta, timedelta, str, bool], list[datetime]] = {}
    start = datetime(first, 1, 1, tzinfo=zone)
    state = _state(start)
    observances[(state[0], *state)] = [start.replace(tzinfo=None)]
    for change in _changes(zone, start, datetime(last, 1, 1, tzinfo=zone)):
        now = _state(change.astimezone(zone))
        onset = (change + state[0]).replace(tzinfo=None)  # the wall clock before the change
        observances.setdefault((state[0], *now), []).append(onset)
        state = now
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    for (offset_from, offset_to, abbreviation, daylight), onsets in observances.items():
        kind = "DAYLIGHT" if daylight else "STANDARD"
        lines += [f"BEGIN:{kind}", f"DTSTART:{onsets[0]:%Y%m%dT%H%M%S}"]
        if onsets[1:]:
            lines.append("RDATE:" + ",".join(f"{onset:%Y%m%dT%H%M%S}" for onset in onsets[1:]))
        lines += [
            f"TZNAME:{_text(abbreviation)}",
            f"TZOFFSETFROM:{_offset(offset_from)}",
            f"TZOFFSETTO:{_offset(offset_to)}",
            f"END:{kind}",
        ]
    return (*lines, "END:VTIMEZONE")


def _state(moment: datetime) -> tuple[timedelta, str, bool]:
    """The zone's offset at *moment*, its abbreviation, and whether it is daylight time."""
    offset, abbreviation, dst = moment.utcoffset(), moment.tzname(), moment.dst()
    assert offset is not None and dst is not None  # a ZoneInfo time
    return offset, abbreviation or _offset(offset), bool(dst)


def _changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The moments (UTC) between START and END at which *zone*'s state changes, found
    day by day and then to the second."""
    day, second = timedelta(days=1), timedelta(seconds=1)
    changes = []
    moment = start.astimezone(UTC)
    while moment < end:
        after = min(moment + day, end.astimezone(UTC))
        if _state(after.astimezone(zone)) != _state(moment.astimezone(zone)):
            # the first second of the day whose state differs from the day's start
            seconds = int((after - moment) / second)
            before = _state(moment.astimezone(zone))
            steps = range(1, seconds + 1)
            index = bisect.bisect_left(
                steps, True, key=lambda n: _state((moment + n * second).astimezone(zone)) != before
            )
            changes.append(moment + steps[index] * second)
            moment = changes[-1]
        else:
            moment = after
    return changes


def _offset(offset: timedelta) -> str:
    """A UTC offset as RFC 5545 writes it: +0100, -0330, +053728."""
    seconds = int(offset.total_seconds())
    sign, seconds = "-" if seconds < 0 else "+", abs(seconds)
    hours, minutes, rest = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{rest:02d}" if rest else "")


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545, 3.3.11); any line break becomes one \\n."""
    # str.replace, each a pass in C: translate() with a table is ten times slower here.
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _document(lines: Iterable[str]) -> bytes:
    """The content lines, folded, each ended by CRLF."""
    return b"".join(_fold(line.encode()) + b"\r\n" for line in lines)


def _fold(line: bytes) -> bytes:
    """LINE folded into lines of at most 75 octets: cut between UTF-8 characters and
    never inside a backslash escape, each continuation starting with a space."""
    if len(line) <= _LIMIT:
        return line
    parts, start, room = [], 0, _LIMIT
    while len(line) - start > room:
        cut = start + room
        while line[cut] & 0xC0 == 0x80:  # a continuation byte: inside a character
            cut -= 1
        backslashes = cut - len(line[start:cut].rstrip(b"\\")) - start
        cut -= backslashes % 2  # an escape's backslash goes with what it escapes
        parts.append(line[start:cut])
        start, room = cut, _LIMIT - 1  # the space that continues a line is one octet
    parts.append(line[start:])
    return b"\r\n ".join(parts)
