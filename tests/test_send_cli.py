"""newsletter send: the real digest of the sample project, to a real SMTP server."""

from __future__ import annotations

import os
import pty
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
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
    assert send(project, "--dry-run") == (
        0,
        "would send to staff@example.org\n"
        "Dry run: 2024-W16 would go to 1 recipient; nothing was sent.\n",
    )
    assert (script.logins, script.delivered) == ([(USERNAME.encode(), PASSWORD.encode())], [])
    assert not (project / "state" / LOG_FILE).exists()  # no send log: nothing was sent


def test_send_with_a_wrong_password(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    assert send(project, password="feil-æøå") == (
        1,
        f"127.0.0.1:{port}: refused the login of news@example.org: "
        "535 5.7.8 Authentication credentials invalid; "
        "check smtp.username and NEWSLETTER_SMTP_PASSWORD\n1 error.\n",
    )
    assert script.logins == [(USERNAME.encode(), "feil-æøå".encode())]
    assert script.delivered == []


def test_send_without_a_server(project: Path) -> None:
    port = free_port()
    configure(project, port)
    assert send(project) == (
        1,
        f"127.0.0.1:{port}: cannot reach the SMTP server: [Errno 111] Connection refused; "
        "check smtp.host and smtp.port\n1 error.\n",
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
        "Error: 2024-W16 is not over yet; send it once it has ended, send yourself a test"
        " with --to ADDR, or preview it with --dry-run\n"
    )


def test_a_test_of_a_period_not_over_goes_out_as_it_stands(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    command = ["--root", str(project), "send", "2024-W16", "--as-of", "2024-04-17"]
    result = CliRunner(env={"NEWSLETTER_SMTP_PASSWORD": PASSWORD}).invoke(
        cli, [*command, "--to", "staff@example.org"]
    )
    assert (result.exit_code, result.output) == (
        0,
        "sent to staff@example.org\nSent a test of 2024-W16 to 1 recipient.\n",
    )
    (test,) = copies(script)
    assert test["Subject"].startswith("[Test] ")


def recipients(project: Path, *addresses: str) -> None:
    config = project / "newsletter.yaml"
    listed = ", ".join(f'"{address}"' for address in addresses)
    text = config.read_text("utf-8").replace("to: [staff@example.org]", f"to: [{listed}]")
    config.write_text(text, "utf-8")


def copies(script: Script) -> list[EmailMessage]:
    found = [message_from_bytes(data, policy=policy.default) for _, data in script.delivered]
    return [message for message in found if isinstance(message, EmailMessage)]


def test_each_recipient_gets_a_copy_of_their_own_and_out_names_none(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    recipients(
        project,
        "Alice <alice@example.org>",
        "ALICE@EXAMPLE.ORG",
        "bob@example.org (Bob)",
        "carol@Example.ORG",
    )
    assert send(project) == (
        0,
        "sent to alice@example.org\nsent to bob@example.org\nsent to carol@example.org\n"
        "Sent 2024-W16 to 3 recipients.\n",
    )
    assert script.per_mailbox() == {
        "alice@example.org": 1,
        "bob@example.org": 1,
        "carol@example.org": 1,
    }
    assert [message["To"] for message in copies(script)] == script.recipients
    for address, data in script.delivered:
        assert [name for name in ("alice@", "bob@", "carol@") if name.encode() in data] == [
            address[: address.index("@") + 1]
        ]
    runner = CliRunner()
    root = ["--root", str(project)]
    assert runner.invoke(cli, [*root, "build", "--as-of", "2024-04-30"]).exit_code == 0
    assert runner.invoke(cli, [*root, "digest", "2024-W16", "--as-of", "2024-04-30"]).exit_code == 0
    published = [path for path in (project / "out").rglob("*") if path.is_file()]
    assert any(path.name == "email.eml" for path in published)
    for path in published:
        data = path.read_bytes().lower()
        assert not any(name in data for name in (b"alice@", b"bob@", b"carol@")), path


def test_without_a_terminal_the_list_is_sent_only_with_yes(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    command = ["--root", str(project), "send", "2024-W16", "--as-of", "2024-04-30"]
    result = CliRunner(env={"NEWSLETTER_SMTP_PASSWORD": PASSWORD}).invoke(cli, command)
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: no terminal to confirm in: pass --yes to send to email.to, or --to ADDR\n"
    )
    assert script.delivered == []


def test_a_test_send_is_marked_and_never_stops_the_real_one(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    assert send(project, "--to", "Me <staff@example.org>") == (
        0,
        "sent to staff@example.org\nSent a test of 2024-W16 to 1 recipient.\n",
    )
    assert send(project) == (0, "sent to staff@example.org\nSent 2024-W16 to 1 recipient.\n")
    test, real = copies(script)
    assert test["Subject"] == '[Test] Week 16: Fish & chips < tea > "coffee" — æ ø å 🔬'
    assert real["Subject"] == 'Week 16: Fish & chips < tea > "coffee" — æ ø å 🔬'
    assert test["Message-ID"] != real["Message-ID"]


def test_a_copy_is_dated_when_it_is_sent(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    before = datetime.now(UTC).replace(microsecond=0)
    send(project, "--to", "staff@example.org")
    (message,) = copies(script)
    sent_at = parsedate_to_datetime(message["Date"])
    assert before <= sent_at <= datetime.now(UTC)


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(root)): (
            path.read_bytes() if path.is_file() else b"",
            path.stat().st_mtime_ns,
        )
        for path in root.rglob("*")
    }


def test_a_dry_run_writes_nothing_anywhere(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    before = tree(project)
    for args in (["--dry-run"], ["--dry-run", "--to", "me@example.org"]):
        assert send(project, *args)[0] == 0
    assert tree(project) == before
    send(project)
    before = tree(project)
    assert send(project, "--dry-run") == (
        0,
        "already sent to staff@example.org (--force sends again)\n"
        "Dry run: 2024-W16 would go to 0 recipients; nothing was sent.\n",
    )
    assert tree(project) == before
    assert len(script.delivered) == 1


def test_a_quiet_period_is_nothing_to_send(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    command = ["--root", str(project), "send", "latest", "--as-of", "2024-03-25", "--yes"]
    result = CliRunner(env={"NEWSLETTER_SMTP_PASSWORD": PASSWORD}).invoke(cli, command)
    assert (result.exit_code, result.output) == (
        0,
        "nothing to send: no news in Week 12, 2024\n",
    )
    assert script.delivered == []


def test_a_login_in_clear_text_to_another_host_is_refused(project: Path) -> None:
    with (project / "newsletter.yaml").open("a", encoding="utf-8") as config:
        config.write("smtp: {host: mail.example.org, security: none, username: news}\n")
    assert send(project) == (
        1,
        "newsletter.yaml: smtp.security: none would send the password to mail.example.org "
        "in clear text; use starttls or ssl (none is only for a server on this machine)\n"
        "1 error.\n",
    )


def test_a_password_that_is_not_utf8_is_one_line(project: Path) -> None:
    configure(project, free_port())
    assert send(project, password="hemmelig-\udcff") == (
        1,
        "Error: NEWSLETTER_SMTP_PASSWORD is not valid UTF-8; AUTH PLAIN needs UTF-8\n",
    )


def test_a_test_address_that_is_not_one_is_a_usage_error(project: Path) -> None:
    code, output = send(project, "--to", "me@example.org, you@example.org")
    assert code == 2
    assert output.endswith(
        "Error: Invalid value for '--to': expected one email address such as "
        "alice@example.org, got 'me@example.org, you@example.org'\n"
    )


def test_a_test_address_beyond_ascii_is_a_usage_error(project: Path) -> None:
    code, output = send(project, "--to", "Åse <åse@example.org>")
    assert code == 2
    assert output.endswith(
        "Error: Invalid value for '--to': expected an address in ASCII (xn-- for a domain), "
        "got 'Åse <åse@example.org>'\n"
    )


def test_a_test_address_a_mail_server_refuses_is_a_usage_error(project: Path) -> None:
    code, output = send(project, "--to", "me@example.org.")
    assert code == 2
    assert output.endswith(
        "Error: Invalid value for '--to': 'me@example.org.' is not an address a mail server "
        "accepts: an email address cannot end with a period\n"
    )


def test_no_recipients_is_one_line(project: Path) -> None:
    configure(project, free_port())
    recipients(project)
    assert send(project) == (
        1,
        "Error: no recipients: set email.to in newsletter.yaml or pass --to\n",
    )


def newsletter_in_a_terminal(project: Path, answer: str, *args: str) -> tuple[int, str]:
    """Run the installed command from the project folder in a pseudo-terminal, answer once."""
    command = shutil.which("newsletter", path=str(Path(sys.executable).parent))
    assert command is not None
    leader, follower = pty.openpty()
    env = os.environ | {"NEWSLETTER_SMTP_PASSWORD": PASSWORD}
    process = subprocess.Popen(
        [command, *args], cwd=project, env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    seen = b""
    while b"Send it now? [y/N]: " not in seen:
        seen += os.read(leader, 4096)
    os.write(leader, answer.encode() + b"\n")
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the command has ended: the terminal is gone
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return process.wait(timeout=30), seen.decode().replace("\r\n", "\n")


@pytest.mark.parametrize("answer", ["n", "y"])
def test_in_a_terminal_send_asks_before_mailing_the_list(
    server: tuple[int, Script], project: Path, answer: str
) -> None:
    port, script = server
    configure(project, port)
    recipients(project, "alice@example.org", "bob@example.org")
    code, output = newsletter_in_a_terminal(
        project, answer, "send", "2024-W16", "--as-of", "2024-04-30"
    )
    assert output.startswith(
        "Period:     2024-W16\n"
        'Subject:    Week 16: Fish & chips < tea > "coffee" — æ ø å 🔬\n'
        "Recipients: 2 recipients\n"
        f"Send it now? [y/N]: {answer}\n"
    )
    if answer == "n":
        said = "Not sent: nothing was sent now; nobody has 2024-W16 yet."
        assert (code, output.split("\n")[4:]) == (1, [said, ""])
        assert script.delivered == []
    else:
        assert code == 0
        assert output.endswith("Sent 2024-W16 to 2 recipients.\n")
        assert script.per_mailbox() == {"alice@example.org": 1, "bob@example.org": 1}


def test_declining_a_forced_send_says_who_has_it_and_that_nothing_went(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    recipients(project, "alice@example.org", "bob@example.org")
    assert send(project)[0] == 0
    code, output = newsletter_in_a_terminal(
        project, "n", "send", "2024-W16", "--as-of", "2024-04-30", "--force"
    )
    assert (code, output.split("\n")[2:]) == (
        1,
        [
            "Recipients: 2 recipients (2 of them already have it)",
            "Send it now? [y/N]: n",
            "Not sent: nothing was sent now; 2 recipients had 2024-W16 already.",
            "",
        ],
    )
    assert script.per_mailbox() == {"alice@example.org": 1, "bob@example.org": 1}
