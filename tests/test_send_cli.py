"""newsletter send: the real digest of the sample project, to a real SMTP server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_server import PASSWORD, USERNAME, Script, free_port, smtp_server

from newsletter.cli import cli
from newsletter.engine.sendlog import LOG_FILE

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def server() -> Iterator[tuple[int, Script]]:
    with smtp_server() as running:
        yield running


def configure(project: Path, port: int) -> None:
    with (project / "newsletter.yaml").open("a", encoding="utf-8") as config:
        config.write(
            f"smtp: {{host: 127.0.0.1, port: {port}, security: none, username: {USERNAME}}}\n"
            "state_dir: state\n"
        )


def send(project: Path, *args: str, password: str | None = PASSWORD) -> tuple[int, str]:
    env = {"NEWSLETTER_SMTP_PASSWORD": password}
    command = ["--root", str(project), "send", "2024-W16", "--as-of", "2024-04-30", *args]
    if "--to" not in args and "--dry-run" not in args:
        command.append("--yes")
    result = CliRunner(env=env).invoke(cli, command)
    assert PASSWORD not in result.output
    return result.exit_code, result.output


def test_send_delivers_the_digest_once(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    assert send(project) == (0, "sent to staff@example.org\nSent 2024-W16 to 1 recipient.\n")
    assert script.recipients == ["staff@example.org"]
    assert not (project / "out").exists()  # sending publishes nothing
    with sqlite3.connect(project / "state" / "sent.sqlite") as db:
        rows = list(db.execute("SELECT period, kind, address, state FROM deliveries"))
    assert rows == [("2024-W16", "real", "staff@example.org", "delivered")]
    assert send(project) == (
        0,
        "already sent to staff@example.org (--force sends again)\nSent 2024-W16 to 0 recipients.\n",
    )
    assert send(project, "--force") == (
        0,
        "sent to staff@example.org\nSent 2024-W16 to 1 recipient.\n",
    )
    assert len(script.delivered) == 2


def test_send_to_chosen_recipients_reports_a_refusal(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    script.rcpt_replies["nobody@example.org"] = ["550 5.1.1 No such user"]
    code, output = send(project, "--to", "me@example.org", "--to", "nobody@example.org")
    assert (code, output) == (
        1,
        "sent to me@example.org\n"
        f"nobody@example.org: refused by 127.0.0.1:{port}: 550 5.1.1 No such user\n"
        "Sent a test of 2024-W16 to 1 recipient.\n",
    )
    assert script.recipients == ["me@example.org"]


def test_send_dry_run(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    assert send(project, "--dry-run", password=None) == (
        0,
        "would send to staff@example.org\n"
        "Dry run: 2024-W16 would go to 1 recipient; nothing was sent.\n",
    )
    assert (script.logins, script.delivered) == ([], [])
    assert not (project / "state" / LOG_FILE).exists()  # no send log: nothing was sent


def test_send_with_a_wrong_password(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    assert send(project, password="feil-æøå") == (
        1,
        f"127.0.0.1:{port}: refused the login of news@example.org: "
        "535 5.7.8 Authentication credentials invalid\n1 error.\n",
    )
    assert script.logins == [(USERNAME.encode(), "feil-æøå".encode())]
    assert script.delivered == []


def test_send_without_a_server(project: Path) -> None:
    port = free_port()
    configure(project, port)
    assert send(project) == (
        1,
        f"127.0.0.1:{port}: cannot reach the SMTP server: [Errno 111] Connection refused\n"
        "1 error.\n",
    )


def test_send_without_a_password(project: Path) -> None:
    configure(project, free_port())
    assert send(project, password=None) == (
        1,
        "Error: set NEWSLETTER_SMTP_PASSWORD to the SMTP password of news@example.org\n",
    )


def test_send_an_impossible_period(project: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(project), "send", "2024-W99", "--yes"])
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: Invalid value for PERIOD: '2024-W99' is not a period; "
        "give a week such as 2024-W16, or latest\n"
    )


def test_a_period_that_is_not_over_is_not_sent(project: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--root", str(project), "send", "2024-W16", "--as-of", "2024-04-17", "--yes"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: 2024-W16 is not over yet; send it once it has ended, or preview it with --dry-run\n"
    )
