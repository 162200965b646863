"""Items read before, kept in the cache so that unchanged files skip parsing.

Each item is kept whole, its body apart (some kilobytes; few builds need more than a
handful of bodies, see Bodies): an item read back needs nothing more from its file.
Each entry is sealed under the key of what it was read with (the code and the
configuration, both of which change what an item file means) and its file's print:
one read back under another configuration, or damaged, does not check out, and the
file is parsed again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Container, Mapping
from dataclasses import fields
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import orjson

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import CONFIG_FILE
from newsletter.core.records import made
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.manifest import item_prints
from newsletter.engine.output import is_inside
from newsletter.engine.statefolder import claim_state_folder
from newsletter.engine.versions import code_fingerprint
from newsletter.engine.workers import Workers
from newsletter.sources.config import Config, load_config
from newsletter.sources.itemfiles import Found, item_files
from newsletter.sources.items import Catalog, Event, Item, Memo, body_of, load_items
from newsletter.sources.model import ID_PATTERN
from newsletter.sources.pictures import Image, Measured
from newsletter.sources.yamlfile import read_source

TABLE = "items"  # the cache's table of items read before
BODIES = "bodies"  # and of their bodies, by the same keys
PICTURES = "pictures"  # in its state table: the picture files measured (see measure)
DATES = "dates"  # in its state table: when each item is published, and its event starts

When = tuple[datetime, datetime | None]  # an item's publication, and its event's start
Concerns = Callable[[datetime, datetime | None], bool]  # which items a reader wants
_TIMES = ("published", "updated", "start", "end")


def load_catalog(
    root: Path,
    *,
    strict: bool = False,
    config: Config | None = None,
    remember: bool = True,
    concerns: Concerns | None = None,
) -> Catalog:
    """Validate the configuration and every item; raise every problem at once.

    What was read is remembered in the cache, so unchanged files are not parsed again
    by the next check or build; without *remember*, nothing is written anywhere.

    With *concerns*, the catalog holds just the items it takes, by when each is
    published and its event starts (one period's digest needs no others): of the files
    read before, the others are not even decoded. Every file changed since is still
    read, and checked.
    """
    config = config or load_config(root)
    path = claim_state_folder(root, config, write=remember) / CACHE_FILE
    files = item_files(root)
    contents: dict[str, bytes] = {}  # read for the prints, for the items not to read again
    with Cache(path, read_only=not remember) as cache:
        # A file whose size and times are as the cache has them is not read again.
        known = Found(files, item_prints(files, cache, contents), contents)
        if concerns is not None:
            known = _concerned(known, read_dates(cache, items_context(root)), concerns)
        catalog, remember_items = read_catalog(
            root, config, cache, strict=strict, found=known, whole=concerns is None
        )
        if remember:
            remember_items()
    return catalog


def read_catalog(
    root: Path,
    config: Config,
    cache: Cache,
    *,
    strict: bool = False,
    found: Found | None = None,
    workers: Workers | None = None,
    whole: bool = True,
) -> tuple[Catalog, Callable[[], None]]:
    """As load_catalog(), but return with the catalog the remembering of what was read,
    for the caller to do when it suits: a build does it while its workers render. A
    build also passes what it has found already (see Found), and its worker processes.
    Unless *whole*, *found* holds some of the files only: the others stay remembered."""
    context = items_context(root)
    wanted = (
        None if whole or found is None else {found.prints.get(f, "") for f, _ in found.files or []}
    )
    memo = read_memo(cache, context, config.tz, wanted)
    known = set(memo)
    measured = read_measured(cache, context)
    before = dict(measured)
    catalog = load_items(
        root, config, strict=strict, memo=memo, found=found, workers=workers, pictures=measured
    )
    keep = set(catalog.prints.values())

    def remember() -> None:
        if keep != known or cache.read("state", DATES, seal=context) is None:
            new = sorted(keep - known)
            cache.write(TABLE, ((key, orjson.dumps(_encode(*memo[key]))) for key in new), context)
            cache.write(BODIES, ((key, catalog.bodies[key].encode()) for key in new), context)
            if whole:
                cache.keep_only(TABLE, keep)
                cache.keep_only(BODIES, keep)
            _remember_dates(cache, context, catalog, whole)
        if measured != before:
            cache.write("state", {PICTURES: orjson.dumps(measured)}, seal=context)

    return catalog, remember


def items_context(root: Path) -> str:
    """The key of what the items of the project at ROOT are read with: the code and
    the configuration."""
    return fingerprint(code_fingerprint(), (root / CONFIG_FILE).read_bytes())


class Bodies:
    """The Markdown body of each item, for the jobs that render an item: those its build
    read from their files, until it lets them go (once they are in the cache); the
    others read from the cache when a job asks, or from the item's file again if the
    cache has lost one. An unchanged item's page is seldom rendered again: not worth
    holding every body. The bodies read are the catalog's own: letting them go empties
    its record of them too (the benchmark's 10,000 bodies take 35 MB)."""

    def __init__(self, root: Path, cache: Cache, catalog: Catalog) -> None:
        self.root, self.cache, self.read = root, cache, catalog.bodies
        self.prints = catalog.prints
        self.context = items_context(root)

    def of(self, item: Item) -> str:
        """The body of *item*."""
        return self.printed(item, self.print_of(item))

    def print_of(self, item: Item) -> str:
        """The print of *item*'s file (of its name and bytes): what its body is made of."""
        return self.prints[item.id]

    def printed(self, item: Item, key: str) -> str:
        """The body of *item*, whose file's print is *key*."""
        if (body := self.read.get(key)) is not None:
            return body
        if (stored := self.cache.read(BODIES, key, seal=self.context)) is not None:
            with contextlib.suppress(UnicodeDecodeError):
                return stored.decode()
        try:
            data = read_source(str(self.root / item.source))
        except OSError:
            data = b""
        if fingerprint(item.source, data) != key:
            raise NewsletterError(f"{item.source}: changed while the build ran; build again")
        return body_of(data, item.source)

    def let_go(self) -> None:
        """Drop the bodies read from the files, here and in the catalog: the cache holds
        them now."""
        self.read.clear()


def read_dates(cache: Cache, context: str) -> dict[str, When]:
    """When each item the cache holds for *context* is published, and its event starts,
    by its file's print; none when the record of them is missing or damaged."""
    try:
        return {
            key: (datetime.fromisoformat(published), start and datetime.fromisoformat(start))
            for key, (published, start) in _stored_dates(cache, context).items()
        }
    except (ValueError, TypeError, AttributeError):
        return {}  # the items are decoded, as if none were known


def _stored_dates(cache: Cache, context: str) -> dict[str, Any]:
    try:
        stored = orjson.loads(cache.read("state", DATES, seal=context) or b"{}")
    except ValueError:
        return {}
    return stored if isinstance(stored, dict) else {}


def _remember_dates(cache: Cache, context: str, catalog: Catalog, whole: bool) -> None:
    """Record when each item of *catalog* is published and its event starts; unless
    *whole*, along with the items recorded before."""
    dates = {} if whole else _stored_dates(cache, context)
    for item in catalog.items:
        start = item.event.start.isoformat() if item.event else None
        dates[catalog.prints[item.id]] = [item.published.isoformat(), start]
    cache.write("state", {DATES: orjson.dumps(dates)}, seal=context)


def _concerned(found: Found, dates: Mapping[str, When], concerns: Concerns) -> Found:
    """*found* with only the files whose items *concerns* takes, or whose dates are
    not known."""
    if found.files is None:
        return found
    files = []
    for label, path in found.files:
        when = dates.get(found.prints.get(label, ""))
        if when is None or concerns(*when):
            files.append((label, path))
    return Found(files, found.prints, found.contents)


def read_measured(cache: Cache, context: str) -> Measured:
    """Return the picture files the cache holds as measured for *context*, or none."""
    try:
        measured = orjson.loads(cache.read("state", PICTURES, seal=context) or b"{}")
    except ValueError:
        return {}  # damaged: the pictures are measured again, nothing more
    return measured if isinstance(measured, dict) else {}


def read_memo(cache: Cache, context: str, tz: tzinfo, keys: Container[str] | None = None) -> Memo:
    """Return the items the cache holds for *context*, by their file's print: each one
    that checks out and is the item it is stored as; with *keys*, of those only. Their
    times are in the zone *tz*, as when they were read."""
    memo: Memo = {}
    for key, data in cache.read_all(TABLE, seal=context, keys=keys):
        try:
            item, problems = _decode(orjson.loads(data), tz)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a damaged entry costs the parsing of its item, nothing more
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


def _decode(entry: dict[str, Any], tz: tzinfo) -> tuple[Item | None, tuple[Problem, ...]]:
    problems = tuple(Problem(**problem) for problem in entry["problems"])
    data = entry["item"]
    if data is None:
        return None, problems
    if not isinstance(data["card"], str):
        raise ValueError("the stored item's key is not text")
    if not isinstance(data["id"], str) or not ID_PATTERN.match(data["id"]):
        raise ValueError("the stored item's id would name a file outside news/")
    source = data["source"]
    if not isinstance(source, str) or not source.startswith("items/") or not is_inside(source):
        raise ValueError("the stored item's file is not under items/")
    _times(data, tz)
    if data["image"]:
        data["image"] = made(Image, data["image"])
    if data["event"]:
        data["event"] = Event(**_times(data["event"], tz))
    data["authors"], data["tags"] = tuple(data["authors"]), tuple(data["tags"])
    return made(Item, data), problems


def _times(data: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """Turn the times in *data* back into datetimes in the zone *tz*, in place."""
    for key in _TIMES:
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key]).astimezone(tz)
    return data
