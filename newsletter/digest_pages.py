"""The digests on the web: each digest's page, the list of them all, and their feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import jinja2

from newsletter.config import Config
from newsletter.emails import email_context
from newsletter.feeds import render_digest_feed
from newsletter.templates import render

if TYPE_CHECKING:
    from newsletter.digests import Digest


def render_web_version(digest: Digest, config: Config, env: jinja2.Environment) -> bytes:
    """Render digests/<period>/index.html, the page "view in your browser" opens."""
    return render(env, "digest.html", **email_context(digest, config)).encode()


def render_archive(
    digests: Sequence[Digest], config: Config, env: jinja2.Environment
) -> dict[str, bytes]:
    """Render digests/index.html and digests/digests.atom, newest digest first."""
    newest = list(reversed(digests))
    page = render(env, "digests.html", digests=newest, config=config)
    return {
        "digests/index.html": page.encode(),
        "digests/digests.atom": render_digest_feed(newest, config),
    }
