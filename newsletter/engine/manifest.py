"""What the last build made, so that a build with nothing changed stops at once, and a
build after an edit keeps what it can of out/.

The cache keeps the last build's manifest: its signature (the key of the package,
configuration and templates, of every file under items/ and of the last complete
period), the span of moments in which the same items are published, what each job
made, and every file it left in out/ with its size, inode and times. A build with the
same signature, as of a moment in that span, into an out/ whose files are all as that
build left them has nothing to do. A build after an edit keeps from out/ only the
files still as they were left: one damaged or deleted by hand is written again.
Anything else, or a manifest that does not check out, means an ordinary build, which
the cache makes cheap anyway.

The cache also keeps each item file's size, inode and times with its print, so that
an unchanged file is not read again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from newsletter.core.errors import Problem
from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import CONFIG_FILE
from newsletter.core.stamps import out_stamp, settled, stamp
from newsletter.domain.periods import latest_complete
from newsletter.engine.cache import Cache
from newsletter.engine.versions import environment_key
from newsletter.sources.config import Config
from newsletter.sources.itemfiles import ItemFiles
from newsletter.sources.items import Catalog
from newsletter.sources.notes import notes_fingerprint
from newsletter.sources.templatefiles import templates_fingerprint
from newsletter.sources.yamlfile import read_source

PRINTS, BUILD = "prints", "build"  # their keys in the cache's state table

FileStats = dict[str, str]  # path: "size inode modification-time change-time"


@dataclass(frozen=True)
class Inputs:
    """What a build's output depends on, besides which items are published."""

    context: str  # the key of the code, configuration and templates
    prints: Mapping[str, str]  # each file under items/: its print, as the build began
    pictures: str  # the key of the pictures' names, sizes and times
    as_of: datetime
    period: str  # the last complete period at as_of
    strict: bool

    def signature(self) -> str:
        """The key of everything the build's output depends on, but the moment it is
        built as of: that moment only tells which items are published (see Span)."""
        parts = (*self.prints.values(), self.period, str(self.strict))
        return fingerprint(self.context, self.pictures, *parts)


def build_inputs(
    context: str,
    prints: Mapping[str, str],
    pictures: str,
    config: Config,
    as_of: datetime,
    strict: bool,
) -> Inputs:
    """Gather what a build's output depends on."""
    period = latest_complete(as_of, config.digest.period, config.tz).key
    return Inputs(context, prints, pictures, as_of, period, strict)


@dataclass(frozen=True)
class Span:
    """The moments as of which the same items are published as at a build's: from the
    latest date published then (if any), to before the earliest date still to come (if
    any). Drafts are never published, whatever their date."""

    since: datetime | None
    until: datetime | None

    @classmethod
    def around(cls, dates: Iterable[datetime], moment: datetime) -> Span:
        """The span around *moment* of the items dated *dates* (drafts left out)."""
        dates = list(dates)
        since = max((d for d in dates if d <= moment), default=None)
        return cls(since, min((d for d in dates if d > moment), default=None))

    @classmethod
    def parse(cls, stored: object) -> Span | None:
        """The span as stored() wrote it; None for anything else (a damaged manifest)."""
        if not isinstance(stored, list) or len(stored) != 2:
            return None
        try:
            since, until = (None if s is None else datetime.fromisoformat(s) for s in stored)
        except (ValueError, TypeError):
            return None
        return cls(since, until)

    def stored(self) -> list[str | None]:
        """The span as the manifest keeps it."""
        return [None if d is None else d.isoformat() for d in (self.since, self.until)]

    def holds(self, moment: datetime) -> bool:
        """Tell whether the same items are published as of *moment*."""
        try:
            return (self.since is None or self.since <= moment) and (
                self.until is None or moment < self.until
            )
        except TypeError:  # a date without its offset, in a damaged manifest
            return False


@dataclass(frozen=True)
class Manifest:
    """The last build: its signature, where it wrote, what it said, when its items are
    published, what each job made, and the files it left in out/."""

    signature: str
    out_dir: str
    out_id: list[int]  # device, inode, change and modification times of out/
    counts: list[int]  # items, published, digests, files
    warnings: list[Problem]
    published: list[str | None]  # the Span, as stored
    held: list[str]  # each item held back, and why (see commands.report.held_back)
    outputs: dict[str, list[str]]  # job key: the files it made in out/
    files: FileStats  # every file in out/, as the build left it

    def unchanged(self, inputs: Inputs, present: FileStats) -> bool:
        """Tell whether a build of *inputs* would make out/ as it is, *present* as it stands."""
        span = Span.parse(self.published)
        if span is None or not span.holds(inputs.as_of) or present != self.files:
            return False
        return inputs.signature() == self.signature

    def kept(self, present: FileStats) -> dict[str, list[str]]:
        """The files of each job whose files are all in out/ as this build left them. A
        manifest may have come back from a CI cache, and a build links and removes the
        files it lists: only those found in out/ (*present*, inside it by being found
        there) count. As sets: the benchmark's 17,000 files, checked one by one with
        is_inside(), took 58 ms of a build after an edit; so, 18 ms."""
        files, outputs = self.files, self.outputs
        if not isinstance(outputs, dict) or not isinstance(files, dict):
            return {}
        same = {path for path, stats in present.items() if files.get(path) == stats}
        return {
            key: paths
            for key, paths in outputs.items()
            if isinstance(paths, list) and _all_in(paths, same)
        }


