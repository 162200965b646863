"""newsletter serve: the preview over real HTTP, rebuilt by real changes on disk."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from smtp_server import free_port

from newsletter.commands.serve import serve

AS_OF = datetime(2024, 4, 30, tzinfo=UTC)
DEADLINE = 15.0  # seconds; a rebuild takes well under one


class Running:
    def __init__(self, port: int, lines: list[str]) -> None:
        self.base, self.lines = f"http://127.0.0.1:{port}", lines

    def get(self, path: str) -> tuple[int, str, bytes]:
        """Return (status, Content-Type, body) of PATH, following no redirect."""
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(self.base + path, timeout=5) as response:
                return response.status, response.headers["Content-Type"], response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], error.read()

    def location(self, path: str) -> str | None:
        """Return where PATH redirects to."""
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(self.base + path, timeout=5).close()
        except urllib.error.HTTPError as error:
            return error.headers["Location"]
        return None

    def wait_for(self, path: str, done: Callable[[int, bytes], bool]) -> tuple[int, bytes]:
        """Poll PATH until DONE(status, body) holds, for at most DEADLINE seconds."""
        end = time.monotonic() + DEADLINE
        while True:
            try:
                status, _, body = self.get(path)
                if done(status, body):
                    return status, body
            except OSError:
                pass  # not listening yet
            assert time.monotonic() < end, f"{path} never changed as expected: {self.lines}"
            time.sleep(0.05)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object) -> None:
        return None


@pytest.fixture
def running(project: Path) -> Iterator[Running]:
    port, lines, stop = free_port(), [], threading.Event()
    thread = threading.Thread(target=serve, args=(project, port, lambda: AS_OF, lines.append, stop))
    thread.start()
    server = Running(port, lines)
    try:
        server.wait_for("/index.html", lambda status, _: status == 200)
        yield server
    finally:
        stop.set()
        thread.join(timeout=DEADLINE)
        assert not thread.is_alive()


def test_serves_every_output_with_its_content_type(running: Running, project: Path) -> None:
    types = {
        path: running.get(path)[:2]
        for path in [
            "/feed.atom",
            "/feed.rss",
            "/feed.json",
            "/events.ics",
            "/index.html",
            "/news/lecture.html",
            "/tags/lecture.atom",
        ]
    }
    assert types == {
        "/feed.atom": (200, "application/atom+xml; charset=utf-8"),
        "/feed.rss": (200, "application/rss+xml; charset=utf-8"),
        "/feed.json": (200, "application/feed+json; charset=utf-8"),
        "/events.ics": (200, "text/calendar; charset=utf-8"),
        "/index.html": (200, "text/html; charset=utf-8"),
        "/news/lecture.html": (200, "text/html; charset=utf-8"),
        "/tags/lecture.atom": (200, "application/atom+xml; charset=utf-8"),
    }
    assert running.lines[0].startswith(f"Built {project / 'out'}: 4 items published")
    assert running.lines[1:3] == [
        f"Serving {project / 'out'} on {running.base}/ (Ctrl-C stops)",
        f"The latest digest as an email: {running.base}/_preview/",
    ]


def test_previews_the_latest_digest_as_the_email(running: Running) -> None:
    assert running.get("/_preview/")[:2] == (302, None)
    assert running.location("/_preview/") == "/digests/2024-W16/email.html"
    status, kind, body = running.get("/digests/2024-W16/email.html")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b'<table role="presentation"' in body


def test_rebuilds_on_a_change_and_shows_a_failed_check(running: Running, project: Path) -> None:
    item = project / "items" / "lecture.yaml"
    text = item.read_text(encoding="utf-8")
    item.write_text(text.replace("Dr. Maria A. Blasco\n", "Dr. Blasco & co\n", 1), "utf-8")
    running.wait_for("/news/lecture.html", lambda _, body: b"Dr. Blasco &amp; co" in body)

    item.write_text(text.replace("date: 2024-04-10", "date: 2024-04-10 <b>", 1), "utf-8")
    _, body = running.wait_for("/news/lecture.html", lambda status, _: status == 500)
    assert body == (
        b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        b'<meta http-equiv="refresh" content="2">\n<title>Build failed</title></head>\n'
        b"<body><h1>The build failed</h1>\n"
        b"<p>Fix these problems and save: the preview comes back by itself.</p>\n"
        b"<pre>items/lecture.yaml:3: date: expected a date like 2024-04-10 or a time like "
        b"2024-04-10T10:30, got &#x27;2024-04-10 &lt;b&gt;&#x27;</pre></body></html>\n"
    )
    assert running.lines[-1].startswith("Build failed:\nitems/lecture.yaml:3: date: ")
    assert running.get("/feed.atom")[0] == 500

    item.write_text(text, "utf-8")
    running.wait_for("/news/lecture.html", lambda status, _: status == 200)
    assert b"Dr. Maria A. Blasco" in running.get("/news/lecture.html")[2]


def test_rebuilds_when_a_template_or_the_config_changes(running: Running, project: Path) -> None:
    (project / "templates").mkdir()
    override = (
        '{% extends "default:item.html" %}{% block title %}Preview {{ item.id }}{% endblock %}'
    )
    (project / "templates" / "item.html").write_text(override, "utf-8")
    running.wait_for(
        "/news/lecture.html", lambda _, body: b"<title>Preview lecture</title>" in body
    )

    config = project / "newsletter.yaml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("Test Institute — News", "Renamed Institute"), "utf-8")
    running.wait_for("/feed.atom", lambda _, body: b"<title>Renamed Institute</title>" in body)
