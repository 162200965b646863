"""The site as render jobs: every output, what it depends on, and how to render it.

Items come first: each item's job renders its page and the HTML that feeds embed
(kept under a CONTENT path, never written). The other jobs (feeds and their
archives, the landing page, the calendar, the digests) run after them and read
that HTML from the plan's ``content``. Every task is a module-level function of
picklable arguments, so that it can run in a worker process; its arguments are
made in the build's own thread, before it is handed to one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import CONFIG_FILE
from newsletter.domain.channels import FeedDocument, Topics, feed_documents, topics_of
from newsletter.domain.digests import Digest, group_into_digests
from newsletter.engine.cache import Cache
from newsletter.engine.entries import encode, squeeze, unsqueeze
from newsletter.engine.itemcache import Bodies
from newsletter.engine.jobs import HANDED_BACK, Files, Job
from newsletter.engine.listings import listing_jobs
from newsletter.engine.pictures import picture_jobs
from newsletter.engine.versions import code_fingerprint
from newsletter.render.calendar import CALENDAR_FILE, render_calendar, render_event_calendar
from newsletter.render.digest_pages import Around, DigestLink, render_archive, render_digest
from newsletter.render.feeds import render_feed_document
from newsletter.render.icons import ICON_FILE, LOGO_FILE, render_icons
from newsletter.render.inline import load_inliner
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
    templates_fingerprint,
)
from newsletter.sources.config import Config
from newsletter.sources.items import Event, Item
from newsletter.sources.markup import render_markdown
from newsletter.sources.notes import notes_fingerprint, read_notes

CONTENT = HANDED_BACK + "content/"
UPCOMING_FILE = "upcoming.ics"


class Content:
    """The HTML of each item's content, compressed (see squeeze), by item id, as the
    items' round hands it over; html_of() finds what it did not (an item whose page was
    kept from the last build) in the cache, or renders it.

    Compressed bytes, not text: a build holds the content of every item until the feeds
    are rendered, and sends a worker only what it decompresses itself."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.html: dict[str, bytes] = {}
        self.jobs: dict[str, Job] = {}

    def html_of(self, items: Sequence[Item]) -> dict[str, bytes]:
        """The HTML of each of *items*, by id; what is missing is read or rendered now."""
        for item in items:
            if item.id not in self.html:
                job = self.jobs[item.id]
                files = self.cache.get(job.key) or job.run()
                self.html[item.id] = files[CONTENT + item.id]
        return {item.id: self.html[item.id] for item in items}


@dataclass(frozen=True)
class SitePlan:
    """The jobs of a build, in two rounds, and the item HTML the second round reads."""

    item_jobs: list[Job]
    jobs: list[Job]
    digests: int
    content: Content


def site_context(root: Path) -> str:
    """The key of everything every output depends on: the code, config, templates, and
    the editor's notes (rarely changed: simpler to count them here than in each digest)."""
    config = (root / CONFIG_FILE).read_bytes()
    return fingerprint(
        code_fingerprint(), config, templates_fingerprint(root), notes_fingerprint(root)
    )


def plan_site(
    root: Path,
    config: Config,
    published: Sequence[Item],
    as_of: datetime,
    context: str,
    cache: Cache,
    bodies: Bodies,
) -> SitePlan:
    """Describe every output of the site; *context* is the key of config and templates,
    *bodies* where the items' jobs find the items' bodies."""
    digests = group_into_digests(published, config, as_of, read_notes(root))
    templates = Templates(root, context, config.language)
    plan = SitePlan([], [], len(digests), Content(cache))
    for item in published:
        plan.content.jobs[item.id] = job = _item_job(item, bodies, config, templates, context)
        plan.item_jobs.append(job)
    plan.jobs.extend(picture_jobs(published))
    topics = topics_of(published)
    for document in feed_documents(published, config, topics):
        plan.jobs.append(_feed_job(document, config, plan.content, context))
    plan.jobs.append(_index_job(published, topics, digests, config, templates, context))
    plan.jobs.append(_calendar_job(published, config, context))
    plan.jobs.append(_upcoming_job(published, as_of, config, context))
    plan.jobs.append(Job(fingerprint(context, "icons"), lambda: (publish_icons, (str(root),))))
    plan.jobs.extend(listing_jobs(published, topics, config, templates, context))
    for index, digest in enumerate(digests):
        before = _link(digests[index - 1]) if index else None
        after = _link(digests[index + 1]) if index + 1 < len(digests) else None
        around: Around = (before, after)
        plan.jobs.append(_digest_job(digest, config, templates, context, around))
    plan.jobs.append(_site_pages_job(topics, config, templates, context))
    plan.jobs.append(_digest_archive_job(digests, config, templates, context))
    return plan