def _all_in(paths: list[Any], found: set[str]) -> bool:
    try:
        return found.issuperset(paths)
    except TypeError:  # a path that is not text, in a damaged manifest
        return False


def item_prints(
    files: ItemFiles | None, cache: Cache | None = None, contents: dict[str, bytes] | None = None
) -> dict[str, str]:
    """Fingerprint each of *files* as load_items does: {name: print}, in name order.

    A file whose size, inode and times are those the cache has for it is not read
    again, as git does with its index. A file changed within a moment of being
    fingerprinted is read again every time: a later change in the same clock tick
    could leave its times as they were. The files read are put in *contents*, if
    given, for load_items not to read again.
    """
    known = _stored(cache, PRINTS) if cache else {}
    prints, stats = {}, {}
    now = time.time_ns()
    for label, path in files or []:
        try:
            stat = os.stat(path)
            seen = stamp(stat)
            entry = known.get(label)
            if isinstance(entry, list) and len(entry) == 5 and entry[:4] == seen:
                prints[label] = str(entry[4])
            else:
                data = read_source(path)
                prints[label] = fingerprint(label, data)
                if contents is not None:
                    contents[label] = data
        except OSError as exc:  # reported when the items are read
            prints[label] = fingerprint(label, "unreadable", str(exc))
            continue
        if settled(seen, now):
            stats[label] = [*seen, prints[label]]
    if cache and stats != known:
        cache.write("state", {PRINTS: orjson.dumps(stats)})
    return prints


def _stored(cache: Cache, key: str) -> dict[str, Any]:
    """The mapping stored under *key* in the cache's state table; none when it is not one."""
    try:
        data = orjson.loads(cache.read("state", key) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def site_context(root: Path) -> str:
    """The key of everything a build depends on besides the items and pictures: the code,
    config, templates and editor's notes; the same key, the same files, and a build with
    the same items has nothing to do (see Manifest.unchanged). Each output's own key is derived
    from what it receives (see jobs.output_key)."""
    config = (root / CONFIG_FILE).read_bytes()
    return fingerprint(
        environment_key(), config, templates_fingerprint(root), notes_fingerprint(root)
    )


def out_files(out_dir: Path) -> FileStats:
    """Every file under OUT_DIR, relative to it, with its size, inode and times."""
    found: FileStats = {}
    pending = [("", str(out_dir))]
    while pending:
        prefix, where = pending.pop()
        try:
            with os.scandir(where) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((f"{prefix}{entry.name}/", entry.path))
                    else:
                        found[prefix + entry.name] = out_stamp(entry.stat(follow_symlinks=False))
        except OSError:  # gone, or not a folder: nothing of it is kept
            continue
    return found


def last_build(cache: Cache, out_dir: Path) -> Manifest | None:
    """Return the manifest of the build that made OUT_DIR, if the cache has it."""
    stored = _stored(cache, BUILD)
    try:
        warnings = [Problem(**problem) for problem in stored.pop("warnings")]
        last = Manifest(warnings=warnings, **stored)
        stat = out_dir.stat()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if last.out_dir != str(out_dir.resolve()) or last.out_id != _identity(stat):
        return None
    return last if _well_formed(last) else None


def _well_formed(last: Manifest) -> bool:
    """Check what a build with nothing to do reports of a manifest, which may have come
    back from a CI cache. The files it lists are checked where they are kept (kept())."""
    counts, held = last.counts, last.held
    if not isinstance(last.files, dict) or not isinstance(counts, list) or len(counts) != 4:
        return False
    if not isinstance(held, list) or not all(isinstance(line, str) for line in held):
        return False
    return all(isinstance(count, int) for count in counts)


def remember(
    cache: Cache,
    out_dir: Path,
    inputs: Inputs,
    catalog: Catalog,
    counts: list[int],
    warnings: Sequence[Problem],
    held: Sequence[str],
    outputs: Mapping[str, list[str]],
    files: FileStats,
) -> None:
    """Keep the manifest of the build that just put out/ in place, which held back the
    items *held* says, and made *outputs*: the files of out/, stamped as *files*.

    *inputs* hold the item files as they were when the build began: a file changed
    since then makes the next build's signature differ, and that build starts afresh.
    """
    dates = [item.published for item in catalog.items if not item.draft]
    manifest = {
        "signature": inputs.signature(),
        "out_dir": str(out_dir.resolve()),
        "out_id": _identity(out_dir.stat()),
        "counts": counts,
        "warnings": [vars(problem) for problem in warnings],
        "published": Span.around(dates, inputs.as_of).stored(),
        "held": list(held),
        "outputs": outputs,
        "files": files,
    }
    cache.write("state", {BUILD: orjson.dumps(manifest)})


def forget(cache: Cache) -> bool:
    """Remove the manifest before out/ changes, so that a build stopped while changing
    it leaves none, and the next build replaces out/ whole. False when it stays."""
    return cache.delete("state", BUILD)


def _identity(stat: os.stat_result) -> list[int]:
    # An inode number alone can come back for a new folder; its change time cannot.
    return [stat.st_dev, stat.st_ino, stat.st_ctime_ns, stat.st_mtime_ns]
