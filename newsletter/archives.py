"""RFC 5005 archived feeds: which entries a subscription document holds, which archives.

A feed's subscription document (feed.atom, tags/<slug>.atom) holds its newest
``feed.entries`` items, and every item is also in the archive document of its
calendar month (in the configured time zone), under archive/. A month is closed
once a newer month has items: the archive of a closed month never changes when
newer items arrive. The month of the newest item is open; its archive grows with
it. Archives link to their neighbours, so walking the prev-archive links from the
subscription document reaches every item. Only a feed whose items all fall in one
month and fit in its subscription document has no archive at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from zoneinfo import ZoneInfo

from newsletter.items import Item


@dataclass(frozen=True)
class Archive:
    """One month of one feed's entries, newest first, and its neighbours' months."""

    month: str  # 2024-04
    items: tuple[Item, ...]
    prev_month: str | None
    next_month: str | None


@dataclass(frozen=True)
class History:
    """A feed split into its subscription document and its archives, oldest first."""

    current: tuple[Item, ...]
    archives: tuple[Archive, ...]

    @property
    def newest_archive(self) -> str | None:
        """The month the subscription document's prev-archive link points to."""
        return self.archives[-1].month if self.archives else None


def split_history(items: Sequence[Item], entries: int, tz: ZoneInfo) -> History:
    """Split *items* (newest first) into the newest *entries* and monthly archives."""
    current = tuple(items[:entries])
    months = [
        (month, tuple(group))
        for month, group in groupby(items, key=lambda item: month_of(item, tz))
    ]
    if len(months) <= 1 and len(items) <= entries:
        return History(current, ())
    chosen = list(reversed(months))
    archives = []
    for index, (month, group) in enumerate(chosen):
        prev_month = chosen[index - 1][0] if index > 0 else None
        next_month = chosen[index + 1][0] if index + 1 < len(chosen) else None
        archives.append(Archive(month, group, prev_month, next_month))
    return History(current, tuple(archives))


def month_of(item: Item, tz: ZoneInfo) -> str:
    """The calendar month of an item's publication, in the configured time zone."""
    return item.published.astimezone(tz).strftime("%Y-%m")
