"""The templates' files as a build's input: every template a build may use, hashed.

Kept apart from the Jinja environment (render/templates.py), so that a build with
nothing to do tells whether a template changed without importing Jinja.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import TEMPLATES_DIR

BUILT_IN = Path(__file__).parent.parent / TEMPLATES_DIR


def templates_fingerprint(root: Path) -> str:
    """Hash every template a build may use: the built-in ones and the project's own."""
    parts: list[str | bytes] = []
    for folder in (BUILT_IN, root / TEMPLATES_DIR):
        for path in files_under(folder):
            parts += [path.relative_to(folder).as_posix(), _print_of(path)]
    return fingerprint(*parts)


def files_under(folder: Path) -> list[Path]:
    """Every entry under FOLDER but its folders, links to folders not followed (nor
    FOLDER itself, when it is one: it might lead to /)."""
    found: list[Path] = []
    if folder.is_symlink():
        return found
    for parent, folders, files in os.walk(folder):
        found += [Path(parent, name) for name in files]
        found += [Path(parent, name) for name in folders if Path(parent, name).is_symlink()]
    return sorted(found)


def _print_of(path: Path) -> bytes:
    """A plain file's bytes; of anything else, what it is, never read (a pipe would
    hang, a link may lead anywhere: the render refuses both)."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            return b"link to " + os.fsencode(os.readlink(path))
        if stat.S_ISREG(mode):
            return path.read_bytes()
    except OSError as exc:
        return f"unreadable: {exc.strerror}".encode()
    return f"not a plain file: {stat.S_IFMT(mode)}".encode()
