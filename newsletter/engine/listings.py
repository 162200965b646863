"""The jobs of the lists on the web: a page per topic, and the site's older news, paged."""

from __future__ import annotations

from collections.abc import Sequence

from newsletter.core.fingerprints import fingerprint
from newsletter.domain.channels import Topics
from newsletter.engine.jobs import Files, Job
from newsletter.render.i18n import translations
from newsletter.render.listings import Listing, render_listing
from newsletter.render.templates import Templates, cached_environment
from newsletter.sources.config import Config
from newsletter.sources.items import Item


def listing_jobs(
    published: Sequence[Item], topics: Topics, config: Config, templates: Templates,
    context: str,
) -> list[Job]:  # fmt: skip
    """A job per topic (all its pages), and one for the pages of news after the first,
    which index.html shows."""
    title = translations(config.language).gettext("News")
    news = Listing("", title, tuple(published))
    jobs = [_job(news, range(2, news.pages + 1), config, templates, context)]
    for slug, (label, items) in sorted(topics.items()):
        topic = Listing(f"tags/{slug}/", label, tuple(items), slug)
        jobs.append(_job(topic, range(1, topic.pages + 1), config, templates, context))
    return jobs


def _job(listing: Listing, pages: range, config: Config, templates: Templates, context: str) -> Job:
    versions = ",".join(item.version for item in listing.items)
    key = fingerprint(context, "listing", listing.folder, listing.title, repr(pages), versions)
    return Job(key, lambda: (render_listing_pages, (listing, pages, config, templates)))


def render_listing_pages(
    listing: Listing, pages: range, config: Config, templates: Templates
) -> Files:
    """Render the given pages of a list."""
    return render_listing(listing, pages, config, cached_environment(templates))
