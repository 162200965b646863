"""JSON Feed 1.1 documents, written whole by the standard library's json: the site's."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from newsletter.domain.channels import Channel
from newsletter.sources.config import Config
from newsletter.sources.items import Item


def render_json_feed(channel: Channel, config: Config, content: Mapping[str, str]) -> bytes:
    """Render *channel* as JSON Feed 1.1; *content* maps item id to its HTML."""
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": channel.title,
        "home_page_url": config.base_url,
        "feed_url": f"{config.base_url}{channel.path}.json",
        "description": channel.subtitle,
        "language": config.language,
        "authors": [{"name": config.author_name}],
        "items": [_json_item(item, content[item.id]) for item in channel.items],
    }
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode()


def _json_item(item: Item, html: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": item.entry_id,
        "url": item.url,
        "title": item.title,
        "content_html": html,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "language": item.lang,
    }
    if item.link:
        entry["external_url"] = item.link
    if item.image:
        entry["image"] = item.image.src
    if item.authors:
        entry["authors"] = [{"name": name} for name in item.authors]
    if item.topics:
        entry["tags"] = list(item.topics)
    return entry
