"""The send log: an SQLite file recording every recipient a digest reached."""

from __future__ import annotations

import sqlite3
from pathlib import Path

LOG_FILE = "sent.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    period TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sent_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""


class SendLog:
    """Who got which period's digest; each delivery is committed as it is accepted."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.connection: sqlite3.Connection | None = None
        if read_only and not path.exists():
            return  # a dry run creates nothing
        if read_only:
            self.connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute(_SCHEMA)

    def __enter__(self) -> SendLog:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.connection is not None:
            self.connection.close()

    def reached(self, period: str) -> set[str]:
        """Return the recipients (lower-case) that PERIOD's digest has reached."""
        if self.connection is None:
            return set()
        rows = self.connection.execute("SELECT recipient FROM sent WHERE period = ?", (period,))
        return {recipient.lower() for (recipient,) in rows}

    def record(self, period: str, recipient: str, message_id: str) -> None:
        """Record that RECIPIENT accepted PERIOD's digest; committed at once."""
        assert self.connection is not None
        self.connection.execute(
            "INSERT INTO sent (period, recipient, message_id) VALUES (?, ?, ?)",
            (period, recipient, message_id),
        )
