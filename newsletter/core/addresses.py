"""Email addresses as mailboxes: one person, however their address is spelled."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses

from email_validator import EmailNotValidError, validate_email

_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+")


class Unsendable(ValueError):
    """An address in the form of one that a mail server would refuse."""


@dataclass(frozen=True)
class Mailbox:
    """An address to deliver to, and the key that identifies its mailbox.

    The local part keeps its case for delivery (a few servers care); the domain is
    lower-cased, and the key, lower-case throughout, is what deduplication, the send
    log and unsubscribe tokens use.
    """

    address: str
    key: str


def parse_mailbox(text: str) -> Mailbox:
    """Read "Alice <Alice@Example.org>", "alice@example.org (Alice)" or a bare address.

    Raise ValueError, saying what is wrong, for anything that is not one address.
    """
    found = getaddresses([text])
    if len(found) != 1 or not _ADDRESS.fullmatch(found[0][1]):
        raise ValueError(f"expected one email address such as alice@example.org, got {text!r}")
    if not found[0][1].isascii():  # SMTP without SMTPUTF8; a domain in punycode is fine
        raise ValueError(f"expected an address in ASCII (xn-- for a domain), got {text!r}")
    try:  # what an SMTP server refuses: a trailing dot, two dots, a bad domain label
        validate_email(found[0][1], check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        reason = f"{reason[:1].lower()}{reason[1:]}"
        raise Unsendable(f"{text!r} is not an address a mail server accepts: {reason}") from None
    local, _, domain = found[0][1].rpartition("@")
    address = f"{local}@{domain.lower()}"
    return Mailbox(address, address.lower())


def unique_mailboxes(texts: Iterable[str]) -> list[Mailbox]:
    """Parse each address and keep the first spelling of each mailbox, in order."""
    seen: dict[str, Mailbox] = {}
    for text in texts:
        mailbox = parse_mailbox(text)
        seen.setdefault(mailbox.key, mailbox)
    return list(seen.values())
