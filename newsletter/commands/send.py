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
from newsletter.engine.smtp import PASSWORD_ENV, check_login, rehearsal
from newsletter.engine.statefolder import claim_state_folder
from newsletter.render.emails import email_letter
from newsletter.render.message import Letter
from newsletter.render.templates import make_environment
from newsletter.sources.config import Config, SmtpSettings, load_config

__all__ = ["Environment", "Options", "QuietPeriod", "send_digest"]


@dataclass(frozen=True)
class Environment:
    """What only the environment tells: the SMTP password, the unsubscribe secret, and
    whether this is CI."""

    password: str | None = None
    unsubscribe: str | None = None
    ci: bool = False

    @classmethod
    def of(cls, env: Mapping[str, str]) -> Environment:
        """Read it from ENV: NEWSLETTER_SMTP_PASSWORD, NEWSLETTER_UNSUBSCRIBE_SECRET, CI."""
        ci = env.get("CI", "").lower() == "true"
        return cls(env.get(PASSWORD_ENV), env.get(SECRET_ENV), ci)


def send_digest(
    root: Path,
    period: str,
    now: datetime,
    as_of: date | datetime,
    recipients: Sequence[str],
    env: Environment,
    confirm: Confirm,
    options: Options = DEFAULT_OPTIONS,
) -> SendReport:
    """Send PERIOD's digest as of AS_OF: to RECIPIENTS as a test, else to email.to.

    NOW is the moment of sending, the Date of every copy. A dry run rehearses: it finds
    every problem the real send would meet, and sends nothing. Raise QuietPeriod when
    the period has no news.
    """
    config = load_config(root)
    smtp = _with_ca_file(config.smtp, root)
    log_path = claim_state_folder(root, config, write=not options.dry_run) / LOG_FILE
    test = bool(recipients)
    problems = _wrong_place(config, env) if not test else []
    password = _password(smtp, env, problems)
    try:
        digest = chosen_digest(root, config, period, as_of, writes=False)
    except QuietPeriod as quiet:
        refuse_unfinished_sends(log_path, quiet.title)
        raise
    letter = email_letter(digest, config, make_environment(root, config.language))
    problems += _unsendable(digest, letter, test, env, options.dry_run)
    if options.dry_run:
        problems += rehearsal(smtp, password, options.retry)
    if problems:
        raise NewsletterError(problems)
    outgoing = Outgoing(
        letter,
        tuple(_mailboxes(recipients, config)),
        "test" if test else "real",
        now.astimezone(config.tz),
        env.unsubscribe,
    )
    return send_outgoing(outgoing, smtp, password or b"", log_path, confirm, options)


def _wrong_place(config: Config, env: Environment) -> list[Problem]:
    """Refuse a real send where email.send_from says the list is not sent from."""
    if config.email.send_from == "ci" and not env.ci:
        reason = (
            "is ci: the list is sent by CI only, and this is not CI (CI is not true); "
            "send yourself a test with --to ADDR, or let the CI job send it"
        )
    elif config.email.send_from == "anywhere" and env.ci:
        reason = (
            "is anywhere: the list is sent by hand, not by CI (CI=true here); set "
            "email.send_from: ci in newsletter.yaml to send it from CI, and only there"
        )
    else:
        return []
    return [Problem(CONFIG_FILE, 0, "email.send_from", f"{reason}; nothing was sent")]


def _password(smtp: SmtpSettings, env: Environment, problems: list[Problem]) -> bytes | None:
    """The SMTP password as UTF-8 (empty without a login), or None, with PROBLEMS told why."""
    try:
        return check_login(smtp, env.password)
    except NewsletterError as exc:
        problems += exc.problems
        return None


def _unsendable(
    digest: Digest, letter: Letter, test: bool, env: Environment, dry_run: bool
) -> list[Problem]:
    """A real send of a period not over (a test may go now, as it stands, and a dry run
    may look), and personal unsubscribe links without their secret."""
    problems = []
    if not digest.complete and not test and not dry_run:
        reason = (
            f"{digest.period.key} is not over yet; send it once it has ended, send yourself"
            " a test with --to ADDR, or preview it with --dry-run"
        )
        problems.append(Problem("", 0, "", reason))
    if letter.personal and not env.unsubscribe:
        reason = f"set {SECRET_ENV}: email.unsubscribe.url gives each recipient a link of their own"
        problems.append(Problem(CONFIG_FILE, 0, "email.unsubscribe.url", reason))
    return problems


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
