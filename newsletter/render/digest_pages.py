"""The digests on the web: each digest's page, the list of them all, and their feed."""

from __future__ import annotations

from collections.abc import Sequence

import jinja2

from newsletter.domain.digests import Digest
from newsletter.domain.periods import Period
from newsletter.render.atom import render_digest_atom
from newsletter.render.emails import email_context
from newsletter.render.templates import render
from newsletter.sources.config import Config

DigestLink = tuple[Period, str]  # a digest's period, and its page's URL
Around = tuple[DigestLink | None, DigestLink | None]  # the digest before, the digest after


def render_web_version(
    digest: Digest, config: Config, env: jinja2.Environment, around: Around = (None, None)
) -> bytes:
    """Render digests/<period>/index.html, the page "view in your browser" opens, with
    links to the digests *around* it."""
    previous, following = around
    context = email_context(digest, config) | {"previous": previous, "following": following}
    return render(env, "digest.html", **context).encode()


def render_archive(
    digests: Sequence[Digest], config: Config, env: jinja2.Environment
) -> dict[str, bytes]:
    """Render digests/index.html and digests/digests.atom, newest digest first."""
    newest = list(reversed(digests))
    page = render(env, "digests.html", digests=newest, config=config)
    return {
        "digests/index.html": page.encode(),
        "digests/digests.atom": render_digest_atom(newest, config),
    }
