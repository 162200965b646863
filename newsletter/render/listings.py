"""Lists of items on the web, in pages: each topic's, and the site's older news."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from newsletter.render.templates import render
from newsletter.sources.config import Config
from newsletter.sources.items import Item

PAGE_SIZE = 30  # items on a page of a list, the landing page's first page included


@dataclass(frozen=True)
class Listing:
    """One list of items, newest first, shown PAGE_SIZE to a page: what every page of
    it shows besides its own items."""

    folder: str  # relative to out/: tags/lecture/ or "" for the site's news
    title: str
    length: int  # how many items the whole list holds
    slug: str = ""  # a topic's, for its feeds

    @property
    def pages(self) -> int:
        """How many pages the list takes: one at least."""
        return max(1, -(-self.length // PAGE_SIZE))

    def path(self, page: int) -> str:
        """Where page *page* (1, 2, ...) goes: the list's index.html, then page/2.html."""
        return f"{self.folder}index.html" if page == 1 else f"{self.folder}page/{page}.html"


def page_items(items: Sequence[Item], page: int) -> Sequence[Item]:
    """The items that page *page* of a list of *items* shows."""
    start = (page - 1) * PAGE_SIZE
    return items[start : start + PAGE_SIZE]


def render_listing(
    listing: Listing,
    pages: Sequence[int],
    items: Sequence[Item],
    config: Config,
    env: jinja2.Environment,
) -> dict[str, bytes]:
    """Render the given *pages* of *listing*, in order; *items* are theirs, PAGE_SIZE
    to a page."""
    files = {}
    for index, page in enumerate(pages):
        context = {
            "listing": listing,
            "items": page_items(items, index + 1),
            "page": page,
            "newer": config.base_url + listing.path(page - 1) if page > 1 else "",
            "older": config.base_url + listing.path(page + 1) if page < listing.pages else "",
            "page_url": config.base_url + listing.path(page),
        }
        files[listing.path(page)] = render(env, "listing.html", config=config, **context).encode()
    return files
