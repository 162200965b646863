"""A small HTTP server on 127.0.0.1 for the preview: safe with files, bounded in threads.

Each connection gets a handler thread, but never more than MAX_HANDLERS at once:
beyond that, connections wait in the listening socket's queue. A request must arrive
whole, headers and all, within HEADER_SECONDS of its connection being taken, however
its bytes trickle in, and a connection that says nothing for TIMEOUT seconds is
closed: slow or idle clients hold a handler for seconds at most, and a real request
waiting behind them is answered within a few. One request is answered per
connection (HTTP/1.0).
A client that hangs up, times out or sends nonsense costs its own connection and
nothing else: no traceback.
"""

from __future__ import annotations

import io
import mimetypes
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socket import socket
from typing import Any, Protocol
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

MAX_HANDLERS = 32
MAX_STREAMS = MAX_HANDLERS // 2  # event streams open for as long as a page is
TIMEOUT = 5.0  # seconds a connection may stay silent
HEADER_SECONDS = 2.0  # for a request's line and headers, all of them: a browser takes ms
STREAM_SECONDS = 30.0  # an event stream ends then; the browser opens the next one
HEARTBEAT = 10.0  # seconds between comments on an idle event stream
_WAIT = 0.2  # seconds between looks at a server that is stopping, while all handlers are busy

CONTENT_TYPES = {
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".json": "application/json",
    ".ics": "text/calendar",
    ".html": "text/html",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".eml": "message/rfc822",
}


@dataclass(frozen=True)
class Response:
    """What the server sends back for one request."""

    status: HTTPStatus
    content_type: str
    body: bytes


class App(Protocol):
    """What the server asks of the preview."""

    events_path: str

    def respond(self, path: str) -> Response:
        """Answer a GET of the URL path PATH."""

    def wait_for_change(self, since: str, timeout: float) -> str | None:
        """Return the site's generation once it differs from SINCE; None after TIMEOUT."""


def content_type(name: str) -> str:
    """The Content-Type of a file, with charset=utf-8 for text: feeds keep their letters."""
    if name.endswith("feed.json"):
        return "application/feed+json; charset=utf-8"
    kind = CONTENT_TYPES.get(Path(name).suffix) or mimetypes.guess_type(name)[0]
    kind = kind or "application/octet-stream"
    is_text = kind.startswith("text/") or kind.endswith(("+xml", "/xml", "/json"))
    return f"{kind}; charset=utf-8" if is_text else kind


def find_file(site: Path, path: str) -> Path | None:
    """Return the file the URL path PATH names in SITE, or None.

    SITE is resolved at each call: it may be a link switched to a new build at any
    moment. A folder gives its index.html, never a listing. Only a file whose real
    path lies inside the site is served: a link that leads out of it is not there.
    """
    relative = unquote(path, errors="replace").lstrip("/")
    if "\0" in relative or "\\" in relative:
        return None
    try:
        base = site.resolve(strict=True)
        target = (base / relative).resolve()
        if target.is_dir():
            target = (target / "index.html").resolve()
        inside = target.is_relative_to(base) and target.is_file()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a loop of links
        return None
    return target if inside else None


class _Deadline(io.RawIOBase):
    """A connection read until a moment: each read waits only for the time left, so a
    request trickled in a byte at a time still ends then (TimeoutError)."""

    def __init__(self, connection: socket, seconds: float) -> None:
        self.connection, self.end = connection, time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long to arrive")
        self.connection.settimeout(left)
        return self.connection.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    """Answers GET and HEAD through the app; streams the events of rebuilds."""

    server: PreviewServer
    timeout = TIMEOUT
    server_version = "newsletter-preview"

    def setup(self) -> None:
        super().setup()
        self.rfile = io.BufferedReader(_Deadline(self.connection, HEADER_SECONDS))

    def parse_request(self) -> bool:
        """Read the request's headers by the deadline; then answer at a client's pace."""
        whole = super().parse_request()
        self.connection.settimeout(TIMEOUT)
        return whole

    def do_GET(self) -> None:
        url = self._url()
        if url is None:
            return
        if url.path == self.server.app.events_path:
            self._stream(parse_qs(url.query).get("since", [""])[0])
        else:
            self._answer(url.path, with_body=True)

    def do_HEAD(self) -> None:
        url = self._url()
        if url is not None:
            self._answer(url.path, with_body=False)

    def _url(self) -> SplitResult | None:
        try:
            return urlsplit(self.path)
        except ValueError:  # http://[::1/ and the like
            self.send_error(HTTPStatus.BAD_REQUEST, "Not a URL")
            return None

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows builds, not every request

    def _answer(self, path: str, *, with_body: bool) -> None:
        response = self.server.app.respond(path)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)

    def _stream(self, since: str) -> None:
        """Send server-sent events: `reload` once the site is rebuilt after SINCE.

        Past MAX_STREAMS open pages, a page is told at once whether to reload and to
        ask again later, so that streams never take every handler.
        """
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        streams = self.server.streams
        if not streams.acquire(blocking=False):
            self._events(since, seconds=0.0, retry=2000)
            return
        try:
            self._events(since, seconds=STREAM_SECONDS, retry=500)
        finally:
            streams.release()

    def _events(self, since: str, *, seconds: float, retry: int) -> None:
        self.wfile.write(f"retry: {retry}\n\n".encode())
        end = time.monotonic() + seconds
        while True:
            left = max(0.0, end - time.monotonic())
            generation = self.server.app.wait_for_change(since, min(left, HEARTBEAT))
            if generation is not None:
                self.wfile.write(f"event: reload\ndata: {generation}\n\n".encode())
                return
            if left <= 0 or self.server.closing.is_set():
                return
            self.wfile.write(b": waiting\n\n")  # finds out whether the client is still there


class PreviewServer(HTTPServer):
    """An HTTP server on 127.0.0.1:PORT (0: any free one) for APP."""

    request_queue_size = 128

    def __init__(self, port: int, app: App, report: Callable[[str], None]) -> None:
        self.app, self.report = app, report
        self.closing = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_HANDLERS)
        self.streams = threading.BoundedSemaphore(MAX_STREAMS)
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the connection to a thread of its own, once fewer than MAX_HANDLERS run."""
        while not self._slots.acquire(timeout=_WAIT):
            if self.closing.is_set():
                self.shutdown_request(request)
                return
        thread = threading.Thread(target=self._handle, args=(request, client_address))
        thread.daemon = True
        thread.start()

    def _handle(self, request: socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Say in one line what went wrong, unless the client just went away."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):  # hung up, reset, timed out
            self.report(f"Preview: {type(error).__name__}: {error}")

    def shutdown(self) -> None:
        """Stop serving; event streams end, and waiting connections are closed."""
        self.closing.set()
        super().shutdown()
