"""newsletter serve, run as a person runs it: from the project folder, with no options
but a free port, answering real HTTP, rebuilt by real changes on disk."""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from conftest import SITE

from newsletter.engine.preview_server import HEADER_SECONDS, MAX_HANDLERS

NEWSLETTER = Path(sys.executable).parent / "newsletter"
DEADLINE = 30.0  # seconds; a rebuild of the sample takes well under one, on a busy machine more

SITE_TZ = ZoneInfo("Europe/Oslo")  # tests/site/newsletter.yaml: timezone


class Served:
    """`newsletter serve --port 0` running in PROJECT, and what it has printed so far."""

    def __init__(self, project: Path) -> None:
        self.project, self.started = project, time.time()
        self.process = subprocess.Popen(
            [str(NEWSLETTER), "serve", "--port", "0"],
            cwd=project,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=_collect, args=(stream, lines), daemon=True).start()
        self.base = ""

    def ready(self) -> Served:
        """Wait until it serves."""
        self.base = self.wait_until(lambda: _serving(self.out)).removesuffix("/")
        return self

    def wait_until(self, done: Callable[[], Any]) -> Any:
        """Poll DONE until it returns something true, for at most DEADLINE seconds."""
        end = time.monotonic() + DEADLINE
        while not (result := done()):
            assert self.process.poll() is None, f"serve stopped: {self.out} {self.err}"
            assert time.monotonic() < end, f"it never happened: {self.out} {self.err}"
            time.sleep(0.05)
        return result

    def get(self, path: str, method: str = "GET") -> tuple[int, str, bytes]:
        """Return (status, Content-Type, body) of PATH."""
        request = urllib.request.Request(self.base + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.headers["Content-Type"], response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Content-Type"], error.read()

    def wait_for(self, path: str, done: Callable[[int, bytes], bool]) -> bytes:
        """Fetch PATH until DONE(status, body) holds; return the body."""
        return self.wait_until(lambda: _body_if(self.get(path), done))  # type: ignore[no-any-return]

    def rendered(self) -> list[int]:
        """How many parts each build rendered again."""
        return [int(n) for n in re.findall(r"Rendered: (\d+) part", "".join(self.out))]

    def builds(self) -> int:
        return sum(line.startswith(("Built ", "Build failed")) for line in self.out)

    def stop(self) -> str:
        """Stop the server as Ctrl-C does; return what it wrote to standard error."""
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=DEADLINE) == 0
        return "".join(self.err)


