"""The cache: one SQLite file in the state folder with everything a build may forget.

Deleting it makes the next build a cold one, nothing worse. Its tables:

- ``entries``: rendered outputs, each named by the hash of everything they depend on
  (the items' bytes, the configuration, the templates, the code and the libraries'
  versions), so that an entry is never stale: a change makes a new key;
- ``items``: the items already read, by their file's print (see itemcache.py), and
  ``bodies`` their Markdown bodies, apart, as few builds need them;
- ``state``: the item files' sizes and times, the items' dates (see itemcache.py),
  and the last build's manifest (see manifest.py).

Nothing read from it is trusted: each entry is sealed with a checksum over its key
and its bytes, computed again when it is read, and one that fails is a miss, which
only costs time. So is a file that is not a database (it is made anew) or one that
another build holds (it is done without). Entries are plain framing and JSON, never
pickle: the state folder may come back from a CI cache and must not be able to run
code. The send log is a file of its own, which nothing here touches.

One file, not one per entry: creating thousands of small files is what a cold build
would otherwise spend its time on. A build uses it from its own thread only.
"""

from __future__ import annotations

import contextlib
import sqlite3
import struct
from collections.abc import Container, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import zstandard

from newsletter.engine.entries import decode, sealed, unseal

CACHE_FILE = "cache.sqlite"
TABLES = ("entries", "items", "bodies", "state")
_DAMAGED = (sqlite3.Error, OSError)
_SAVE_EVERY = 500  # entries per transaction: another build waits no longer than that
BUSY_SECONDS = 5.0  # how long to wait for another build's lock before doing without


