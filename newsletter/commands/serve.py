"""Preview the site on 127.0.0.1, rebuilt after every change and reloaded in the browser.

The preview is built into its own folder in the state folder (.newsletter/preview/),
with the project's own configuration, so the real out/ is never touched and the
preview shares the build's incremental cache entry for entry: a rebuild after an
edit renders only what the edit changed, and a `build` after `serve` finds its
work done. Links in the built pages point at base_url; the server rewrites them
to itself as it sends each page (local_links), and adds the live-reload script
to each HTML page (with_reload). Neither is ever written into a file. Building
with base_url replaced instead would not share the cache: its entries are keyed by
newsletter.yaml as written, and every page would be rendered a second time.

A build that fails does not stop the preview: every page shows the problems
instead, until the next change makes the build succeed again.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import watchfiles

from newsletter.commands.build import build
from newsletter.commands.editor import preview_editor
from newsletter.commands.preview import preview_of_next_email
from newsletter.core.errors import NewsletterError
from newsletter.core.layout import CONFIG_FILE, IMAGES_DIR, ITEMS_DIR, TEMPLATES_DIR
from newsletter.core.words import plural
from newsletter.engine.cms_api import FileApi
from newsletter.engine.cms_server import FileApiServer
from newsletter.engine.preview_server import PreviewServer, Response, content_type, find_file
from newsletter.render.admin import ADMIN_DIR
from newsletter.render.preview import (
    EVENTS_PATH,
    NEXT_EMAIL_PATH,
    PREVIEW_PATH,
    error_page,
    local_links,
    with_reload,
)
from newsletter.sources.config import load_config

PREVIEW_DIR = "preview"  # in the state folder
_SOURCES = (ITEMS_DIR, IMAGES_DIR, TEMPLATES_DIR)
# Milliseconds between looks at the project folder (and newsletter.yaml, which is not
# watched): a few stats each. It is also how long serving waits, once its watch is in
# place, before it says it serves: at 500 ms, half a second of every start.
_LOOK_EVERY = 200
_HTML = "text/html; charset=utf-8"
_REWRITTEN = (".atom", ".rss", ".xml", ".json")  # feeds: their links point at base_url too


@dataclass(frozen=True)
class _Site:
    """What the last build left to serve."""

    generation: int = 0
    problems: str | None = None
    folder: Path | None = None
    base_url: str = ""
    preview: bytes = b""
    email: bytes | None = None


class Preview:
    """The project at ROOT, built into the state folder and served as LOCAL (http://...)."""

    events_path = EVENTS_PATH

    def __init__(
        self, root: Path, now: Callable[[], datetime], report: Callable[[str], None]
    ) -> None:
        self.root, self.now, self.report = root.resolve(), now, report
        self.local = "http://127.0.0.1/"
        self.editor_api = ""  # the file API's URL, once it runs
        self.site = _Site()
        self.changed = threading.Condition()

    def rebuild(self, workers: int | None = 1) -> None:
        """Build the preview with *workers* processes (None: as many as its size is
        worth); on failure keep the previous one and remember why.

        Open pages reload only when the build changed something: a save that
        changes nothing (or an editor's own files) leaves them alone.
        """
        wrote = False
        try:
            site, wrote = self._build(workers)
        except NewsletterError as exc:
            site = replace(self.site, problems="\n".join(str(p) for p in exc.problems))
        except Exception as exc:  # whatever breaks a build must not stop the preview
            site = replace(self.site, problems=f"{type(exc).__name__}: {exc}")
        if site.problems is not None:
            self.report(f"Build failed:\n{site.problems}")
        with self.changed:
            last = self.site
            if wrote or replace(site, generation=last.generation) != last:
                self.site = replace(site, generation=last.generation + 1)
                self.changed.notify_all()

    def _build(self, workers: int | None) -> tuple[_Site, bool]:
        config = load_config(self.root)
        folder = self.root / config.state_dir / PREVIEW_DIR
        moment = self.now()
        result = build(self.root, folder, moment, workers=workers)
        fresh = plural(result.rendered, "part")
        self.report(f"{result.summary(folder)} Rendered: {fresh}, the rest from the cache.")
        page, email = preview_of_next_email(self.root, config, moment)
        return _Site(0, None, folder, config.base_url, page, email), result.written > 0

    def respond(self, path: str) -> Response:
        """Answer a GET of PATH: the error page, the preview of the next email, or a file."""
        site = self.site
        if path.startswith(f"/{ADMIN_DIR}/") or path == f"/{ADMIN_DIR}":
            return self._editor(site, path)
        if site.problems is not None:
            page = with_reload(error_page(site.problems), site.generation)
            return Response(HTTPStatus.INTERNAL_SERVER_ERROR, _HTML, page)
        if path in (PREVIEW_PATH, PREVIEW_PATH.rstrip("/")):
            return self._page(site, site.preview)
        if path == NEXT_EMAIL_PATH and site.email is not None:
            return self._page(site, site.email)
        found = find_file(site.folder, path) if site.folder else None
        if found is None:
            return Response(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"Not found.\n")
        try:
            body = found.read_bytes()
        except OSError:  # replaced by a rebuild a moment ago
            return Response(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"Not found.\n")
        kind = content_type(found.name)
        if kind == _HTML:
            return self._page(site, body)
        if found.suffix in _REWRITTEN:
            body = local_links(body, site.base_url, self.local)
        return Response(HTTPStatus.OK, kind, body)

    def _editor(self, site: _Site, path: str) -> Response:
        """The browser editor's page and configuration, even while the build fails:
        they are how a writer may fix it. Never reloaded by a rebuild."""
        name = path.removeprefix(f"/{ADMIN_DIR}").lstrip("/") or "index.html"
        try:
            files = preview_editor(load_config(self.root), site.folder, self.local, self.editor_api)
        except NewsletterError as exc:
            page = error_page("\n".join(str(p) for p in exc.problems))
            return Response(HTTPStatus.INTERNAL_SERVER_ERROR, _HTML, page)
        if name not in files:
            return Response(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"Not found.\n")
        kind = _HTML if name.endswith(".html") else "text/yaml; charset=utf-8"
        return Response(HTTPStatus.OK, kind, files[name])

    def _page(self, site: _Site, page: bytes) -> Response:
        body = with_reload(local_links(page, site.base_url, self.local), site.generation)
        return Response(HTTPStatus.OK, _HTML, body)

    def wait_for_change(self, since: str, timeout: float) -> str | None:
        """Return the generation of the site once it differs from SINCE; None after TIMEOUT."""
        with self.changed:
            self.changed.wait_for(lambda: str(self.site.generation) != since, timeout)
            generation = str(self.site.generation)
        return generation if generation != since else None

    def watch(self, stop: threading.Event, watching: Callable[[], None]) -> None:
        """Rebuild after each batch of changes until STOP is set; call WATCHING once
        the watch is in place, from when on no change is missed.

        items/, images/ and templates/ are watched, not the whole project: a .venv,
        .git or the builds in the state folder would cost a watch per folder. The
        project folder itself is looked at twice a second instead: a newsletter.yaml
        replaced by an editor's rename, or a templates/ made later, is seen there.
        """
        seen, pending = _Sources.of(self.root), False
        unsaid: Callable[[], None] | None = watching
        while not stop.is_set():
            folders = [self.root / name for name in seen.folders]
            for batch in _changes(folders, stop):
                if unsaid is not None:
                    unsaid()
                    unsaid = None
                now = _Sources.of(self.root)
                if now.folders != seen.folders:
                    seen, pending = now, True
                    break  # watch the new folder too; build once the watch is in place
                if batch or now != seen or pending:
                    self.rebuild()
                seen, pending = now, False


@dataclass(frozen=True)
class _Sources:
    """Which source folders a project has, and its newsletter.yaml's identity."""

    folders: tuple[str, ...]
    config: tuple[int, ...] | None

    @classmethod
    def of(cls, root: Path) -> _Sources:
        # templates/ or images/ as a link is refused by the build; watched, it could be /.
        linked = {name for name in (TEMPLATES_DIR, IMAGES_DIR) if (root / name).is_symlink()}
        folders = tuple(name for name in _SOURCES if (root / name).is_dir() and name not in linked)
        try:
            info = (root / CONFIG_FILE).stat()
        except OSError:
            return cls(folders, None)
        return cls(folders, (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns))


def _changes(folders: list[Path], stop: threading.Event) -> Iterator[set[tuple[Any, str]]]:
    """Yield each batch of changes in FOLDERS, or an empty one after _LOOK_EVERY without.

    The first is yielded once the watch is in place.
    """
    if not folders:
        while not stop.wait(_LOOK_EVERY / 1000):
            yield set()
        return
    yield from watchfiles.watch(
        *folders,
        stop_event=stop,
        debounce=300,
        rust_timeout=_LOOK_EVERY,
        yield_on_timeout=True,
        watch_filter=watchfiles.DefaultFilter(),
    )


def serve(
    root: Path,
    port: int,
    now: Callable[[], datetime],
    report: Callable[[str], None],
) -> None:
    """Build ROOT, serve it on 127.0.0.1:PORT (0: any free port) and rebuild it on every
    change until the process is interrupted."""
    if not (root / CONFIG_FILE).exists():
        load_config(root)  # says where newsletter.yaml should be: not a folder to preview
    preview = Preview(root, now, report)
    server = _listening(port, preview, report)  # a port in use fails before the build
    preview.local = f"http://127.0.0.1:{server.server_port}/"
    editor = FileApiServer(FileApi(preview.root, report), server.server_port)
    preview.editor_api = editor.url
    stop = threading.Event()
    serving = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    editing = threading.Thread(target=editor.serve_forever, args=(0.1,), daemon=True)
    try:
        preview.rebuild(workers=None)  # alone may fork workers: no other thread runs yet
        serving.start()
        editing.start()

        def announce() -> None:  # once a save is sure to be seen
            report(f"Serving the preview on {preview.local} (Ctrl-C stops)")
            report(f"The next email, and every digest: {preview.local}{PREVIEW_PATH[1:]}")
            report(f"Write in the browser: {preview.local}{ADMIN_DIR}/")

        preview.watch(stop, announce)
    finally:
        stop.set()
        for running, stopped in ((serving, server), (editing, editor)):
            if running.is_alive():
                stopped.shutdown()
            stopped.server_close()


def _listening(port: int, preview: Preview, report: Callable[[str], None]) -> PreviewServer:
    """The preview's server on PORT, or why it cannot listen there, with the way out."""
    try:
        return PreviewServer(port, preview, report)
    except OSError as exc:
        busy = " (by another serve?)" if exc.errno == errno.EADDRINUSE else ""
        reason = f"cannot listen on port {port}: {exc.strerror or exc}{busy}"
        raise NewsletterError(
            f"{reason}; pick another with --port, e.g. --port {port % 65535 + 1}"
        ) from None
