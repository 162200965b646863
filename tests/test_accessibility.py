"""Every kind of page and the email, checked by axe-core in real Chromium, light and dark."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from conftest import SITE, TESTS, require
from test_email_browser import png

from newsletter.commands.build import build

# axe-core as its Python package for Playwright ships it: pip installs it with the tests.
AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"
PAGES = [
    "index.html",
    "news/lecture.html",
    "news/norsk.html",
    "tags/lecture/index.html",
    "digests/index.html",
    "digests/2024-W16/index.html",
    "tags/index.html",
    "follow.html",
    "404.html",
    "digests/2024-W15/email.html",
    "digests/2024-W16/email.html",
]
# What a violation says: the rule, and where.
SUMMARY = """(results) => results.violations.map((v) => v.id + ': '
  + v.nodes.map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '')).join('; '))"""


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("a11y") / "site"
    shutil.copytree(SITE, root)
    build(root, root / "out", date(2024, 4, 30))
    return root / "out"


# The repository's own project: the institute's colours and logo.
INSTITUTE = [
    "index.html",
    "news/blasco-guest-lecture.html",
    "digests/2024-W16/index.html",
    "digests/2024-W16/email.html",
]


@pytest.fixture(scope="module")
def institute(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("a11y-institute")
    for name in ("items", "images", "templates"):
        shutil.copytree(TESTS.parent / name, root / name)
    shutil.copy(TESTS.parent / "newsletter.yaml", root)
    build(root, root / "out", date(2024, 12, 31))
    return root / "out"


@pytest.fixture(scope="module")
def reader(browser: Any) -> Iterator[Any]:
    """One tab of the test process's Chromium for every page of this module, opened as a
    reader would: pictures stood in for, nothing fetched outside. axe-core is in every
    page it opens, given to the browser once: it compiles it once, not on every page,
    which cut this module's time by two thirds."""
    require(f"axe-core ({AXE})", AXE.exists())
    image = png(300, 200)
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def answer(route: Any) -> None:
        if route.request.resource_type == "image":
            route.fulfill(body=image, content_type="image/png")
        elif route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    context.add_init_script(path=str(AXE))
    context.route("**/*", answer)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_page(reader: Any, path: Path, width: int) -> Any:
    """Open PATH in the reader's tab, WIDTH px wide, in the light."""
    reader.set_viewport_size({"width": width, "height": 900})
    reader.emulate_media(color_scheme="light")
    reader.goto(path.as_uri(), wait_until="load")
    return reader


def violations(page: Any) -> dict[str, list[str]]:
    """What axe-core finds wrong on *page* in each colour scheme, one line per rule."""
    found: dict[str, list[str]] = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found[scheme] = page.evaluate(f"async () => ({SUMMARY})(await axe.run(document))")
    return found


def sideways(page: Any) -> list[int]:
    """The widths, of a phone's, a mail pane's and a desktop's, at which *page* is wider
    than the window and scrolls sideways."""
    wider = []
    for width in (375, 600, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        scroll, window = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        wider += [width] if scroll > window else []
    return wider


CLEAN = {"light": [], "dark": []}


# One page load a page, for both checks.
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation_and_no_width_scrolls_sideways(
    reader: Any, out: Path, name: str
) -> None:
    page = open_page(reader, out / name, 1280)
    assert (violations(page), sideways(page)) == (CLEAN, [])


@pytest.mark.parametrize("name", INSTITUTE)
def test_axe_finds_no_violation_in_the_institutes_colours(
    reader: Any, institute: Path, name: str
) -> None:
    page = open_page(reader, institute / name, 375)
    assert violations(page) == CLEAN
