"""The events calendar, events.ics: one VEVENT per published event (RFC 5545).

icalendar is imported when the calendar is rendered: a build after an edit that
touches no event should not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING

from newsletter.config import Config
from newsletter.items import Event, Item

if TYPE_CHECKING:
    import icalendar

CALENDAR_FILE = "events.ics"


def render_calendar(items: Sequence[Item], config: Config) -> dict[str, bytes]:
    """Render events.ics holding every event of ITEMS, byte for byte the same each time."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{config.host}//newsletter//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", config.title)
    calendar.add("x-wr-timezone", config.timezone)
    events = [(item, item.event) for item in items if item.event is not None]
    events.sort(key=lambda pair: (pair[1].start, pair[0].id))
    for item, event in events:
        calendar.add_component(_vevent(item, event, config))
    if events:
        # The default range (1970-2038) makes a VTIMEZONE of hundreds of lines.
        years = [moment.year for _, e in events for moment in (e.start, e.end or e.start)]
        calendar.add_missing_timezones(date(min(years), 1, 1), date(max(years) + 1, 1, 1))
    return {CALENDAR_FILE: calendar.to_ical()}


def _vevent(item: Item, event: Event, config: Config) -> icalendar.Event:
    import icalendar

    vevent = icalendar.Event()
    authority = (config.id_authority or config.host).split(",")[0]
    vevent.add("uid", f"{item.id}@{authority}")
    vevent.add("dtstamp", item.updated.astimezone(UTC))
    if event.all_day:
        vevent.add("dtstart", event.start.date())
        # DTEND of an all-day event is exclusive: the day after the last one.
        vevent.add("dtend", (event.end or event.start).date() + timedelta(days=1))
    else:
        vevent.add("dtstart", event.start.astimezone(config.tz))
        if event.end is not None:
            vevent.add("dtend", event.end.astimezone(config.tz))
    vevent.add("summary", item.title)
    if event.location:
        vevent.add("location", event.location)
    host = f"Host: {event.host}\n\n" if event.host else ""
    vevent.add("description", f"{item.summary}\n\n{host}{item.url}")
    vevent.add("url", item.url)
    return vevent
