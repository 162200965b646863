"""What the preview's /admin/ shows: the browser editor (Decap CMS), writing through the
file API that `serve` runs beside it, its previews in the stylesheet of the preview's
own pages."""

from __future__ import annotations

from pathlib import Path

from newsletter.render.admin import editor_files, site_style
from newsletter.sources.config import Config


def preview_editor(config: Config, site: Path | None, local: str, api: str) -> dict[str, bytes]:
    """The editor of the preview at LOCAL (its site built in SITE), writing through the
    file API at API: its files, by their names in /admin/."""
    try:
        home = (site / "index.html").read_bytes() if site else b""
    except OSError:
        home = b""
    backend = {"name": "proxy", "proxy_url": api}
    return editor_files(config, site_style(home), backend, local, api)
