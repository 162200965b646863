"""The site as render jobs: every output, what it depends on, and how to render it.

Items come first: each item's job renders its page and the HTML that feeds embed
(kept under a CONTENT path, never written). The other jobs (feeds and their
archives, the landing page, the calendar, the digests) run after them and read
that HTML from the plan's ``content``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jinja2

from newsletter.archive import render_archive
from newsletter.cache import fingerprint
from newsletter.config import Config
from newsletter.digests import Digest, group_into_digests, render_digest
from newsletter.feeds import FeedDocument, feed_documents, render_feed_document
from newsletter.ics import render_calendar
from newsletter.items import Item
from newsletter.jobs import Files, Job
from newsletter.pages import INDEX_ITEMS, render_entry_content, render_index, render_item_page
from newsletter.templates import make_environment

CONTENT = "#content/"


@dataclass(frozen=True)
class SitePlan:
    """The jobs of a build, in two rounds, and the item HTML the second round reads."""

    item_jobs: list[Job]
    jobs: list[Job]
    digests: int
    content: dict[str, str] = field(default_factory=dict)


def plan_site(
    root: Path, config: Config, published: Sequence[Item], as_of: datetime, context: str
) -> SitePlan:
    """Describe every output of the site; *context* is the key of config and templates."""
    env = make_environment(root)
    digests = group_into_digests(published, config, as_of)
    env.globals["latest_digest"] = digests[-1] if digests else None
    plan = SitePlan([_item_job(item, config, env, context) for item in published], [], len(digests))
    plan.jobs.extend(
        _feed_job(d, config, plan.content, context) for d in feed_documents(published, config)
    )
    plan.jobs.append(_index_job(published, digests, config, env, context))
    plan.jobs.append(_calendar_job(published, config, context))
    plan.jobs.extend(_digest_job(digest, config, env, context) for digest in digests)
    plan.jobs.append(_digest_archive_job(digests, config, env, context))
    return plan


def _item_job(item: Item, config: Config, env: jinja2.Environment, context: str) -> Job:
    def render() -> Files:
        content = render_entry_content(item, config, env)
        page = render_item_page(item, config, env, content)
        return {f"news/{item.id}.html": page, CONTENT + item.id: content.encode()}

    return Job(fingerprint(context, "item", item.fingerprint), render)


def _feed_job(document: FeedDocument, config: Config, content: dict[str, str], context: str) -> Job:
    channel = document.channel
    parts = [channel.path, channel.title, repr(document.links), repr(document.formats)]
    key = fingerprint(context, "feed", *parts, str(document.archived), *_prints(channel.items))
    return Job(key, lambda: render_feed_document(document, config, content))


def _index_job(
    items: Sequence[Item], digests: Sequence[Digest], config: Config, env: jinja2.Environment,
    context: str,
) -> Job:  # fmt: skip
    latest = _digest_print(digests[-1]) if digests else ""
    labels = sorted({label for item in items for label in (*item.tags, item.department or "")})
    key = fingerprint(context, "index", latest, *labels, *_prints(items[:INDEX_ITEMS]))
    return Job(key, lambda: {"index.html": render_index(items, config, env)})


def _calendar_job(items: Sequence[Item], config: Config, context: str) -> Job:
    events = [item for item in items if item.event]
    return Job(
        fingerprint(context, "calendar", *_prints(events)), lambda: render_calendar(items, config)
    )


def _digest_job(digest: Digest, config: Config, env: jinja2.Environment, context: str) -> Job:
    def render() -> Files:
        files = render_digest(digest, config, env)
        return {digest.folder + name: data for name, data in files.items()}

    return Job(fingerprint(context, "digest", _digest_print(digest)), render)


def _digest_archive_job(
    digests: Sequence[Digest], config: Config, env: jinja2.Environment, context: str
) -> Job:
    key = fingerprint(context, "digests", *(_digest_print(digest) for digest in digests))
    return Job(key, lambda: render_archive(digests, config, env))


def _digest_print(digest: Digest) -> str:
    items = ",".join(_prints(digest.items))
    events = ",".join(_prints(digest.events))
    return f"{digest.period.key}:{digest.complete}:{items}:{events}"


def _prints(items: Sequence[Item]) -> list[str]:
    return [item.fingerprint for item in items]
