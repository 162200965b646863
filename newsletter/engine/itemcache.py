"""Items read before, kept in the cache so that unchanged files skip parsing.

Each item is kept whole, its body too (some kilobytes): an item read back needs
nothing more from its file. Its entry is sealed under the key of what it was read
with (the code and the configuration, both of which change what an item file means)
and its file's print: one read back under another configuration, or damaged, does
not check out, and the file is parsed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from newsletter.core.errors import Problem
from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import CONFIG_FILE
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.manifest import item_prints
from newsletter.engine.output import is_inside
from newsletter.engine.versions import code_fingerprint
from newsletter.engine.workers import Workers
from newsletter.sources.config import Config, load_config
from newsletter.sources.itemfiles import Found, item_files
from newsletter.sources.items import Catalog, Event, Item, Memo, load_items
from newsletter.sources.model import ID_PATTERN
from newsletter.sources.pictures import Image, Measured

TABLE = "items"  # the cache's table of items read before
PICTURES = "pictures"  # in its state table: the picture files measured (see measure)
_TIMES = ("published", "updated", "start", "end")
_STORED_FIELDS = {field.name for field in fields(Item)}


def load_catalog(
    root: Path, *, strict: bool = False, config: Config | None = None, remember: bool = True
) -> Catalog:
    """Validate the configuration and every item; raise every problem at once.

    What was read is remembered in the cache, so unchanged files are not parsed again
    by the next check or build; without *remember*, nothing is written anywhere.
    """
    config = config or load_config(root)
    path = root / config.state_dir / CACHE_FILE
    files = item_files(root)
    contents: dict[str, bytes] = {}  # read for the prints, for the items not to read again
    with Cache(path, read_only=not remember) as cache:
        # A file whose size and times are as the cache has them is not read again.
        known = Found(files, item_prints(files, cache, contents), contents)
        catalog, remember_items = read_catalog(root, config, cache, strict=strict, found=known)
        if remember:
            remember_items()
    return catalog


def read_catalog(
    root: Path, config: Config, cache: Cache, *, strict: bool = False,
    found: Found | None = None, workers: Workers | None = None,
) -> tuple[Catalog, Callable[[], None]]:  # fmt: skip
    """As load_catalog(), but return with the catalog the remembering of what was read,
    for the caller to do when it suits: a build does it while its workers render. A
    build also passes what it has found already (see Found), and its worker processes."""
    context = items_context(root)
    memo = read_memo(cache, context)
    known = set(memo)
    measured = read_measured(cache, context)
    before = dict(measured)
    catalog = load_items(
        root, config, strict=strict, memo=memo, found=found, workers=workers, pictures=measured
    )
    keep = {item.fingerprint for item in catalog.items}

    def remember() -> None:
        if keep != known:
            new = ((key, orjson.dumps(_encode(*memo[key]))) for key in sorted(keep - known))
            cache.write(TABLE, new, seal=context)
            cache.keep_only(TABLE, keep)
        if measured != before:
            cache.write("state", {PICTURES: orjson.dumps(measured)}, seal=context)

    return catalog, remember


def items_context(root: Path) -> str:
    """The key of what the items of the project at ROOT are read with: the code and
    the configuration."""
    return fingerprint(code_fingerprint(), (root / CONFIG_FILE).read_bytes())


def read_measured(cache: Cache, context: str) -> Measured:
    """Return the picture files the cache holds as measured for *context*, or none."""
    try:
        measured = orjson.loads(cache.read("state", PICTURES, seal=context) or b"{}")
    except ValueError:
        return {}  # damaged: the pictures are measured again, nothing more
    return measured if isinstance(measured, dict) else {}


def read_memo(cache: Cache, context: str) -> Memo:
    """Return the items the cache holds for *context*, by their file's print: each one
    that checks out and is the item it is stored as."""
    memo: Memo = {}
    for key, data in cache.read_all(TABLE, seal=context):
        try:
            item, problems = _decode(orjson.loads(data))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a damaged entry costs the parsing of its item, nothing more
        if item is None or item.fingerprint == key:
            memo[key] = (item, problems)
    return memo


def _encode(item: Item | None, problems: tuple[Problem, ...]) -> dict[str, Any]:
    found = [_plain(problem) for problem in problems]
    if item is None:  # a file with errors
        return {"item": None, "problems": found}
    data = _plain(item)
    data["image"] = _plain(item.image) if item.image else None
    data["event"] = _plain(item.event) if item.event else None
    return {"item": data, "problems": found}


def _plain(record: Any) -> dict[str, Any]:
    """A dataclass's fields as JSON values, one level deep (asdict copies far too much)."""
    pairs = ((field.name, getattr(record, field.name)) for field in fields(record))
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in pairs}


def _decode(entry: dict[str, Any]) -> tuple[Item | None, tuple[Problem, ...]]:
    problems = tuple(Problem(**problem) for problem in entry["problems"])
    data = entry["item"]
    if data is None:
        return None, problems
    if data.keys() != _STORED_FIELDS or not isinstance(data["body"], str):
        raise KeyError("the stored item has other fields")
    if not isinstance(data["id"], str) or not ID_PATTERN.match(data["id"]):
        raise ValueError("the stored item's id would name a file outside news/")
    source = data["source"]
    if not isinstance(source, str) or not source.startswith("items/") or not is_inside(source):
        raise ValueError("the stored item's file is not under items/")
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
