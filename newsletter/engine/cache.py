"""A content-addressed cache of rendered outputs: one SQLite file in the state folder.

Each entry is named by the hash of everything its outputs depend on (the items'
bytes, the configuration, the templates, the package's code), so an entry is
never stale: a change makes a new key. Each entry carries a checksum of its
contents; a missing, corrupt or unreadable entry, or a whole file that is not a
database, is a miss and only costs time. Entries are plain framing, never pickle:
the state folder may come back from a CI cache and must not be able to run code.

One file, not one per entry: creating thousands of small files is what a cold
build would otherwise spend its time on.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import re
import sqlite3
import struct
import threading
from collections.abc import Mapping
from pathlib import Path

import zstandard

from newsletter.core.fingerprints import fingerprint

CACHE_FILE = "cache.sqlite"
_HEADER = struct.Struct(">32sI")  # checksum of the body, number of files
_FRAME = struct.Struct(">II")  # length of the path, length of the data
_DAMAGED = (sqlite3.Error, OSError)
_SAVE_EVERY = 500  # entries per transaction: another build waits no longer than that
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
BUSY_SECONDS = 5.0  # how long to wait for another build's lock before doing without


@functools.cache
def code_fingerprint() -> str:
    """Hash what shapes every output besides the project: each file of the package (its
    code and built-in templates) and the installed version of each library it runs on,
    the libraries they run on included. A new version of any is a new key."""
    package = Path(__file__).parent.parent
    sources = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    parts = [
        part
        for path in sources
        for part in (path.relative_to(package).as_posix(), path.read_bytes())
    ]
    return fingerprint(*parts, *library_versions())


def library_versions(distribution: str = "newsletter") -> list[str]:
    """Name and version of every library *distribution* needs, directly or not, sorted."""
    found: dict[str, str] = {}
    pending = [distribution]
    while pending:
        name = pending.pop()
        try:
            requires = importlib.metadata.requires(name) or []
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an optional need that is not installed
        found[name] = version
        for requirement in requires:
            if "extra ==" in requirement:
                continue
            needed = _NAME.match(requirement)
            if needed and _normal(needed.group()) not in map(_normal, found):
                pending.append(needed.group())
    return sorted(f"{name}=={version}" for name, version in found.items() if name != distribution)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class Cache:
    """Rendered files by key; a cache without a file, or one that fails, remembers nothing.

    Entries are written in one transaction, committed by save(); prune() deletes
    what the build did not use.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.used: set[str] = set()
        self._db: sqlite3.Connection | None = None
        self._failed = path is None
        self._unsaved = 0
        self._keys: set[str] = set()  # what the file holds: absent keys are never looked up
        # A build asks for entries from more than one thread (the workers' tasks are
        # made in the pool's own thread): one at a time.
        self._lock = threading.RLock()

    def get(self, key: str) -> dict[str, bytes] | None:
        """Return the files stored under *key*, or None when absent or damaged."""
        self.used.add(key)
        blob = self.get_blob(key)
        try:
            return None if blob is None else decode(key, blob)
        except (ValueError, struct.error, zstandard.ZstdError):
            return None  # damaged: render again

    def get_blob(self, key: str) -> bytes | None:
        """Return the entry under *key* as stored, unchecked, or None."""
        with self._lock:
            db = self._connect()
            if db is None or key not in self._keys:
                return None
            try:
                row = db.execute("SELECT blob FROM entries WHERE key = ?", (key,)).fetchone()
            except _DAMAGED as error:
                self._fail(error)
                return None
            return bytes(row[0]) if row and isinstance(row[0], bytes) else None

    def keep(self, key: str) -> None:
        """Keep the entry under *key* though this build does not read it."""
        self.used.add(key)

    def put_blob(self, key: str, blob: bytes) -> None:
        """Store an entry made by encode() under *key*; a cache that cannot, does without."""
        with self._lock:
            self.used.add(key)
            db = self._connect()
            if db is None:
                return
            try:
                db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?)", (key, blob))
            except _DAMAGED as error:
                self._fail(error)
                return
            self._keys.add(key)
            self._unsaved += 1
            if self._unsaved >= _SAVE_EVERY:
                self.save()

    def save(self) -> None:
        """Commit what was stored; the cache stays usable."""
        with self._lock:
            self._unsaved = 0
            if self._db is not None:
                try:
                    self._db.commit()
                except _DAMAGED as error:
                    self._fail(error)

    def prune(self) -> None:
        """Delete every entry this build did not use, commit, and close the file."""
        with self._lock:
            db = self._connect()
            if db is None:
                return
            try:
                db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY)")
                db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self.used))
                db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
                db.execute("DROP TABLE used")
                db.commit()
            except _DAMAGED as error:
                self._fail(error)
            self.close()

    def close(self) -> None:
        """Commit and close the file."""
        with self._lock:
            self.save()
            if self._db is not None:
                self._db.close()
                self._db = None

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._failed or self.path is None:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = _open(self.path)
        except _DAMAGED as error:
            if _damaged(error):  # not a database, or a damaged one: start afresh
                with contextlib.suppress(*_DAMAGED):
                    for suffix in ("", "-wal", "-shm", "-journal"):
                        Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                    self._db = _open(self.path)
        self._failed = self._db is None  # else unwritable, or busy: do without
        if self._db is not None:
            try:
                self._keys = {key for (key,) in self._db.execute("SELECT key FROM entries")}
            except _DAMAGED as error:
                self._fail(error)
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
        if error is not None and _damaged(error) and self.path:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)


