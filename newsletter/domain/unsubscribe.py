"""Personal unsubscribe links: an HMAC-SHA256 of the mailbox, keyed by a secret."""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote

from newsletter.core.addresses import Mailbox

SECRET_ENV = "NEWSLETTER_UNSUBSCRIBE_SECRET"
TOKEN = "{token}"
ADDRESS = "{address}"


def unsubscribe_token(secret: str, mailbox: Mailbox) -> str:
    """The hex HMAC-SHA256 of the mailbox's lower-case address, keyed by SECRET (UTF-8)."""
    key = secret.encode("utf-8", "surrogateescape")
    return hmac.new(key, mailbox.key.encode(), hashlib.sha256).hexdigest()


def is_token(text: str) -> bool:
    """Whether TEXT has the form of a token: 64 hexadecimal digits."""
    return re.fullmatch(r"[0-9a-f]{64}", text.strip().lower()) is not None


def token_matches(secret: str, mailbox: Mailbox, token: str) -> bool:
    """Whether TOKEN is MAILBOX's, compared in constant time."""
    if not is_token(token):
        return False
    return hmac.compare_digest(unsubscribe_token(secret, mailbox), token.strip().lower())


def personal_in(text: str) -> bool:
    """Whether TEXT has a placeholder that differs from one recipient to the next."""
    return TOKEN in text or ADDRESS in text


def personal(text: str, secret: str | None, mailbox: Mailbox | None) -> str:
    """Put the recipient's token and address into TEXT's placeholders.

    Without a recipient (the published copy) the placeholders stay as they are.
    """
    if mailbox is None or not personal_in(text):
        return text
    if TOKEN in text:
        assert secret is not None  # the send command checks it before building anything
        text = text.replace(TOKEN, unsubscribe_token(secret, mailbox))
    return text.replace(ADDRESS, quote(mailbox.key, safe="@"))
