"""Sending over TLS to a real server: STARTTLS and SSL, with a project's own authority."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from conftest import require
from smtp_server import PASSWORD, USERNAME, Script, free_port
from test_sending import ALL, send

from newsletter.cli import cli
from newsletter.core.errors import NewsletterError
from newsletter.sources.config import SmtpSettings


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: it is its own authority."""
    require("openssl", shutil.which("openssl") is not None)
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
Server = tuple[str, int, Script]


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    script, port = Script(), free_port()
    kind = {"tls_context": context, "require_starttls": True}
    if request.param == "ssl":  # the whole connection is TLS; aiosmtpd only knows STARTTLS's
        kind = {"ssl_context": context, "auth_require_tls": False}
    controller = Controller(
        script,
        hostname="127.0.0.1",
        port=port,
        authenticator=script.authenticate,
        auth_required=True,
        **kind,  # type: ignore[arg-type]
    )
    controller.start()
    try:
        yield request.param, port, script
    finally:
        controller.stop()


def test_sends_over_tls_trusting_the_project_authority(
    tls_server: Server, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    security, port, script = tls_server
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security=security,
        username=USERNAME,  # type: ignore[arg-type]
        ca_file=str(certificate[0]),
    )
    report = send(port, tmp_path / "sent.sqlite", smtp=smtp)
    assert [m.address for m in report.sent] == ALL
    assert script.recipients == ALL
    assert script.logins == [(USERNAME.encode(), PASSWORD.encode())]


def test_an_untrusted_certificate_is_a_one_line_error(tls_server: Server, tmp_path: Path) -> None:
    security, port, script = tls_server
    smtp = SmtpSettings(host="127.0.0.1", port=port, security=security, username=USERNAME)  # type: ignore[arg-type]
    with pytest.raises(NewsletterError) as caught:
        send(port, tmp_path / "sent.sqlite", smtp=smtp)
    (problem,) = caught.value.problems
    message = str(problem)
    assert message.startswith(f"127.0.0.1:{port}: TLS with the SMTP server failed: ")
    assert "CERTIFICATE_VERIFY_FAILED" in message and "\n" not in message
    assert message.endswith("; check smtp.security and smtp.ca_file")
    assert script.delivered == [] and script.logins == []


def test_a_missing_ca_file_is_named(project: Path) -> None:
    config = project / "newsletter.yaml"
    config.write_text(config.read_text("utf-8") + "smtp:\n  ca_file: internal-ca.pem\n", "utf-8")
    result = CliRunner().invoke(
        cli, ["--root", str(project), "send", "2024-W16", "--as-of", "2024-05-01", "--yes"]
    )
    assert (result.exit_code, result.output) == (
        1,
        f"newsletter.yaml: smtp.ca_file: no file {project / 'internal-ca.pem'}\n1 error.\n",
    )
