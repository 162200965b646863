"""RFC 5005 archived feeds: which entries a subscription document holds, which archives.

A feed's subscription document (feed.atom, tags/<slug>.atom) holds its newest
``feed.entries`` items, and every item is also in the archive document of its
period, under archive/: its calendar month for the site's feed, its year for a
topic's (a topic has a few items a month: monthly archives would be a long chain
of tiny documents). Periods are in the configured time zone. A period is closed
once a newer one has items: the archive of a closed period never changes when
newer items arrive. The period of the newest item is open; its archive grows with
it. Archives link to their neighbours, so walking the prev-archive links from the
subscription document reaches every item. Only a feed whose items all fall in one
period and fit in its subscription document has no archive at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from zoneinfo import ZoneInfo

from newsletter.sources.items import Item


@dataclass(frozen=True)
class Archive:
    """One period of one feed's entries, newest first, and its neighbours' periods."""

    period: str  # 2024-04, or 2024
    items: tuple[Item, ...]
    prev_period: str | None
    next_period: str | None


@dataclass(frozen=True)
class History:
    """A feed split into its subscription document and its archives, oldest first."""

    current: tuple[Item, ...]
    archives: tuple[Archive, ...]

    @property
    def newest_archive(self) -> str | None:
        """The period the subscription document's prev-archive link points to."""
        return self.archives[-1].period if self.archives else None


def split_history(items: Sequence[Item], entries: int, period: Callable[[Item], str]) -> History:
    """Split *items* (newest first) into the newest *entries* and archives by *period*,
    one of the Periods' month or year."""
    current = tuple(items[:entries])
    periods = [(key, tuple(group)) for key, group in groupby(items, key=period)]
    if len(periods) <= 1 and len(items) <= entries:
        return History(current, ())
    chosen = list(reversed(periods))
    archives = []
    for index, (key, group) in enumerate(chosen):
        prev_period = chosen[index - 1][0] if index > 0 else None
        next_period = chosen[index + 1][0] if index + 1 < len(chosen) else None
        archives.append(Archive(key, group, prev_period, next_period))
    return History(current, tuple(archives))


class Periods:
    """The month (2024-04) and year (2024) of each item's publication, in the zone *tz*;
    worked out once for all the feeds an item is in."""

    def __init__(self, items: Sequence[Item], tz: ZoneInfo) -> None:
        self.months = {item.id: item.published.astimezone(tz).strftime("%Y-%m") for item in items}

    def month(self, item: Item) -> str:
        """The item's month."""
        return self.months[item.id]

    def year(self, item: Item) -> str:
        """The item's year."""
        return self.months[item.id][:4]
