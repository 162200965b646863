"""One connection to the SMTP server: TLS as configured, a UTF-8 login, retries."""

from __future__ import annotations

import base64
import contextlib
import functools
import ipaddress
import re
import smtplib
import ssl
import time
from dataclasses import dataclass

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.layout import CONFIG_FILE
from newsletter.sources.config import SmtpSettings

PASSWORD_ENV = "NEWSLETTER_SMTP_PASSWORD"
_NO_STARTTLS = (
    "is starttls, but {where} does not offer STARTTLS; set smtp.security to ssl for a "
    "server that speaks TLS from the start (port 465), or to none for one on this machine"
)


@dataclass(frozen=True)
class Retry:
    """How hard to try: temporary failures are retried after delay, 2 x delay, ..."""

    attempts: int = 4
    delay: float = 2.0
    timeout: float = 30.0


DEFAULT_RETRY = Retry()


def check_login(smtp: SmtpSettings, password: str | None) -> bytes:
    """Return the password as UTF-8, or say why send must not log in with it."""
    if not smtp.username:
        return b""
    if password is None:
        raise NewsletterError(f"set {PASSWORD_ENV} to the SMTP password of {smtp.username}")
    if smtp.security == "none" and not _this_machine(smtp.host):
        reason = (
            f"none would send the password to {smtp.host} in clear text; use starttls or "
            "ssl (none is only for a server on this machine)"
        )
        raise NewsletterError([Problem(CONFIG_FILE, 0, "smtp.security", reason)])
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError:
        raise NewsletterError(
            f"{PASSWORD_ENV} is not valid UTF-8; AUTH PLAIN needs UTF-8"
        ) from None


def _this_machine(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Refusal:
    """A recipient the server would not take: for good (5xx), or for now (4xx, to be
    tried again by a later run: a full mailbox, a greylisting server)."""

    reply: str
    temporary: bool


def rehearsal(smtp: SmtpSettings, password: bytes | None, retry: Retry) -> list[Problem]:
    """Connect as a send does (TLS as configured, the login where there is a password to
    log in with) and leave without sending anything: what went wrong, if anything."""
    settings = smtp if password is not None else smtp.model_copy(update={"username": None})
    try:
        with Session(settings, password or b"", retry):
            return []
    except NewsletterError as exc:
        return list(exc.problems)


class Uncertain(NewsletterError):
    """The connection dropped after the whole message went out: it may have arrived."""


class HandedOver(Exception):
    """The server went silent after the end of the message."""


class Session:
    """One connection to the SMTP server, opened again after a drop."""

    def __init__(self, smtp: SmtpSettings, password: bytes, retry: Retry) -> None:
        self.smtp, self.password, self.retry = smtp, password, retry
        self.where = f"{smtp.host}:{smtp.port}"
        self.client: smtplib.SMTP | None = self._connect()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            # The messages are in; a goodbye that fails changes nothing.
            with contextlib.suppress(OSError):
                self.client.quit()
        self.client = None

    def deliver(self, sender: str, recipient: str, data: bytes) -> Refusal | None:
        """Send to RECIPIENT, retrying temporary failures; return the server's refusal of
        RECIPIENT, if it refused it for good or still after the last attempt."""
        last, about_recipient = "", False
        text: bytes | str
        for attempt in range(self.retry.attempts):
            if attempt:
                time.sleep(self.retry.delay * 2 ** (attempt - 1))
            try:
                if self.client is None:
                    self.client = self._open()
                _transaction(self.client, sender, recipient, data)
                return None
            except HandedOver as exc:
                self.client = None
                note = f"lost the connection to {self.where} after handing over the message ({exc})"
                raise Uncertain([Problem(recipient, 0, "", note)]) from None
            except smtplib.SMTPRecipientsRefused as exc:
                (code, text), about_recipient = exc.recipients[recipient], True
            except smtplib.SMTPDataError as exc:
                code, text, about_recipient = exc.smtp_code, exc.smtp_error, True
            except smtplib.SMTPSenderRefused as exc:
                code, text, about_recipient = exc.smtp_code, exc.smtp_error, False
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self.client, last = None, f"lost the connection to {self.where} ({exc})"
                about_recipient = False
                continue
            last = f"{code} {_text(text)}"
            if code >= 500:
                return Refusal(f"refused by {self.where}: {last}", temporary=False)
        note = f"{last}, still after {self.retry.attempts} attempts"
        if about_recipient:  # this mailbox, not the server: the others can go on
            return Refusal(note, temporary=True)
        raise NewsletterError([Problem(recipient, 0, "", note)])

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        """The TLS settings of every connection of the session, made once: reading the
        system's certificates takes 30 to 60 ms, and a send opens a connection again
        after each drop. A connection without TLS never reads them."""
        return ssl.create_default_context(cafile=self.smtp.ca_file)

    def _connect(self) -> smtplib.SMTP:
        try:
            return self._open()
        except smtplib.SMTPResponseException as exc:
            reply = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            raise NewsletterError([Problem(self.where, 0, "", reply)]) from None
        except ssl.SSLError as exc:
            message = (
                f"TLS with the SMTP server failed: {exc}; check smtp.security and smtp.ca_file"
            )
            raise NewsletterError([Problem(self.where, 0, "", message)]) from None
        except OSError as exc:
            message = f"cannot reach the SMTP server: {exc}; check smtp.host and smtp.port"
            raise NewsletterError([Problem(self.where, 0, "", message)]) from None

    def _open(self) -> smtplib.SMTP:
        smtp, timeout = self.smtp, self.retry.timeout
        client: smtplib.SMTP
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=self._tls)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        client.ehlo()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                client.close()
                reason = _NO_STARTTLS.format(where=self.where)
                raise NewsletterError([Problem(CONFIG_FILE, 0, "smtp.security", reason)])
            client.starttls(context=self._tls)
            client.ehlo()
        if smtp.username:
            _login(client, smtp.username, self.password, self.where)
        return client


