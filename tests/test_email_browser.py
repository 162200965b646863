"""The digest email and its web version in a real browser: headless Chromium."""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import lxml.html
import PIL.Image
import pytest
from conftest import SITE

from newsletter.commands.build import build

PAGES = ["2024-W15/email.html", "2024-W15/index.html", "2024-W16/email.html", "2024-W16/index.html"]

# Every element that shows text: its font size, and where it and each image sit.
MEASURE = """() => {
  const shown = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.preheader');
  const texts = [...document.body.querySelectorAll('*')].filter((el) => shown(el)
    && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()));
  const column = document.querySelector('.container, main').getBoundingClientRect();
  return {
    scrollWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    column: [column.left, column.right],
    smallest: Math.min(...texts.map((el) => parseFloat(getComputedStyle(el).fontSize))),
    small: texts.filter((el) => parseFloat(getComputedStyle(el).fontSize) < 14)
      .map((el) => el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40)),
    images: [...document.images].map((img) => {
      const r = img.getBoundingClientRect();
      return {left: r.left, right: r.right, width: r.width, height: r.height,
              loaded: img.complete && img.naturalWidth > 0,
              ratio: img.getAttribute('height') / img.getAttribute('width')};
    }),
  };
}"""


def png(width: int, height: int) -> bytes:
    """A small gradient PNG, for the images the items point to."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, 150))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))


@pytest.fixture(scope="module")
def digests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser") / "site"
    shutil.copytree(SITE, root)  # the build keeps its cache in the project: not in tests/
    build(root, root / "out", date(2024, 4, 30))
    return root / "out" / "digests"


@pytest.fixture(scope="module")
def tab(browser: Any) -> Iterator[Any]:
    """One tab for the module's pages, opened as a mail client shows them: the pictures
    the items point to stood in for, nothing else fetched (no fonts, no scripts). A new
    tab a page cost some 0.3 s, more than the page."""
    image = png(300, 200)
    page = browser.new_page()

    def answer(route: Any) -> None:
        if route.request.resource_type == "image":
            route.fulfill(body=image, content_type="image/png")
        else:
            route.abort()

    page.route("**/*", answer)
    try:
        yield page
    finally:
        page.close()


def show(tab: Any, html: str, width: int) -> Any:
    """Show HTML in the tab, WIDTH px wide."""
    tab.set_viewport_size({"width": width, "height": 900})
    tab.set_content(html, wait_until="load")
    return tab


def measure(tab: Any, html: str, width: int) -> dict[str, Any]:
    result: dict[str, Any] = show(tab, html, width).evaluate(MEASURE)
    return result


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("width", [600, 375])
def test_layout_fits_the_screen(
    tab: Any, digests: Path, tmp_path: Path, name: str, width: int
) -> None:
    html = (digests / name).read_text(encoding="utf-8")
    found = measure(tab, html, width)
    try:
        assert found["scrollWidth"] <= found["viewport"], "the page scrolls sideways"
        assert found["small"] == []
        assert found["smallest"] >= 14
        left, right = found["column"]
        assert right - left <= 600
        for image in found["images"]:
            assert image["loaded"]
            assert left <= image["left"] and image["right"] <= right
            assert image["height"] == pytest.approx(image["width"] * image["ratio"], abs=1.5)
    except AssertionError:
        shot = tmp_path / f"{width}.png"  # the layout that failed, to look at
        tab.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"see {shot}") from None


def test_the_email_keeps_its_600_px_column_on_a_wide_screen(tab: Any, digests: Path) -> None:
    html = (digests / "2024-W15/email.html").read_text(encoding="utf-8")
    found = measure(tab, html, 1000)
    left, right = found["column"]
    assert (left, right) == (200, 800)
    assert [(i["left"], i["right"]) for i in found["images"]] == [(220, 780)]
    assert found["images"][0]["height"] == pytest.approx(373.3, abs=0.1)


# The size of everything a finger taps alone: buttons, "Read more", the footer's links.
TARGETS = """() => [...document.querySelectorAll(
    '.button, .more-link, .topbar-link, .footer-link, .text-button')].map((a) => {
  const r = a.getBoundingClientRect();
  return [a.textContent.trim(), Math.round(r.width), Math.round(r.height)];
})"""


@pytest.mark.parametrize("width", [375, 600])
def test_every_tap_target_of_the_email_is_at_least_44_px(
    tab: Any, digests: Path, width: int
) -> None:
    html = (digests / "2024-W16/email.html").read_text(encoding="utf-8")
    targets = show(tab, html, width).evaluate(TARGETS)
    assert len(targets) >= 5
    assert [t for t in targets if t[1] < 44 or t[2] < 44] == []


# Each picture as shown, and the colours of the box it leaves when it is not shown.
PICTURES = """() => [...document.images].map((img) => {
  const r = img.getBoundingClientRect();
  const style = getComputedStyle(img);
  return {width: r.width, height: r.height, loaded: img.complete && img.naturalWidth > 0,
          background: style.backgroundColor, color: style.color, size: style.fontSize};
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_blocked_picture_leaves_a_tinted_box_of_its_size(
    browser: Any, digests: Path, scheme: str
) -> None:
    html = (digests / "2024-W15/email.html").read_text(encoding="utf-8")
    page = browser.new_page(viewport={"width": 1000, "height": 900}, color_scheme=scheme)
    try:
        page.route("**/*", lambda route: route.abort())  # pictures turned off, as many do
        page.set_content(html, wait_until="load")
        [shown] = page.evaluate(PICTURES)
    finally:
        page.close()
    assert not shown["loaded"]
    assert shown["width"] == 560
    assert shown["height"] == pytest.approx(373.3, abs=0.5)
    tint, text = {
        "light": ("rgb(221, 227, 234)", "rgb(51, 71, 91)"),
        "dark": ("rgb(43, 52, 64)", "rgb(208, 216, 226)"),
    }[scheme]
    assert (shown["background"], shown["color"], shown["size"]) == (tint, text, "14px")


PICTURED = """\
title: {title}
date: 2024-04-1{day}
summary: A story with a picture of its own.
image: {{src: images/{name}.jpg, alt: {alt}}}
"""


@pytest.fixture(scope="module")
def pictured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A week with three pictured stories: the lead's picture and two thumbnails."""
    root = tmp_path_factory.mktemp("pictured") / "site"
    shutil.copytree(SITE, root)
    for day, name in ((5, "lab"), (6, "cells"), (7, "team")):
        PIL.Image.new("RGB", (1600, 1067), (40 * day, 90, 150)).save(root / f"images/{name}.jpg")
        item = PICTURED.format(title=f"The {name} story", day=day, name=name, alt=f"The {name}")
        (root / f"items/{name}.yaml").write_text(item, encoding="utf-8")
    build(root, root / "out", date(2024, 4, 30))
    return root / "out"


@pytest.mark.parametrize("width", [390, 600])
def test_compact_pictures_stay_thumbnails_at_most_half_the_leads_area(
    tab: Any, pictured: Path, width: int
) -> None:
    html = (pictured / "digests/2024-W16/email.html").read_text(encoding="utf-8")
    found = measure(tab, html, width)
    lead, *thumbs = found["images"]
    assert lead["width"] == width - 32  # the column, less its padding on a narrow screen
    assert len(thumbs) == 2
    for thumb in thumbs:
        assert thumb["width"] * thumb["height"] <= lead["width"] * lead["height"] / 2
    page = lxml.html.fromstring(html)
    for img in page.find_class("thumb"):
        src = img.get("src")
        assert "/images/thumb/" in src
        with PIL.Image.open(pictured / src.removeprefix("https://news.example.org/test/")) as copy:
            assert copy.width <= 2 * int(img.get("width"))
