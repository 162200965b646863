"""The feed documents of the site and of each topic, each in its formats: Atom 1.0
(render/atom.py, with the RFC 5005 archives), RSS 2.0 (render/rss.py, by feedgen) and
JSON Feed 1.1 (render/jsonfeed.py). Each document is written whole by one writer."""

from __future__ import annotations

from collections.abc import Mapping

from newsletter.domain.channels import FeedDocument
from newsletter.render.atom import render_atom
from newsletter.render.jsonfeed import render_json_feed
from newsletter.render.rss import render_rss
from newsletter.sources.config import Config


def render_feed_document(
    document: FeedDocument, config: Config, content: Mapping[str, str]
) -> dict[str, bytes]:
    """Render one document in each of its formats; *content* maps item id to its HTML."""
    channel, files = document.channel, {}
    if "atom" in document.formats:
        files[f"{channel.path}.atom"] = render_atom(document, config, content)
    if "rss" in document.formats:
        files[f"{channel.path}.rss"] = render_rss(channel, config, content)
    if "json" in document.formats:
        files[f"{channel.path}.json"] = render_json_feed(channel, config, content)
    return files