def _transaction(client: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """One message to one recipient, as smtplib's sendmail() would send it, but telling
    a drop before the end of the message (safe to try again) from one after it."""
    code, reply = client.mail(sender)
    if code != 250:
        _reset(client)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = client.rcpt(recipient)
    if code not in (250, 251):
        _reset(client)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = client.docmd("DATA")
    if code != 354:
        _reset(client)
        raise smtplib.SMTPDataError(code, reply)
    body = re.sub(rb"(?m)^\.", b"..", data)  # a line of one dot would end the message
    client.send(body if body.endswith(b"\r\n") else body + b"\r\n")
    try:
        client.send(b".\r\n")
        code, reply = client.getreply()
    except OSError as exc:
        raise HandedOver(str(exc)) from None
    if code != 250:
        _reset(client)
        raise smtplib.SMTPDataError(code, reply)


def _reset(client: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        client.rset()


def _login(client: smtplib.SMTP, username: str, password: bytes, where: str) -> None:
    """Log in with AUTH PLAIN in UTF-8 (RFC 4616); smtplib's login() allows only ASCII."""
    mechanisms = client.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" not in mechanisms:
        offered = " ".join(mechanisms) or "no login at all"
        message = f"does not offer AUTH PLAIN (it offers {offered})"
        raise NewsletterError([Problem(where, 0, "", message)])
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password).decode("ascii")
    code, reply = client.docmd("AUTH", f"PLAIN {token}")
    if code == 334:  # the server asked for the credentials after an empty challenge
        code, reply = client.docmd(token)
    if code != 235:
        fix = f"check smtp.username and {PASSWORD_ENV}"
        message = f"refused the login of {username}: {code} {_text(reply)}; {fix}"
        raise NewsletterError([Problem(where, 0, "", message)])


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
