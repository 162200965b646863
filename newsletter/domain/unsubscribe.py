"""Personal unsubscribe links: an HMAC-SHA256 of the mailbox, keyed by a secret."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from newsletter.core.addresses import Mailbox

SECRET_ENV = "NEWSLETTER_UNSUBSCRIBE_SECRET"
TOKEN = "{token}"
ADDRESS = "{address}"


def unsubscribe_token(secret: str, mailbox: Mailbox) -> str:
    """The hex HMAC-SHA256 of the mailbox's lower-case address, keyed by SECRET (UTF-8)."""
    key = secret.encode("utf-8", "surrogateescape")
    return hmac.new(key, mailbox.key.encode(), hashlib.sha256).hexdigest()


def token_matches(secret: str, mailbox: Mailbox, token: str) -> bool:
    """Whether TOKEN is MAILBOX's, compared in constant time."""
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
