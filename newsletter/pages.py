"""The web pages: one per item, the landing page, and the HTML that feeds embed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jinja2

from newsletter.config import Config
from newsletter.feeds import topics_of
from newsletter.items import Item
from newsletter.slugs import slugify
from newsletter.templates import render

INDEX_ITEMS = 30


def render_entry_content(
    items: Sequence[Item], config: Config, env: jinja2.Environment
) -> dict[str, str]:
    """Return {item id: the HTML of its content} as feeds and pages embed it."""
    return {item.id: render(env, "entry_content.html", item=item, config=config) for item in items}


def render_pages(
    items: Sequence[Item], config: Config, env: jinja2.Environment, content: Mapping[str, str]
) -> dict[str, bytes]:
    """Render news/<id>.html for every item and the landing page index.html."""
    files: dict[str, bytes] = {}
    for item in items:
        topics = [(slugify(label), label) for label in _labels(item)]
        html = render(env, "item.html", item=item, config=config, topics=topics)
        files[f"news/{item.id}.html"] = html.encode()
    all_topics = [(slug, label) for slug, (label, _) in sorted(topics_of(items).items())]
    index = render(env, "index.html", items=items[:INDEX_ITEMS], config=config, topics=all_topics)
    files["index.html"] = index.encode()
    return files


def _labels(item: Item) -> list[str]:
    return list(dict.fromkeys([*item.tags, *([item.department] if item.department else [])]))
