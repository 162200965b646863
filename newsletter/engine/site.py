"""The site as render jobs: every output, what it depends on, and how to render it.

Items come first: each item's job renders its page, and what the feeds show of it
(see feedjobs), handed back, never written. The other jobs (feeds and their
archives, the landing page, the calendar, the digests) run after them; the feeds
read what the items' jobs handed back. Every task is a module-level function of
picklable arguments, so that it can run in a worker process; its arguments are
made in the build's own thread, before it is handed to one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsletter.core.fingerprints import fingerprint
from newsletter.domain.channels import Topics, topics_of
from newsletter.domain.digests import Digest, group_into_digests
from newsletter.domain.periods import latest_complete
from newsletter.engine.cache import Cache
from newsletter.engine.digestjobs import render_digest_email, render_digest_page, site_templates
from newsletter.engine.feedjobs import Handed, feed_jobs, feed_parts
from newsletter.engine.itemcache import Bodies
from newsletter.engine.jobs import Files, Job, Later
from newsletter.engine.listings import listing_jobs
from newsletter.engine.pictures import picture_jobs
from newsletter.render.admin import render_published_editor
from newsletter.render.calendar import CALENDAR_FILE, render_calendar, render_event_calendar
from newsletter.render.digest_pages import Around, DigestLink, render_archive
from newsletter.render.icons import ICON_FILE, LOGO_FILE, render_icons
from newsletter.render.pages import (
    INDEX_ITEMS,
    render_entry_content,
    render_index,
    render_item_page,
    render_site_pages,
)
from newsletter.render.templates import (
    Templates,
    cached_environment,
    project_picture,
)
from newsletter.sources.config import Config
from newsletter.sources.items import Item
from newsletter.sources.markup import render_markdown
from newsletter.sources.notes import read_notes

UPCOMING_FILE = "upcoming.ics"


class BodyOf(Later):
    """The Markdown body of *item*: keyed by its file's print, which it is read from."""

    def __init__(self, item: Item, bodies: Bodies) -> None:
        self.item, self.bodies = item, bodies

    @property
    def value_key(self) -> str:
        return fingerprint("body", self.bodies.print_of(self.item))

    def value(self) -> str:
        return self.bodies.of(self.item)


@dataclass(frozen=True)
class SitePlan:
    """The jobs of a build, in two rounds, and what the second round reads of the first's."""

    item_jobs: list[Job]
    jobs: list[Job]
    digests: int
    handed: Handed


def plan_site(
    root: Path,
    config: Config,
    published: Sequence[Item],
    as_of: datetime,
    cache: Cache,
    bodies: Bodies,
) -> SitePlan:
    """Describe every output of the site; *bodies* is where the items' jobs find the
    items' bodies."""
    digests = group_into_digests(published, config, as_of, read_notes(root))
    templates = site_templates(root, config)
    plan = SitePlan([], [], len(digests), Handed(cache))
    for item in published:
        job = Job(render_item, (item, BodyOf(item, bodies), config, templates))
        plan.handed.jobs[item.id] = job
        plan.item_jobs.append(job)
    plan.jobs.extend(picture_jobs(published))
    topics = topics_of(published)
    plan.jobs.extend(feed_jobs(published, config, topics, plan.handed))
    plan.jobs.append(_index_job(published, topics, digests, config, templates))
    events = tuple(item for item in published if item.event)
    plan.jobs.append(Job(render_calendar, (events, config)))
    # Upcoming when the latest complete period's email goes out, the period's end: what
    # the email links to, and the same for every build of that period.
    sent = latest_complete(as_of, config.digest.period, config.tz).end
    upcoming = tuple(item for item in events if item.event and not item.event.over_at(sent))
    plan.jobs.append(Job(render_upcoming_calendar, (upcoming, config)))
    plan.jobs.append(Job(publish_icons, (templates,)))
    plan.jobs.extend(listing_jobs(published, topics, config, templates))
    for index, digest in enumerate(digests):
        before = _link(digests[index - 1]) if index else None
        after = _link(digests[index + 1]) if index + 1 < len(digests) else None
        around: Around = (before, after)
        plan.jobs.append(Job(render_digest_email, (digest, config, templates)))
        plan.jobs.append(Job(render_digest_page, (digest, config, templates, around)))
    listed = tuple((slug, label, len(items)) for slug, (label, items) in sorted(topics.items()))
    plan.jobs.append(Job(render_site_pages_job, (listed, config, templates), local=True))
    archive = (tuple(digests), config, templates)
    plan.jobs.append(Job(render_digest_archive, archive, local=True))
    if config.cms.backend is not None:  # the browser editor, for a Git host
        plan.jobs.append(Job(render_published_editor, (config, templates)))
    return plan


