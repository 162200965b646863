"""The pages only the preview shows, and what it changes in the site's pages as it serves them.

Nothing here is ever written into out/: `serve` applies it to each response.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

EVENTS_PATH = "/_events"
PREVIEW_PATH = "/_preview/"
NEXT_EMAIL_PATH = "/_preview/next.html"

# Reload once the server says the site changed since this page was served. The
# browser reconnects by itself when a stream ends, with the same `since`.
_RELOAD = (
    '<script>(() => {{ const events = new EventSource("{path}?since={generation}");'
    ' events.addEventListener("reload", () => {{ events.close(); location.reload(); }}); }})();'
    "</script>\n"
)
_STYLE = (
    "body{margin:0;font:16px/1.5 system-ui,sans-serif;display:grid;"
    "grid-template-columns:16rem 1fr;height:100vh}"
    "nav{overflow:auto;padding:0 1rem;background:#f4f4f5;border-right:1px solid #d4d4d8}"
    "main{display:flex;flex-direction:column;min-height:0}"
    "h1{font-size:1.1rem;margin:.75rem 1rem}iframe{flex:1;border:0;width:100%}"
    "p.empty{margin:2rem 1rem;font-size:1.25rem}"
)


@dataclass(frozen=True)
class Issue:
    """One digest as the preview lists it: its period's key, title and days."""

    key: str
    title: str
    span: str


@dataclass(frozen=True)
class NextEmail:
    """The email that would go out next: its period, and its HTML unless there is no news."""

    period: Issue
    unit: str  # week or month
    email: bytes | None


def error_page(problems: str) -> bytes:
    """The page every address shows while the build fails."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        "<title>Build failed</title></head>\n<body><h1>The build failed</h1>\n"
        "<p>Fix these problems and save: the preview comes back by itself.</p>\n"
        f"<pre>{html.escape(problems)}</pre>\n</body></html>\n"
    ).encode()


def preview_page(upcoming: NextEmail, issues: Sequence[Issue]) -> bytes:
    """The email that would go out next, beside a list of every digest's email."""
    period = upcoming.period
    heading = f"Next email: {period.title} ({period.span}), as it stands"
    if upcoming.email is None:
        shown = f'<p class="empty">No news yet this {upcoming.unit}.</p>'
    else:
        shown = f'<iframe src="{NEXT_EMAIL_PATH}" title="{html.escape(heading)}"></iframe>'
    links = "".join(
        f'<li><a href="/digests/{html.escape(issue.key)}/email.html">'
        f"{html.escape(issue.title)}</a> ({html.escape(issue.span)})</li>\n"
        for issue in issues
    )
    listed = f"<ul>\n{links}</ul>" if issues else "<p>None yet.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>Preview: the next email</title>\n<style>{_STYLE}</style></head>\n"
        f"<body><nav><h2>Every digest</h2>\n{listed}</nav>\n"
        f"<main><h1>{html.escape(heading)}</h1>\n{shown}</main>\n</body></html>\n"
    ).encode()


def with_reload(page: bytes, generation: int) -> bytes:
    """Add the script that reloads PAGE after the next rebuild, before its </body>."""
    script = _RELOAD.format(path=EVENTS_PATH, generation=generation).encode()
    end = page.lower().rfind(b"</body>")
    return page + script if end < 0 else page[:end] + script + page[end:]


def local_links(body: bytes, base_url: str, local: str) -> bytes:
    """Point every link to BASE_URL at LOCAL instead, as written or HTML-escaped."""
    for written in dict.fromkeys([base_url, html.escape(base_url)]):
        body = body.replace(written.encode(), local.encode())
    return body
