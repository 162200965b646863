"""What is published at a moment: --as-of made a moment, drafts and scheduled items held back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from newsletter.sources.config import Config
from newsletter.sources.items import Item


def resolve_as_of(as_of: date | datetime, config: Config) -> datetime:
    """Turn --as-of into a moment: a date covers that whole day in the configured zone."""
    if not isinstance(as_of, datetime):
        as_of = datetime.combine(as_of + timedelta(days=1), time()) - timedelta(microseconds=1)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=config.tz)
    return as_of


def select_published(items: Sequence[Item], as_of: datetime) -> list[Item]:
    """Keep the items that are not drafts and are dated at or before AS_OF."""
    return [item for item in items if not item.draft and item.published <= as_of]
