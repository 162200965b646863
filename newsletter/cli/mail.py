"""The commands that send the digest, and tell an unsubscribe token."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from newsletter.cli.group import cli
from newsletter.cli.options import addresses, as_of_option, period
from newsletter.cli.report import interrupted, period_errors, reported


@cli.command()
@click.argument("period", callback=period)
@click.option(
    "--to",
    "recipients",
    multiple=True,
    callback=addresses,
    metavar="ADDR",
    help="Send a [Test] copy to ADDR instead of email.to; repeat for more. "
    "A test never counts as the real send.",
)
@click.option("--yes", is_flag=True, help="Send to email.to without asking (CI needs it).")
@click.option("--dry-run", is_flag=True, help="Say who would get it; send and write nothing.")
@click.option("--force", is_flag=True, help="Send again to recipients who already got it.")
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="Send again to a recipient that a stopped run may or may not have reached.",
)
@as_of_option("Build the digest as of (default: now).")
@click.pass_obj
def send(
    root: Path,
    period: str,
    recipients: tuple[str, ...],
    yes: bool,
    dry_run: bool,
    force: bool,
    resend_uncertain: bool,
    as_of: date | datetime | None,
) -> None:
    """Send the digest of PERIOD by SMTP, one copy to each recipient, once.

    To email.to it asks first in a terminal, and needs --yes without one. The
    password comes from NEWSLETTER_SMTP_PASSWORD; a run that stopped half-way is
    finished by the next one.

    \b
    Example:
      newsletter send latest --to me@example.org
      newsletter send 2024-W16 --yes
    """
    from newsletter.commands.send import Environment, Options, QuietPeriod, send_digest

    asks = not (recipients or yes or dry_run)
    if asks and not sys.stdin.isatty():
        raise click.UsageError(
            "no terminal to confirm in: pass --yes to send to email.to, or --to ADDR"
        )
    now, confirm = datetime.now(UTC), _confirm_send if asks else (lambda plan: True)
    options = Options(force=force, resend_uncertain=resend_uncertain, dry_run=dry_run)
    with reported(), period_errors(), interrupted("run send again to reach the rest"):
        try:
            env = Environment.of(os.environ)
            report = send_digest(root, period, now, as_of or now, recipients, env, confirm, options)
        except QuietPeriod as exc:
            click.echo(f"nothing to send: {exc}")
            return
    click.echo("\n".join(report.lines()))
    if report.refused or report.declined or report.deferred:
        raise SystemExit(1)


def _confirm_send(plan: Any) -> bool:
    """Show what is about to go to the whole list, and ask."""
    click.echo("\n".join(plan.summary()))
    return click.confirm("Send it now?", default=False)


@cli.command("unsubscribe-token")
@click.argument("mailbox", metavar="ADDRESS", callback=addresses)
@click.option("--verify", metavar="TOKEN", help="Check TOKEN instead of printing one.")
def unsubscribe_token(mailbox: Any, verify: str | None) -> None:
    """Print the unsubscribe token of ADDRESS, or check one, for the unsubscribe page.

    The token is the hex HMAC-SHA256 of the address (lower-case, without a display
    name), keyed by the secret in NEWSLETTER_UNSUBSCRIBE_SECRET.

    \b
    Example:
      newsletter unsubscribe-token alice@example.org
      newsletter unsubscribe-token alice@example.org --verify 3f5a...
    """
    from newsletter.commands.unsubscribe import token_answer

    with reported():
        good, answer = token_answer(mailbox, os.environ, verify)
    click.echo(answer)
    if not good:
        raise SystemExit(1)
