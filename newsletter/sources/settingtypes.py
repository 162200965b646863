"""The kinds of value a setting can be: one line of text, an email address, a web URL."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

from newsletter.core.addresses import parse_mailbox
from newsletter.core.errors import shown

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _one_line(value: str) -> str:
    """Refuse line breaks: these settings go into email headers, feeds and the calendar,
    where a line break ends the header or the line. Folded text (``title: >``) ends
    in one, which is dropped."""
    text = value.strip()
    found = _CONTROL.search(text)
    if found:
        what = "a line break" if found.group() in "\r\n" else f"U+{ord(found.group()):04X}"
        raise ValueError(f"must be one line of text; remove {what} from {shown(text)}")
    return text


def _address(value: str) -> str:
    try:
        parse_mailbox(value)
    except ValueError:
        raise ValueError(
            f"expected an email address such as news@example.org, got {shown(value)}"
        ) from None
    return value


def _web_url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:  # such as an unclosed [ of an IPv6 address
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise ValueError(f"expected an absolute http(s) URL, got {shown(value)}")
    return value


OneLine = Annotated[str, AfterValidator(_one_line)]
Address = Annotated[str, AfterValidator(_one_line), AfterValidator(_address)]
WebUrl = Annotated[str, AfterValidator(_one_line), AfterValidator(_web_url)]
