"""The send command: write a period's digest, then send its email.eml to its recipients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from newsletter.commands.digest import write_digest_folder
from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.layout import CONFIG_FILE, out_folder
from newsletter.engine.sending import DEFAULT_RETRY, Retry, SendReport, read_message, send_message
from newsletter.engine.sendlog import LOG_FILE
from newsletter.sources.config import SmtpSettings, load_config


def send_digest(
    root: Path,
    period: str,
    as_of: date | datetime,
    recipients: Sequence[str],
    password: str | None,
    *,
    force: bool = False,
    dry_run: bool = False,
    retry: Retry = DEFAULT_RETRY,
) -> SendReport:
    """Write PERIOD's digest into out/ and send its email.eml (default recipients: email.to).

    The send log lives in the state folder, so a CI job can keep it between runs.
    """
    config = load_config(root)
    smtp = _with_ca_file(config.smtp, root)
    written = write_digest_folder(root, out_folder(root), period, as_of)
    if not written.digest.complete and not dry_run:
        key = written.digest.period.key
        reason = f"{key} is not over yet; send it once it has ended, or preview it with --dry-run"
        raise NewsletterError(reason)
    folder = written.folder
    message = read_message(folder.name, (folder / "email.eml").read_bytes())
    log_path = root / config.state_dir / LOG_FILE
    return send_message(
        message,
        list(recipients) or config.email.to,
        smtp,
        password,
        log_path,
        force=force,
        dry_run=dry_run,
        retry=retry,
    )


def _with_ca_file(smtp: SmtpSettings, root: Path) -> SmtpSettings:
    """Resolve smtp.ca_file against the project, and make sure it is there."""
    if smtp.ca_file is None:
        return smtp
    path = root / smtp.ca_file
    if not path.is_file():
        raise NewsletterError([Problem(CONFIG_FILE, 0, "smtp.ca_file", f"no file {path}")])
    return smtp.model_copy(update={"ca_file": str(path)})
