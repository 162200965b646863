"""RFC 5005 archives: every item reachable from the subscription document, archives stable."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import feedparser
import pytest

from newsletter.commands.build import build

FH = "http://purl.org/syndication/history/1.0"


def write_items(root: Path, days: list[int], tag: str = "science") -> None:
    """Write one item per day number, counted from 2024-01-01, two in every tenth."""
    for day in days:
        moment = date.fromordinal(date(2024, 1, 1).toordinal() + day)
        text = f"title: Item {day}\ndate: {moment}T12:00\ntags: [{tag}]\nbody: Story {day}.\n"
        (root / "items" / f"item-{day:03}.yaml").write_text(text, "utf-8")


@pytest.fixture
def archive_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "items").mkdir(parents=True)
    config = "title: T\nbase_url: https://example.org/\ntimezone: Europe/Oslo\nfeed: {entries: 5}\n"
    (root / "newsletter.yaml").write_text(config, "utf-8")
    write_items(root, list(range(0, 150, 6)))  # 25 items over five months, 4 in May
    return root


def walk(out: Path, start: str) -> tuple[list[str], list[list[str]]]:
    """Follow prev-archive links from a subscription document; return its ids and each archive's."""
    feed = feedparser.parse(str(out / start))
    assert feed.bozo == 0
    current = [entry.id for entry in feed.entries]
    archives = []
    link = _link(feed, "prev-archive")
    while link:
        document = feedparser.parse(str(out / link.removeprefix("https://example.org/")))
        assert document.bozo == 0
        assert FH in document.namespaces.values()
        assert _link(document, "current") == f"https://example.org/{start}"
        archives.append([entry.id for entry in document.entries])
        link = _link(document, "prev-archive")
    return current, archives


def _link(feed: feedparser.FeedParserDict, rel: str) -> str | None:
    return next((link.href for link in feed.feed.get("links", []) if link.rel == rel), None)


def test_walking_the_archives_reaches_every_item_exactly_once(archive_project: Path) -> None:
    build(archive_project, archive_project / "out", date(2024, 12, 31))
    for start in ["feed.atom", "tags/science.atom"]:
        current, archives = walk(archive_project / "out", start)
        assert len(current) == 5
        archived = [entry_id for archive in archives for entry_id in archive]
        assert len(archived) == len(set(archived))
        expected = {f"tag:example.org,2024:news/item-{day:03}" for day in range(0, 150, 6)}
        assert set(archived) | set(current) == expected
    months = sorted(p.name for p in (archive_project / "out" / "archive").glob("*.atom"))
    assert months == [
        "2024-01.atom",
        "2024-02.atom",
        "2024-03.atom",
        "2024-04.atom",
        "2024-05.atom",
    ]
    years = sorted(p.name for p in (archive_project / "out" / "archive" / "tags").glob("*/*"))
    assert years == ["2024.atom"]  # a topic's archives are by year


def test_a_topics_closed_year_does_not_change_when_a_newer_item_arrives(
    archive_project: Path,
) -> None:
    write_items(archive_project, [-30, -200])  # two items in 2023
    out = archive_project / "out"
    build(archive_project, out, date(2024, 12, 31))
    closed = (out / "archive" / "tags" / "science" / "2023.atom").read_bytes()
    assert b"Item -30" in closed and b"Item -200" in closed
    write_items(archive_project, [151])
    build(archive_project, out, date(2024, 12, 31))
    assert (out / "archive" / "tags" / "science" / "2023.atom").read_bytes() == closed
    assert "Item 151" in (out / "archive" / "tags" / "science" / "2024.atom").read_text("utf-8")
    _, archives = walk(out, "tags/science.atom")
    assert [len(archive) for archive in archives] == [26, 2]  # 2024, then 2023


def test_closed_archives_do_not_change_when_a_newer_item_arrives(archive_project: Path) -> None:
    out = archive_project / "out"
    build(archive_project, out, date(2024, 12, 31))
    closed = ["2024-01.atom", "2024-02.atom", "2024-03.atom", "2024-04.atom"]
    before = {name: (out / "archive" / name).read_bytes() for name in closed}
    write_items(archive_project, [151])  # a newer item, in the open month of May
    build(archive_project, out, date(2024, 12, 31))
    assert {name: (out / "archive" / name).read_bytes() for name in closed} == before
    assert "Item 151" in (out / "archive" / "2024-05.atom").read_text("utf-8")
    assert feedparser.parse(str(out / "feed.atom")).entries[0].title == "Item 151"


def test_an_edited_item_makes_its_archives_again_beside_the_others_entries(
    archive_project: Path, tmp_path: Path
) -> None:
    """The other items of an archive an edit makes again keep their pages: their entries
    come from the cache, as the build that made them left them, and join the edited one."""
    out = archive_project / "out"
    build(archive_project, out, date(2024, 12, 31))
    page = out / "news" / "item-042.html"
    before = page.stat().st_mtime_ns
    edited = archive_project / "items" / "item-036.yaml"  # 2024-02-06, beside item-042
    edited.write_text(edited.read_text("utf-8").replace("Story 36.", "Story 36, told again."))
    build(archive_project, out, date(2024, 12, 31))
    assert page.stat().st_mtime_ns == before  # kept from the last build
    clean = tmp_path / "clean"
    shutil.copytree(archive_project, clean, ignore=shutil.ignore_patterns(".newsletter", "out"))
    build(clean, clean / "out", date(2024, 12, 31))
    for archive in ("archive/2024-02.atom", "archive/tags/science/2024.atom"):
        text = (out / archive).read_text("utf-8")
        assert "Story 36, told again." in text and "Story 42." in text
        assert text == (clean / "out" / archive).read_text("utf-8")


def test_a_month_too_big_for_the_subscription_document_is_all_archived(
    archive_project: Path,
) -> None:
    write_items(archive_project, [145, 146, 147])  # seven items in May, five in feed.atom
    build(archive_project, archive_project / "out", date(2024, 12, 31))
    current, archives = walk(archive_project / "out", "feed.atom")
    assert len(archives[0]) == 7  # all of May, though five of them are in feed.atom too
    assert set(current) <= set(archives[0])


def test_rss_stays_a_plain_newest_first_feed(archive_project: Path) -> None:
    build(archive_project, archive_project / "out", date(2024, 12, 31))
    rss = feedparser.parse(str(archive_project / "out" / "feed.rss"))
    assert [entry.title for entry in rss.entries] == [
        f"Item {d}" for d in (144, 138, 132, 126, 120)
    ]


def test_a_small_feed_of_one_month_has_no_archive(archive_project: Path) -> None:
    for path in (archive_project / "items").iterdir():
        path.unlink()
    write_items(archive_project, [140, 144])
    build(archive_project, archive_project / "out", date(2024, 12, 31))
    current, archives = walk(archive_project / "out", "feed.atom")
    assert (len(current), archives) == (2, [])
    assert not (archive_project / "out" / "archive").exists()
