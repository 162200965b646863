"""RSS 2.0 documents, written whole by feedgen: the site's and each topic's.

feedgen is wrapped here and nowhere else. Every default of it that would break a
reproducible build is set explicitly: lastBuildDate comes from the entries, entries
are appended in our order, the generator carries no version. RSS has no archives,
so feedgen writes only the subscription documents: a few dozen entries each.

Text is escaped as RSS readers read it: titles and categories, in the channel and in
its items, are plain text (XML-escaped once); an item's description is HTML (its text
HTML-escaped, then XML-escaped); the channel's description is plain text, and holds no
item or tag text (see domain/channels.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from newsletter.domain.channels import Channel, feed_updated
from newsletter.sources.config import Config
from newsletter.sources.items import Item

RSS_TYPE = "application/rss+xml"


def render_rss(channel: Channel, config: Config, content: Mapping[str, str]) -> bytes:
    """Render *channel* as RSS 2.0; *content* maps item id to its HTML."""
    fg = FeedGenerator()
    fg.register_extension("details", _Details, _ItemLink, atom=False, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    fg.title(channel.title)
    fg.description(channel.subtitle)  # plain text, as RSS readers and validators take it
    fg.language(config.language)
    # RSS takes its channel link from the last link given: the alternate one.
    fg.link(href=f"{config.base_url}{channel.path}.rss", rel="self", type=RSS_TYPE)
    fg.link(href=config.base_url, rel="alternate", type="text/html")
    fg.lastBuildDate(feed_updated(channel.items))
    fg.generator("newsletter")
    for item in channel.items:
        _add_item(fg.add_entry(order="append"), item, config, content[item.id])
    data: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


class _Details(BaseExtension):  # type: ignore[misc]
    """The channel side of _ItemLink, which feedgen requires."""


class _ItemLink(BaseEntryExtension):  # type: ignore[misc]
    """Writes an item's <link>: feedgen takes it from the last link given, and an
    item with an external link has two."""

    def __init__(self) -> None:
        self.href = ""

    def extend_rss(self, item: Any) -> Any:
        etree.SubElement(item, "link").text = self.href
        return item


def _add_item(fe: FeedEntry, item: Item, config: Config, html: str) -> None:
    fe.guid(item.entry_id, permalink=False)
    fe.title(item.title)
    fe.details.href = item.url
    fe.pubDate(item.published)
    fe.description(_html(item.summary))
    fe.content(html, type="html")
    for name in item.authors:
        fe.dc.dc_creator(name)
    if item.topics:  # all at once: feedgen goes over every category it holds at each call
        scheme = f"{config.base_url}tags/"
        fe.category([{"term": label, "label": label, "scheme": scheme} for label in item.topics])


def _html(text: str) -> str:
    """Plain *text* as the HTML an RSS description holds."""
    return escape(text, quote=False)
