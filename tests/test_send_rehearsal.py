"""A dry run rehearses the send over a real SMTP server with a login: every problem the
real send would meet, one line each with its fix, and nothing sent; and where the list
is sent from (email.send_from)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_server import PASSWORD, USERNAME, Script, smtp_server
from test_send_cli import recipients
from test_sending_unsubscribe import personal_links

from newsletter.cli import cli
from newsletter.engine.sendlog import LOG_FILE

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
SECRET = "ikke-fortell-det-til-noen"
SEND = ("send", "2024-W16", "--as-of", "2024-04-30")


@pytest.fixture
def server() -> Iterator[tuple[int, Script]]:
    with smtp_server() as running:
        yield running


def configure(project: Path, port: int, security: str = "none") -> None:
    with (project / "newsletter.yaml").open("a", encoding="utf-8") as config:
        config.write(
            f"smtp: {{host: 127.0.0.1, port: {port}, security: {security}, "
            f"username: {USERNAME}}}\nstate_dir: state\n"
        )


def send_from(project: Path, place: str) -> None:
    config = project / "newsletter.yaml"
    text = config.read_text("utf-8").replace("email:\n", f"email:\n  send_from: {place}\n")
    config.write_text(text, "utf-8")


def run(
    project: Path,
    *args: str,
    password: str | None = PASSWORD,
    secret: str | None = SECRET,
    ci: bool = False,
) -> tuple[int, str]:
    env = {
        "NEWSLETTER_SMTP_PASSWORD": password,
        "NEWSLETTER_UNSUBSCRIBE_SECRET": secret,
        "CI": "true" if ci else None,
    }
    result = CliRunner(env=env).invoke(cli, ["--root", str(project), *SEND, *args])
    assert PASSWORD not in result.output
    return result.exit_code, result.output


def test_a_dry_run_with_everything_right_logs_in_and_sends_nothing(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    personal_links(project)
    assert run(project, "--dry-run") == (
        0,
        "would send to staff@example.org\n"
        "Dry run: 2024-W16 would go to 1 recipient; nothing was sent.\n",
    )
    assert script.logins == [(USERNAME.encode(), PASSWORD.encode())]
    assert script.delivered == []
    assert not (project / "state" / LOG_FILE).exists()


def test_a_dry_run_names_every_problem_with_its_fix(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    personal_links(project)
    assert run(project, "--dry-run", password="feil", secret=None) == (
        1,
        "newsletter.yaml: email.unsubscribe.url: set NEWSLETTER_UNSUBSCRIBE_SECRET: "
        "email.unsubscribe.url gives each recipient a link of their own\n"
        f"127.0.0.1:{port}: refused the login of news@example.org: 535 5.7.8 "
        "Authentication credentials invalid; check smtp.username and NEWSLETTER_SMTP_PASSWORD\n"
        "2 errors.\n",
    )
    assert script.delivered == []


def test_a_dry_run_without_a_password_still_reaches_the_server(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    assert run(project, "--dry-run", password=None) == (
        1,
        "Error: set NEWSLETTER_SMTP_PASSWORD to the SMTP password of news@example.org\n",
    )
    assert script.logins == []


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_server_without_starttls_is_named_with_the_setting_that_fixes_it(
    server: tuple[int, Script], project: Path, dry_run: bool
) -> None:
    port, script = server
    configure(project, port, security="starttls")
    assert run(project, *(["--dry-run"] if dry_run else ["--yes"])) == (
        1,
        f"newsletter.yaml: smtp.security: is starttls, but 127.0.0.1:{port} does not offer "
        "STARTTLS; set smtp.security to ssl for a server that speaks TLS from the start "
        "(port 465), or to none for one on this machine\n1 error.\n",
    )
    assert (script.logins, script.delivered) == ([], [])


def test_a_dry_run_refuses_an_address_a_mail_server_refuses(
    server: tuple[int, Script], project: Path
) -> None:
    port, _ = server
    configure(project, port)
    recipients(project, "alice@EXAMPLE.org.")
    assert run(project, "--dry-run") == (
        1,
        "newsletter.yaml:10: email.to[0]: 'alice@EXAMPLE.org.' is not an address a mail "
        "server accepts: an email address cannot end with a period; correct it\n1 error.\n",
    )


SENT_BY_CI_ONLY = (
    "newsletter.yaml: email.send_from: is ci: the list is sent by CI only, and this is not "
    "CI (CI is not true); send yourself a test with --to ADDR, or let the CI job send it; "
    "nothing was sent\n1 error.\n"
)
SENT_BY_HAND = (
    "newsletter.yaml: email.send_from: is anywhere: the list is sent by hand, not by CI "
    "(CI=true here); set email.send_from: ci in newsletter.yaml to send it from CI, and "
    "only there; nothing was sent\n1 error.\n"
)


def test_a_list_sent_from_ci_is_refused_elsewhere_and_sent_there(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    personal_links(project)
    send_from(project, "ci")
    assert run(project, "--yes") == (1, SENT_BY_CI_ONLY)
    assert run(project, "--dry-run") == (1, SENT_BY_CI_ONLY)
    assert script.delivered == []
    assert run(project, "--to", "me@example.org")[0] == 0  # a test copy goes anywhere
    assert run(project, "--yes", ci=True) == (
        0,
        "sent to staff@example.org\nSent 2024-W16 to 1 recipient.\n",
    )
    assert script.recipients == ["me@example.org", "staff@example.org"]


def test_by_default_ci_never_sends_the_list(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    personal_links(project)
    assert run(project, "--yes", ci=True) == (1, SENT_BY_HAND)
    assert run(project, "--to", "me@example.org", ci=True)[0] == 0
    assert script.recipients == ["me@example.org"]
    assert run(project, "--yes") == (
        0,
        "sent to staff@example.org\nSent 2024-W16 to 1 recipient.\n",
    )
