"""The jobs of the lists on the web: a page per topic, and the site's older news, paged.

A list's pages are rendered in runs of PAGES_PER_JOB, each job keyed by the items of
its own pages: an edited item renders again the few pages around it, not the whole
list, and a job sends its worker only the items it shows. (A run of pages, not one
page a job: the site's news alone takes hundreds of pages, and each job costs a key,
a cache entry and a round trip to a worker.)
"""

from __future__ import annotations

from collections.abc import Sequence

from newsletter.domain.channels import Topics
from newsletter.engine.jobs import Files, Job
from newsletter.render.i18n import translations
from newsletter.render.listings import PAGE_SIZE, Listing, render_listing
from newsletter.render.templates import Templates, cached_environment
from newsletter.sources.config import Config
from newsletter.sources.items import Item

PAGES_PER_JOB = 10


def listing_jobs(
    published: Sequence[Item],
    topics: Topics,
    config: Config,
    templates: Templates,
) -> list[Job]:
    """The jobs of each topic's pages, and of the pages of news after the first, which
    index.html shows."""
    title = translations(config.language).gettext("News")
    news = Listing("", title, len(published))
    jobs = _jobs(news, 2, published, config, templates)
    for slug, (label, items) in sorted(topics.items()):
        topic = Listing(f"tags/{slug}/", label, len(items), slug)
        jobs.extend(_jobs(topic, 1, items, config, templates))
    return jobs


def _jobs(
    listing: Listing,
    first: int,
    items: Sequence[Item],
    config: Config,
    templates: Templates,
) -> list[Job]:
    """The jobs of *listing*'s pages from page *first* on."""
    jobs = []
    for start in range(first, listing.pages + 1, PAGES_PER_JOB):
        pages = range(start, min(start + PAGES_PER_JOB, listing.pages + 1))
        shown = tuple(items[(start - 1) * PAGE_SIZE : (pages.stop - 1) * PAGE_SIZE])
        jobs.append(Job(render_listing_pages, (listing, pages, shown, config, templates)))
    return jobs


def render_listing_pages(
    listing: Listing, pages: range, items: Sequence[Item], config: Config, templates: Templates
) -> Files:
    """Render the given pages of a list, from their items."""
    return render_listing(listing, pages, items, config, cached_environment(templates))
