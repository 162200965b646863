"""The key of the code: what shapes every output besides the project itself.

Each file of the package (its code and built-in templates) and the version of every
library installed beside it, those it runs on among them; and for what is rendered,
Python's version and the time zone rules' too. A new version of any of them is a new
key, so nothing rendered by the old code is used again.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import os
import re
import sys
import zoneinfo
from pathlib import Path

from newsletter.core.fingerprints import fingerprint


@functools.cache
def code_fingerprint() -> str:
    """Hash each file of the package and the version of each library it runs on."""
    package = Path(__file__).parent.parent
    sources = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    parts = [
        part
        for path in sources
        for part in (path.relative_to(package).as_posix(), path.read_bytes())
    ]
    return fingerprint(*parts, *library_versions())


def environment_key() -> str:
    """The key of the code that renders: the package and its libraries, the Python that
    runs them, and the time zone database that turns moments into local times."""
    return _environment(code_fingerprint())


@functools.lru_cache(maxsize=4)  # asked once a job: 11,000 times a build of 10,000 items
def _environment(code: str) -> str:
    return fingerprint(code, sys.version, *tz_versions())


@functools.cache
def tz_versions() -> tuple[str, ...]:
    """The version of each time zone database Python may read its rules from: the
    system's (first, where it has one) and the tzdata package's."""
    found = []
    for folder in zoneinfo.TZPATH:
        with contextlib.suppress(OSError), open(Path(folder) / "tzdata.zi", "rb") as file:
            found.append(f"{folder}: {file.readline().decode(errors='replace').strip()}")
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        found.append(f"tzdata=={importlib.metadata.version('tzdata')}")
    return tuple(found)


def library_versions() -> list[str]:
    """The name and version of every distribution installed where this Python finds its
    libraries, sorted: those the package runs on among them, whether it declares them or
    not. Read from the names of their metadata folders ("Jinja2-3.1.6.dist-info"), one
    listing of each folder of sys.path: walking the package's needs through
    importlib.metadata parsed some 70 metadata files, 73 ms of every command's start
    (of a build with nothing to do that takes about a second); the listing takes 1 ms.
    A library installed that the package does not need is a new key too: the cache
    is rendered again once, never served stale."""
    found: set[str] = set()
    here = ("", os.getcwd())  # the folder the command runs in ("" or, with -m, its path)
    for entry in sys.path:
        if entry not in here:
            with contextlib.suppress(OSError):
                found.update(filter(None, map(_installed, os.listdir(entry))))
    return sorted(entry for entry in found if not entry.startswith("newsletter=="))


_METADATA = re.compile(r"([^-]+)-([^-]+?)(?:-py[^-]*)?\.(?:dist|egg)-info")


def _installed(name: str) -> str | None:
    """The "name==version" of a metadata folder called *name*, else None."""
    match = _METADATA.fullmatch(name)
    return f"{_normal(match[1])}=={match[2]}" if match else None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
