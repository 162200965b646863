"""A real SMTP server on 127.0.0.1 (aiosmtpd), scripted to refuse, defer and drop."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME = "news@example.org"
PASSWORD = "hemmelig-æøå-passord"


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Script:
    """What the server answers, and what it received."""

    mail_replies: list[str] = field(default_factory=list)
    """Replies to MAIL FROM, used up one by one before 250."""
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    """Replies to RCPT TO per address, used up one by one before 250."""
    drop_rcpt_for: dict[str, int] = field(default_factory=dict)
    """How many times to drop the connection at RCPT TO, per address: nothing went out."""
    drop_data_for: dict[str, int] = field(default_factory=dict)
    """How many times to take the whole message, then drop the connection instead of
    answering, per address: the message is delivered, but the client cannot know."""
    data_delay: float = 0.0
    """Seconds to wait before answering DATA, to widen the window a kill can hit."""
    on_data: Callable[[str], None] | None = None
    """Called with each address whose message arrived, before the server answers."""
    delivered: list[tuple[str, bytes]] = field(default_factory=list)
    rcpt_seen: list[str] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.mail_replies:
            return self.mail_replies.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_seen.append(address)
        if self.drop_rcpt_for.get(address, 0) > 0:
            self.drop_rcpt_for[address] -= 1
            server.transport.close()
            return "250 never seen"
        replies = self.rcpt_replies.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        (address,) = envelope.rcpt_tos
        self.delivered.append((address, envelope.original_content))
        if self.on_data is not None:
            self.on_data(address)
        if self.drop_data_for.get(address, 0) > 0:
            self.drop_data_for[address] -= 1
            server.transport.close()
            return "250 never seen"
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 OK queued"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        ok = data.login == USERNAME.encode() and data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    @property
    def recipients(self) -> list[str]:
        return [address for address, _ in self.delivered]

    def per_mailbox(self) -> Counter[str]:
        """How many copies each mailbox (lower-case) got."""
        return Counter(address.lower() for address, _ in self.delivered)


@contextmanager
def smtp_server(script: Script | None = None) -> Iterator[tuple[int, Script]]:
    """Run a server requiring AUTH (allowed without TLS) on a free port."""
    script = script or Script()
    port = free_port()
    controller = Controller(
        script,
        hostname="127.0.0.1",
        port=port,
        authenticator=script.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port, script
    finally:
        controller.stop()