class Cache:
    """Sealed entries by table and key; a cache without a file, or one that fails,
    remembers nothing. Use it in a with block: what was stored is committed on leaving.
    A *read_only* cache changes nothing on disk, not even to make its file.

    A build notes every rendered entry it uses; prune() deletes the others.
    """

    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        self.path, self.read_only = path, read_only
        self.used: set[str] = set()
        self._db: sqlite3.Connection | None = None
        self._failed = path is None
        self._unsaved = 0
        self._keys: set[str] = set()  # what entries holds: absent keys are never looked up

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    def get(self, key: str) -> dict[str, bytes] | None:
        """Return the rendered files stored under *key*, or None when absent or damaged."""
        self.used.add(key)
        if self._connect() is None or key not in self._keys:
            return None
        rows = self._query("SELECT blob FROM entries WHERE key = ?", (key,))
        try:
            return decode(key, rows[0][0]) if rows else None
        except (ValueError, TypeError, struct.error, zstandard.ZstdError):
            return None  # damaged: render again

    def keep(self, key: str) -> None:
        """Keep the rendered entry under *key* though this build does not read it."""
        self.used.add(key)

    def put_blob(self, key: str, blob: bytes) -> None:
        """Store a rendered entry made by encode() under *key*."""
        self.used.add(key)
        if self._change("INSERT OR REPLACE INTO entries VALUES (?, ?)", [(key, blob)]):
            self._keys.add(key)
            self._unsaved += 1
            if self._unsaved >= _SAVE_EVERY:
                self.save()

    def read(self, table: str, key: str, seal: str = "") -> bytes | None:
        """Return the verified bytes stored in *table* under *key*, sealed with *seal*."""
        rows = self._query(f"SELECT blob FROM {_table(table)} WHERE key = ?", (key,))
        return unseal(seal + key, rows[0][0]) if rows else None

    def read_all(
        self, table: str, seal: str = "", keys: Container[str] | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """Yield each entry of *table* that checks out when sealed with *seal*: its key
        and its bytes, one at a time (a table can hold some tens of megabytes); with
        *keys*, only the entries under those."""
        db = self._connect()
        try:
            for key, blob in db.execute(f"SELECT key, blob FROM {_table(table)}") if db else ():
                if keys is not None and key not in keys:
                    continue
                if (data := unseal(seal + str(key), blob)) is not None:
                    yield str(key), data
        except sqlite3.ProgrammingError:
            raise
        except _DAMAGED as error:
            self._fail(error)

    def write(
        self, table: str, entries: Mapping[str, bytes] | Iterable[tuple[str, bytes]], seal: str = ""
    ) -> None:
        """Store *entries*, keys and their bytes, in *table*, each sealed with *seal* and its
        key; one at a time, as they come."""
        pairs = entries.items() if isinstance(entries, Mapping) else entries
        rows = ((key, sealed(seal + key, data)) for key, data in pairs)
        self._change(f"INSERT OR REPLACE INTO {_table(table)} VALUES (?, ?)", rows)

    def delete(self, table: str, key: str) -> bool:
        """Delete the entry of *table* under *key* and commit; False when it stays."""
        done = self._change(f"DELETE FROM {_table(table)} WHERE key = ?", [(key,)])
        self.save()
        return done and not self._failed

    def keep_only(self, table: str, keys: Iterable[str]) -> None:
        """Delete every entry of *table* not under one of *keys*."""
        db = self._connect()
        if db is None:
            return
        try:
            # The keys that go, told apart here: after an edit, a few of some 10,000.
            held = {key for (key,) in db.execute(f"SELECT key FROM {_table(table)}")}
            gone = held.difference(keys)
            db.executemany(f"DELETE FROM {_table(table)} WHERE key = ?", ((k,) for k in gone))
            if table == "entries":
                self._keys -= gone
        except _DAMAGED as error:
            self._fail(error)

    def prune(self) -> None:
        """Delete every rendered entry this build did not use, and commit."""
        self.keep_only("entries", self.used)
        self.save()

    def save(self) -> None:
        """Commit what was stored; the cache stays usable."""
        self._unsaved = 0
        if self._db is not None:
            try:
                self._db.commit()
            except _DAMAGED as error:
                self._fail(error)

    def close(self) -> None:
        """Commit and close the file."""
        self.save()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _query(self, sql: str, parameters: tuple[str, ...] = ()) -> list[Any]:
        db = self._connect()
        if db is None:
            return []
        try:
            return db.execute(sql, parameters).fetchall()
        except sqlite3.ProgrammingError:
            raise  # a mistake in this program, such as use from another thread
        except _DAMAGED as error:
            self._fail(error)
            return []

    def _change(self, sql: str, rows: Iterable[tuple[str | bytes, ...]]) -> bool:
        db = None if self.read_only else self._connect()
        if db is None:
            return False
        try:
            db.executemany(sql, rows)
        except sqlite3.ProgrammingError:
            raise
        except _DAMAGED as error:
            self._fail(error)
            return False
        return True

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._failed or self.path is None:
            return self._db
        try:
            if self.read_only:
                self._db = _open_to_read(self.path)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = _open(self.path)
        except _DAMAGED as error:
            if _damaged(error) and not self.read_only:  # damaged: start afresh
                with contextlib.suppress(*_DAMAGED):
                    for suffix in ("", "-wal", "-shm", "-journal"):
                        Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                    self._db = _open(self.path)
        self._failed = self._db is None  # else unwritable, or busy: do without
        if self._db is not None:
            self._keys = {key for (key,) in self._query("SELECT key FROM entries")}
        return self._db

    def _fail(self, error: BaseException | None = None) -> None:
        """Give up on the file for this build: a cache that fails only costs time.

        A file SQLite finds damaged is removed, so that the next build makes it anew;
        a busy one (another build is writing) is left as it is.
        """
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db, self._failed, self._keys = None, True, set()
        if error is not None and _damaged(error) and self.path and not self.read_only:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)


def _table(name: str) -> str:
    if name in TABLES:
        return name
    raise ValueError(f"no table {name!r} in the cache")


def _damaged(error: BaseException) -> bool:
    """Tell a damaged file from a busy, unwritable or misused one."""
    code = getattr(error, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_SECONDS)
    try:
        # Nothing here is precious: no journal on disk, no waiting for the disk, each
        # byte written once. A crash can at worst damage the file, which checksums
        # and SQLite's own checks find; the file is then made anew. The build holds
        # the file from its first read to close(): nothing is locked or read again
        # per entry, and another build waits, then does without.
        db.execute("PRAGMA page_size = 16384")  # entries are some kilobytes each
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
        db.execute("PRAGMA journal_mode = MEMORY")
        db.execute("PRAGMA synchronous = OFF")
        for table in TABLES:
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, blob BLOB)")
        db.execute("SELECT count(*) FROM entries WHERE key = ''").fetchone()
        db.commit()
    except sqlite3.Error:
        db.close()
        raise
    return db


def _open_to_read(path: Path) -> sqlite3.Connection:
    if not path.is_file():  # SQLite would make it
        raise FileNotFoundError(path)
    return sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", timeout=BUSY_SECONDS, uri=True)
