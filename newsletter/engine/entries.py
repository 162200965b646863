"""The cache's entries as bytes: each sealed with a checksum, rendered files packed.

An entry begins with the SHA-256 of its key and its bytes: found under another key,
as a damaged file could make happen, or changed by one bit, it is refused like any
other damage. Rendered files are packed in plain framing (never pickle: the cache
may come back from a CI cache and must not be able to run code) and compressed.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping

import zstandard

_CHECKSUM = 32  # bytes of SHA-256 at the head of every entry
_COUNT = struct.Struct(">I")  # number of files in a rendered entry
_FRAME = struct.Struct(">II")  # length of the path, length of the data
# Zstandard's fastest level: rendered HTML and XML shrink fourfold, in a third of
# zlib's time. Not thread-safe: a process packs and unpacks from one thread.
_COMPRESSOR = zstandard.ZstdCompressor(level=1)
_DECOMPRESSOR = zstandard.ZstdDecompressor()


def sealed(key: str, data: bytes) -> bytes:
    """Put before *data* the checksum of *key* and *data*."""
    return _checksum(key, data) + data


def unseal(key: str, blob: object) -> bytes | None:
    """Return the data sealed under *key* in *blob*, or None when it does not check out."""
    if not isinstance(blob, bytes) or len(blob) < _CHECKSUM:
        return None
    data = memoryview(blob)[_CHECKSUM:]
    return bytes(data) if _checksum(key, data) == blob[:_CHECKSUM] else None


def _checksum(key: str, data: bytes | memoryview) -> bytes:
    digest = hashlib.sha256(key.encode())
    digest.update(b"\0")
    digest.update(data)
    return digest.digest()


def squeeze(data: bytes) -> bytes:
    """Compress *data* that a build holds for long, such as an item's HTML for the feeds."""
    return _COMPRESSOR.compress(data)


def unsqueeze(data: bytes) -> bytes:
    """Return the *data* that squeeze() compressed."""
    return _DECOMPRESSOR.decompress(data)


def encode(key: str, files: Mapping[str, bytes]) -> bytes:
    """Pack rendered *files* into one compressed entry, sealed under *key*."""
    packed = b"".join(_frame(path.encode(), data) for path, data in sorted(files.items()))
    return sealed(key, _COUNT.pack(len(files)) + _COMPRESSOR.compress(packed))


def _frame(path: bytes, data: bytes) -> bytes:
    return _FRAME.pack(len(path), len(data)) + path + data


def decode(key: str, blob: bytes) -> dict[str, bytes]:
    """Unpack the entry made by encode() for *key*; ValueError when it is damaged."""
    packed = unseal(key, blob)
    if packed is None:
        raise ValueError("damaged cache entry")
    (count,) = _COUNT.unpack_from(packed)
    body = memoryview(_DECOMPRESSOR.decompress(packed[_COUNT.size :]))
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
