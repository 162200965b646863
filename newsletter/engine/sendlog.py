"""The send log: who each digest reached, written before and after every delivery.

One SQLite file in the state folder. A run holds an exclusive lock on a file beside it
for as long as it sends, so two runs never mail the same list at once; the kernel drops
the lock when the process ends, however it ends. Each recipient is marked "sending"
(committed to disk) before its SMTP transaction and "delivered" after it, so a run
killed at any moment leaves at most one recipient whose fate is unknown. A recipient the
server would not take for now, still after the retries, is marked "deferred", with the
moment it was first deferred, and tried again by the next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from newsletter.core.addresses import Mailbox, parse_mailbox
from newsletter.core.errors import NewsletterError, Problem

LOG_FILE = "sent.sqlite"
Kind = Literal["real", "test"]
State = Literal["queued", "sending", "delivered", "refused", "deferred"]
Mark = tuple[Mailbox, State, str]  # with the Message-ID of the copy

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, period TEXT NOT NULL, kind TEXT NOT NULL,
    started TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    period TEXT NOT NULL, kind TEXT NOT NULL, mailbox TEXT NOT NULL, address TEXT NOT NULL,
    state TEXT NOT NULL, message_id TEXT NOT NULL, run INTEGER NOT NULL,
    PRIMARY KEY (period, kind, mailbox));
CREATE TABLE IF NOT EXISTS deferrals (
    period TEXT NOT NULL, kind TEXT NOT NULL, mailbox TEXT NOT NULL, since TEXT NOT NULL,
    reply TEXT NOT NULL, PRIMARY KEY (period, kind, mailbox));
"""


@dataclass(frozen=True)
class Run:
    """Who is sending what: kept in the log and shown to a run that finds the lock taken."""

    period: str
    kind: Kind
    started: str  # ISO 8601
    pid: int
    host: str


@dataclass(frozen=True)
class Entry:
    """One recipient's line in the log."""

    address: str
    state: State
    run_started: str
    deferred_since: str = ""  # when the server first put it off, if it did


class SendLog:
    """The log of one project, opened for reading, or locked and opened for a run."""

    def __init__(self, path: Path, connection: sqlite3.Connection, run_id: int = 0) -> None:
        self.path, self.connection, self.run_id = path, connection, run_id

    def entries(self, period: str, kind: Kind) -> dict[str, Entry]:
        """Every recipient of PERIOD's KIND of send so far, by mailbox key."""
        rows = self._query(
            "SELECT d.mailbox, d.address, d.state, COALESCE(runs.started, ''),"
            " COALESCE(w.since, '') FROM deliveries AS d LEFT JOIN runs ON runs.id = d.run"
            " LEFT JOIN deferrals AS w ON (w.period, w.kind, w.mailbox) ="
            " (d.period, d.kind, d.mailbox) WHERE d.period = ? AND d.kind = ?",
            (period, kind),
        )
        return {key: Entry(*entry) for key, *entry in rows}

    def unfinished(self) -> dict[str, int]:
        """Real sends with recipients still queued: {period: how many}."""
        rows = self._query(
            "SELECT period, COUNT(*) FROM deliveries WHERE kind = 'real' AND state = 'queued'"
            " GROUP BY period ORDER BY period",
            (),
        )
        return dict(rows)

    def queue(self, period: str, kind: Kind, mailboxes: Sequence[Mailbox]) -> None:
        """Record the recipients this run will send to, before it sends to any.

        Whoever an earlier run left queued and this one does not send to (taken off the
        list since) is no longer waiting: the period is finished without them.
        """
        rows = [(period, kind, m.key, m.address, self.run_id) for m in mailboxes]
        self._write(
            [
                (
                    "DELETE FROM deliveries WHERE period = ? AND kind = ? AND state = 'queued'",
                    [(period, kind)],
                ),
                (
                    "INSERT INTO deliveries (period, kind, mailbox, address, state, message_id,"
                    " run) VALUES (?, ?, ?, ?, 'queued', '', ?) ON CONFLICT DO UPDATE SET"
                    " address = excluded.address, state = 'queued', run = excluded.run",
                    rows,
                ),
            ]
        )

    def mark(self, period: str, kind: Kind, marks: Sequence[Mark]) -> None:
        """Record recipients as being sent to, delivered to or refused: on disk at once,
        in one transaction (a run records a delivery with the next recipient's start)."""
        rows = [(state, mid, self.run_id, period, kind, m.key) for m, state, mid in marks]
        settled = [(period, kind, m.key) for m, state, _ in marks if state != "sending"]
        self._write(
            [
                (
                    "UPDATE deliveries SET state = ?, message_id = ?, run = ?"
                    " WHERE period = ? AND kind = ? AND mailbox = ?",
                    rows,
                ),
                ("DELETE FROM deferrals WHERE period = ? AND kind = ? AND mailbox = ?", settled),
            ]
        )

    def defer(self, period: str, kind: Kind, mark: Mark, since: str, reply: str) -> None:
        """Record a recipient the server put off, and when it first did (SINCE)."""
        mailbox, _, message_id = mark
        self._write(
            [
                (
                    "UPDATE deliveries SET state = 'deferred', message_id = ?, run = ?"
                    " WHERE period = ? AND kind = ? AND mailbox = ?",
                    [(message_id, self.run_id, period, kind, mailbox.key)],
                ),
                (
                    "INSERT INTO deferrals VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE"
                    " SET reply = excluded.reply",
                    [(period, kind, mailbox.key, since, reply)],
                ),
            ]
        )

    def _query(self, sql: str, args: tuple[str, ...]) -> list[tuple[Any, ...]]:
        try:
            return list(self.connection.execute(sql, args))
        except sqlite3.Error as exc:
            raise _unreadable(self.path, exc) from None

    def _write(self, statements: Sequence[tuple[str, Sequence[tuple[object, ...]]]]) -> None:
        try:
            with self.connection:  # one transaction, committed (and synced) on leaving
                for sql, rows in statements:
                    self.connection.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise _error(self.path, f"cannot write to the send log: {exc}") from None


