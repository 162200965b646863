"""The send command: a period's digest, sent to its recipients one copy each.

The digest is rendered in memory: sending writes nothing into out/, and a dry run
writes nothing anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from newsletter.commands.digest import QuietPeriod, chosen_digest
from newsletter.core.addresses import Mailbox, unique_mailboxes
from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.layout import CONFIG_FILE
from newsletter.domain.digests import Digest
from newsletter.domain.unsubscribe import SECRET_ENV
from newsletter.engine.sending import (
    DEFAULT_OPTIONS,
    Confirm,
    Options,
    Outgoing,
    SendReport,
    refuse_unfinished_sends,
    send_outgoing,
)
from newsletter.engine.sendlog import LOG_FILE
from newsletter.engine.smtp import PASSWORD_ENV, check_login
from newsletter.engine.statefolder import claim_state_folder
from newsletter.render.emails import email_letter
from newsletter.render.message import Letter
from newsletter.render.templates import make_environment
from newsletter.sources.config import Config, SmtpSettings, load_config

__all__ = ["QuietPeriod", "Secrets", "send_digest"]


@dataclass(frozen=True)
class Secrets:
    """What only the environment holds: the SMTP password, the unsubscribe secret."""

    password: str | None = None
    unsubscribe: str | None = None

    @classmethod
    def of(cls, env: Mapping[str, str]) -> Secrets:
        """Read them from ENV: NEWSLETTER_SMTP_PASSWORD, NEWSLETTER_UNSUBSCRIBE_SECRET."""
        return cls(env.get(PASSWORD_ENV), env.get(SECRET_ENV))


def send_digest(
    root: Path,
    period: str,
    now: datetime,
    as_of: date | datetime,
    recipients: Sequence[str],
    secrets: Secrets,
    confirm: Confirm,
    options: Options = DEFAULT_OPTIONS,
) -> SendReport:
    """Send PERIOD's digest as of AS_OF: to RECIPIENTS as a test, else to email.to.

    NOW is the moment of sending, the Date of every copy. Raise QuietPeriod when the
    period has no news.
    """
    config = load_config(root)
    smtp = _with_ca_file(config.smtp, root)
    password = b"" if options.dry_run else check_login(smtp, secrets.password)
    log_path = claim_state_folder(root, config, write=not options.dry_run) / LOG_FILE
    try:
        digest = chosen_digest(root, config, period, as_of, writes=False)
    except QuietPeriod as quiet:
        refuse_unfinished_sends(log_path, quiet.title)
        raise
    letter = email_letter(digest, config, make_environment(root, config.language))
    if not options.dry_run:
        _refuse_what_cannot_go(digest, letter, bool(recipients), secrets)
    outgoing = Outgoing(
        letter,
        tuple(_mailboxes(recipients, config)),
        "test" if recipients else "real",
        now.astimezone(config.tz),
        secrets.unsubscribe,
    )
    return send_outgoing(outgoing, smtp, password, log_path, confirm, options)


def _refuse_what_cannot_go(digest: Digest, letter: Letter, test: bool, secrets: Secrets) -> None:
    """Refuse a real send of a period not over (a test may go now, as it stands), and
    personal unsubscribe links without their secret."""
    if not digest.complete and not test:
        reason = (
            f"{digest.period.key} is not over yet; send it once it has ended, send yourself"
            " a test with --to ADDR, or preview it with --dry-run"
        )
        raise NewsletterError(reason)
    if letter.personal and not secrets.unsubscribe:
        reason = f"set {SECRET_ENV}: email.unsubscribe.url gives each recipient a link of their own"
        raise NewsletterError([Problem(CONFIG_FILE, 0, "email.unsubscribe.url", reason)])


def _mailboxes(recipients: Sequence[str], config: Config) -> list[Mailbox]:
    """The test recipients, else email.to; each mailbox once, however it is spelled."""
    return unique_mailboxes(recipients or config.email.to)


def _with_ca_file(smtp: SmtpSettings, root: Path) -> SmtpSettings:
    """Resolve smtp.ca_file against the project, and make sure it is there."""
    if smtp.ca_file is None:
        return smtp
    path = root / smtp.ca_file
    if not path.is_file():
        raise NewsletterError([Problem(CONFIG_FILE, 0, "smtp.ca_file", f"no file {path}")])
    return smtp.model_copy(update={"ca_file": str(path)})