def _damaged(error: BaseException) -> bool:
    """Tell a damaged file from a busy, unwritable or misused one."""
    code = getattr(error, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_SECONDS, check_same_thread=False)  # see _lock
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
        db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, blob BLOB NOT NULL)")
        db.execute("SELECT count(*) FROM entries WHERE key = ''").fetchone()
        db.commit()
    except sqlite3.Error:
        db.close()
        raise
    return db


def encode(key: str, files: Mapping[str, bytes]) -> bytes:
    """Pack *files* into one compressed entry, its checksum bound to *key*."""
    # Compressed, cheaply: rendered HTML and XML shrink fourfold. Zstandard's fastest
    # level takes a third of the time of zlib's and packs tighter.
    packed = b"".join(_frame(path.encode(), data) for path, data in sorted(files.items()))
    body = _CODECS.compressor.compress(packed)
    return _HEADER.pack(_checksum(key, body), len(files)) + body


class _Codecs(threading.local):
    """Zstandard's (de)compressors, one pair per thread: they are not thread-safe, and a
    build reads the cache from the pool's thread too."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(level=1)
        self.decompressor = zstandard.ZstdDecompressor()


_CODECS = _Codecs()


def _checksum(key: str, body: bytes | memoryview) -> bytes:
    # With the key in it, an entry found under another key, as a damaged file
    # could make happen, is refused like any other damage.
    digest = hashlib.sha256(key.encode())
    digest.update(body)
    return digest.digest()


def _frame(path: bytes, data: bytes) -> bytes:
    return _FRAME.pack(len(path), len(data)) + path + data


def decode(key: str, blob: bytes) -> dict[str, bytes]:
    """Unpack the entry made by encode() for *key*; ValueError when it is damaged."""
    checksum, count = _HEADER.unpack_from(blob)
    packed = memoryview(blob)[_HEADER.size :]
    if _checksum(key, packed) != checksum:
        raise ValueError("damaged cache entry")
    body = memoryview(_CODECS.decompressor.decompress(packed))
    files, offset = {}, 0
    for _ in range(count):
        path_length, data_length = _FRAME.unpack_from(body, offset)
        offset += _FRAME.size
        path = bytes(body[offset : offset + path_length]).decode()
        offset += path_length
        files[path] = bytes(body[offset : offset + data_length])
        offset += data_length
    if offset != len(body):
        raise ValueError("damaged cache entry")
    return files
