"""The institute's identity, in the project's own templates/ and newsletter.yaml."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.html
import PIL.Image
import pytest
from conftest import REPO, newsletter_here

# What makes the project: the package's neutral look is overridden by templates/.
PROJECT = ("items", "images", "templates", "newsletter.yaml")


@pytest.fixture(scope="module")
def institute(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own project, built by the newsletter command run from its folder."""
    root = tmp_path_factory.mktemp("institute")
    for name in PROJECT:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, root / name)
    assert newsletter_here(root, "build", "--as-of", "2024-12-31").returncode == 0
    return root / "out"


def pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if not p.name.startswith("email"))


def test_every_page_wears_the_institutes_logo_colours_and_footer(institute: Path) -> None:
    for path in pages(institute):
        html = path.read_text(encoding="utf-8")
        assert '<title id="logo-title">Institute for Cancer Research' in html, path
        assert "--brand: #00509e;" in html
        assert '<link rel="icon" type="image/svg+xml" href="data:image/svg+xml,%3Csvg' in html
        assert "Postboks 4953 Nydalen, 0424 Oslo" in html
        assert 'href="https://news.example.org/icr/privacy.html">Privacy</a>' in html
        assert 'href="mailto:news@example.org">news@example.org</a>' in html


def test_the_email_wears_the_institutes_colours(institute: Path) -> None:
    html = (institute / "digests/2024-W16/email.html").read_text(encoding="utf-8")
    assert "border-top:4px solid #00509e" in html
    assert "color:#b3262d" in html
    assert 'href="https://news.example.org/icr/privacy.html"' in html


def test_every_page_has_its_card_for_sharing(institute: Path) -> None:
    for path in pages(institute):
        page = lxml.html.fromstring(path.read_bytes())
        meta = {m.get("property") or m.get("name"): m.get("content") for m in page.iter("meta")}
        assert meta["og:site_name"] == "Institute for Cancer Research — News", path
        assert meta["og:title"] == page.findtext(".//title")
        assert meta["og:url"] == page.find(".//link[@rel='canonical']").get("href")
        assert meta["og:locale"] == "en_GB"
        assert meta["twitter:card"] in ("summary", "summary_large_image")
        assert meta["og:description"]


def test_an_item_with_a_picture_is_shared_with_it(institute: Path) -> None:
    page = lxml.html.fromstring((institute / "news/blasco-guest-lecture.html").read_bytes())
    meta = {m.get("property") or m.get("name"): m.get("content") for m in page.iter("meta")}
    picture = page.find(".//main//img").get("src")
    assert (meta["og:image"], meta["twitter:card"]) == (picture, "summary_large_image")
    assert meta["og:type"] == "article"


def test_the_site_title_is_shown_once_per_page(institute: Path) -> None:
    for path in pages(institute):
        body = lxml.html.fromstring(path.read_bytes()).find("body")
        text = re.sub(r"\s+", " ", body.text_content())
        assert text.count("Institute for Cancer Research — News") <= 1, path


def test_without_templates_the_package_looks_neutral(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    shutil.copytree(REPO / "items", root / "items")
    shutil.copytree(REPO / "images", root / "images")
    shutil.copy(REPO / "newsletter.yaml", root)
    assert newsletter_here(root, "build", "--as-of", "2024-12-31").returncode == 0
    html = (root / "out/index.html").read_text(encoding="utf-8")
    assert "#00509e" not in html and "logo-title" not in html
    assert '<header class="site"><a href="https://news.example.org/icr/">' in html
    assert not (root / "out/logo.png").exists()
    email = lxml.html.fromstring((root / "out/digests/2024-W16/email.html").read_bytes())
    assert email.find_class("logo") == []
    assert [p.text for p in email.find_class("site")] == ["Institute for Cancer Research — News"]
    with PIL.Image.open(root / "out/favicon.png") as icon:  # the built-in mark
        assert icon.size == (192, 192)


def test_the_email_masthead_shows_the_logo_published_in_out(institute: Path) -> None:
    email = lxml.html.fromstring((institute / "digests/2024-W16/email.html").read_bytes())
    (logo,) = email.find_class("logo")
    assert logo.get("src") == "https://news.example.org/icr/logo.png"
    assert logo.get("alt") == "Institute for Cancer Research"
    assert (logo.get("width"), logo.get("height")) == ("200", "35")
    assert (institute / "logo.png").read_bytes() == (REPO / "templates/logo.png").read_bytes()


def test_the_icons_and_the_share_image_are_made_from_the_logo(institute: Path) -> None:
    with PIL.Image.open(institute / "favicon.ico") as ico:
        assert ico.format == "ICO"
        assert sorted(ico.info["sizes"]) == [(16, 16), (32, 32), (48, 48)]
    with PIL.Image.open(institute / "apple-touch-icon.png") as touch:
        assert (touch.format, touch.size, touch.mode) == ("PNG", (180, 180), "RGB")
        assert touch.getpixel((90, 90))[:3] != (255, 255, 255)  # the mark, not the white
    with PIL.Image.open(institute / "share.png") as share:
        assert share.size == (1200, 630)
    index = lxml.html.fromstring((institute / "index.html").read_bytes())
    links = {link.get("rel"): link.get("href") for link in index.iter("link")}
    assert links["apple-touch-icon"] == "https://news.example.org/icr/apple-touch-icon.png"
    hrefs = [link.get("href") for link in index.iter("link") if link.get("rel") == "icon"]
    assert "https://news.example.org/icr/favicon.ico" in hrefs
    assert "https://news.example.org/icr/favicon.png" in hrefs
    meta = {m.get("property"): m.get("content") for m in index.iter("meta")}
    assert meta["og:image"] == "https://news.example.org/icr/share.png"


def test_a_logo_that_is_no_picture_is_a_located_error(tmp_path: Path) -> None:
    root = tmp_path / "broken"
    for name in PROJECT:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, root / name)
    (root / "templates/logo.png").write_text("not a picture", encoding="utf-8")
    result = newsletter_here(root, "build", "--as-of", "2024-12-31")
    assert result.returncode == 1
    assert result.stderr == (
        "templates/logo.png: is not a picture that can be read; save it again as a PNG\n1 error.\n"
    )
