"""Sending over real SMTP: one copy per recipient, each step in the send log first."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from smtp_server import PASSWORD, USERNAME, Script, free_port, smtp_server

from newsletter.core.addresses import unique_mailboxes
from newsletter.core.errors import NewsletterError
from newsletter.engine.sending import Options, Outgoing, SendReport, send_outgoing
from newsletter.engine.smtp import Retry
from newsletter.render.message import Letter
from newsletter.sources.config import SmtpSettings

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
FAST = Retry(attempts=3, delay=0.01, timeout=5)
ALL = ["a@example.org", "b@example.org", "c@example.org"]
NOW = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def letter(**changes: object) -> Letter:
    fields: dict[str, object] = {
        "period": "2024-W16",
        "subject": "Week 16: news from Radiumhospitalet",
        "sender": "Test News <news@example.org>",
        "built": datetime(2024, 4, 21, 22, tzinfo=UTC),
        "site": "85f0b597ca",
        "host": "news.example.org",
        "list_id": "Test <test.news.example.org>",
        "unsubscribe_url": None,
        "unsubscribe_mailto": None,
        "text": "Forskere på Radiumhospitalet: æ ø å.\n",
        "html": "<p>Forskere på Radiumhospitalet: æ ø å.</p>\n",
    }
    return Letter(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[tuple[int, Script]]:
    with smtp_server() as running:
        yield running


def settings(port: int, **changes: str) -> SmtpSettings:
    fields = {"host": "127.0.0.1", "port": port, "security": "none", "username": USERNAME}
    return SmtpSettings(**(fields | changes))  # type: ignore[arg-type]


def send(
    port: int,
    log: Path,
    recipients: list[str] = ALL,
    password: str = PASSWORD,
    kind: str = "real",
    the_letter: Letter | None = None,
    smtp: SmtpSettings | None = None,
    **options: bool,
) -> SendReport:
    outgoing = Outgoing(
        the_letter or letter(), tuple(unique_mailboxes(recipients)), kind, NOW, "s3cret"
    )  # type: ignore[arg-type]
    chosen = Options(retry=FAST, **options)
    smtp = smtp or settings(port)
    return send_outgoing(outgoing, smtp, password.encode(), log, lambda plan: True, chosen)


def logged(log: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(log) as db:
        query = "SELECT period, kind, address, state FROM deliveries ORDER BY rowid"
        return list(db.execute(query))


def test_each_recipient_gets_a_copy_addressed_to_them_alone(
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
    assert script.recipients == ALL
    for address, data in script.delivered:
        message = message_from_bytes(data, policy=policy.default)
        assert message["To"] == address
        assert message["Date"] == "Mon, 23 Nov 2026 07:30:00 +0000"  # when it was sent
        assert message["Subject"] == "Week 16: news from Radiumhospitalet"
        others = [other for other in ALL if other != address]
        assert not any(other.encode() in data for other in others)
    assert logged(log) == [("2024-W16", "real", address, "delivered") for address in ALL]


def test_one_mailbox_in_several_spellings_gets_one_copy(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    spellings = [
        "alice@example.org",
        "Alice <alice@example.org>",
        "ALICE@EXAMPLE.ORG",
        "  alice@Example.Org  ",
        "alice@example.org (Alice at work)",
        '"Smith, Alice" <Alice@EXAMPLE.org>',
    ]
    report = send(port, tmp_path / "sent.sqlite", spellings)
    assert report.lines() == ["sent to alice@example.org", "Sent 2024-W16 to 1 recipient."]
    assert script.per_mailbox() == {"alice@example.org": 1}


def test_the_local_part_keeps_its_case_for_delivery(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    send(port, tmp_path / "sent.sqlite", ["Kari.Nordmann@EXAMPLE.ORG", "kari.nordmann@example.org"])
    assert script.recipients == ["Kari.Nordmann@example.org"]


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
    assert forced.plan.summary()[-1] == "Recipients: 1 recipient (1 of them already have it)"
    assert again.plan.summary()[-1] == "Recipients: 0 recipients"
    assert script.recipients == [*ALL, "b@example.org"]


def test_a_test_send_is_recorded_apart_and_never_counts_as_the_real_one(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    log = tmp_path / "sent.sqlite"
    test = send(port, log, ["a@example.org"], kind="test")
    assert test.lines() == ["sent to a@example.org", "Sent a test of 2024-W16 to 1 recipient."]
    (_, data) = script.delivered[0]
    assert message_from_bytes(data, policy=policy.default)["Subject"] == (
        "[Test] Week 16: news from Radiumhospitalet"
    )
    assert send(port, log, ["a@example.org"], kind="test").sent  # a test can be sent again
    assert send(port, log).lines()[-1] == "Sent 2024-W16 to 3 recipients."
    assert script.per_mailbox() == {"a@example.org": 3, "b@example.org": 1, "c@example.org": 1}
    assert logged(log)[0] == ("2024-W16", "test", "a@example.org", "delivered")


def test_a_temporary_refusal_is_retried(server: tuple[int, Script], tmp_path: Path) -> None:
    port, script = server
    script.rcpt_replies["b@example.org"] = ["451 4.3.0 Try again later"] * 2
    report = send(port, tmp_path / "sent.sqlite")
    assert [m.address for m in report.sent] == ALL
    assert script.rcpt_seen == ["a@example.org", *["b@example.org"] * 3, "c@example.org"]


def test_a_mailbox_full_after_the_last_attempt_is_deferred_and_the_rest_go_on(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    full = "452 4.2.2 Mailbox full"
    script.rcpt_replies["b@example.org"] = [full] * 6
    log = tmp_path / "sent.sqlite"
    first = send(port, log)
    waiting = f"waiting since {NOW:%Y-%m-%d %H:%M}"
    assert first.lines() == [
        "sent to a@example.org",
        "sent to c@example.org",
        f"deferred: b@example.org: {full}, still after 3 attempts; {waiting}",
        "Sent 2024-W16 to 2 recipients; 1 recipient deferred: "
        "run `newsletter send 2024-W16` later to retry.",
    ]
    assert ("2024-W16", "real", "b@example.org", "deferred") in logged(log)
    second = send(port, log)  # still full: only b is tried again, and still waits
    assert second.lines()[-2:] == [
        f"deferred: b@example.org: {full}, still after 3 attempts; {waiting}",
        "Sent 2024-W16 to 0 recipients; 1 recipient deferred: "
        "run `newsletter send 2024-W16` later to retry.",
    ]
    tries = ["b@example.org"] * 3
    assert script.rcpt_seen == ["a@example.org", *tries, "c@example.org", *tries]
    third = send(port, log)  # room again
    assert third.lines() == [
        f"sent to b@example.org (deferred since {NOW:%Y-%m-%d %H:%M})",
        "already sent to a@example.org (--force sends again)",
        "already sent to c@example.org (--force sends again)",
        "Sent 2024-W16 to 1 recipient.",
    ]
    assert script.per_mailbox() == {address: 1 for address in ALL}
    assert logged(log)[1] == ("2024-W16", "real", "b@example.org", "delivered")


def test_a_sender_refused_after_the_last_attempt_stops_the_run(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    log = tmp_path / "sent.sqlite"
    script.mail_replies = ["451 4.3.0 Try again later"] * 3
    with pytest.raises(NewsletterError) as caught:
        send(port, log)
    assert str(caught.value) == (
        "a@example.org: 451 4.3.0 Try again later, still after 3 attempts; "
        "reached 0 of 3; run send again to reach the rest"
    )
    assert [m.address for m in send(port, log).sent] == ALL
    assert script.per_mailbox() == {address: 1 for address in ALL}


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
    assert [m.address for m in send(port, log).sent] == ["b@example.org"]
    assert script.recipients == ["a@example.org", "c@example.org", "b@example.org"]


def test_a_connection_dropped_before_the_message_is_retried(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    script.drop_rcpt_for["b@example.org"] = 1
    report = send(port, tmp_path / "sent.sqlite")
    assert [m.address for m in report.sent] == ALL
    assert script.recipients == ALL


def test_a_connection_dropped_after_the_message_leaves_one_uncertain_recipient(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    script.drop_data_for["b@example.org"] = 1  # the server has it; the client cannot know
    log = tmp_path / "sent.sqlite"
    with pytest.raises(NewsletterError) as caught:
        send(port, log)
    assert str(caught.value) == (
        f"b@example.org: lost the connection to 127.0.0.1:{port} after handing over the "
        "message (Connection unexpectedly closed); reached 1 of 3; "
        "run send again to reach the rest"
    )
    report = send(port, log)
    assert report.lines() == [
        "sent to c@example.org",
        "already sent to a@example.org (--force sends again)",
        "uncertain: b@example.org: the run started 2026-11-23T07:30:00+00:00 stopped while "
        "sending to it, so it may or may not have it; --resend-uncertain sends to it again",
        "Sent 2024-W16 to 1 recipient.",
    ]
    assert script.per_mailbox() == {address: 1 for address in ALL}
    assert send(port, log, resend_uncertain=True).lines() == [
        "sent to b@example.org",
        "already sent to a@example.org (--force sends again)",
        "already sent to c@example.org (--force sends again)",
        "Sent 2024-W16 to 1 recipient.",
    ]


def test_a_dry_run_sends_nothing_and_writes_nothing(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    log = tmp_path / "state" / "sent.sqlite"
    report = send(port, log, dry_run=True)
    assert report.lines() == [
        "would send to a@example.org",
        "would send to b@example.org",
        "would send to c@example.org",
        "Dry run: 2024-W16 would go to 3 recipients; nothing was sent.",
    ]
    assert (script.logins, script.delivered, log.parent.exists()) == ([], [], False)
    send(port, log, ["a@example.org"])
    before = log.read_bytes()
    assert [m.address for m in send(port, log, dry_run=True).plan.pending] == ALL[1:]
    assert log.read_bytes() == before


def test_a_wrong_password_is_one_line_without_the_password(
    server: tuple[int, Script], tmp_path: Path
) -> None:
    port, script = server
    with pytest.raises(NewsletterError) as caught:
        send(port, tmp_path / "sent.sqlite", password="wrøng")
    assert str(caught.value) == (
        f"127.0.0.1:{port}: refused the login of news@example.org: "
        "535 5.7.8 Authentication credentials invalid; "
        "check smtp.username and NEWSLETTER_SMTP_PASSWORD"
    )
    assert script.delivered == []


def test_no_server_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(NewsletterError) as caught:
        send(port, tmp_path / "sent.sqlite")
    assert str(caught.value) == (
        f"127.0.0.1:{port}: cannot reach the SMTP server: [Errno 111] Connection refused; "
        "check smtp.host and smtp.port"
    )


def test_no_recipients_and_no_from_address_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(NewsletterError) as caught:
        send(free_port(), tmp_path / "sent.sqlite", [])
    assert str(caught.value) == "no recipients: set email.to in newsletter.yaml or pass --to"
    with pytest.raises(NewsletterError) as caught:
        send(free_port(), tmp_path / "sent.sqlite", the_letter=letter(sender="Test News"))
    assert str(caught.value) == "the 2024-W16 email has no From address; check email.from"


def test_a_server_without_auth_plain_is_one_line(tmp_path: Path) -> None:
    script, port = Script(), free_port()
    controller = Controller(
        script,
        hostname="127.0.0.1",
        port=port,
        authenticator=script.authenticate,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=["PLAIN"],
    )
    controller.start()
    try:
        with pytest.raises(NewsletterError) as caught:
            send(port, tmp_path / "sent.sqlite")
    finally:
        controller.stop()
    assert str(caught.value) == (f"127.0.0.1:{port}: does not offer AUTH PLAIN (it offers LOGIN)")
    assert (script.logins, script.delivered) == ([], [])