# The templates the jobs render (with those they extend and include).
_PAGES = (
    "item.html",
    "topics.html",
    "follow.html",
    "404.html",
    "entry_content.html",
    "index.html",
    "digest.html",
    "digests.html",
    "listing.html",
)


def warm_up(templates: Templates, *, emails: bool) -> None:
    """Ready a worker process while the build reads the items: compile the templates
    and, with *emails*, import the CSS inliner. A build after an edit has only a few
    jobs, and would wait for this; a first build's workers have items to read first,
    and hold less memory without the inliner until the emails come. Any error is left
    for the job that meets it to report."""
    with contextlib.suppress(Exception):
        env = cached_environment(templates)
        for name in (*_PAGES, "email.html", "email.txt"):
            env.get_template(name)
        if emails:
            load_inliner()


def _item_job(
    item: Item, bodies: Bodies, config: Config, templates: Templates, context: str
) -> Job:
    return Job(
        fingerprint(context, "item", item.version),
        lambda: (render_item, (item, bodies.of(item), config, templates)),
    )


def render_item(item: Item, body: str, config: Config, templates: Templates) -> Files:
    """Render an item's page, its event's calendar, and the HTML of its content for the
    feeds, from the item and its Markdown *body*."""
    env = cached_environment(templates)
    content = render_entry_content(item, render_markdown(body, item.base_url), config, env)
    page = render_item_page(item, config, env, content)
    files = {f"news/{item.id}.html": page, CONTENT + item.id: squeeze(content.encode())}
    return files | render_event_calendar(item, config)


def _feed_job(document: FeedDocument, config: Config, content: Content, context: str) -> Job:
    channel = document.channel
    parts = [channel.path, channel.title, repr(document.links), repr(document.formats)]
    key = fingerprint(context, "feed", *parts, str(document.archived), _prints(channel.items))
    # The HTML of the document's own items only: a worker needs nothing more.
    return Job(key, lambda: (render_feed, (document, config, content.html_of(channel.items))))


def render_feed(document: FeedDocument, config: Config, html: dict[str, bytes]) -> Files:
    """Render a feed document from the HTML of its items, as Content holds it."""
    return render_feed_document(
        document, config, {k: unsqueeze(v).decode() for k, v in html.items()}
    )


def _index_job(
    items: Sequence[Item],
    topics_of_items: Topics,
    digests: Sequence[Digest],
    config: Config,
    templates: Templates,
    context: str,
) -> Job:
    latest = digests[-1] if digests else None
    topics = [(slug, label) for slug, (label, _) in sorted(topics_of_items.items())]
    newest = list(items[: INDEX_ITEMS + 1])  # one more: is there an older page?
    key = fingerprint(
        context, "index", _digest_print(latest) if latest else "", repr(topics), _cards(newest)
    )
    return Job(
        key, lambda: (render_index_page, (newest, topics, latest, config, templates)), local=True
    )


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


def _calendar_job(items: Sequence[Item], config: Config, context: str) -> Job:
    events = [item for item in items if item.event]
    key = fingerprint(context, "calendar", _cards(events))
    return Job(key, lambda: (render_calendar, (events, config)))


