"""Fingerprints: the hash of what an output depends on, the key of everything cached."""

from __future__ import annotations

import hashlib


def fingerprint(*parts: bytes | str) -> str:
    """Hash *parts* into a key: the same parts, in the same order, give the same key."""
    data = [part.encode() if isinstance(part, str) else part for part in parts]
    return hashlib.sha256(b"".join(len(d).to_bytes(8, "big") + d for d in data)).hexdigest()
