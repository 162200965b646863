"""Send a digest's email.eml over SMTP, once to each recipient, resuming where a run stopped.

Each recipient gets the message in an SMTP transaction of its own (its own RCPT TO),
with the bytes exactly as built: the To header keeps showing email.to, as it does for
a mailing list, and one refused address never holds up or reveals the others.
"""

from __future__ import annotations

import base64
import contextlib
import re
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default
from email.utils import parseaddr
from pathlib import Path

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.words import plural
from newsletter.engine.sendlog import SendLog
from newsletter.sources.config import SmtpSettings

PASSWORD_ENV = "NEWSLETTER_SMTP_PASSWORD"


@dataclass(frozen=True)
class Retry:
    """How hard to try: temporary failures are retried after delay, 2 x delay, ..."""

    attempts: int = 4
    delay: float = 2.0
    timeout: float = 30.0


DEFAULT_RETRY = Retry()


@dataclass(frozen=True)
class Message:
    """A message ready to send, and what the send log and the summary need of it."""

    period: str
    data: bytes
    sender: str
    subject: str
    message_id: str


@dataclass(frozen=True)
class SendReport:
    """Who got the message in this run, who had it already, who refused it."""

    message: Message
    sent: tuple[str, ...]
    already: tuple[str, ...]
    refused: tuple[Problem, ...]
    dry_run: bool

    def lines(self) -> list[str]:
        """Say what happened (or would happen) to each recipient, then sum it up."""
        verb = "would send to" if self.dry_run else "sent to"
        lines = [f"{verb} {address}" for address in self.sent]
        lines += [f"already sent to {address} (--force sends again)" for address in self.already]
        lines += [str(problem) for problem in self.refused]
        period, count = self.message.period, len(self.sent)
        if self.dry_run:
            lines.append(
                f"Dry run: {period} would go to {plural(count, 'recipient')}; nothing was sent."
            )
        else:
            lines.append(f"Sent {period} to {plural(count, 'recipient')}.")
        return lines


def read_message(period: str, data: bytes) -> Message:
    """Take the envelope sender, subject and Message-ID from the message's headers."""
    headers = BytesHeaderParser(policy=default).parsebytes(data)
    sender = parseaddr(str(headers.get("From", "")))[1]
    if not sender:
        raise NewsletterError(f"the {period} email has no From address; check email.from")
    data = re.sub(rb"\r?\n", b"\r\n", data)  # SMTP wants CRLF; a bare LF is refused by many
    return Message(
        period, data, sender, str(headers.get("Subject", "")), str(headers.get("Message-ID", ""))
    )


def send_message(
    message: Message,
    recipients: Sequence[str],
    smtp: SmtpSettings,
    password: str | None,
    log_path: Path,
    *,
    force: bool = False,
    dry_run: bool = False,
    retry: Retry = Retry(),  # frozen, so one shared default is safe
) -> SendReport:
    """Send MESSAGE to each recipient not yet reached (all of them with FORCE)."""
    recipients = _unique(recipients)
    if not recipients:
        raise NewsletterError("no recipients: set email.to in newsletter.yaml or pass --to")
    with SendLog(log_path, read_only=dry_run) as log:
        reached = set() if force else log.reached(message.period)
        pending = [r for r in recipients if r.lower() not in reached]
        already = tuple(r for r in recipients if r.lower() in reached)
        if dry_run or not pending:
            return SendReport(message, tuple(pending), already, (), dry_run)
        if smtp.username and password is None:
            raise NewsletterError(f"set {PASSWORD_ENV} to the SMTP password of {smtp.username}")
        with _Session(smtp, password or "", retry) as session:
            sent, refused = _send_each(session, message, pending, log)
    return SendReport(message, sent, already, refused, False)


def _send_each(
    session: _Session, message: Message, pending: list[str], log: SendLog
) -> tuple[tuple[str, ...], tuple[Problem, ...]]:
    sent: list[str] = []
    refused: list[Problem] = []
    for recipient in pending:
        try:
            reply = session.deliver(message, recipient)
        except NewsletterError as exc:
            more = f"reached {len(sent)} of {len(pending)}; run send again to reach the rest"
            problem = exc.problems[0]
            note = f"{problem.message}; {more}"
            raise NewsletterError([Problem(problem.path, 0, "", note)]) from None
        if reply is None:
            log.record(message.period, recipient, message.message_id)
            sent.append(recipient)
        else:
            refused.append(Problem(recipient, 0, "", reply))
    return tuple(sent), tuple(refused)


class _Session:
    """One connection to the SMTP server, opened again after a drop."""

    def __init__(self, smtp: SmtpSettings, password: str, retry: Retry) -> None:
        self.smtp, self.password, self.retry = smtp, password, retry
        self.where = f"{smtp.host}:{smtp.port}"
        self.client: smtplib.SMTP | None = self._connect()

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            # The messages are in; a goodbye that fails changes nothing.
            with contextlib.suppress(OSError):
                self.client.quit()
        self.client = None

    def deliver(self, message: Message, recipient: str) -> str | None:
        """Send to RECIPIENT, retrying temporary failures; return a permanent refusal."""
        last = ""
        text: bytes | str
        for attempt in range(self.retry.attempts):
            if attempt:
                time.sleep(self.retry.delay * 2 ** (attempt - 1))
            try:
                if self.client is None:
                    self.client = self._open()
                self.client.sendmail(message.sender, [recipient], message.data)
                return None
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = exc.recipients[recipient]
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                code, text = exc.smtp_code, exc.smtp_error
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self.client, last = None, f"lost the connection to {self.where} ({exc})"
                continue
            last = f"{code} {_text(text)}"
            if code >= 500:
                return f"refused by {self.where}: {last}"
        note = f"{last}, still after {self.retry.attempts} attempts"
        raise NewsletterError([Problem(recipient, 0, "", note)])

    def _connect(self) -> smtplib.SMTP:
        try:
            return self._open()
        except smtplib.SMTPResponseException as exc:
            reply = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            raise NewsletterError([Problem(self.where, 0, "", reply)]) from None
        except OSError as exc:
            message = f"cannot reach the SMTP server: {exc}"
            raise NewsletterError([Problem(self.where, 0, "", message)]) from None

    def _open(self) -> smtplib.SMTP:
        smtp, timeout = self.smtp, self.retry.timeout
        client: smtplib.SMTP
        context = ssl.create_default_context(cafile=smtp.ca_file)
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.username:
            _login(client, smtp.username, self.password, self.where)
        return client


def _login(client: smtplib.SMTP, username: str, password: str, where: str) -> None:
    """Log in with AUTH PLAIN in UTF-8 (RFC 4616); smtplib's login() allows only ASCII."""
    mechanisms = client.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" not in mechanisms:
        offered = " ".join(mechanisms) or "no login at all"
        message = f"does not offer AUTH PLAIN (it offers {offered})"
        raise NewsletterError([Problem(where, 0, "", message)])
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = client.docmd("AUTH", f"PLAIN {token}")
    if code == 334:  # the server asked for the credentials after an empty challenge
        code, reply = client.docmd(token)
    if code != 235:
        message = f"refused the login of {username}: {code} {_text(reply)}"
        raise NewsletterError([Problem(where, 0, "", message)])


def _unique(addresses: Sequence[str]) -> list[str]:
    """Drop repeated addresses, ignoring case; keep the first of each, in order."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.lower(), address)
    return list(seen.values())


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
