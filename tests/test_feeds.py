"""Feeds, read back the way feed readers read them: feedparser and lxml."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree, html

from newsletter.commands.build import build

ATOM = "{http://www.w3.org/2005/Atom}"
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
        "https://news.example.org/test/img/blasco.jpg",
        "https://news.example.org/test/programme.html",
    ]
    assert content.find(".//img").get("alt") == "Maria A. Blasco"
    assert "Maria A. Blasco (Photo: CNIO)" in content.findtext(".//figcaption")
    assert content.find(".//b") is None
    assert "<b>raw HTML</b> stays text" in content.text_content()


def test_drafts_and_scheduled_items_are_held_back(project: Path) -> None:
    build(project, project / "out", date(2024, 4, 30))
    everything = "".join(p.read_text("utf-8") for p in (project / "out").rglob("*") if p.is_file())
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
    names = sorted(p.name for p in (out / "tags").iterdir())
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
            "tags": ("a&b", 'c"d'),
        },
    ],
)
def test_entries_written_here_are_feedgens_byte_for_byte(
    project: Path, changes: dict[str, object]
) -> None:
    from dataclasses import replace

    from newsletter.domain import channels
    from newsletter.engine.itemcache import load_catalog
    from newsletter.render import feeds
    from newsletter.sources.config import load_config

    config = load_config(project)
    items = tuple(replace(item, **changes) for item in load_catalog(project).items)
    content = {item.id: f"<p>{item.title} &amp; 'more'</p>\r\n" for item in items}
    content[items[0].id] = ""  # an item without a body
    channel = channels.Channel("feed", "T & T", "S", "feed", items)
    links = (("prev-archive", "https://x.org/archive/2024-03.atom"),)
    fg = feeds._generator(channel, config, content, "atom")  # every entry by feedgen
    for rel, href in links:
        fg.link(href=href, rel=rel, type="application/atom+xml")
    fg.register_extension("history", feeds._History, None, atom=True, rss=False)
    expected = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    assert feeds._atom(channel, config, content, links, archived=True) == expected
