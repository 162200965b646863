"""The state folder: proven to be the project's before anything is written or removed.

``state_dir`` may name any folder, one outside the project included (CI keeps it
apart). A build writes its cache there, `send` its log, `serve` its preview; and an
earlier version kept its stores there (build.json, prints.json, items/), which a
build now removes. Nothing is written into, or removed from, a folder that holds a
file the project did not make: such a folder is refused, naming what is foreign.

What is the project's is proven by name *and* content: a marker file the project
writes into every state folder it uses, the SQLite files of the cache and the send
log (holding only their own tables), the preview's folders, and an earlier version's
stores, each in the exact form that version wrote. An earlier version wrote no
marker: its folder is recognised by holding nothing else. A removal removes files
one by one, each proven, and a folder only once empty; never a folder's contents
wholesale.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.layout import CONFIG_FILE
from newsletter.sources.config import Config
from newsletter.sources.yamlfile import load_document, read_source

MARKER = ".newsletter-state"
_MARKER_TEXT = (
    "This folder is newsletter's state folder: its build cache, its send log, its preview.\n"
    "newsletter removes only files it wrote here. Keep nothing else in it.\n"
)
_SQLITE = b"SQLite format 3\x00"
_OLD_BUILD, _OLD_PRINTS, _OLD_ITEMS = "build.json", "prints.json", "items"
_BUILD_KEYS = {"signature", "out_dir", "out_id", "counts", "warnings", "dates"}
# The tables of the cache and of the send log, in every version.
_TABLES = {
    "cache.sqlite": {"entries", "items", "bodies", "state"},
    "sent.sqlite": {"runs", "deliveries", "deferrals", "sent"},
}
_RUN_KEYS = {"period", "kind", "started", "pid", "host"}  # who holds the send log
_PART = re.compile(r"[0-9a-f]{2}\.json")
_BUILDS = re.compile(r"\d+|\.lock|\.link-\d+")
_LEFTOVER = re.compile(r"\.preview\.(new|old)-\w+")
_PARTIAL_MARKER = re.compile(r"\.newsletter-state\.(\d+)")  # a marker being written
_OLD_FILE_LIMIT = 200_000_000  # an earlier version's store is read whole to be proven


def claim_state_folder(root: Path, config: Config, *, write: bool = True) -> Path:
    """Return the project's state folder, refused if it holds anything the project did
    not make. With *write*, mark it as the project's and remove an earlier version's
    stores (each proven by its content); without, change nothing."""
    folder = root / config.state_dir
    if not folder.is_dir() and (folder.exists() or folder.is_symlink()):
        raise _refused(root, config, "is a file, not a folder; name a folder of its own")
    try:
        entries = sorted(os.listdir(folder)) if folder.is_dir() else []
    except OSError as exc:
        raise _refused(root, config, f"cannot be read: {exc.strerror}") from None
    marked = MARKER in entries and _is_marker(folder / MARKER)
    foreign = [name for name in entries if not _ours(folder, name, marked)]
    if foreign:
        names = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise _refused(
            root,
            config,
            f"holds files newsletter did not make ({names}); newsletter writes and removes"
            " files there, so name a folder of its own, such as .newsletter, or move them out",
        )
    if write:
        with contextlib.suppress(OSError):  # a read-only project is checked all the same
            folder.mkdir(parents=True, exist_ok=True)
            if not marked:
                _write_marker(folder / MARKER)
            _remove_partial_markers(folder, entries)
            _remove_old_stores(folder)
    return folder


def _ours(folder: Path, name: str, marked: bool) -> bool:
    """Tell whether the entry *name* of FOLDER is one the project writes, in its form;
    in a folder without the marker, SQLite files must be SQLite files too."""
    path = folder / name
    if name == "preview":  # the preview's out/, which refuses a folder a build did not make
        return marked or _is_preview(path)
    proof = _PROOFS.get(name)
    if proof is not None:
        return proof(path)
    sqlite_base = _sqlite_base(name)
    if sqlite_base is not None:
        return marked or _is_database(folder / sqlite_base, _TABLES[sqlite_base])
    if name == ".preview.builds":
        return _is_builds_folder(path)
    if _PARTIAL_MARKER.fullmatch(name):
        return _is_partial_marker(path)
    return marked and bool(_LEFTOVER.fullmatch(name))


def _sqlite_base(name: str) -> str | None:
    """The database a file named *name* belongs to, where it is the cache's or the log's:
    the database itself, SQLite's files beside it, the log's new copy."""
    for base in ("cache.sqlite", "sent.sqlite"):
        if name == base or name in (f"{base}-journal", f"{base}-wal", f"{base}-shm"):
            return base
    if re.fullmatch(r"\.sent\.sqlite\.\d+\.new", name):
        return "sent.sqlite"
    return None


def _is_marker(path: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and path.read_text() == _MARKER_TEXT
    except (OSError, UnicodeDecodeError):
        return False


def _is_partial_marker(path: Path) -> bool:
    """Tell whether *path* is a marker whose writer was stopped before it was put in
    place: a plain file holding the beginning of the marker's text, or nothing yet."""
    try:
        return (
            path.is_file() and not path.is_symlink() and _MARKER_TEXT.startswith(path.read_text())
        )
    except (OSError, UnicodeDecodeError):
        return False