def _upcoming_job(items: Sequence[Item], as_of: datetime, config: Config, context: str) -> Job:
    """upcoming.ics: the events not over at *as_of*, for the email's "Add all upcoming
    events" link; events.ics keeps every event, for subscribing."""
    events = [item for item in items if item.event and _not_over(item.event, as_of)]
    key = fingerprint(context, "upcoming", _cards(events))
    return Job(key, lambda: (render_upcoming_calendar, (events, config)))


def _not_over(event: Event, as_of: datetime) -> bool:
    last = event.end or event.start
    return (last + timedelta(days=1) if event.all_day else last) > as_of


def render_upcoming_calendar(events: Sequence[Item], config: Config) -> Files:
    """Render upcoming.ics: the calendar of *events*, as events.ics holds them."""
    return {UPCOMING_FILE: render_calendar(events, config)[CALENDAR_FILE]}


def publish_icons(root: str) -> Files:
    """Publish the logo and make the icons and the share image from the project's
    templates/logo.png and icon.png."""
    folder = Path(root)
    return render_icons(project_picture(folder, LOGO_FILE), project_picture(folder, ICON_FILE))


def _link(digest: Digest) -> DigestLink:
    return (digest.period, digest.url)


def _digest_job(
    digest: Digest,
    config: Config,
    templates: Templates,
    context: str,
    around: Around = (None, None),
) -> Job:
    """The job of *digest*'s folder; *around* are the digests before and after it, which
    its web page links to (a digest written on its own links to none)."""
    return Job(
        fingerprint(context, "digest", _digest_print(digest), repr(around)),
        lambda: (render_digest_folder, (digest, config, templates, around)),
    )


def _site_pages_job(topics: Topics, config: Config, templates: Templates, context: str) -> Job:
    listed = [(slug, label, len(items)) for slug, (label, items) in sorted(topics.items())]
    key = fingerprint(context, "site pages", repr(listed))
    return Job(key, lambda: (render_site_pages_job, (listed, config, templates)), local=True)


def render_site_pages_job(
    topics: list[tuple[str, str, int]], config: Config, templates: Templates
) -> Files:
    """Render tags/index.html, follow.html and 404.html."""
    return render_site_pages(topics, config, cached_environment(templates))


def rendered_digest(digest: Digest, config: Config, templates: Templates, cache: Cache) -> Files:
    """The files of *digest*'s folder, named within it, as a build renders them: from the
    cache where a build (or this, before) left them, else rendered now and stored there.
    *templates* carry the site's context (see site_context) as their key."""
    job = _digest_job(digest, config, templates, templates.key)
    files = cache.get(job.key)
    if files is None:
        files = job.run()
        cache.put_blob(job.key, encode(job.key, files))
    return {path.removeprefix(digest.folder): data for path, data in files.items()}


def render_digest_folder(
    digest: Digest, config: Config, templates: Templates, around: Around = (None, None)
) -> Files:
    """Render one digest's folder, its paths relative to out/."""
    files = render_digest(digest, config, cached_environment(templates), around)
    return {digest.folder + name: data for name, data in files.items()}


def _digest_archive_job(
    digests: Sequence[Digest], config: Config, templates: Templates, context: str
) -> Job:
    key = fingerprint(context, "digests", "\n".join(map(_digest_print, digests)))
    return Job(key, lambda: (render_digest_archive, (digests, config, templates)), local=True)


def render_digest_archive(digests: Sequence[Digest], config: Config, templates: Templates) -> Files:
    """Render digests/index.html and digests/digests.atom."""
    return render_archive(digests, config, cached_environment(templates))


def _digest_print(digest: Digest) -> str:
    items, events = _cards(digest.items), _cards(digest.events)
    return f"{digest.period.key}:{digest.complete}:{items}:{events}"


def _prints(items: Sequence[Item]) -> str:
    """The versions of *items*, in order, as one part of a key (each is fixed-length
    hex, with its picture's or not, so joined they stay unambiguous): for an output
    that shows their bodies."""
    return ",".join([item.version for item in items])


def _cards(items: Sequence[Item]) -> str:
    """As _prints(), for an output made from the Items alone, which never see a body:
    a list, the calendar, a digest (see Item.card_version)."""
    return ",".join([item.card_version for item in items])
