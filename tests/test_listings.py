"""Topics and archives on the web: a page per topic, paged lists, every item reachable."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from conftest import SITE

from newsletter.commands.build import build

BASE = "https://news.example.org/test/"


def links(page: Path) -> list[str]:
    return [a.get("href") for a in lxml.html.fromstring(page.read_bytes()).iter("a")]


def local(out: Path, url: str) -> Path | None:
    """The file in out/ a link of the site points to, or None for one elsewhere."""
    if not url.startswith(BASE):
        return None
    path = urlsplit(url).path.removeprefix(urlsplit(BASE).path) or "index.html"
    return out / path


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """The sample site with 65 more items, all tagged 'awards'."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    for n in range(65):
        (root / "items" / f"n{n:02d}.yaml").write_text(
            f"title: Story {n}\ndate: 2024-0{1 + n // 30}-{1 + n % 28:02d}\n"
            "tags: [awards]\nbody: Text.\n",
            encoding="utf-8",
        )
    build(root, root / "out", date(2024, 4, 30))
    return root / "out"


def test_a_topic_has_a_page_that_links_its_feeds(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    build(root, root / "out", date(2024, 4, 30))
    page = root / "out/tags/lecture/index.html"
    tree = lxml.html.fromstring(page.read_bytes())
    feeds = {a.get("href"): a.get("type") for a in tree.iter("link") if a.get("rel") == "alternate"}
    assert feeds[f"{BASE}tags/lecture.atom"] == "application/atom+xml"
    assert feeds[f"{BASE}tags/lecture.rss"] == "application/rss+xml"
    assert tree.findtext(".//h1") == "lecture"
    assert "Follow this topic in a news reader" in tree.text_content()
    assert f"{BASE}news/lecture.html" in links(page)
    item = root / "out/news/lecture.html"
    assert f"{BASE}tags/lecture/index.html" in links(item)
    assert not [url for url in links(item) if url.endswith((".atom", ".rss")) and "/tags/" in url]


def test_lists_are_paged_back_to_the_first_item(many: Path) -> None:
    assert f"{BASE}page/2.html" in links(many / "index.html")
    assert f"{BASE}page/3.html" in links(many / "page/2.html")
    assert not (many / "page/4.html").exists()
    assert f"{BASE}tags/awards/page/3.html" in links(many / "tags/awards/page/2.html")
    last = many / "tags/awards/page/3.html"
    assert f"{BASE}tags/awards/page/2.html" in links(last)
    assert "Story 0" in last.read_text(encoding="utf-8")


def test_every_published_item_is_reachable_from_the_home_page(many: Path) -> None:
    seen, todo = set(), [many / "index.html"]
    while todo:
        page = todo.pop()
        if page in seen or not page.is_file() or page.suffix != ".html":
            continue
        seen.add(page)
        todo += [p for p in map(lambda url: local(many, url), links(page)) if p]
    items = set((many / "news").glob("*.html"))
    assert len(items) == 69
    assert items <= seen


def test_the_digests_list_shows_each_issues_headlines(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    build(root, root / "out", date(2024, 4, 30))
    page = (root / "out/digests/index.html").read_text(encoding="utf-8")
    assert '<li lang="nb"><a href="https://news.example.org/test/news/norsk.html">' in page
    assert ">Guest lecture 19 April - Dr. Maria A. Blasco</a></li>" in page