def _remove_partial_markers(folder: Path, entries: list[str]) -> None:
    """Remove the markers left half-written by processes that have ended."""
    for name in entries:
        match = _PARTIAL_MARKER.fullmatch(name)
        if match and not _running(int(match[1])):
            (folder / name).unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's, or no such number
        return True
    return True


def _write_marker(path: Path) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_text(_MARKER_TEXT)
    partial.replace(path)


def _is_database(path: Path, tables: set[str]) -> bool:
    """An empty file, or an SQLite database holding none but *tables*: another
    program's database under the same name is not the project's."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        if path.stat().st_size == 0:
            return True
        with path.open("rb") as file:
            if file.read(len(_SQLITE)) != _SQLITE:
                return False
        uri = f"{path.absolute().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=1)) as db:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except (OSError, sqlite3.Error):
        return False
    return {str(name) for (name,) in rows if not str(name).startswith("sqlite_")} <= tables


def _is_preview(path: Path) -> bool:
    """The preview's out/: a link into the preview's builds, or an earlier one's folder."""
    if path.is_symlink():
        return bool(re.fullmatch(r"\.preview\.builds/\d+", os.readlink(path)))
    return False


def _is_builds_folder(path: Path) -> bool:
    try:
        names = os.listdir(path) if path.is_dir() and not path.is_symlink() else None
    except OSError:
        return False
    return names is not None and all(_BUILDS.fullmatch(name) for name in names)


def _read_json(path: Path) -> object:
    """The JSON a plain file holds, or None."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _OLD_FILE_LIMIT:
            return None
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _is_send_lock(path: Path) -> bool:
    """The send log's lock: empty, or saying which run holds it."""
    try:
        empty = path.is_file() and not path.is_symlink() and path.stat().st_size == 0
    except OSError:
        return False
    data = None if empty else _read_json(path)
    return empty or (isinstance(data, dict) and data.keys() == _RUN_KEYS)


def _is_old_build(path: Path) -> bool:
    """An earlier version's manifest of the last build, key for key."""
    data = _read_json(path)
    return isinstance(data, dict) and _BUILD_KEYS <= data.keys() <= _BUILD_KEYS | {"outputs"}


def _is_old_prints(path: Path) -> bool:
    """An earlier version's item prints: each item file's size, inode, times and print."""
    data = _read_json(path)
    if not isinstance(data, dict) or not data:
        return False
    return all(
        isinstance(entry, list)
        and len(entry) == 5
        and all(type(number) is int for number in entry[:4])
        and isinstance(entry[4], str)
        for entry in data.values()
    )


def _is_old_part(path: Path) -> bool:
    """One part of an earlier version's items read: the items whose keys begin so."""
    if not _PART.fullmatch(path.name):
        return False
    data = _read_json(path)
    if not isinstance(data, dict) or data.keys() != {"context", "items"}:
        return False
    items, prefix = data["items"], path.name[:2]
    return (
        isinstance(data["context"], str)
        and isinstance(items, dict)
        and all(key.startswith(prefix) and isinstance(entry, dict) for key, entry in items.items())
    )


def _is_old_items(path: Path) -> bool:
    try:
        if path.is_symlink() or not path.is_dir():
            return False
        return all(_is_old_part(part) for part in path.iterdir())
    except OSError:
        return False


_PROOFS: dict[str, Callable[[Path], bool]] = {
    MARKER: _is_marker,
    _OLD_BUILD: _is_old_build,
    _OLD_PRINTS: _is_old_prints,
    _OLD_ITEMS: _is_old_items,
    "sent.sqlite.lock": _is_send_lock,
}


def _remove_old_stores(folder: Path) -> None:
    """Remove the stores an earlier version kept here, file by file, each proven by its
    content (the cache file now holds what they held)."""
    for name, proof in ((_OLD_BUILD, _is_old_build), (_OLD_PRINTS, _is_old_prints)):
        if proof(folder / name):
            (folder / name).unlink()
    items = folder / _OLD_ITEMS
    if items.is_dir() and not items.is_symlink():
        for part in sorted(items.iterdir()):
            if _is_old_part(part):
                part.unlink()
        with contextlib.suppress(OSError):
            items.rmdir()  # only when nothing else is in it


def _refused(root: Path, config: Config, message: str) -> NewsletterError:
    """The problem with state_dir, at its line in newsletter.yaml."""
    try:
        document = load_document(CONFIG_FILE, read_source(str(root / CONFIG_FILE)))
        line = document.line_of(("state_dir",)) if "state_dir" in document.value else 1
    except (NewsletterError, OSError, TypeError):
        line = 1
    return NewsletterError(
        [Problem(CONFIG_FILE, line, "state_dir", f"{config.state_dir} {message}")]
    )
