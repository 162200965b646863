"""Feeds, read back the way feed readers read them: feedparser and lxml."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree, html

from newsletter.commands.build import build
from newsletter.domain.channels import Channel, FeedDocument
from newsletter.engine.itemcache import load_catalog
from newsletter.render.atom import render_atom
from newsletter.render.rss import render_rss
from newsletter.sources.config import load_config

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DEPARTMENT = "department-of-molecular-cell-biology"
SYMBOLS = 'Fish & chips < tea > "coffee" — æ ø å 🔬'


@pytest.fixture
def out(project: Path) -> Path:
    build(project, project / "out", date(2024, 4, 30))
    return project / "out"


def test_feeds_match_golden(out: Path, golden) -> None:  # type: ignore[no-untyped-def]
    for name in ["feed.atom", "feed.rss", "feed.json", "tags/lecture.atom", "tags/aeoa-co.rss"]:
        golden(f"site/{name}", (out / name).read_bytes())


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss", "tags/aeoa-co.atom", "tags/aeoa-co.rss"])
def test_feedparser_reads_every_feed_cleanly(out: Path, name: str) -> None:
    parsed = feedparser.parse((out / name).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries[0].title == SYMBOLS


def test_atom_entries_are_complete(out: Path) -> None:
    parsed = feedparser.parse((out / "feed.atom").read_bytes())
    assert [e.id for e in parsed.entries] == [
        "tag:example.org,2024:news/symbols",
        "tag:example.org,2024:news/norsk",
        "tag:example.org,2024:news/lecture",
        "tag:example.org,2024:news/older",
    ]
    assert parsed.feed.updated == "2024-04-16T09:00:00+02:00"
    lecture = parsed.entries[2]
    assert lecture.updated == "2024-04-11T10:00:00+02:00"
    assert lecture.published == "2024-04-10T00:00:00+02:00"
    assert lecture.summary == "Targeting cellular immortality in cancer."
    assert lecture.link == "https://news.example.org/test/news/lecture.html"
    assert [t.term for t in lecture.tags] == ["lecture", "telomeres"]
    assert lecture.author == "Kjetil Taskén"
    assert lecture.content[0].type == "text/html"


def test_entries_carry_their_own_language(out: Path) -> None:
    tree = etree.parse(str(out / "feed.atom"))
    langs = [e.get("{http://www.w3.org/XML/1998/namespace}lang") for e in tree.iter(f"{ATOM}entry")]
    assert langs == ["en", "nb", "en", "en"]


def test_content_urls_are_absolute_and_raw_html_is_escaped(out: Path) -> None:
    tree = etree.parse(str(out / "feed.atom"))
    lecture = next(
        e for e in tree.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id").endswith("lecture")
    )
    content = html.fragment_fromstring(lecture.findtext(f"{ATOM}content"), create_parent="div")
    urls = [el.get("href") or el.get("src") for el in content.iter("a", "img")]
    assert urls == [
        "https://news.example.org/test/images/blasco.jpg",
        "https://news.example.org/test/programme.html",
    ]
    assert content.find(".//img").get("alt") == "Maria A. Blasco"
    assert content.findtext(".//figcaption") == "Photo: CNIO"  # the alt is said once, by the img
    assert content.find(".//b") is None
    assert "<b>raw HTML</b> stays text" in content.text_content()


def test_drafts_and_scheduled_items_are_held_back(project: Path) -> None:
    build(project, project / "out", date(2024, 4, 30))
    pages = (p for p in (project / "out").rglob("*") if p.is_file() and p.suffix != ".png")
    pages = (p for p in pages if "images" not in p.parts and p.suffix != ".ico")
    everything = "".join(p.read_text("utf-8") for p in pages)
    assert "Not ready yet" not in everything
    assert "Scheduled for May" not in everything
    build(project, project / "out", date(2024, 5, 2))
    titles = [e.title for e in feedparser.parse(str(project / "out" / "feed.atom")).entries]
    assert titles[0] == "Scheduled for May"
    assert "Not ready yet" not in titles


def test_new_title_or_base_url_keeps_entry_ids(project: Path, out: Path) -> None:
    before = [e.id for e in feedparser.parse(str(out / "feed.atom")).entries]
    config = project / "newsletter.yaml"
    text = config.read_text("utf-8").replace("news.example.org/test/", "moved.example.net/")
    config.write_text(text, "utf-8")
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("Honorary", "Renamed"), "utf-8")
    build(project, out, date(2024, 4, 30))
    parsed = feedparser.parse(str(out / "feed.atom"))
    assert [e.id for e in parsed.entries] == before
    assert parsed.entries[3].link == "https://moved.example.net/news/older.html"


def test_feed_entries_limit_and_tiebreak(project: Path) -> None:
    for name in ["b-same", "a-same", "c-same"]:
        (project / "items" / f"{name}.yaml").write_text(
            f"title: {name}\ndate: 2024-04-20T12:00\nbody: Same moment.\n", "utf-8"
        )
    config = project / "newsletter.yaml"
    config.write_text(config.read_text("utf-8") + "feed:\n  entries: 3\n", "utf-8")
    build(project, project / "out", date(2024, 4, 30))
    parsed = feedparser.parse(str(project / "out" / "feed.atom"))
    assert [e.title for e in parsed.entries] == ["c-same", "b-same", "a-same"]


def test_json_feed(out: Path) -> None:
    feed = json.loads((out / "feed.json").read_text("utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://news.example.org/test/feed.json"
    first = feed["items"][0]
    assert first["title"] == SYMBOLS
    assert first["id"] == "tag:example.org,2024:news/symbols"
    assert first["tags"] == ["Æøå & co", "Department of Molecular Cell Biology"]
    for item in feed["items"]:  # what JSON Feed 1.1 requires of every item
        assert isinstance(item["id"], str) and item["content_html"]
        assert datetime.fromisoformat(item["date_published"]).tzinfo is not None


def test_topic_feeds_cover_tags_and_departments(out: Path) -> None:
    feeds = (p for p in (out / "tags").iterdir() if p.suffix in (".atom", ".rss"))
    names = sorted(p.name for p in feeds)  # beside the topic pages and their index
    assert names == [
        f"{slug}.{ext}"
        for slug in [
            "aeoa-co",
            "awards",
            "department-of-molecular-cell-biology",
            "lecture",
            "telomeres",
        ]
        for ext in ["atom", "rss"]
    ]
    department = feedparser.parse(str(out / "tags" / f"{DEPARTMENT}.atom"))
    assert [e.title for e in department.entries] == [SYMBOLS, "Ny forskning på Radiumhospitalet"]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"title": SYMBOLS, "summary": "", "authors": ()},
        {
            "summary": 'Line one\r\nline "two"\tand <three> & more',
            "link": "https://x.org/?a=1&b='2'",
        },
        {
            "authors": ("Ola & Kari", 'Per "P" <per@example.org>'),
            "lang": "nb",
            "tags": ("a&b", 'c"d', "tab\there"),
        },
    ],
)
def test_atom_text_reads_back_exactly(project: Path, changes: dict[str, object]) -> None:
    config = load_config(project)
    items = tuple(replace(item, **changes) for item in load_catalog(project).items)
    content = {item.id: f"<p>{item.title} &amp; 'more'</p>\r\n" for item in items}
    content[items[0].id] = ""  # an item without a body
    channel = Channel("feed", "T & <T>", 'S "s"', "feed", items)
    links = (("prev-archive", "https://x.org/archive/2024-03.atom?a=1&b=2"),)
    data = render_atom(FeedDocument(channel, links, True, ("atom",)), config, content)
    feed = etree.fromstring(data)
    assert [feed.findtext(f"{ATOM}{name}") for name in ("title", "subtitle")] == [
        "T & <T>",
        'S "s"',
    ]
    assert feed.find(f"{FH}archive") is not None
    assert feed.findall(f"{ATOM}link")[2].attrib == {
        "href": "https://x.org/archive/2024-03.atom?a=1&b=2",
        "rel": "prev-archive",
        "type": "application/atom+xml",
    }
    for item, entry in zip(items, feed.iter(f"{ATOM}entry"), strict=True):
        assert entry.findtext(f"{ATOM}title") == item.title
        assert (entry.findtext(f"{ATOM}summary") or "") == item.summary
        assert (entry.findtext(f"{ATOM}content") or "") == content[item.id]
        assert [a.findtext(f"{ATOM}name") for a in entry.iter(f"{ATOM}author")] == list(
            item.authors
        )
        assert [c.get("term") for c in entry.iter(f"{ATOM}category")] == list(item.topics)
        assert entry.get(XML_LANG) == item.lang
        related = [
            link.get("href") for link in entry.iter(f"{ATOM}link") if link.get("rel") == "related"
        ]
        assert related == ([item.link] if item.link else [])
    assert feedparser.parse(data).bozo == 0


def test_topic_text_in_rss_is_escaped_as_item_text(project: Path) -> None:
    tag = "R&D <lab>"
    item = project / "items" / "older.yaml"
    text = item.read_text("utf-8").replace("tags: [awards]", f"tags: ['{tag}']\nsummary: '{tag}'")
    item.write_text(text, "utf-8")
    build(project, project / "out", date(2024, 4, 30))
    parsed = feedparser.parse((project / "out" / "tags" / "r-d-lab.rss").read_bytes())
    assert parsed.bozo == 0
    assert parsed.feed.title == f"Test Institute — News: {tag}"
    assert parsed.entries[0].title == "Honorary members of the bioscience society"
    assert parsed.entries[0].tags[0].term == tag
    assert parsed.feed.subtitle == "News from a small test institute"  # never read as HTML
    assert parsed.entries[0].summary == "R&amp;D &lt;lab&gt;"


def test_digest_feed_links_each_digest_as_its_alternate_page(out: Path) -> None:
    parsed = feedparser.parse((out / "digests" / "digests.atom").read_bytes())
    assert parsed.bozo == 0
    assert [e.id for e in parsed.entries][:2] == [
        "tag:example.org,2024:digests/2024-W16",
        "tag:example.org,2024:digests/2024-W15",
    ]
    link = parsed.entries[0].links[0]
    assert (link.rel, link.type, link.href) == (
        "alternate",
        "text/html",
        "https://news.example.org/test/digests/2024-W16/index.html",
    )


def test_an_item_with_thousands_of_topics_lists_each_once_in_order(project: Path) -> None:
    config = load_config(project)
    item = replace(load_catalog(project).items[0], tags=tuple(f"t{n}" for n in range(8000)))
    channel = Channel("feed", "T", "S", "feed", (item,))
    data = render_rss(channel, config, {item.id: "<p>x</p>"})
    terms = re.findall(rb"<category[^>]*>t(\d+)</category>", data)
    assert [int(term) for term in terms] == list(range(8000))


LINK_TYPES = {
    "self": "application/atom+xml",
    "current": "application/atom+xml",
    "prev-archive": "application/atom+xml",
    "next-archive": "application/atom+xml",
    "alternate": "text/html",
}


def test_every_feed_link_names_its_content_type(out: Path) -> None:
    atoms = sorted(out.rglob("*.atom"))
    assert len(atoms) == 9  # the feed, its archives, the topics, the digests
    for path in atoms:
        for link in etree.parse(str(path)).iter(f"{ATOM}link"):
            assert link.get("type") == LINK_TYPES.get(link.get("rel")), (path, link.attrib)
    for path in sorted(out.rglob("*.rss")):
        (own,) = etree.parse(str(path)).iter(f"{ATOM}link")
        assert (own.get("rel"), own.get("type")) == ("self", "application/rss+xml")
    index = html.parse(str(out / "index.html"))
    found = {link.get("href"): link.get("type") for link in index.iter("link")}
    base = "https://news.example.org/test/"
    assert [found.get(f"{base}{name}") for name in ("feed.atom", "feed.rss", "feed.json")] == [
        "application/atom+xml",
        "application/rss+xml",
        "application/feed+json",
    ]
