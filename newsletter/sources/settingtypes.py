"""The kinds of value a setting can be: one line of text, an email address, a web URL."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

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
        port = parts.port
    except ValueError:  # an unclosed [ of an IPv6 address, a port past 65535
        parts, port = urlsplit(""), None
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", value):
        raise ValueError(f"expected an absolute http(s) URL, got {shown(value)}")
    if parts.username is not None:
        raise ValueError(f"must not hold a user name or password, got {shown(value)}")
    try:  # an international domain name, in the ASCII form every program reads
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"the host name in {shown(value)} is not a valid one") from None
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit(parts._replace(netloc=netloc)) if netloc != parts.netloc else value


OneLine = Annotated[str, AfterValidator(_one_line)]
Address = Annotated[str, AfterValidator(_one_line), AfterValidator(_address)]
WebUrl = Annotated[str, AfterValidator(_one_line), AfterValidator(_web_url)]
