"""The browser editor's page, /admin/: Decap CMS, styled previews, and the notes a save
left (warnings), shown under the form."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from newsletter.render.cms_config import cms_config, config_yaml
from newsletter.render.i18n import shipped_languages
from newsletter.render.templates import Templates, cached_environment, render
from newsletter.sources.config import Config

ADMIN_DIR = "admin"  # in out/, and the preview's /admin/
CONFIG_NAME = "config.yml"  # beside the page: Decap reads it from <link rel="cms-config-url">
NOTES_ACTION = "itemNotes"  # the file API's own action: the warnings of an item as saved

_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
# After a save, ask the file API what `check` said of the item it wrote, and show it.
_NOTES = """
CMS.registerEventListener({name: "postSave", handler: async () => {
  const api = %(api)s;
  const box = document.getElementById("newsletter-notes");
  if (!api) return;
  const answer = await fetch(api, {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({action: %(action)s, params: {}})});
  const {notes} = await answer.json();
  box.replaceChildren(...(notes || []).map(note => {
    const line = document.createElement("p"); line.textContent = note; return line; }));
  box.hidden = !(notes && notes.length);
}});
"""
_BOX_STYLE = (
    "#newsletter-notes{position:fixed;bottom:0;left:0;right:0;z-index:1000;margin:0;"
    "padding:.5rem 1rem;background:#fff4ce;border-top:2px solid #8a6d00;"
    "font:14px/1.4 system-ui,sans-serif;color:#3b2f00}#newsletter-notes p{margin:.2rem 0}"
)


def site_style(page: bytes) -> str:
    """The stylesheets written in a page of the site, for the editor's preview pane."""
    return "\n".join(part.decode("utf-8", "replace") for part in _STYLE.findall(page))


def admin_page(config: Config, style: str, api: str | None) -> bytes:
    """The editor page: Decap from config.cms.script, the preview pane in STYLE (the
    site's CSS); with API (the local file API's URL), a save's warnings shown."""
    cms = config.cms
    integrity = cms.script_integrity
    checked = f' integrity="{html.escape(integrity)}"' if integrity else ""
    script = f'<script src="{html.escape(cms.script)}"{checked} crossorigin="anonymous"></script>\n'
    setup = f"CMS.registerPreviewStyle({_script_json(style)}, {{raw: true}});\n"
    setup += _NOTES % {
        "api": _script_json(api),
        "action": _script_json(NOTES_ACTION),
    }
    title = html.escape(config.title)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(config.language)}">\n<head>\n'
        '<meta charset="utf-8">\n<meta name="robots" content="noindex">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}: editor</title>\n"
        f'<link href="{CONFIG_NAME}" type="text/yaml" rel="cms-config-url">\n'
        f"<style>{_BOX_STYLE}</style>\n</head>\n<body>\n"
        '<div id="newsletter-notes" role="status" hidden></div>\n'
        f"{script}<script>\n{setup}</script>\n</body>\n</html>\n"
    ).encode()


def _script_json(value: object) -> str:
    """VALUE as a JavaScript literal that cannot end the <script> it is written in."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


def editor_files(
    config: Config, style: str, backend: dict[str, Any], site_url: str, api: str | None
) -> dict[str, bytes]:
    """The editor's files, by their names in admin/: its page (its previews in STYLE)
    and Decap's configuration for BACKEND."""
    settings = cms_config(config, shipped_languages(), backend=backend, site_url=site_url)
    return {"index.html": admin_page(config, style, api), CONFIG_NAME: config_yaml(settings)}


def render_published_editor(config: Config, templates: Templates) -> dict[str, bytes]:
    """The files of out/admin/ where newsletter.yaml names a Git host (cms.backend),
    its previews in the stylesheet of the site's pages; none without one."""
    backend = config.cms.backend
    if backend is None:
        return {}
    settings = backend.model_dump(exclude_none=True)
    if not settings.get("repo"):
        settings.pop("repo", None)
    page = render(cached_environment(templates), "base.html", config=config).encode()
    files = editor_files(config, site_style(page), settings, config.base_url, None)
    return {f"{ADMIN_DIR}/{name}": data for name, data in files.items()}
