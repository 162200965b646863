"""The digest's plain-text email: what its template (email.txt) is given, and the wrap
filter that keeps its lines within 78 columns.

Each story names the institute's page first and its outside link second; links
are never broken across lines.
"""

from __future__ import annotations

import re
import textwrap

from newsletter.domain.digests import Digest
from newsletter.render.i18n import translations
from newsletter.sources.config import Config

TEXT_WIDTH = 78
_ONE_LINE = re.compile(r"[^\t\n\x0b\x0c\r]*\Z")  # no whitespace textwrap would change


def why_you_receive_it(digest: Digest, config: Config) -> str:
    """The footer's first sentence: why this email came."""
    _ = translations(config.language).gettext
    if digest.period.kind == "monthly":
        text = _(
            "You receive this monthly digest of %(title)s because you are subscribed"
            " to its mailing list."
        )
    else:
        text = _(
            "You receive this weekly digest of %(title)s because you are subscribed"
            " to its mailing list."
        )
    return text % {"title": config.title}


def wrap(text: str) -> str:
    """Wrap *text* at 78 columns without breaking a word or a link: its lines, joined."""
    return "\n".join(wrapped_lines(str(text)))


def wrapped_lines(text: str) -> list[str]:
    """The lines of *text* wrapped at 78 columns, as textwrap wraps them."""
    if 0 < len(text) <= TEXT_WIDTH and text == text.strip() and _ONE_LINE.match(text):
        return [text]  # what textwrap makes of it, without its cost: most lines are short
    return textwrap.wrap(text, TEXT_WIDTH, break_long_words=False, break_on_hyphens=False) or [""]