def _collect(stream: Any, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def _serving(lines: list[str]) -> str | None:
    found = [re.search(r"Serving the preview on (http://127\.0\.0\.1:\d+/)", x) for x in lines]
    return next((match[1] for match in found if match), None)


def _body_if(answer: tuple[int, str, bytes], done: Callable[[int, bytes], bool]) -> bytes | None:
    status, _, body = answer
    return (body or b" ") if done(status, body) else None


@pytest.fixture
def served(project: Path) -> Iterator[Served]:
    server = Served(project).ready()
    yield server
    assert "Traceback" not in server.stop()


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server whose project nobody edits, for the tests that only read."""
    project = tmp_path_factory.mktemp("steady") / "project"
    shutil.copytree(SITE, project)
    subprocess.run([str(NEWSLETTER), "build"], cwd=project, check=True, capture_output=True)
    server = Served(project).ready()
    yield server
    assert server.stop() == ""


def test_serves_each_output_with_its_content_type_and_charset(steady: Served) -> None:
    paths = ["/feed.atom", "/feed.rss", "/feed.json", "/events.ics", "/", "/tags/lecture.atom"]
    assert {path: steady.get(path)[:2] for path in paths} == {
        "/feed.atom": (200, "application/atom+xml; charset=utf-8"),
        "/feed.rss": (200, "application/rss+xml; charset=utf-8"),
        "/feed.json": (200, "application/feed+json; charset=utf-8"),
        "/events.ics": (200, "text/calendar; charset=utf-8"),
        "/": (200, "text/html; charset=utf-8"),
        "/tags/lecture.atom": (200, "application/atom+xml; charset=utf-8"),
    }
    assert "Kjetil Taskén" in steady.get("/feed.atom")[2].decode("utf-8")
    assert steady.get("/feed.rss", method="HEAD")[:2] == (200, "application/rss+xml; charset=utf-8")
    first = steady.out[0]
    assert first.startswith(f"Built {steady.project / '.newsletter' / 'preview'}: ")
    assert first.endswith(" Rendered: 0 parts, the rest from the cache.\n")  # build's cache
    assert steady.out[1:] == [
        f"Serving the preview on {steady.base}/ (Ctrl-C stops)\n",
        f"The next email, and every digest: {steady.base}/_preview/\n",
        f"Write in the browser: {steady.base}/admin/\n",
    ]
    out = steady.project / "out"
    assert b"news.example.org/test/feed.atom" in (out / "index.html").read_bytes()
    assert [p for p in out.rglob("*") if p.stat().st_mtime > steady.started] == []


class _Links(HTMLParser):
    ATTRIBUTES: ClassVar = {"href", "src", "action"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in self.ATTRIBUTES and value]


def links(page: bytes) -> list[str]:
    parser = _Links()
    parser.feed(page.decode("utf-8"))
    return parser.found


@pytest.mark.parametrize(
    ("path", "elsewhere"),
    [
        ("/", []),
        ("/news/lecture.html", []),
        ("/digests/2024-W16/index.html", []),
        ("/digests/2024-W16/email.html", ["https://news.example.org/unsubscribe"]),  # configured
    ],
)
def test_every_link_stays_on_the_preview(steady: Served, path: str, elsewhere: list[str]) -> None:
    status, _, page = steady.get(path)
    found = [urljoin(steady.base + path, link) for link in links(page)]
    assert status == 200 and len(found) > 4
    web = [url for url in found if urlsplit(url).scheme in ("http", "https")]
    assert [url for url in web if not url.startswith(steady.base + "/")] == elsewhere
    assert b"news.example.org/test" not in page


def test_preview_shows_the_next_email_and_lists_every_digest(steady: Served) -> None:
    status, _, page = steady.get("/_preview/")
    this_week = datetime.now(SITE_TZ).isocalendar().week  # the site's week, not UTC's
    assert status == 200
    assert f"Week {this_week}, " in page.decode()
    assert b"No news yet this week." in page
    digests = [link for link in links(page) if link.startswith("/digests/")]
    keys = ["2024-W18", "2024-W16", "2024-W15", "2024-W09"]  # newest first
    assert digests == [f"/digests/{key}/email.html" for key in keys]
    assert all(steady.get(link)[0] == 200 for link in digests)
    assert steady.get("/_preview")[2] == page


def test_no_file_outside_the_site_and_no_listing(steady: Served) -> None:
    site = (steady.project / ".newsletter" / "preview").resolve()
    (site / "passwd").symlink_to("/etc/passwd")
    (site / "root").symlink_to("/")
    assert steady.get("/passwd")[0] == 404
    assert steady.get("/root/etc/passwd")[0] == 404
    assert steady.get("/news/")[:2] == (404, "text/plain; charset=utf-8")
    assert steady.get("/news")[0] == 404
    status, _, page = steady.get("/digests/")
    assert status == 200 and b"<h1>Digests</h1>" in page
    for path in ["/%00", "/feed.atom%00.html", "/..%2f..%2f..%2fetc/passwd", "/a\\b"]:
        assert steady.get(path)[0] == 404, path
    assert raw(steady, b"GET /../../../../etc/passwd HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 404 ")


def raw(server: Served, request: bytes, timeout: float | None = None) -> bytes:
    """Send REQUEST as is and return the whole answer, each wait at most TIMEOUT."""
    address = ("127.0.0.1", int(server.base.rsplit(":", 1)[1]))
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(request)
        return b"".join(iter(lambda: sock.recv(65536), b""))


def hang_up(server: Served, request: bytes) -> None:
    """Send REQUEST and reset the connection at once, without reading the answer."""
    sock = socket.create_connection(("127.0.0.1", int(server.base.rsplit(":", 1)[1])))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.sendall(request)
    sock.close()


def test_clients_that_hang_up_cause_no_traceback(steady: Served) -> None:
    for _ in range(20):
        hang_up(steady, b"GET /feed.atom HTTP/1.0\r\n\r\n")
        hang_up(steady, b"GET /_events?since=0 HTTP/1.0\r\n\r\n")  # answered at once
        hang_up(steady, b"GET /%00 HTTP/1.0\r\n\r\n")
    hang_up(steady, b"\x00\xff nonsense\r\n\r\n")
    assert raw(steady, b"GET http://[::1/ HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 400 ")
    assert raw(steady, b"GET /feed.rss HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 200 OK\r\n")
    assert "".join(steady.err) == ""


def threads(process: subprocess.Popen[str]) -> int:
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"Threads:\s+(\d+)", status)[1])  # type: ignore[index]


def test_idle_connections_hold_a_bounded_number_of_threads(steady: Served) -> None:
    port = int(steady.base.rsplit(":", 1)[1])
    before = threads(steady.process)
    idle = []
    for _ in range(300):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        idle.append(sock)
    time.sleep(0.5)  # the old server had a thread for each by now
    assert threads(steady.process) <= before + MAX_HANDLERS
    for sock in idle:
        sock.close()
    assert steady.wait_for("/feed.atom", lambda status, _: status == 200)


def test_rebuilds_on_every_change_to_an_item_template_picture_or_config(served: Served) -> None:
    item = served.project / "items" / "lecture.yaml"
    text = item.read_text("utf-8")
    item.write_text(text.replace("Dr. Maria A. Blasco\n", "Dr. Blasco & co\n", 1), "utf-8")
    served.wait_for("/news/lecture.html", lambda _, body: b"Dr. Blasco &amp; co" in body)
    rendered = served.wait_until(lambda: served.rendered()[1:])
    assert 0 < rendered[0] < 20  # of 21: not the other items' pages

    (served.project / "templates").mkdir()
    override = '{% extends "default:item.html" %}{% block title %}At {{ item.id }}{% endblock %}'
    (served.project / "templates" / "item.html").write_text(override, "utf-8")
    served.wait_for("/news/lecture.html", lambda _, body: b"<title>At lecture</title>" in body)

    config = served.project / "newsletter.yaml"
    renamed = config.read_text("utf-8").replace("Test Institute — News", "Renamed")
    config.write_text(renamed, "utf-8")
    served.wait_for("/feed.atom", lambda _, body: b"<title>Renamed</title>" in body)
    saved = served.project / ".newsletter.yaml.swp"  # saved aside, then renamed, as editors do
    saved.write_text(renamed.replace("Renamed", "Saved by rename"), "utf-8")
    saved.replace(config)
    served.wait_for("/feed.atom", lambda _, body: b"<title>Saved by rename</title>" in body)

    builds = served.builds()
    (served.project / "images").mkdir(exist_ok=True)
    (served.project / "images" / "new.png").write_bytes(b"not yet a picture anyone uses")
    served.wait_until(lambda: served.builds() > builds)


def test_a_save_the_moment_serving_is_announced_is_built(project: Path) -> None:
    from newsletter.commands.serve import Preview  # the command's own watch, in this process

    said: list[str] = []
    preview = Preview(project, lambda: datetime(2024, 4, 30, tzinfo=SITE_TZ), said.append)
    preview.rebuild()
    item = project / "items" / "lecture.yaml"
    text = item.read_text("utf-8")

    def save() -> None:  # as a writer does on reading "Serving the preview on ..."
        item.write_text(text.replace("Dr. Maria A. Blasco\n", "Dr. Blasco & co\n", 1), "utf-8")

    stop = threading.Event()
    watching = threading.Thread(target=preview.watch, args=(stop, save))
    watching.start()
    try:
        end = time.monotonic() + DEADLINE
        while len(said) < 2 and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        stop.set()
        watching.join()
    assert preview.site.folder is not None
    assert "Dr. Blasco &amp; co" in (preview.site.folder / "news/lecture.html").read_text("utf-8")


def test_a_failed_build_shows_its_problems_and_serving_goes_on(served: Served) -> None:
    item = served.project / "items" / "lecture.yaml"
    text = item.read_text("utf-8")
    item.write_text(text.replace("date: 2024-04-10", "date: 2024-04-10 <b>", 1), "utf-8")
    page = served.wait_for("/news/lecture.html", lambda status, _: status == 500)
    assert page.startswith(
        b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        b"<title>Build failed</title></head>\n<body><h1>The build failed</h1>\n"
        b"<p>Fix these problems and save: the preview comes back by itself.</p>\n"
        b"<pre>items/lecture.yaml:3: date: expected a date like 2024-04-10 or a time like "
        b"2024-04-10T10:30, got &#x27;2024-04-10 &lt;b&gt;&#x27;</pre>\n"
        b'<script>(() => { const events = new EventSource("/_events?since='
    )
    assert served.get("/feed.atom")[:2] == (500, "text/html; charset=utf-8")
    assert "Build failed:\nitems/lecture.yaml:3: date: " in "".join(served.out)

    (served.project / "templates").mkdir()
    (served.project / "templates" / "item.html").write_text("{{ 1 // 0 }}", "utf-8")
    item.write_text(text, "utf-8")  # a template that fails as it renders: still served
    served.wait_for("/", lambda status, body: status == 500 and b"division" in body)

    (served.project / "templates" / "item.html").unlink()
    body = served.wait_for("/news/lecture.html", lambda status, _: status == 200)
    assert b"Dr. Maria A. Blasco" in body


def test_the_next_email_follows_what_is_published_this_week(served: Served) -> None:
    today = datetime.now(SITE_TZ).date().isoformat()  # the site's day, not UTC's
    item = served.project / "items" / "today.yaml"
    item.write_text(f"title: News of the day\ndate: {today}\nbody: Fresh.\n", "utf-8")
    page = served.wait_for("/_preview/", lambda _, body: b"<iframe" in body)
    assert b'<iframe src="/_preview/next.html"' in page
    email = served.get("/_preview/next.html")[2]
    assert b"News of the day" in email and b'<table role="presentation"' in email
    assert b"news.example.org/test" not in email


def test_the_open_page_reloads_after_a_rebuild(served: Served, browser: Any) -> None:
    item = served.project / "items" / "lecture.yaml"
    with contextlib.closing(browser.new_page()) as page:
        page.goto(served.base + "/news/lecture.html")
        page.evaluate("window.untouched = true")  # gone once the page is loaded again
        # An edit before the page listens reloads it too: it asks since when.
        item.write_text(item.read_text("utf-8").replace("Blasco", "Reloaded"), "utf-8")
        page.wait_for_function(
            "!window.untouched && document.body.textContent.includes('Reloaded')",
            timeout=DEADLINE * 1000,
        )
    built = (served.project / ".newsletter" / "preview" / "news" / "lecture.html").read_bytes()
    assert b"EventSource" not in built and b"127.0.0.1" not in built


def test_open_pages_never_take_every_handler(steady: Served) -> None:
    since = re.search(rb"since=(\d+)", steady.get("/")[2])[1]  # type: ignore[index]
    port = int(steady.base.rsplit(":", 1)[1])
    pages = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(40)]
    for page in pages:
        page.sendall(b"GET /_events?since=" + since + b" HTTP/1.0\r\n\r\n")
    assert all(page.recv(4096).startswith(b"HTTP/1.0 200 OK\r\n") for page in pages)
    started = time.monotonic()
    assert steady.get("/feed.atom")[0] == 200
    assert time.monotonic() - started < 2  # not after a stream ends
    for page in pages:
        page.close()


def trickle(port: int, stop: threading.Event) -> None:
    """A slow client: a header byte a second, never the end of its headers, connecting
    again whenever it is dropped."""
    request = b"GET /feed.atom HTTP/1.0\r\nX-Slow: " + b"a" * 100
    for _ in range(200):  # connections, at most
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                for byte in request:
                    if stop.wait(1.0):
                        return
                    sock.sendall(bytes([byte]))
        except OSError:
            if stop.wait(0.05):
                return


def test_slow_clients_cannot_hold_the_preview(steady: Served) -> None:
    port = int(steady.base.rsplit(":", 1)[1])
    stop = threading.Event()
    slow = [threading.Thread(target=trickle, args=(port, stop)) for _ in range(40)]
    for client in slow:
        client.start()
    try:
        time.sleep(HEADER_SECONDS)  # every handler taken, and more waiting
        for _ in range(3):  # while they trickle, each real request is answered
            answer = raw(steady, b"GET /feed.atom HTTP/1.0\r\n\r\n", 4 * HEADER_SECONDS)
            assert answer.startswith(b"HTTP/1.0 200 OK\r\n")
    finally:
        stop.set()
        for client in slow:
            client.join(10)
    assert "".join(steady.err) == ""


def test_a_port_out_of_range_is_a_usage_error(project: Path) -> None:
    result = subprocess.run(
        [str(NEWSLETTER), "serve", "--port", "65536"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert result.returncode == 2
    assert "Invalid value for '--port': 65536 is not in the range 0<=x<=65535." in result.stderr


def test_a_port_in_use_is_said_in_one_line(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(NEWSLETTER), "serve", "--port", str(port)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: cannot listen on port {port}: Address already in use (by another serve?); "
        f"pick another with --port, e.g. --port {port + 1}\n",
    )


def test_a_folder_without_newsletter_yaml_is_not_served(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(NEWSLETTER), "serve", "--port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "newsletter.yaml: not found in .; run newsletter where it is, or pass --root\n1 error.\n",
    )