# The templates the jobs render (with those they extend and include).
_PAGES = (
    "item.html",
    "entry_content.html",
    "index.html",
    "digest.html",
    "digests.html",
    "listing.html",
)


def warm_up(templates: Templates) -> None:
    """Ready a worker process while the build reads the items: compile the templates.
    The CSS inliner is left for the first email to import: on two cores, both workers
    importing it took the CPU from the build reading and planning beside them, and a
    build after an edit renders one or two emails at most. Builds after an edit of the
    benchmark's 10,000 items, taken in turns, twelve each: 2.88 s with the inliner
    imported at the start (2.93 s of CPU), 2.70 s without it (2.63 s). Any error is
    left for the job that meets it to report."""
    with contextlib.suppress(Exception):
        env = cached_environment(templates)
        for name in (*_PAGES, "email.html"):
            env.get_template(name)


def render_item(item: Item, body: str, config: Config, templates: Templates) -> Files:
    """Render an item's page, its event's calendar, and what the feeds show of it (see
    feedjobs.feed_parts), from the item and its Markdown *body*."""
    env = cached_environment(templates)
    content = render_entry_content(item, render_markdown(body, item.base_url), config, env)
    page = render_item_page(item, config, env, content)
    files = {f"news/{item.id}.html": page, **feed_parts(item, config, content)}
    return files | render_event_calendar(item, config)


def _index_job(
    items: Sequence[Item],
    topics_of_items: Topics,
    digests: Sequence[Digest],
    config: Config,
    templates: Templates,
) -> Job:
    latest = digests[-1] if digests else None
    topics = [(slug, label) for slug, (label, _) in sorted(topics_of_items.items())]
    newest = list(items[: INDEX_ITEMS + 1])  # one more: is there an older page?
    return Job(render_index_page, (newest, topics, latest, config, templates), local=True)


def render_index_page(
    newest: list[Item],
    topics: list[tuple[str, str]],
    latest: Digest | None,
    config: Config,
    templates: Templates,
) -> Files:
    """Render index.html."""
    env = cached_environment(templates)
    return {"index.html": render_index(newest, topics, latest, config, env)}


def _link(digest: Digest) -> DigestLink:
    return (digest.period, digest.url)


def render_upcoming_calendar(events: Sequence[Item], config: Config) -> Files:
    """Render upcoming.ics: the calendar of *events* (those not over when the latest
    complete period ends), as events.ics holds them, for the email's "Add all upcoming
    events"; events.ics keeps every event, for subscribing."""
    return {UPCOMING_FILE: render_calendar(events, config)[CALENDAR_FILE]}


def publish_icons(templates: Templates) -> Files:
    """Publish the logo and make the icons and the share image from the project's
    templates/logo.png and icon.png (their bytes are part of the templates' key)."""
    folder = templates.root
    return render_icons(project_picture(folder, LOGO_FILE), project_picture(folder, ICON_FILE))


def render_site_pages_job(
    topics: Sequence[tuple[str, str, int]], config: Config, templates: Templates
) -> Files:
    """Render tags/index.html, follow.html and 404.html."""
    return render_site_pages(list(topics), config, cached_environment(templates))


def render_digest_archive(digests: Sequence[Digest], config: Config, templates: Templates) -> Files:
    """Render digests/index.html and digests/digests.atom."""
    return render_archive(digests, config, cached_environment(templates))
