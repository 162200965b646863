"""What /admin/ shows: the browser editor (Decap CMS), on the preview and in a build.

On the preview, the editor writes through the file API that `serve` runs beside it;
in a build, it writes through the Git host that newsletter.yaml names (cms.backend),
and without one a build publishes no editor at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsletter.render.admin import CONFIG_NAME, admin_page, site_style
from newsletter.render.cms_config import cms_config, config_yaml
from newsletter.sources.config import Config
from newsletter.sources.settingtypes import LOCALES

ADMIN_DIR = "admin"  # in out/, and the preview's /admin/


def shipped_languages() -> list[str]:
    """The languages newsletter's interface is written in: what an item's lang offers."""
    return sorted(path.name for path in LOCALES.iterdir() if (path / "LC_MESSAGES").is_dir())


def editor_files(
    config: Config, home_page: bytes, backend: dict[str, Any], site_url: str, api: str | None
) -> dict[str, bytes]:
    """The editor's files, by their names in admin/: its page (styled from HOME_PAGE's
    stylesheet) and Decap's configuration for BACKEND."""
    settings = cms_config(config, shipped_languages(), backend=backend, site_url=site_url)
    return {
        "index.html": admin_page(config, site_style(home_page), api),
        CONFIG_NAME: config_yaml(settings),
    }


def published_editor(config: Config, home_page: bytes) -> dict[str, bytes]:
    """The files of out/admin/ where newsletter.yaml names a Git host; none without one."""
    backend = config.cms.backend
    if backend is None:
        return {}
    settings = backend.model_dump(exclude_none=True)
    if not settings.get("repo"):
        settings.pop("repo", None)
    return {
        f"{ADMIN_DIR}/{name}": data
        for name, data in editor_files(config, home_page, settings, config.base_url, None).items()
    }


def preview_editor(config: Config, site: Path | None, local: str, api: str) -> dict[str, bytes]:
    """The editor of the preview at LOCAL, writing through the file API at API."""
    try:
        home = (site / "index.html").read_bytes() if site else b""
    except OSError:
        home = b""
    backend = {"name": "proxy", "proxy_url": api}
    return editor_files(config, home, backend, local, api)
