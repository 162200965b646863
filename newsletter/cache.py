"""A content-addressed cache of rendered outputs, under the state folder.

Each entry is named by the hash of everything its outputs depend on (the items'
bytes, the configuration, the templates, the package version), so an entry is
never stale: a change makes a new key. Each file carries a checksum of its
contents; a missing, corrupt or unreadable entry is a miss and only costs time.
The format is plain framing, never pickle: the cache folder may come back from a
CI cache and must not be able to run code.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path

CACHE_DIR = "cache"
_HEADER = struct.Struct(">32sI")  # checksum of the body, number of files
_FRAME = struct.Struct(">II")  # length of the path, length of the data


@functools.cache
def code_fingerprint() -> str:
    """Hash the package's own code: a new version, or an edited checkout, is a new key."""
    package = Path(__file__).parent
    sources = sorted(package.glob("*.py"))
    return fingerprint(*(part for path in sources for part in (path.name, path.read_bytes())))


def fingerprint(*parts: bytes | str) -> str:
    """Hash *parts* into a key: the same parts, in the same order, give the same key."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class Cache:
    """Rendered files by key; a cache without a folder remembers nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()
        self.misses = 0

    def get(self, key: str) -> dict[str, bytes] | None:
        """Return the files stored under *key*, or None when absent or damaged."""
        self.used.add(key)
        try:
            if self.folder is not None:
                return _decode((self.folder / key[:2] / key).read_bytes())
        except (OSError, ValueError, struct.error, zlib.error):
            pass  # missing or damaged: render again
        self.misses += 1
        return None

    def keep(self, key: str) -> None:
        """Keep the entry under *key* though this build does not read it."""
        self.used.add(key)

    def put(self, key: str, files: Mapping[str, bytes]) -> None:
        """Store *files* under *key*, atomically, so a reader never sees half an entry."""
        self.used.add(key)
        if self.folder is None:
            return
        path = self.folder / key[:2] / key
        partial = path.with_name(f".{key}.{os.getpid()}")
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(_encode(files))
            partial.replace(path)

    def prune(self) -> int:
        """Delete every entry this build did not use; return how many."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.glob("*/*"):
            if path.name not in self.used:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed


def _encode(files: Mapping[str, bytes]) -> bytes:
    # Compressed, cheaply: rendered HTML and XML shrink tenfold, and a cold build is
    # bound by how much it writes to disk.
    body = zlib.compress(
        b"".join(_frame(path.encode(), data) for path, data in sorted(files.items())), 1
    )
    return _HEADER.pack(hashlib.sha256(body).digest(), len(files)) + body


def _frame(path: bytes, data: bytes) -> bytes:
    return _FRAME.pack(len(path), len(data)) + path + data


def _decode(blob: bytes) -> dict[str, bytes]:
    checksum, count = _HEADER.unpack_from(blob)
    packed = memoryview(blob)[_HEADER.size :]
    if hashlib.sha256(packed).digest() != checksum:
        raise ValueError("damaged cache entry")
    body = memoryview(zlib.decompress(packed))
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
