"""What /_preview/ shows: the email that would go out next, and every digest so far."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from newsletter.domain.digests import digest_of, group_into_digests
from newsletter.domain.periods import Period, period_of
from newsletter.domain.publishing import resolve_as_of, select_published
from newsletter.engine.itemcache import load_catalog
from newsletter.render.emails import render_email
from newsletter.render.preview import Issue, NextEmail, preview_page
from newsletter.render.templates import make_environment
from newsletter.sources.config import Config

_UNITS = {"weekly": "week", "monthly": "month"}


def preview_of_next_email(
    root: Path, config: Config, as_of: datetime
) -> tuple[bytes, bytes | None]:
    """Return the /_preview/ page and the next email's HTML (None when there is no news).

    The next email is the digest of the period AS_OF falls in, as it stands: the
    one `send latest` mails once that period is over.
    """
    moment = resolve_as_of(as_of, config)
    published = select_published(load_catalog(root, config=config).items, moment)
    period = period_of(moment, config.digest.period, config.tz)
    digest = digest_of(period, published, config, moment)
    email = None
    if digest is not None:
        email = render_email(digest, config, make_environment(root))["email.html"]
    issues = [_issue(d.period) for d in reversed(group_into_digests(published, config, moment))]
    upcoming = NextEmail(_issue(period), _UNITS[config.digest.period], email)
    return preview_page(upcoming, issues), email


def _issue(period: Period) -> Issue:
    return Issue(period.key, period.title, period.span)
