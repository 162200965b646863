"""What each feed holds: the site's and each topic's, split into RFC 5005 archives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from newsletter.core.slugs import topic_slug
from newsletter.domain.archives import Archive, Periods, split_history
from newsletter.sources.config import Config
from newsletter.sources.items import Item

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Channel:
    """One feed's identity: where it lives and what it holds, newest first."""

    path: str  # relative to out/, without extension: "feed" or "tags/lecture"
    title: str
    subtitle: str
    key: str  # the part of the feed's tag: URI after the prefix
    items: tuple[Item, ...]


def channels_of(
    items: Sequence[Item], config: Config, topics: Topics | None = None
) -> list[Channel]:
    """Return the site feed and one feed per tag and department, in path order.
    *topics* are those of *items*, if already worked out.

    A topic's label is in its feed's title only, which every format and reader takes
    as plain text, as they take an item's title. Its subtitle is the site's: an RSS
    channel's description is read as HTML by some readers and as plain text by others
    (and by the validators), so no label can be escaped in it the same way for all."""
    channels = [Channel("feed", config.title, config.subtitle, "feed", tuple(items))]
    for slug, (label, members) in sorted((topics or topics_of(items)).items()):
        title = f"{config.title}: {label}"
        channels.append(
            Channel(f"tags/{slug}", title, config.subtitle, f"tags/{slug}", tuple(members))
        )
    return channels


Topics = dict[str, tuple[str, list[Item]]]  # slug: (label, items)


def topics_of(items: Sequence[Item]) -> Topics:
    """Group items by the slug of each tag and department: {slug: (label, items)}."""
    topics: Topics = {}
    for item in items:
        for label in item.topics:
            slug = topic_slug(label)
            entry = topics.setdefault(slug, (label, []))
            if not entry[1] or entry[1][-1] is not item:
                entry[1].append(item)
    return topics


@dataclass(frozen=True)
class FeedDocument:
    """One document to render: a subscription document (Atom, RSS, JSON) or an archive."""

    channel: Channel  # its path, identity and the items it holds
    links: tuple[tuple[str, str], ...]  # RFC 5005 (rel, href)
    archived: bool
    formats: tuple[str, ...]  # of "atom", "rss", "json"


def feed_documents(
    items: Sequence[Item], config: Config, topics: Topics | None = None
) -> list[FeedDocument]:
    """Describe every feed document of *items* (newest first), archives included."""
    documents = []
    periods = Periods(items, config.tz)
    for channel in channels_of(items, config, topics):
        period = periods.month if channel.path == "feed" else periods.year  # a topic's: yearly
        history = split_history(channel.items, config.feed.entries, period)
        newest = history.newest_archive
        previous = (("prev-archive", _archive_url(channel, newest, config)),) if newest else ()
        formats = ("atom", "rss", "json") if channel.path == "feed" else ("atom", "rss")
        current = replace(channel, items=history.current)
        documents.append(FeedDocument(current, previous, False, formats))
        for archive in history.archives:
            document, links = _archive_document(channel, archive, config)
            documents.append(FeedDocument(document, links, True, ("atom",)))
    return documents


def _archive_document(
    channel: Channel, archive: Archive, config: Config
) -> tuple[Channel, tuple[tuple[str, str], ...]]:
    """Describe one period's archive: its contents and its RFC 5005 links."""
    document = Channel(
        path=_archive_path(channel, archive.period),
        title=f"{channel.title} (archive {archive.period})",
        subtitle=channel.subtitle,
        key=f"{channel.key}/archive/{archive.period}",
        items=archive.items,
    )
    links = [("current", f"{config.base_url}{channel.path}.atom")]
    if archive.prev_period:
        links.append(("prev-archive", _archive_url(channel, archive.prev_period, config)))
    if archive.next_period:
        links.append(("next-archive", _archive_url(channel, archive.next_period, config)))
    return document, tuple(links)


def _archive_path(channel: Channel, period: str) -> str:
    folder = "" if channel.path == "feed" else f"{channel.path}/"
    return f"archive/{folder}{period}"


def _archive_url(channel: Channel, period: str, config: Config) -> str:
    return f"{config.base_url}{_archive_path(channel, period)}.atom"


def feed_updated(items: Sequence[Item]) -> datetime:
    """The latest updated time of *items*: a feed's own updated time, never the clock."""
    return max((item.updated for item in items), default=EPOCH)
