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
    """One list of items, newest first, shown PAGE_SIZE to a page."""

    folder: str  # relative to out/: tags/lecture/ or "" for the site's news
    title: str
    items: tuple[Item, ...]
    slug: str = ""  # a topic's, for its feeds

    @property
    def pages(self) -> int:
        """How many pages the list takes: one at least."""
        return max(1, -(-len(self.items) // PAGE_SIZE))

    def path(self, page: int) -> str:
        """Where page *page* (1, 2, ...) goes: the list's index.html, then page/2.html."""
        return f"{self.folder}index.html" if page == 1 else f"{self.folder}page/{page}.html"


def render_listing(
    listing: Listing, pages: Sequence[int], config: Config, env: jinja2.Environment
) -> dict[str, bytes]:
    """Render the given *pages* of *listing*."""
    files = {}
    for page in pages:
        start = (page - 1) * PAGE_SIZE
        context = {
            "listing": listing,
            "items": listing.items[start : start + PAGE_SIZE],
            "page": page,
            "newer": config.base_url + listing.path(page - 1) if page > 1 else "",
            "older": config.base_url + listing.path(page + 1) if page < listing.pages else "",
            "page_url": config.base_url + listing.path(page),
        }
        files[listing.path(page)] = render(env, "listing.html", config=config, **context).encode()
    return files
