"""Atom 1.0, RSS 2.0 and JSON Feed 1.1 documents, for the whole site and each topic.

feedgen is wrapped here and nowhere else. Every default of it that would break a
reproducible build is set explicitly: the feed's updated time and lastBuildDate
come from its entries, entries are appended in our order, the generator carries
no version, and description() is never called (it would replace Atom content).
An Atom document's entries are written here, as feedgen writes them (a test holds
them to its bytes): an item has an entry in several documents, and feedgen spends
ten times as long on each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from newsletter.domain.channels import EPOCH, Channel, FeedDocument, feed_updated
from newsletter.domain.digests import Digest
from newsletter.render.dates import period_span, period_title
from newsletter.render.i18n import translations
from newsletter.sources.config import Config
from newsletter.sources.items import Item

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FH_NS = "http://purl.org/syndication/history/1.0"


def render_feed_document(
    document: FeedDocument, config: Config, content: Mapping[str, str]
) -> dict[str, bytes]:
    """Render one document in each of its formats; *content* maps item id to its HTML."""
    channel, files = document.channel, {}
    if "atom" in document.formats:
        atom = _atom(channel, config, content, document.links, archived=document.archived)
        files[f"{channel.path}.atom"] = atom
    if "rss" in document.formats:
        files[f"{channel.path}.rss"] = _rss(channel, config, content)
    if "json" in document.formats:
        files[f"{channel.path}.json"] = _json_feed(channel, config, content)
    return files


class _Details(BaseExtension):  # type: ignore[misc]
    """The feed side of _EntryDetails, which feedgen requires."""


class _History(BaseExtension):  # type: ignore[misc]
    """Marks an RFC 5005 archive document with <fh:archive/>."""

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FH_NS}

    def extend_atom(self, feed: Any) -> Any:
        feed.append(etree.Element(f"{{{FH_NS}}}archive"))
        return feed


class _EntryDetails(BaseEntryExtension):  # type: ignore[misc]
    """Writes what feedgen gets wrong on entries: xml:lang, and link rel and type
    (feedgen 1.0 drops both, turning a related link into a second alternate one)."""

    def __init__(self) -> None:
        self.lang: str | None = None
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        if self.lang:
            entry.set(XML_LANG, self.lang)
        for attributes in self.links:
            etree.SubElement(entry, "link", attributes)  # feedgen writes Atom without a prefix
        return entry

    def extend_rss(self, item: Any) -> Any:
        etree.SubElement(item, "link").text = self.links[0]["href"]
        return item


def _generator(
    channel: Channel, config: Config, content: Mapping[str, str], kind: str, *, entries: bool = True
) -> Any:
    fg = FeedGenerator()
    fg.register_extension("details", _Details, _EntryDetails, atom=True, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(config.tag_prefix + channel.key)
    fg.title(channel.title)
    fg.subtitle(channel.subtitle)
    fg.description(channel.subtitle)
    fg.language(config.language)
    fg.author(
        {
            "name": config.author_name,
            **({"email": config.author.email} if config.author.email else {}),
        }
    )
    # RSS takes its channel link from the last link given: the alternate one.
    fg.link(href=f"{config.base_url}{channel.path}.{kind}", rel="self", type=_TYPES[kind])
    fg.link(href=config.base_url, rel="alternate", type="text/html")
    updated = feed_updated(channel.items)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    fg.generator("newsletter")
    fg.docs(None)
    for item in channel.items if entries else ():
        _add_entry(fg.add_entry(order="append"), item, config, content[item.id])
    return fg


_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}


def _add_entry(fe: FeedEntry, item: Item, config: Config, html: str) -> None:
    fe.id(item.entry_id)
    fe.guid(item.entry_id, permalink=False)
    fe.title(item.title)
    fe.details.links.append({"href": item.url, "rel": "alternate", "type": "text/html"})
    if item.link:
        fe.details.links.append({"href": item.link, "rel": "related"})
    fe.published(item.published)
    fe.updated(item.updated)
    fe.pubDate(item.published)
    # The order matters: description() also sets the Atom content, which content()
    # then replaces; summary() keeps the RSS description, whose text is HTML in RSS.
    fe.description(escape(item.summary, quote=False))
    fe.content(html, type="html")
    fe.summary(item.summary, type="text")
    for name in item.authors:
        fe.author({"name": name})
        fe.dc.dc_creator(name)
    for label in item.topics:
        fe.category(term=label, label=label, scheme=f"{config.base_url}tags/")
    fe.details.lang = item.lang


def _atom(
    channel: Channel,
    config: Config,
    content: Mapping[str, str],
    links: Sequence[tuple[str, str]] = (),
    *,
    archived: bool = False,
) -> bytes:
    """The Atom document: its head made by feedgen, its entries written by atom_entry(),
    as feedgen writes them but a dozen times faster (an item's entry is in several
    documents: its month's archive, its topics', the subscription document)."""
    fg = _generator(channel, config, content, "atom", entries=False)
    for rel, href in links:
        fg.link(href=href, rel=rel, type=_TYPES["atom"])
    if archived:
        fg.register_extension("history", _History, None, atom=True, rss=False)
    head: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    entries = "".join(atom_entry(item, config, content[item.id]) for item in channel.items)
    return head.removesuffix(_FEED_END) + entries.encode() + _FEED_END


_FEED_END = b"</feed>\n"


def atom_entry(item: Item, config: Config, html: str) -> str:
    """One entry of an Atom document, indented as in it: what feedgen writes for
    _add_entry() and _EntryDetails, element for element and byte for byte."""
    parts = [
        f'  <entry xml:lang="{_attribute(item.lang)}">\n' if item.lang else "  <entry>\n",
        f"    <id>{_text(item.entry_id)}</id>\n",
        f"    <title>{_text(item.title)}</title>\n",
        f"    <updated>{item.updated.isoformat()}</updated>\n",
    ]
    parts += [
        f"    <author>\n      <name>{_text(n)}</name>\n    </author>\n" for n in item.authors if n
    ]
    parts += [
        _text_element("content", "html", html),
        _text_element("summary", "text", item.summary),
    ]
    scheme = _attribute(f"{config.base_url}tags/")
    for label in item.topics:
        label = _attribute(label)
        parts.append(f'    <category term="{label}" scheme="{scheme}" label="{label}"/>\n')
    parts.append(f"    <published>{item.published.isoformat()}</published>\n")
    parts.append(f'    <link href="{_attribute(item.url)}" rel="alternate" type="text/html"/>\n')
    if item.link:
        parts.append(f'    <link href="{_attribute(item.link)}" rel="related"/>\n')
    parts.append("  </entry>\n")
    return "".join(parts)


def _text_element(name: str, kind: str, text: str) -> str:
    if not text:
        return f'    <{name} type="{kind}"/>\n'
    return f'    <{name} type="{kind}">{_text(text)}</{name}>\n'


def _text(text: str) -> str:
    """Escape text as lxml writes it in an element."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")


