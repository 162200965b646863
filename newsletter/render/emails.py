"""The digest as an email: email.html (CSS inlined), email.txt, and the MIME email.eml."""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

from newsletter.domain.digests import Digest
from newsletter.render.dates import event_when, period_title
from newsletter.render.email_text import why_you_receive_it
from newsletter.render.inline import inline_css
from newsletter.render.message import Letter, letter_of, published_message
from newsletter.render.templates import render
from newsletter.sources.config import Config
from newsletter.sources.items import Event, Item
from newsletter.sources.markup import render_markdown
from newsletter.sources.pictures import EMAIL_COLUMN

COLUMN = EMAIL_COLUMN  # the 600 px column less its padding: the widest an image is shown
THUMB = 160  # a compact story's picture, beside its text
PREHEADER_LIMIT = 140


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
    context = email_context(digest, config)
    html = inline_css(render(env, "email.html", **context))
    text = render(env, "email.txt", **context)
    return letter_of(digest, config, context["subject"], text, html)


def email_context(digest: Digest, config: Config) -> dict[str, Any]:
    """The variables email.html is rendered with."""
    lead = digest.lead
    return {
        "digest": digest,
        "config": config,
        "lead": lead,
        "others": list(digest.others),
        "stories": [item for item in (lead, *digest.others) if item],
        "note": Markup(render_markdown(digest.note, config.base_url)) if digest.note else "",
        "subject": subject(digest, config),
        "preheader": preheader(digest),
        "why": why_you_receive_it(digest, config),
        "unsubscribe_url": config.unsubscribe_url,
        "image_sizes": {
            i.id: image_size(i, COLUMN if i is lead else THUMB) for i in digest.items if i.image
        },
        "event_times": {
            i.id: _when(i.event, config) for i in (*digest.items, *digest.events) if i.event
        },
    }


def subject(digest: Digest, config: Config) -> str:
    """The email's subject, from email.subject: by default the lead story's title."""
    period = period_title(digest.period, config.language)
    lead = digest.lead.title if digest.lead else period
    return config.email.subject.format(lead=lead, period=period, site=config.title)


def preheader(digest: Digest) -> str:
    """The preview line mail clients show after the subject: the titles, lead first."""
    stories = [item for item in (digest.lead, *digest.others) if item]
    titles = [item.title for item in stories] or [item.title for item in digest.events]
    text = " · ".join(titles)
    return text if len(text) <= PREHEADER_LIMIT else text[: PREHEADER_LIMIT - 1].rstrip() + "…"


def image_size(item: Item, column: int = COLUMN) -> tuple[int, int]:
    """The width and height an item's image is shown at, at most *column* wide.

    A picture in the project is shown from its email copy, at most twice that wide.
    Without a known size the image is assumed to be 3:2; its height:auto style keeps
    the real proportions wherever CSS works.
    """
    image = item.image
    known, high = (image.width, image.height) if image else (None, None)
    if image is not None and image.picture is not None:
        known, high = image.picture.email_size
    width = min(known or column, column)
    if known and high:
        return width, round(high * width / known)
    return width, round(width * 2 / 3)


def _when(event: Event, config: Config) -> str:
    return event_when(event, config.tz, config.language)
