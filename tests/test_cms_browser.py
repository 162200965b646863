"""The browser editor end to end, as a writer uses it: `newsletter serve` in a project,
/admin/ in real Chromium with Decap CMS from the npm registry (installed by .ci/run
into .cache/decap, served in place of the CDN: CI has no network), an item written in
the form and published, and an existing one edited in one field."""

from __future__ import annotations

import html
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, require
from test_serve import NEWSLETTER, Served

from newsletter.sources.cmssettings import DECAP_SCRIPT
from newsletter.sources.yamlfile import load_document

DECAP = REPO / ".cache" / "decap" / "package" / "dist"  # npm pack decap-cms, unpacked
CDN = DECAP_SCRIPT.rsplit("/", 1)[0] + "/"
TITLE = "Nytt fra ICR: Forskning \u2013 æøå"  # a colon, a dash (as people type it), æøå


@pytest.fixture
def editor(project: Path, browser: Any) -> Iterator[tuple[Served, Any, list[str]]]:
    require(
        "Decap CMS in .cache/decap (.ci/run installs it with npm)",
        (DECAP / "decap-cms.js").is_file(),
    )
    served = Served(project).ready()
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, timezone_id="Europe/Oslo"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Nothing from the network (the last route registered is asked first).
    page.route(re.compile(r"^(?!http://127\.0\.0\.1)"), lambda route: route.abort())
    page.route(f"{CDN}**", _from_npm_package)
    try:
        yield served, page, errors
    finally:
        context.close()
        assert "Traceback" not in served.stop()


def _from_npm_package(route: Any) -> None:
    """Decap's dist/ from the npm package, in place of the CDN's copy of the same files."""
    name = route.request.url.removeprefix(CDN)
    found = DECAP / name
    if "/" in name or not found.is_file():
        route.abort()
        return
    kind = "text/javascript" if name.endswith(".js") else "application/wasm"
    headers = {"Access-Control-Allow-Origin": "*"}  # the integrity check needs CORS
    route.fulfill(body=found.read_bytes(), content_type=kind, headers=headers)


@pytest.mark.long
def test_a_writer_publishes_and_edits_items_in_the_browser(
    editor: tuple[Served, Any, list[str]],
) -> None:
    served, page, errors = editor
    items = served.project / "items"
    page.goto(f"{served.base}/admin/")
    page.get_by_role("button", name="Login").click()

    # A new item: a Norwegian title, the date from the picker, a paragraph.
    page.get_by_role("link", name=re.compile("News item")).click()
    page.get_by_label("Title").fill(TITLE)
    page.locator("button", has_text="Now").first.click()
    page.locator("[data-slate-editor]").click()
    page.keyboard.type("Første avsnitt.")
    _publish(page)
    (written,) = served.wait_until(lambda: list(items.glob("*-nytt-fra-icr-forskning-aeoa.yaml")))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-nytt-fra-icr-forskning-aeoa\.yaml", written.name)
    fields = load_document("x", written.read_bytes()).value
    assert fields["title"] == TITLE and fields["id"] == written.stem
    assert fields["body"] == "Første avsnitt."
    check = subprocess.run([str(NEWSLETTER), "check"], cwd=served.project, capture_output=True)
    assert check.returncode == 0, check.stdout
    served.wait_for("/", lambda status, body: html.escape(TITLE).encode() in body)

    # An item with an event, a picture, authors and an updated time, edited in one field.
    lecture = items / "lecture.yaml"
    before = load_document("x", lecture.read_bytes()).value
    page.get_by_role("link", name=re.compile("^Back|News", re.IGNORECASE)).first.click()
    page.get_by_text("Guest lecture 19 April").click()
    page.get_by_label("Kicker").fill("Lecture")
    _publish(page)
    served.wait_until(lambda: b"Lecture\n" in lecture.read_bytes())
    assert load_document("x", lecture.read_bytes()).value == before | {"kicker": "Lecture"}
    assert errors == []


def _publish(page: Any) -> None:
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Publish now").click()
    page.get_by_text("Entry saved").first.wait_for()