def _attribute(text: str) -> str:
    """Escape text as lxml writes it in a double-quoted attribute."""
    text = _text(text).replace('"', "&quot;")
    return text.replace("\n", "&#10;").replace("\t", "&#9;")


def _rss(channel: Channel, config: Config, content: Mapping[str, str]) -> bytes:
    fg = _generator(channel, config, content, "rss")
    data: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def _json_feed(channel: Channel, config: Config, content: Mapping[str, str]) -> bytes:
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": channel.title,
        "home_page_url": config.base_url,
        "feed_url": f"{config.base_url}{channel.path}.json",
        "description": channel.subtitle,
        "language": config.language,
        "authors": [{"name": config.author_name}],
        "items": [_json_item(item, content[item.id]) for item in channel.items],
    }
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode()


def _json_item(item: Item, html: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": item.entry_id,
        "url": item.url,
        "title": item.title,
        "content_html": html,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "language": item.lang,
    }
    if item.link:
        entry["external_url"] = item.link
    if item.image:
        entry["image"] = item.image.src
    if item.authors:
        entry["authors"] = [{"name": name} for name in item.authors]
    if item.topics:
        entry["tags"] = list(item.topics)
    return entry


def render_digest_feed(digests: Sequence[Digest], config: Config) -> bytes:
    """Render digests/digests.atom: one entry per digest, newest first, dated its period's end."""
    fg = FeedGenerator()
    fg.id(f"{config.tag_prefix}digests")
    fg.title(f"{config.title}: {translations(config.language).gettext('digests')}")
    fg.subtitle(config.subtitle)
    fg.language(config.language)
    fg.author({"name": config.author_name})
    fg.link(href=f"{config.base_url}digests/digests.atom", rel="self", type=_TYPES["atom"])
    fg.link(href=f"{config.base_url}digests/index.html", rel="alternate", type="text/html")
    fg.updated(max((d.period.end for d in digests), default=EPOCH))
    fg.generator("newsletter")
    for digest in digests:
        fe = fg.add_entry(order="append")
        fe.id(digest.entry_id)
        period, language = digest.period, config.language
        fe.title(f"{period_title(period, language)} ({period_span(period, language)})")
        fe.link(href=digest.url, rel="alternate", type="text/html")
        fe.published(digest.period.end)
        fe.updated(digest.period.end)
        titles = [item.title for item in (digest.items or digest.events)]
        fe.summary("; ".join(titles), type="text")
    data: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data
