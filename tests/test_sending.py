"""Sending a message over real SMTP, once per recipient, resuming where a run stopped."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from smtp_server import PASSWORD, USERNAME, Script, free_port, smtp_server

from newsletter.core.errors import NewsletterError
from newsletter.engine.sending import Message, Retry, SendReport, read_message, send_message
from newsletter.sources.config import SmtpSettings

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
FAST = Retry(attempts=3, delay=0.01, timeout=5)
ALL = ["a@example.org", "b@example.org", "c@example.org"]


def eml() -> bytes:
    message = EmailMessage()
    message["From"] = "Test News <news@example.org>"
    message["To"] = "staff@example.org"
    message["Subject"] = "Week 16: news from Radiumhospitalet"
    message["Message-ID"] = "<2024-W16@example.org>"
    message.set_content("Forskere på Radiumhospitalet: æ ø å.\n")
    return message.as_bytes(policy=SMTP)


@pytest.fixture
def server() -> Iterator[tuple[int, Script]]:
    with smtp_server() as running:
        yield running


def settings(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, security="none", username=USERNAME)


def send(
    port: int, log: Path, recipients: list[str] = ALL, password: str | None = PASSWORD, **kw: bool
) -> SendReport:
    message = read_message("2024-W16", eml())
    return send_message(message, recipients, settings(port), password, log, retry=FAST, **kw)


def logged(log: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(log) as db:
        rows = db.execute("SELECT period, recipient, message_id FROM sent ORDER BY rowid")
        return list(rows)


def test_read_message_takes_the_envelope_from_the_headers() -> None:
    assert read_message("2024-W16", eml()) == Message(
        period="2024-W16",
        data=eml(),
        sender="news@example.org",
        subject="Week 16: news from Radiumhospitalet",
        message_id="<2024-W16@example.org>",
    )
    bare = read_message("2024-W16", eml().replace(b"\r\n", b"\n")).data
    assert bare == eml()


def test_delivers_one_message_per_recipient_after_a_utf8_login(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    log = tmp_path / "state" / "sent.sqlite"
    report = send(port, log)
    assert report.lines() == [
        "sent to a@example.org",
        "sent to b@example.org",
        "sent to c@example.org",
        "Sent 2024-W16 to 3 recipients.",
    ]
    assert script.logins == [(USERNAME.encode(), PASSWORD.encode())]
    assert script.delivered == [(address, eml()) for address in ALL]
    assert logged(log) == [("2024-W16", address, "<2024-W16@example.org>") for address in ALL]


def test_a_second_run_sends_nothing_and_force_sends_again(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    log = tmp_path / "sent.sqlite"
    send(port, log)
    again = send(port, log, ["A@example.org", *ALL])
    assert again.lines() == [
        "already sent to A@example.org (--force sends again)",
        "already sent to b@example.org (--force sends again)",
        "already sent to c@example.org (--force sends again)",
        "Sent 2024-W16 to 0 recipients.",
    ]
    assert len(script.delivered) == 3
    forced = send(port, log, ["b@example.org"], force=True)
    assert forced.lines() == ["sent to b@example.org", "Sent 2024-W16 to 1 recipient."]
    assert script.recipients == [*ALL, "b@example.org"]
    assert len(logged(log)) == 4


def test_a_temporary_refusal_is_retried(server: tuple[int, Script], tmp_path: Path) -> None:
    port, script = server
    script.rcpt_replies["b@example.org"] = ["451 4.3.0 Try again later"] * 2
    report = send(port, tmp_path / "sent.sqlite")
    assert report.sent == tuple(ALL)
    assert script.rcpt_seen == ["a@example.org", *["b@example.org"] * 3, "c@example.org"]


def test_temporary_refusals_give_up_after_the_last_attempt(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    script.rcpt_replies["b@example.org"] = ["451 4.3.0 Try again later"] * 3
    log = tmp_path / "sent.sqlite"
    with pytest.raises(NewsletterError) as caught:
        send(port, log)
    assert str(caught.value) == (
        "b@example.org: 451 4.3.0 Try again later, still after 3 attempts; "
        "reached 1 of 3; run send again to reach the rest"
    )
    assert send(port, log).sent == ("b@example.org", "c@example.org")


def test_a_permanent_refusal_is_reported_and_the_next_run_finishes(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    script.rcpt_replies["b@example.org"] = ["550 5.1.1 No such user here"]
    log = tmp_path / "sent.sqlite"
    report = send(port, log)
    assert report.lines() == [
        "sent to a@example.org",
        "sent to c@example.org",
        f"b@example.org: refused by 127.0.0.1:{port}: 550 5.1.1 No such user here",
        "Sent 2024-W16 to 2 recipients.",
    ]
    assert script.rcpt_seen == ALL
    assert send(port, log).sent == ("b@example.org",)
    assert script.recipients == ["a@example.org", "c@example.org", "b@example.org"]


def test_a_dropped_connection_is_retried(server: tuple[int, Script], tmp_path: Path) -> None:
    port, script = server
    script.drop_data_for["b@example.org"] = 1
    report = send(port, tmp_path / "sent.sqlite")
    assert report.sent == tuple(ALL)
    assert script.recipients == ALL


def test_an_interrupted_run_is_finished_by_the_next(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    script.drop_data_for["b@example.org"] = 3
    log = tmp_path / "sent.sqlite"
    with pytest.raises(NewsletterError) as caught:
        send(port, log)
    assert str(caught.value) == (
        "b@example.org: lost the connection to 127.0.0.1:"
        f"{port} (Connection unexpectedly closed), still after 3 attempts; "
        "reached 1 of 3; run send again to reach the rest"
    )
    assert logged(log) == [("2024-W16", "a@example.org", "<2024-W16@example.org>")]
    report = send(port, log)
    assert report.lines() == [
        "sent to b@example.org",
        "sent to c@example.org",
        "already sent to a@example.org (--force sends again)",
        "Sent 2024-W16 to 2 recipients.",
    ]
    assert script.recipients == ALL


def test_a_dry_run_sends_nothing_and_writes_nothing(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    log = tmp_path / "state" / "sent.sqlite"
    report = send(port, log, password=None, dry_run=True)
    assert report.lines() == [
        "would send to a@example.org",
        "would send to b@example.org",
        "would send to c@example.org",
        "Dry run: 2024-W16 would go to 3 recipients; nothing was sent.",
    ]
    assert (script.logins, script.delivered, log.parent.exists()) == ([], [], False)
    send(port, log, ["a@example.org"])
    assert send(port, log, dry_run=True).sent == ("b@example.org", "c@example.org")


def test_a_wrong_password_is_one_line_without_the_password(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    with pytest.raises(NewsletterError) as caught:
        send(port, tmp_path / "sent.sqlite", password="wrøng")
    assert str(caught.value) == (
        f"127.0.0.1:{port}: refused the login of news@example.org: "
        "535 5.7.8 Authentication credentials invalid"
    )
    assert script.delivered == []


def test_a_missing_password_is_asked_for(tmp_path: Path) -> None:
    with pytest.raises(NewsletterError) as caught:
        send(free_port(), tmp_path / "sent.sqlite", password=None)
    assert str(caught.value) == (
        "set NEWSLETTER_SMTP_PASSWORD to the SMTP password of news@example.org"
    )


def test_no_server_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(NewsletterError) as caught:
        send(port, tmp_path / "sent.sqlite")
    assert str(caught.value) == (
        f"127.0.0.1:{port}: cannot reach the SMTP server: [Errno 111] Connection refused"
    )
    assert not (tmp_path / "sent.sqlite").exists() or logged(tmp_path / "sent.sqlite") == []
