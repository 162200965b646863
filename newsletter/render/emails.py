"""The digest as an email: email.html (CSS inlined), email.txt, and the MIME email.eml."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import jinja2
from markupsafe import Markup

from newsletter.domain.digests import Digest
from newsletter.render.dates import event_when, period_name, period_span, period_title
from newsletter.render.email_text import why_you_receive_it
from newsletter.render.inline import inline_css
from newsletter.render.message import Letter, letter_of, published_message
from newsletter.render.templates import render
from newsletter.sources.config import Config
from newsletter.sources.items import Event, Item
from newsletter.sources.markup import render_markdown
from newsletter.sources.pictures import EMAIL_COLUMN, THUMB_COLUMN

COLUMN = EMAIL_COLUMN  # the 600 px column less its padding: the widest an image is shown
THUMB = THUMB_COLUMN  # a compact story's picture
PREHEADER_LIMIT = 140
SUBJECT_LIMIT = 78  # what RFC 5322 recommends a header line keep to; inboxes show less
SHORTEST_LEAD = 20  # a subject template long enough to leave less still gets this much
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


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
    title = subject(digest, config)
    return {
        "digest": digest,
        "config": config,
        "lead": lead,
        "others": list(digest.others),
        "stories": [item for item in (lead, *digest.others) if item],
        "anchors": {item.id: f"story-{item.id}" for item in digest.items},
        "note": Markup(render_markdown(digest.note, config.base_url)) if digest.note else "",
        "subject": title,
        "preheader": preheader(digest, config, title),
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
    """The email's subject, from email.subject: by default the period and the lead
    story's title, the title cut at a word where the subject would pass 78 characters."""
    period = period_title(digest.period, config.language)
    fields = {"issue": period_name(digest.period, config.language), "period": period}
    fields["site"] = config.title
    news = digest.lead or next(iter(digest.events), None)
    lead = news.title if news else period
    room = SUBJECT_LIMIT - len(config.email.subject.format(lead="", **fields))
    if len(lead) > room:
        lead = textwrap.shorten(lead, max(room, SHORTEST_LEAD), placeholder="…")
    return config.email.subject.format(lead=lead, **fields)


def preheader(digest: Digest, config: Config, title: str) -> str:
    """The preview line mail clients show after the subject, never the subject itself:
    the editor's note's first sentence, else the headlines after the lead's, else the
    lead's summary."""
    headlines = [item.title for item in (*digest.others, *digest.events)]
    lead = digest.lead
    for text in (
        _first_sentence(digest.note, config) if digest.note else "",
        " · ".join(headlines),
        lead.summary if lead else "",
        period_span(digest.period, config.language),
    ):
        text = " ".join(text.split())
        if text and text != title:
            break
    if len(text) <= PREHEADER_LIMIT:
        return text
    return textwrap.shorten(text, PREHEADER_LIMIT, placeholder="…")


def _first_sentence(note: str, config: Config) -> str:
    """The first sentence of the editor's note, as text."""
    text = " ".join(Markup(render_markdown(note, config.base_url)).striptags().split())
    return _SENTENCE_END.split(text, maxsplit=1)[0]


def image_size(item: Item, column: int = COLUMN) -> tuple[int, int]:
    """The width and height an item's image is shown at, at most *column* wide.

    A picture in the project is shown from its email copy (a thumbnail's from its
    thumbnail copy), at most twice that wide.
    Without a known size the image is assumed to be 3:2; its height:auto style keeps
    the real proportions wherever CSS works.
    """
    image = item.image
    known, high = (image.width, image.height) if image else (None, None)
    if image is not None and image.picture is not None:
        copy = image.picture.thumb_size if column <= THUMB else image.picture.email_size
        known, high = copy
    width = min(known or column, column)
    if known and high:
        return width, round(high * width / known)
    return width, round(width * 2 / 3)


def _when(event: Event, config: Config) -> str:
    return event_when(event, config.tz, config.language)
