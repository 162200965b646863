"""Preview out/ on 127.0.0.1, rebuilding it whenever an item, a template or the config changes.

A build that fails does not stop the preview: every page shows the problems instead,
until the next change makes the build succeed again.
"""

from __future__ import annotations

import html
import io
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

import watchfiles

from newsletter.commands.build import build
from newsletter.core.errors import NewsletterError
from newsletter.core.layout import CONFIG_FILE, ITEMS_DIR, TEMPLATES_DIR, out_folder

PREVIEW_PATH = "/_preview/"
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
_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Build failed</title></head>
<body><h1>The build failed</h1>
<p>Fix these problems and save: the preview comes back by itself.</p>
<pre>{problems}</pre></body></html>
"""


class Preview:
    """The site at ROOT built into OUT_DIR, with the problems of the last build."""

    def __init__(
        self, root: Path, out_dir: Path, now: Callable[[], datetime], report: Callable[[str], None]
    ) -> None:
        self.root, self.out_dir, self.now, self.report = root, out_dir, now, report
        self.problems: str | None = None
        self.lock = threading.Lock()

    def rebuild(self) -> None:
        """Build the site; on failure keep the previous out/ and remember why."""
        problems: str | None = None
        try:
            result = build(self.root, self.out_dir, self.now())
        except NewsletterError as exc:
            problems = "\n".join(str(p) for p in exc.problems)
            self.report(f"Build failed:\n{problems}")
        else:
            self.report(result.summary(self.out_dir))
        with self.lock:
            self.problems = problems

    def error_page(self) -> bytes | None:
        """Return the page that shows the last build's problems, if it failed."""
        with self.lock:
            problems = self.problems
        if problems is None:
            return None
        return _ERROR_PAGE.format(problems=html.escape(problems)).encode()

    def latest_digest(self) -> str | None:
        """Return the URL path of the newest digest's email, if there is one."""
        folders = sorted(p.parent.name for p in self.out_dir.glob("digests/*/email.html"))
        return f"/digests/{folders[-1]}/email.html" if folders else None

    def matters(self, change: watchfiles.Change, path: str) -> bool:
        """Tell whether a changed path calls for a new build: items, templates, config."""
        try:
            parts = Path(path).relative_to(self.root).parts
        except ValueError:
            return False
        return parts[:1] in ((ITEMS_DIR,), (TEMPLATES_DIR,)) or parts == (CONFIG_FILE,)

    def watch(self, stop: threading.Event) -> None:
        """Rebuild after each batch of changes until STOP is set.

        The whole project is watched, not the folders themselves, so that a templates/
        made later, or a newsletter.yaml replaced by an editor's rename, is seen too.
        """
        changes = watchfiles.watch(
            self.root, watch_filter=self.matters, stop_event=stop, debounce=400
        )
        for _batch in changes:
            self.rebuild()


class _Handler(SimpleHTTPRequestHandler):
    """Serve out/ with the feeds' own content types, or the error page."""

    preview: Preview

    def send_head(self) -> BinaryIO | None:
        """Answer GET and HEAD: the error page, the digest redirect, or a file of out/."""
        page = self.preview.error_page()
        if page is not None:
            self._headers(HTTPStatus.INTERNAL_SERVER_ERROR, "text/html; charset=utf-8", page)
            return io.BytesIO(page)
        if self.path.split("?")[0] == PREVIEW_PATH:
            return self._redirect(self.preview.latest_digest())
        return super().send_head()

    def guess_type(self, path: str | Any) -> str:
        name = str(path)
        if name.endswith("feed.json"):
            return "application/feed+json; charset=utf-8"
        kind = CONTENT_TYPES.get(Path(name).suffix) or super().guess_type(path)
        is_text = kind.startswith("text/") or kind.endswith(("+xml", "/xml", "/json"))
        return f"{kind}; charset=utf-8" if is_text else kind

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows builds, not every request

    def _redirect(self, target: str | None) -> BinaryIO | None:
        if target is None:
            body = b"No digest yet: nothing was published in a complete period.\n"
            self._headers(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", body)
            return io.BytesIO(body)
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

    def _headers(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()


def make_server(preview: Preview, port: int) -> ThreadingHTTPServer:
    """Bind the preview to 127.0.0.1:PORT (0: any free port); serve_forever() runs it."""
    handler = type("Handler", (_Handler,), {"preview": preview})
    factory = partial(handler, directory=str(preview.out_dir))
    return ThreadingHTTPServer(("127.0.0.1", port), factory)


def serve(
    root: Path,
    port: int,
    now: Callable[[], datetime],
    report: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Build ROOT, serve out/ on 127.0.0.1:PORT and rebuild on every change until STOP is set
    (or the process is interrupted)."""
    preview = Preview(root, out_folder(root).resolve(), now, report)
    preview.rebuild()
    server = make_server(preview, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    report(f"Serving {root / 'out'} on http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)")
    report(f"The latest digest as an email: http://127.0.0.1:{server.server_port}{PREVIEW_PATH}")
    stop = stop or threading.Event()
    try:
        preview.watch(stop)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
