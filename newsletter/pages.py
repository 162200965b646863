"""The web pages: one per item, the landing page, and the HTML that feeds embed."""

from __future__ import annotations

from collections.abc import Sequence

import jinja2
from markupsafe import Markup

from newsletter.config import Config
from newsletter.feeds import topics_of
from newsletter.items import Item
from newsletter.slugs import slugify
from newsletter.templates import render

INDEX_ITEMS = 30


def render_entry_content(item: Item, config: Config, env: jinja2.Environment) -> str:
    """Return the HTML of an item's content, as feeds and its page embed it."""
    return render(env, "entry_content.html", item=item, config=config)


def render_item_page(item: Item, config: Config, env: jinja2.Environment, content: str) -> bytes:
    """Render news/<id>.html around the item's rendered *content*."""
    topics = [(slugify(label), label) for label in item_labels(item)]
    return render(
        env, "item.html", item=item, config=config, topics=topics, content=Markup(content)
    ).encode()


def render_index(items: Sequence[Item], config: Config, env: jinja2.Environment) -> bytes:
    """Render the landing page: the newest items, and a feed for every topic."""
    topics = [(slug, label) for slug, (label, _) in sorted(topics_of(items).items())]
    return render(
        env, "index.html", items=items[:INDEX_ITEMS], config=config, topics=topics
    ).encode()


def item_labels(item: Item) -> list[str]:
    """An item's tags, then its department, each once."""
    return list(dict.fromkeys([*item.tags, *([item.department] if item.department else [])]))
