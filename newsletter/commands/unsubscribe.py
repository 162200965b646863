"""The unsubscribe-token command: a personal unsubscribe link's token, made or checked."""

from __future__ import annotations

from collections.abc import Mapping

from newsletter.core.addresses import Mailbox
from newsletter.core.errors import NewsletterError, shown
from newsletter.domain.unsubscribe import SECRET_ENV, is_token, token_matches, unsubscribe_token


def token_answer(mailbox: Mailbox, env: Mapping[str, str], verify: str | None) -> tuple[bool, str]:
    """The token of MAILBOX, or whether VERIFY is it: (whether all is well, what to say)."""
    secret = env.get(SECRET_ENV)
    if not secret:
        raise NewsletterError(f"set {SECRET_ENV} to the secret the tokens are made with")
    if verify is None:
        return True, unsubscribe_token(secret, mailbox)
    if not is_token(verify):
        return False, f"invalid: {shown(verify)} is not a valid token (64 hexadecimal digits)"
    if token_matches(secret, mailbox, verify):
        return True, f"valid: the token of {mailbox.key}"
    return False, f"invalid: not the token of {mailbox.key}"
