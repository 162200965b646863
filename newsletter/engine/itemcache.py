"""Items read before, kept as JSON under the state folder so unchanged files skip parsing.

An item is kept without its body, two thirds of its size: a build reads every item
back, but needs the body of few, and reads those again from their files.

The whole file is thrown away when the configuration or the package version
changes (both change what an item file means), and when it cannot be read.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from newsletter.core.errors import Problem
from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import CONFIG_FILE
from newsletter.engine.cache import code_fingerprint
from newsletter.engine.output import is_inside
from newsletter.engine.workers import Workers
from newsletter.sources.config import Config, load_config
from newsletter.sources.itemfiles import ItemFiles
from newsletter.sources.items import Catalog, Event, Item, Memo, load_items
from newsletter.sources.model import ID_PATTERN
from newsletter.sources.pictures import Image

ITEMS_DIR = "items"  # in the state folder: one JSON file per first two hex digits of a key
_TIMES = ("published", "updated", "start", "end")
_STORED_FIELDS = {field.name for field in fields(Item)} - {"path"}  # where the project is now


def load_catalog(root: Path, *, strict: bool = False, config: Config | None = None) -> Catalog:
    """Validate the configuration and every item; raise every problem at once.

    What was read is remembered in the state folder, so unchanged files are not
    parsed again by the next check or build.
    """
    catalog, remember = read_catalog(root, strict=strict, config=config)
    remember()
    return catalog


def read_catalog(
    root: Path,
    *,
    strict: bool = False,
    config: Config | None = None,
    prints: Mapping[str, str] | None = None,
    workers: Workers | None = None,
    files: ItemFiles | None = None,
    contents: dict[str, bytes] | None = None,
) -> tuple[Catalog, Callable[[], None]]:
    """As load_catalog(), but return with the catalog the remembering of what was read,
    for the caller to do when it suits: a build does it while its workers render. A
    build also passes what it has found already: the item files, their prints and
    the bytes read for them (see load_items), and its worker processes."""
    config = config or load_config(root)
    folder = root / config.state_dir / ITEMS_DIR
    context = fingerprint(code_fingerprint(), (root / CONFIG_FILE).read_bytes())
    memo = read_memo(folder, context, root)
    known = set(memo)
    catalog = load_items(
        root, config, strict=strict, memo=memo, prints=prints, workers=workers, files=files,
        contents=contents,
    )  # fmt: skip
    keep = {item.fingerprint for item in catalog.items}

    def remember() -> None:
        if keep != known:
            with contextlib.suppress(OSError):  # a read-only project is checked all the same
                write_memo(folder, context, memo, known, keep)

    return catalog, remember


def read_memo(folder: Path, context: str, root: Path) -> Memo:
    """Return the items remembered in FOLDER for *context*, or none; ROOT is the project."""
    memo: Memo = {}
    where = f"{root}{os.sep}"  # the project's folder, to which the items' names are relative
    for path in sorted(folder.glob("*.json")):
        try:
            stored = orjson.loads(path.read_bytes())
            if stored.get("context") == context:
                memo.update((key, _decode(entry, where)) for key, entry in stored["items"].items())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # a damaged part costs the parsing of its items, nothing more
    return memo


def write_memo(folder: Path, context: str, memo: Memo, known: set[str], keep: set[str]) -> None:
    """Remember the entries of *memo* in *keep*, rewriting only the parts that changed."""
    folder.mkdir(parents=True, exist_ok=True)
    parts: dict[str, list[str]] = {}
    for key in sorted(keep & memo.keys()):
        parts.setdefault(key[:2], []).append(key)
    for part in sorted({key[:2] for key in known ^ keep}):
        keys = parts.get(part, [])
        path = folder / f"{part}.json"
        if not keys:
            path.unlink(missing_ok=True)
            continue
        entries = {key: _encode(*memo[key]) for key in keys}
        partial = folder / f".{part}.json.{os.getpid()}"
        partial.write_bytes(orjson.dumps({"context": context, "items": entries}))
        partial.replace(path)


def _encode(item: Item | None, problems: tuple[Problem, ...]) -> dict[str, Any]:
    found = [_plain(problem) for problem in problems]
    if item is None:  # a file with errors
        return {"item": None, "problems": found}
    data = _plain(item)
    data["body"] = None
    del data["path"]
    data["image"] = _plain(item.image) if item.image else None
    data["event"] = _plain(item.event) if item.event else None
    return {"item": data, "problems": found}


def _plain(record: Any) -> dict[str, Any]:
    """A dataclass's fields as JSON values, one level deep (asdict copies far too much)."""
    pairs = ((field.name, getattr(record, field.name)) for field in fields(record))
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in pairs}


def _decode(entry: dict[str, Any], where: str) -> tuple[Item | None, tuple[Problem, ...]]:
    problems = tuple(Problem(**problem) for problem in entry["problems"])
    data = entry["item"]
    if data is None:
        return None, problems
    if data.keys() != _STORED_FIELDS or data["body"] is not None:
        raise KeyError("the stored item has other fields")
    if not isinstance(data["id"], str) or not ID_PATTERN.match(data["id"]):
        raise ValueError("the stored item's id would name a file outside news/")
    source = data["source"]
    if not isinstance(source, str) or not source.startswith("items/") or not is_inside(source):
        raise ValueError("the stored item's file is not under items/")
    data["path"] = where + source
    _times(data)
    if data["image"]:
        data["image"] = Image(**data["image"])
    if data["event"]:
        data["event"] = Event(**_times(data["event"]))
    data["authors"], data["tags"] = tuple(data["authors"]), tuple(data["tags"])
    return Item(**data), problems


def _times(data: dict[str, Any]) -> dict[str, Any]:
    """Turn the times in *data* back into datetimes, in place."""
    for key in _TIMES:
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    return data
