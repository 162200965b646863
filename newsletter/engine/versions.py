"""The key of the code: what shapes every output besides the project itself.

Each file of the package (its code and built-in templates) and the installed version
of every library it runs on, the libraries those run on included; and for what is
rendered, Python's version and the time zone rules' too. A new version of any of them
is a new key, so nothing rendered by the old code is used again.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import re
import sys
import zoneinfo
from pathlib import Path

from newsletter.core.fingerprints import fingerprint

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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
