"""The web pages: one per item, the landing page, and the HTML that feeds embed."""

from __future__ import annotations

from collections.abc import Sequence

import jinja2
from markupsafe import Markup

from newsletter.core.slugs import topic_slug
from newsletter.domain.digests import Digest
from newsletter.render.listings import PAGE_SIZE, Listing
from newsletter.render.templates import render
from newsletter.sources.config import Config
from newsletter.sources.items import Item

INDEX_ITEMS = PAGE_SIZE


def render_entry_content(item: Item, body: str, config: Config, env: jinja2.Environment) -> str:
    """Return the HTML of an item's content, as feeds and its page embed it, around its
    *body* rendered to HTML."""
    return render(env, "entry_content.html", item=item, body=Markup(body), config=config)


def render_item_page(item: Item, config: Config, env: jinja2.Environment, content: str) -> bytes:
    """Render news/<id>.html around the item's rendered *content*."""
    topics = [(topic_slug(label), label) for label in item.topics]
    return render(
        env, "item.html", item=item, config=config, topics=topics, content=Markup(content)
    ).encode()


def render_index(
    newest: Sequence[Item],
    topics: Sequence[tuple[str, str]],
    latest_digest: Digest | None,
    config: Config,
    env: jinja2.Environment,
) -> bytes:
    """Render the landing page: the newest items, the latest digest, a feed per topic."""
    older = f"{config.base_url}{Listing('', '', 0).path(2)}" if len(newest) > INDEX_ITEMS else ""
    context = {
        "items": newest[:INDEX_ITEMS],
        "older": older,
        "topics": topics,
        "latest_digest": latest_digest,
    }
    return render(env, "index.html", config=config, **context).encode()


def render_site_pages(
    topics: Sequence[tuple[str, str, int]], config: Config, env: jinja2.Environment
) -> dict[str, bytes]:
    """Render the pages that show no item: tags/index.html (every topic, with its
    feeds; *topics* are slug, label and how many items), follow.html and 404.html."""
    return {
        "tags/index.html": render(env, "topics.html", config=config, topics=topics).encode(),
        "follow.html": render(env, "follow.html", config=config).encode(),
        "404.html": render(env, "404.html", config=config).encode(),
    }
