"""The digest's plain-text email: the same issue as the HTML, wrapped at 78 columns.

Each story names the institute's page first and its outside link second; links
are never broken across lines.
"""

from __future__ import annotations

import re
import textwrap

from newsletter.domain.digests import Digest
from newsletter.render.dates import event_when, long_date, period_span, period_title
from newsletter.render.i18n import translations
from newsletter.sources.config import Config
from newsletter.sources.items import Event, Item

TEXT_WIDTH = 78
_ONE_LINE = re.compile(r"[^\t\n\x0b\x0c\r]*\Z")  # no whitespace textwrap would change


def email_text(digest: Digest, config: Config) -> str:
    """Write the plain-text email: contents, the editor's note, news, events, footer."""
    _ = translations(config.language).gettext
    period = f"{period_title(digest.period, config.language)}, "
    lines = [config.title, period + period_span(digest.period, config.language), ""]
    lines += [*_para(_("View it in your browser: %(url)s") % {"url": digest.url}), ""]
    stories = [item for item in (digest.lead, *digest.others) if item]
    if len(stories) + len(digest.events) > 1:
        lines += _heading(_("In this issue"))
        lines += [line for item in stories for line in _para(f"- {item.title}")] + [""]
    if digest.note:
        lines += _heading(_("From the editor"))
        for paragraph in digest.note.strip().split("\n\n"):
            lines += [*_para(" ".join(paragraph.split())), ""]
    if stories:
        lines += _heading(_("News"))
    for item in stories:
        lines += _item_text(item, config)
    lines += _events_text(digest, config)
    lines += ["-- ", *_footer_text(digest, config)]
    return "\n".join(lines) + "\n"


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


def _item_text(item: Item, config: Config) -> list[str]:
    _ = translations(config.language).gettext
    lines = _para(item.kicker.upper()) if item.kicker else []
    lines += _para(item.title)
    where = f" · {item.department}" if item.department else ""
    lines += [*_para(long_date(item.published.astimezone(config.tz), config.language) + where), ""]
    lines += [*_para(item.summary), ""]
    if item.event:
        lines += _para(event_when(item.event, config.tz, config.language))
        lines += _calendar_text(item, item.event, config)
    lines += _para(_("Read more: %(url)s") % {"url": item.url})
    if item.link:
        lines += _para(_("Source: %(url)s") % {"url": item.link})
    return [*lines, "", ""]


def _calendar_text(item: Item, event: Event, config: Config) -> list[str]:
    """An event's own calendar file, and where to register."""
    _ = translations(config.language).gettext
    lines = _para(_("Add to calendar: %(url)s") % {"url": item.calendar_url})
    if event.registration:
        lines += _para(_("Register: %(url)s") % {"url": event.registration})
    return lines


def _events_text(digest: Digest, config: Config) -> list[str]:
    _ = translations(config.language).gettext
    lines = _heading(_("Upcoming events")) if digest.events else []
    for item in digest.events:
        event = item.event
        assert event is not None  # digest.events holds only items with an event
        lines += _para(event_when(event, config.tz, config.language)) + _para(item.title)
        lines += _para(_("Where: %(place)s") % {"place": event.location}) if event.location else []
        lines += _para(_("Host: %(name)s") % {"name": event.host}) if event.host else []
        lines += [*_para(item.url), *_calendar_text(item, event, config), ""]
    if digest.events:
        ics = f"{config.base_url}events.ics"
        lines += [*_para(_("Add all events to your calendar: %(url)s") % {"url": ics}), ""]
    return lines


def _footer_text(digest: Digest, config: Config) -> list[str]:
    _ = translations(config.language).gettext
    lines = _para(why_you_receive_it(digest, config))
    if config.unsubscribe_url:
        lines += _para(_("Unsubscribe: %(url)s") % {"url": config.unsubscribe_url})
    archive = f"{config.base_url}digests/index.html"
    lines += _para(_("Past digests: %(url)s") % {"url": archive})
    if config.footer.privacy_url:
        lines += _para(_("Privacy: %(url)s") % {"url": config.footer.privacy_url})
    address = config.email.postal_address or config.footer.address
    return lines + (_para(address) if address else [])


def _heading(text: str) -> list[str]:
    return [text.upper(), "=" * len(text), ""]


def _para(text: str) -> list[str]:
    """Wrap *text* at 78 columns without breaking a word or a link."""
    if 0 < len(text) <= TEXT_WIDTH and text == text.strip() and _ONE_LINE.match(text):
        return [text]  # what textwrap makes of it, without its cost: most lines are short
    return textwrap.wrap(text, TEXT_WIDTH, break_long_words=False, break_on_hyphens=False) or [""]
