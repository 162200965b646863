"""Unsubscribe links of one's own: a token per recipient, one-click only where it works."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_server import PASSWORD, Script, smtp_server
from test_send_cli import configure, copies, recipients

from newsletter.cli import cli
from newsletter.commands.digest import chosen_digest
from newsletter.core.addresses import parse_mailbox
from newsletter.domain.unsubscribe import unsubscribe_token
from newsletter.render.emails import email_letter
from newsletter.render.message import personal_message
from newsletter.render.templates import make_environment
from newsletter.sources.config import load_config

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
SECRET = "ikke-fortell-det-til-noen"
URL = "https://news.example.org/unsubscribe?email={address}&t={token}"


@pytest.fixture
def server() -> Iterator[tuple[int, Script]]:
    with smtp_server() as running:
        yield running


def personal_links(project: Path, url: str = URL) -> None:
    config = project / "newsletter.yaml"
    text = config.read_text("utf-8")
    text = text.replace('url: "https://news.example.org/unsubscribe"', f'url: "{url}"')
    config.write_text(text, "utf-8")


def run(project: Path, *args: str, secret: str | None = SECRET) -> tuple[int, str]:
    env = {"NEWSLETTER_SMTP_PASSWORD": PASSWORD, "NEWSLETTER_UNSUBSCRIBE_SECRET": secret}
    result = CliRunner(env=env).invoke(cli, ["--root", str(project), *args])
    return result.exit_code, result.output


def send(project: Path, secret: str | None = SECRET) -> tuple[int, str]:
    return run(project, "send", "2024-W16", "--as-of", "2024-04-30", "--yes", secret=secret)


def token_of(message: EmailMessage) -> str:
    match = re.fullmatch(
        r"<https://news\.example\.org/unsubscribe\?email=([^&]+)&t=([0-9a-f]{64})>,\s*"
        r"<mailto:unsubscribe@example\.org\?subject=unsubscribe>",
        str(message["List-Unsubscribe"]),
    )
    assert match is not None, message["List-Unsubscribe"]
    assert match.group(1) == str(message["To"]).lower()
    return match.group(2)


def test_each_recipient_gets_a_link_of_their_own_that_verifies(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    personal_links(project)
    recipients(project, "Alice <Alice@Example.org>", "bob@example.org")
    assert send(project)[0] == 0
    alice, bob = copies(script)
    tokens = [token_of(alice), token_of(bob)]
    assert tokens[0] != tokens[1]
    for message, token in zip((alice, bob), tokens, strict=True):
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert text is not None and html is not None
        link = f"https://news.example.org/unsubscribe?email={str(message['To']).lower()}"
        assert f"{link}&t={token}" in text.get_content()
        assert f'href="{link}&amp;t={token}"' in html.get_content()
    assert run(project, "unsubscribe-token", "ALICE@example.org (Alice)") == (0, tokens[0] + "\n")
    assert run(project, "unsubscribe-token", "alice@example.org", "--verify", tokens[0]) == (
        0,
        "valid: the token of alice@example.org\n",
    )
    assert run(project, "unsubscribe-token", "alice@example.org", "--verify", tokens[1]) == (
        1,
        "invalid: not the token of alice@example.org\n",
    )


def test_the_published_email_belongs_to_no_recipient(project: Path) -> None:
    personal_links(project)
    assert run(project, "digest", "2024-W16", "--as-of", "2024-04-30")[0] == 0
    folder = project / "out" / "digests" / "2024-W16"
    html = (folder / "email.html").read_text("utf-8")
    assert 'href="https://news.example.org/unsubscribe?email={address}&amp;t={token}"' in html
    eml = (folder / "email.eml").read_text("utf-8")
    assert "List-Unsubscribe: <mailto:unsubscribe@example.org?subject=unsubscribe>\n" in eml
    assert "List-Unsubscribe-Post" not in eml


def test_a_personal_link_needs_the_secret(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    personal_links(project)
    assert send(project, secret=None) == (
        1,
        "newsletter.yaml: email.unsubscribe.url: set NEWSLETTER_UNSUBSCRIBE_SECRET: "
        "email.unsubscribe.url gives each recipient a link of their own\n1 error.\n",
    )
    assert run(project, "unsubscribe-token", "alice@example.org", secret=None) == (
        1,
        "Error: set NEWSLETTER_UNSUBSCRIBE_SECRET to the secret the tokens are made with\n",
    )
    assert script.delivered == []


def test_a_link_for_everyone_has_no_one_click_header(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    recipients(project, "alice@example.org", "bob@example.org")
    assert send(project, secret=None)[0] == 0
    for message in copies(script):
        assert message["List-Unsubscribe"] == (
            "<https://news.example.org/unsubscribe>, "
            "<mailto:unsubscribe@example.org?subject=unsubscribe>"
        )
        assert message["List-Unsubscribe-Post"] is None


def test_an_unknown_placeholder_is_named(project: Path) -> None:
    personal_links(project, "https://news.example.org/unsubscribe?t={tokn}")
    code, output = run(project, "check")
    assert code == 1
    assert "email.unsubscribe.url: unknown placeholder {tokn}; use {token} or {address}" in output


def test_a_token_is_asked_for_one_address(project: Path) -> None:
    code, output = run(project, "unsubscribe-token", "not an address")
    assert code == 2
    assert output.endswith(
        "Error: Invalid value for 'ADDRESS': expected one email address such as "
        "alice@example.org, got 'not an address'\n"
    )


def test_three_hundred_personal_copies_of_a_large_email_are_each_well_formed(project: Path) -> None:
    personal_links(project)
    config = load_config(project)
    digest = chosen_digest(project, config, "2024-W16", date(2024, 4, 30), writes=False)
    letter = email_letter(digest, config, make_environment(project, config.language))
    letter = dataclasses.replace(letter, html=letter.html * 12)  # some 90 kB, as 20 items
    mailboxes = [parse_mailbox(f"Reader.{n}@Example.org") for n in range(300)]
    copies = [
        personal_message(letter, mailbox, datetime.now(UTC), SECRET, test=False)
        for mailbox in mailboxes
    ]
    for mailbox, data in zip(mailboxes[:3], copies[:3], strict=True):
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        long = [line for line in lines if len(line) > 78]  # a URL is never cut (RFC 2369)
        assert [line[:20] for line in long] == [b"List-Unsubscribe: <h"]
        assert max(len(line) for line in lines) <= 998  # RFC 5322
        assert max(len(line) for line in body.split(b"\r\n")) <= 76
        assert b"\n" not in data.replace(b"\r\n", b"")
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        token = unsubscribe_token(SECRET, mailbox)
        expected = letter.html.replace("{address}", mailbox.key).replace("{token}", token)
        html = message.get_body(("html",))
        assert html is not None
        assert html.get_content().replace("\r\n", "\n") == expected  # as sent: CRLF


@pytest.mark.parametrize("token", ["é", "3f5aø", "not-a-token"])
def test_a_token_that_is_not_one_is_invalid(project: Path, token: str) -> None:
    code, output = run(project, "unsubscribe-token", "alice@example.org", "--verify", token)
    assert (code, output) == (
        1,
        f"invalid: {token!r} is not a valid token (64 hexadecimal digits)\n",
    )
