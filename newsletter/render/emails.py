"""The digest as an email: email.html (CSS inlined), email.txt, and the MIME email.eml."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import jinja2

from newsletter.domain.digests import Digest
from newsletter.render.dates import event_when, long_date, period_span, period_title
from newsletter.render.i18n import translations
from newsletter.render.inline import inline_css
from newsletter.render.message import Letter, letter_of, published_message
from newsletter.render.templates import render
from newsletter.sources.config import Config
from newsletter.sources.items import Event, Item

COLUMN = 560  # the 600 px column less its padding: the widest an image is shown
TEXT_WIDTH = 78
PREHEADER_LIMIT = 140
_ONE_LINE = re.compile(r"[^\t\n\x0b\x0c\r]*\Z")  # no whitespace textwrap would change


def render_email(digest: Digest, config: Config, env: jinja2.Environment) -> dict[str, bytes]:
    """Return {email.html, email.txt, email.eml} of *digest*."""
    letter = email_letter(digest, config, env)
    return {
        "email.html": letter.html.encode(),
        "email.txt": letter.text.encode(),
        "email.eml": published_message(letter),
    }


def email_letter(digest: Digest, config: Config, env: jinja2.Environment) -> Letter:
    """Render the email's HTML (CSS inlined) and text: what every copy of it shares."""
    html = inline_css(render(env, "email.html", **email_context(digest, config)))
    return letter_of(digest, config, subject(digest, config), email_text(digest, config), html)


def email_context(digest: Digest, config: Config) -> dict[str, Any]:
    """The variables email.html is rendered with."""
    return {
        "digest": digest,
        "config": config,
        "subject": subject(digest, config),
        "preheader": preheader(digest),
        "why": why_you_receive_it(digest, config),
        "unsubscribe_url": config.unsubscribe_url,
        "image_sizes": {i.id: image_size(i) for i in digest.items if i.image},
        "event_times": {i.id: _when(i.event, config) for i in digest.events if i.event},
    }


def subject(digest: Digest, config: Config) -> str:
    """The email's subject: the site's title and the period."""
    return f"{config.title}: {period_title(digest.period, config.language)}"


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


def preheader(digest: Digest) -> str:
    """The preview line mail clients show after the subject: the titles, shortened."""
    titles = [item.title for item in digest.items] or [item.title for item in digest.events]
    text = " · ".join(titles)
    return text if len(text) <= PREHEADER_LIMIT else text[: PREHEADER_LIMIT - 1].rstrip() + "…"


def image_size(item: Item) -> tuple[int, int]:
    """The width and height an item's image is shown at in the 600 px column.

    Without a known size the image is assumed to be 3:2; its height:auto style keeps
    the real proportions wherever CSS works.
    """
    image = item.image
    width = min(image.width or COLUMN, COLUMN) if image else COLUMN
    if image and image.width and image.height:
        return width, round(image.height * width / image.width)
    return width, round(width * 2 / 3)


def _when(event: Event, config: Config) -> str:
    return event_when(event, config.tz, config.language)


def email_text(digest: Digest, config: Config) -> str:
    """Write the plain-text email from the items: wrapped at 78 columns, links whole."""
    _ = translations(config.language).gettext
    period = f"{period_title(digest.period, config.language)}, "
    lines = [config.title, period + period_span(digest.period, config.language), ""]
    lines += [*_para(_("View it in your browser: %(url)s") % {"url": digest.url}), ""]
    if digest.items:
        lines += _heading(_("News"))
    for item in digest.items:
        lines += _item_text(item, config)
    if digest.events:
        lines += _heading(_("Upcoming events"))
    for item in digest.events:
        event = item.event
        assert event is not None  # digest.events holds only items with an event
        lines += _para(_when(event, config)) + _para(item.title)
        lines += _para(_("Where: %(place)s") % {"place": event.location}) if event.location else []
        lines += _para(_("Host: %(name)s") % {"name": event.host}) if event.host else []
        lines += [*_para(item.url), ""]
    if digest.events:
        ics = f"{config.base_url}events.ics"
        lines += [*_para(_("Add all events to your calendar: %(url)s") % {"url": ics}), ""]
    lines += ["-- ", *_footer_text(digest, config)]
    return "\n".join(lines) + "\n"


def _item_text(item: Item, config: Config) -> list[str]:
    _ = translations(config.language).gettext
    lines = _para(item.kicker.upper()) if item.kicker else []
    lines += _para(item.title)
    where = f" · {item.department}" if item.department else ""
    lines += [*_para(long_date(item.published.astimezone(config.tz), config.language) + where), ""]
    lines += [*_para(item.summary), ""]
    return [*lines, *_para(_("Read more: %(url)s") % {"url": item.link or item.url}), "", ""]


def _footer_text(digest: Digest, config: Config) -> list[str]:
    _ = translations(config.language).gettext
    lines = _para(why_you_receive_it(digest, config))
    if config.unsubscribe_url:
        lines += _para(_("Unsubscribe: %(url)s") % {"url": config.unsubscribe_url})
    archive = f"{config.base_url}digests/index.html"
    lines += _para(_("Past digests: %(url)s") % {"url": archive})
    return lines + (_para(config.email.postal_address) if config.email.postal_address else [])


def _heading(text: str) -> list[str]:
    return [text.upper(), "=" * len(text), ""]


def _para(text: str) -> list[str]:
    """Wrap *text* at 78 columns without breaking a word or a link."""
    if 0 < len(text) <= TEXT_WIDTH and text == text.strip() and _ONE_LINE.match(text):
        return [text]  # what textwrap makes of it, without its cost: most lines are short
    return textwrap.wrap(text, TEXT_WIDTH, break_long_words=False, break_on_hyphens=False) or [""]
