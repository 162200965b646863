"""The browser editor's file API over HTTP: on 127.0.0.1 only, on a port of its own, for
the preview's pages only.

A page on any web site the writer visits could POST to 127.0.0.1, or reach it under a
name of its own through DNS rebinding, and write files. So a request is answered only
when its Host is 127.0.0.1 or localhost with this server's port, and its Origin is the
preview's own (http://127.0.0.1 or http://localhost with the preview's port); a browser
always sends Origin with such a POST, and no page can forge it. Anything else gets
403 Forbidden, and no CORS header that would let a foreign page read an answer.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from newsletter.engine.cms_api import FileApi

API_PATH = "/api/v1"
BODY_LIMIT = 40_000_000  # bytes of a request: a picture of PICTURE_LIMIT in base64, and more
TIMEOUT = 30.0  # seconds a connection may stay silent
_LOCAL_NAMES = ("127.0.0.1", "localhost")


class _Handler(BaseHTTPRequestHandler):
    server: FileApiServer
    timeout = TIMEOUT
    server_version = "newsletter-editor"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows what was saved, not every request

    def do_OPTIONS(self) -> None:
        """The browser's question before a cross-port POST: answered for the preview only."""
        if self._allowed():
            self.send_response(HTTPStatus.NO_CONTENT)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "POST")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            self.send_header("Access-Control-Max-Age", "600")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def do_POST(self) -> None:
        if not self._allowed():
            return
        if self.path.split("?")[0] != API_PATH:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"the file API is at {API_PATH}"})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length required"})
            return
        if not 0 <= length <= BODY_LIMIT:
            limit = BODY_LIMIT // 1_000_000
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"over {limit} MB"})
            return
        try:
            request = json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError):
            self._send(HTTPStatus.BAD_REQUEST, {"error": "expected JSON"})
            return
        status, answer = self.server.api.answer(request)
        self._send(status, answer)

    def do_GET(self) -> None:
        if self._allowed():
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "POST {action, params}"})

    def _allowed(self) -> bool:
        """Whether Host and Origin are the preview's; if not, say 403 and return False."""
        host = self.headers.get("Host", "")
        origin = self.headers.get("Origin", "")
        port = self.server.server_port
        if host not in {f"{name}:{port}" for name in _LOCAL_NAMES}:
            reason = f"Host {host!r} is not 127.0.0.1:{port} or localhost:{port}"
        elif origin not in self.server.origins:
            reason = f"Origin {origin!r} is not the preview's"
        else:
            return True
        body = json.dumps({"error": f"Forbidden: {reason}"}).encode()
        self.send_response(HTTPStatus.FORBIDDEN)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return False

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", self.headers["Origin"])
        self.send_header("Vary", "Origin")

    def _send(self, status: HTTPStatus, answer: Any) -> None:
        body = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class FileApiServer(ThreadingHTTPServer):
    """The file API of API on 127.0.0.1:PORT (0: any free one), for pages from the
    preview on PREVIEW_PORT."""

    daemon_threads = True

    def __init__(self, api: FileApi, preview_port: int, port: int = 0) -> None:
        self.api = api
        self.origins = frozenset(f"http://{name}:{preview_port}" for name in _LOCAL_NAMES)
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        """Where the editor finds the file API."""
        return f"http://127.0.0.1:{self.server_port}{API_PATH}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up or sent nonsense costs its own connection only