@contextlib.contextmanager
def read_send_log(path: Path) -> Iterator[SendLog | None]:
    """Open the log read-only, creating nothing; None where there is none yet."""
    if not path.exists():
        yield None
        return
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _unreadable(path, exc) from None
    try:
        if _check(path, connection):  # an earlier layout: carried over in memory only
            memory = sqlite3.connect(":memory:")
            connection.backup(memory)
            connection.close()
            connection = memory
            _migrate(path, connection)
        yield SendLog(path, connection)
    finally:
        connection.close()


@contextlib.contextmanager
def locked_send_log(path: Path, run: Run) -> Iterator[SendLog]:
    """Lock the project's log for RUN, open it (creating it if need be) and record RUN.

    Everything that could keep the log from being written shows here, before anything
    is sent: a lock another run holds, a folder or file that cannot be written, a
    damaged file.
    """
    with _lock(path, run):
        if not path.exists():
            _create(path)
        try:
            connection = sqlite3.connect(path, timeout=10)
        except sqlite3.Error as exc:
            raise _unreadable(path, exc) from None
        try:
            if _check(path, connection):
                _migrate(path, connection)
            log = SendLog(path, connection)
            log.run_id = _record_run(log, run)
            yield log
        finally:
            connection.close()


@contextlib.contextmanager
def _lock(path: Path, run: Run) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        message = f"cannot lock the send log: {exc.strerror}; nothing was sent"
        raise _error(lock_path, message) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _error(path, f"{_holder(handle)}; nothing was sent") from None
        try:
            os.ftruncate(handle, 0)
            os.pwrite(handle, json.dumps(run.__dict__).encode(), 0)
        except OSError as exc:
            message = f"cannot lock the send log: {exc.strerror}; nothing was sent"
            raise _error(lock_path, message) from None
        yield
    finally:
        os.close(handle)  # and with it the lock


def _holder(handle: int) -> str:
    """Say which run holds the lock, from what it wrote into the lock file."""
    try:
        run = json.loads(os.pread(handle, 4096, 0))
        who = f"process {run['pid']} on {run['host']}, started {run['started']}"
    except (ValueError, KeyError, TypeError):
        who = "another process"
    return f"another send is running ({who}); wait until it has finished"


def _create(path: Path) -> None:
    """Create an empty log under another name and rename it: a log is whole or absent."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        with contextlib.closing(sqlite3.connect(temporary)) as connection:
            connection.executescript(_SCHEMA)
        os.replace(temporary, path)
    except (OSError, sqlite3.Error) as exc:
        temporary.unlink(missing_ok=True)
        raise _error(path, f"cannot create the send log: {exc}") from None


def _check(path: Path, connection: sqlite3.Connection) -> bool:
    """Refuse a log that is not whole: a damaged log would mail everyone again.

    Return whether the log has an earlier layout, to be carried over to this one.
    """
    try:
        (verdict,) = connection.execute("PRAGMA quick_check").fetchone()
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as exc:
        raise _unreadable(path, exc) from None
    if verdict != "ok":
        raise _damaged(path, verdict)
    if "deliveries" in names:
        return "deferrals" not in names
    if "sent" not in names:
        raise _damaged(path, "it holds no send log")
    return True


def _migrate(path: Path, connection: sqlite3.Connection) -> None:
    """Carry a log of an earlier layout over to this one: the first (one row per
    delivery) copied over, the second (without deferrals) given the table."""
    rows = []
    if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'sent'").fetchone():
        for period, recipient, message_id in connection.execute(
            "SELECT period, recipient, message_id FROM sent"
        ):
            try:
                mailbox = parse_mailbox(recipient)
            except ValueError:
                mailbox = Mailbox(recipient, recipient.lower())
            rows.append((period, mailbox.key, mailbox.address, message_id))
    try:
        with connection:
            connection.executescript(_SCHEMA)
            connection.executemany(
                "INSERT OR IGNORE INTO deliveries VALUES (?, 'real', ?, ?, 'delivered', ?, 0)", rows
            )
    except sqlite3.Error as exc:
        raise _error(path, f"cannot write to the send log: {exc}") from None


def _record_run(log: SendLog, run: Run) -> int:
    try:
        with log.connection:
            cursor = log.connection.execute(
                "INSERT INTO runs (period, kind, started, pid, host) VALUES (?, ?, ?, ?, ?)",
                (run.period, run.kind, run.started, run.pid, run.host),
            )
    except sqlite3.Error as exc:
        message = f"cannot write to the send log: {exc}; nothing was sent"
        raise _error(log.path, message) from None
    return cursor.lastrowid or 0


def _damaged(path: Path, reason: object) -> NewsletterError:
    return _error(
        path,
        f"the send log is damaged ({reason}); nothing was sent. Restore it from a backup; "
        "moving it away starts a new log, and everyone would be mailed again",
    )


def _unreadable(path: Path, exc: sqlite3.Error) -> NewsletterError:
    """A log SQLite cannot read now (I/O, permissions) is not yet a damaged one."""
    if isinstance(exc, sqlite3.OperationalError):
        return _error(path, f"cannot read the send log: {exc}; nothing was sent")
    return _damaged(path, exc)


def _error(path: Path, message: str) -> NewsletterError:
    return NewsletterError([Problem(str(path), 0, "", message)])
