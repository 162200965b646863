"""The site as a person finds their way around it: navigation, topics, digests one after
another, the follow page, the not-found page, sign-up, print and tap targets."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import SITE, newsletter_here

BASE = "https://news.example.org/test/"
SIGN_UP = "https://news.example.org/subscribe"
SEMINAR = "title: Seminar\ndate: 2024-04-05\nbody: Soon.\nevent: {start: 2024-04-19T10:30}\n"


def built(root: Path, *, subscribe: bool) -> Path:
    shutil.copytree(SITE, root)
    (root / "items/seminar.yaml").write_text(SEMINAR, encoding="utf-8")  # a digest in week 14
    if subscribe:
        config = root / "newsletter.yaml"
        text = config.read_text("utf-8").replace(
            "email:\n", f"email:\n  subscribe_url: {SIGN_UP}\n"
        )
        config.write_text(text, "utf-8")
    assert newsletter_here(root, "build", "--as-of", "2024-04-30").returncode == 0
    return root / "out"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(tmp_path_factory.mktemp("site") / "site", subscribe=True)


def pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if not p.name.startswith("email"))


def page(path: Path) -> Any:
    return lxml.html.fromstring(path.read_bytes())


def test_every_page_has_the_sites_navigation(out: Path) -> None:
    assert len(pages(out)) >= 12
    for path in pages(out):
        (nav,) = page(path).xpath("//nav[@class='site']")
        links = [(a.text, a.get("href")) for a in nav.iter("a")]
        assert links == [
            ("Home", BASE),
            ("Topics", f"{BASE}tags/index.html"),
            ("Digests", f"{BASE}digests/index.html"),
            ("Subscribe", f"{BASE}follow.html"),
        ], path
    current = page(out / "digests/2024-W16/index.html").xpath("//a[@aria-current='page']")
    assert [a.text for a in current] == ["Digests"]


def test_the_topics_index_lists_every_topic_with_its_feeds(out: Path) -> None:
    index = page(out / "tags/index.html")
    hrefs = [a.get("href") for a in index.find_class("topic-list")[0].iter("a")]
    for slug in ("aeoa-co", "awards", "department-of-molecular-cell-biology", "lecture"):
        for end in ("/index.html", ".atom", ".rss"):
            assert f"{BASE}tags/{slug}{end}" in hrefs
            if end != "/index.html":
                assert (out / f"tags/{slug}{end}").is_file()


def test_a_digest_page_links_the_digests_before_and_after_it(out: Path) -> None:
    middle = page(out / "digests/2024-W15/index.html")
    links = {a.get("rel"): (a.text, a.get("href")) for a in middle.find_class("pager")[0].iter("a")}
    assert links == {
        "prev": ("Previous: Week 14, 2024", f"{BASE}digests/2024-W14/index.html"),
        "next": ("Next: Week 16, 2024", f"{BASE}digests/2024-W16/index.html"),
    }
    first = sorted((out / "digests").glob("*/index.html"))[0]
    assert [a.get("rel") for a in page(first).find_class("pager")[0].iter("a")] == ["next"]
    last = page(out / "digests/2024-W16/index.html").find_class("pager")[0]
    assert [a.get("rel") for a in last.iter("a")] == ["prev"]
    text = middle.text_content()
    assert text.count("Past digests") == 1


def test_the_not_found_page_is_in_the_sites_language_and_look(out: Path) -> None:
    html = page(out / "404.html")
    assert html.findtext(".//h1") == "Page not found"
    assert html.get("lang") == "en"
    assert html.xpath("//meta[@name='robots']/@content") == ["noindex"]
    for href in (BASE, f"{BASE}tags/index.html", f"{BASE}digests/index.html"):
        assert href in html.xpath("//main//a/@href")  # absolute: it works at any depth


def test_the_follow_page_explains_feeds_the_calendar_and_the_email(out: Path) -> None:
    follow = page(out / "follow.html")
    hrefs = follow.xpath("//main//a/@href")
    for path in ("feed.atom", "feed.rss", "feed.json", "digests/digests.atom", "events.ics"):
        assert f"{BASE}{path}" in hrefs
    assert f"{BASE}upcoming.ics" in hrefs and SIGN_UP in hrefs
    assert "A news feed is a web address" in follow.text_content()
    email = page(out / "digests/2024-W16/email.html")
    feed = [a.get("href") for a in email.iter("a") if a.text == "News feed"]
    assert feed == [f"{BASE}follow.html"]  # a page for people, not raw XML


def test_the_sign_up_link_is_everywhere_only_when_configured(out: Path, tmp_path: Path) -> None:
    for path in pages(out):
        if path.name != "404.html":
            assert SIGN_UP in page(path).xpath("//a/@href"), path
    for name in ("digests/2024-W16/index.html", "digests/index.html", "follow.html"):
        assert SIGN_UP in page(out / name).xpath("//main//a/@href"), name
    plain = built(tmp_path / "plain", subscribe=False)
    for path in pages(plain):
        html = path.read_text("utf-8")
        assert 'class="signup"' not in html and "Sign up" not in html, path


def test_every_page_prints_without_its_navigation(out: Path) -> None:
    for path in pages(out):
        html = path.read_text("utf-8")
        assert "@media print" in html
        assert "nav.site, footer.site, .pager" in html


def test_a_caption_gives_the_credit_not_the_alt_again(out: Path) -> None:
    lecture = page(out / "news/lecture.html")
    assert lecture.xpath("//figure/img/@alt") == ["Maria A. Blasco"]
    assert lecture.xpath("//figure/figcaption/text()") == ["Photo: CNIO"]


TAPPED = """() => [...document.querySelectorAll(
    'nav.site a, footer.site a, .tags a, ul.topics a, .pager a')].map((a) => {
  const r = a.getBoundingClientRect();
  return [a.textContent.trim(), Math.round(r.height)];
})"""


@pytest.mark.parametrize("name", ["news/lecture.html", "tags/index.html", "index.html"])
def test_footer_tag_and_navigation_links_are_44_px_tall_on_a_phone(
    browser: Any, out: Path, name: str
) -> None:
    tab = browser.new_page(viewport={"width": 390, "height": 800})
    try:
        tab.route("**/*", lambda route: route.abort())
        tab.set_content((out / name).read_text("utf-8"))
        targets = tab.evaluate(TAPPED)
    finally:
        tab.close()
    assert len(targets) >= 8
    assert [t for t in targets if t[1] < 44] == []
