"""What the last build made, so that a build with nothing changed stops at once.

After each build the state folder keeps its signature: the key of the package,
configuration and templates, of every file under items/, of the items that were
published and of the last complete period. A build with the same signature,
into the very out/ folder the last build made (the same inode: nobody replaced
it), has nothing to do. Anything else, or a manifest that cannot be read, means
an ordinary build, which the cache makes cheap anyway.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from newsletter.core.errors import Problem
from newsletter.core.fingerprints import fingerprint
from newsletter.domain.periods import latest_complete
from newsletter.engine.output import is_inside
from newsletter.sources.config import Config
from newsletter.sources.itemfiles import ItemFiles, item_files
from newsletter.sources.items import Item
from newsletter.sources.yamlfile import read_source

BUILD_FILE = "build.json"
PRINTS_FILE = "prints.json"  # each item file's size, inode and times, and its print
_SETTLED_NS = 2_000_000_000  # older changes than this cannot be followed by one unseen


@dataclass(frozen=True)
class Manifest:
    """The last build: its signature, where it wrote, what it said, and its items' dates."""

    signature: str
    out_dir: str
    out_id: list[int]  # device, inode, change and modification times of out/
    counts: list[int]  # items, published, digests, files
    warnings: list[Problem]
    dates: dict[str, list[str | bool]]  # item fingerprint: [published, draft]
    outputs: dict[str, list[str]]  # job key: the files it made in out/

    def unchanged(
        self, prints: Mapping[str, str], context: str, config: Config, as_of: datetime,
        strict: bool,
    ) -> bool:  # fmt: skip
        """Tell whether a build now would make the very out/ this one made."""
        items = [p for name, p in prints.items() if name.endswith((".yaml", ".yml"))]
        if any(p not in self.dates for p in items):  # pictures beside them have no dates
            return False
        try:
            published = [p for p in items if _published(self.dates[p], as_of)]
        except (ValueError, TypeError):  # a damaged manifest: build as usual
            return False
        return signature(context, prints, published, config, as_of, strict) == self.signature


def item_prints(
    root: Path,
    state: Path | None = None,
    files: ItemFiles | None = None,
    contents: dict[str, bytes] | None = None,
) -> dict[str, str]:
    """Fingerprint every file under items/ as load_items does: {name: print}, in name order.

    With a state folder, a file whose size, inode and change time are those it had
    when last fingerprinted is not read again, as git does with its index. A file
    changed within a moment of being fingerprinted is read again every time: a
    later change in the same clock tick could leave its times as they were. The
    files read are put in *contents*, if given, for load_items not to read again.
    """
    known = _read_stats(state / PRINTS_FILE) if state else {}
    prints, stats = {}, {}
    now = time.time_ns()
    for label, path in (item_files(root) if files is None else files) or []:
        try:
            stat = os.stat(path)
            seen = [stat.st_size, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns]
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
        if now - max(stat.st_mtime_ns, stat.st_ctime_ns) > _SETTLED_NS:
            stats[label] = [*seen, prints[label]]
    if state and stats != known:
        _write_json(state, PRINTS_FILE, stats)
    return prints


def _read_stats(path: Path) -> dict[str, object]:
    """The stored sizes, times and prints; anything unexpected in them is a miss."""
    try:
        stats = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def _write_json(state: Path, name: str, data: object) -> None:
    partial = state / f".{name}.{os.getpid()}"
    with contextlib.suppress(OSError):  # without it, the next build is merely slower
        state.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(orjson.dumps(data))
        partial.replace(state / name)


def signature(
    context: str, prints: Mapping[str, str], published: Sequence[str], config: Config,
    as_of: datetime, strict: bool,
) -> str:  # fmt: skip
    """The key of everything a build's output depends on."""
    period = latest_complete(as_of, config.digest.period, config.tz).key
    files = prints.values()
    return fingerprint(context, *files, "published", *sorted(published), period, str(strict))


def last_build(root: Path, out_dir: Path, config: Config) -> Manifest | None:
    """Return the manifest of the build that made OUT_DIR as it is now, if there is one."""
    try:
        data = orjson.loads((root / config.state_dir / BUILD_FILE).read_bytes())
        data["warnings"] = [Problem(**problem) for problem in data["warnings"]]
        last = Manifest(**data)
        stat = out_dir.stat()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if last.out_dir != str(out_dir.resolve()) or last.out_id != _identity(stat):
        return None
    return last if _well_formed(last) else None


def _well_formed(last: Manifest) -> bool:
    """Check what a build trusts of a manifest, which may have come back from a CI cache:
    the files it lists must lie inside out/, since a build links and removes them."""
    outputs, dates, counts = last.outputs, last.dates, last.counts
    if not (isinstance(outputs, dict) and isinstance(dates, dict) and isinstance(counts, list)):
        return False
    if len(counts) != 4 or not all(isinstance(count, int) for count in counts):
        return False
    paths = [path for files in outputs.values() if isinstance(files, list) for path in files]
    lists = all(isinstance(files, list) for files in outputs.values())
    return lists and all(isinstance(p, str) and is_inside(p) for p in paths)


def remember(
    root: Path, out_dir: Path, prints: Mapping[str, str], context: str, config: Config,
    as_of: datetime, strict: bool, items: Sequence[Item], counts: list[int],
    warnings: Sequence[Problem], outputs: Mapping[str, list[str]],
) -> None:  # fmt: skip
    """Write the manifest of the build that just replaced out/.

    *prints* are the item files as they were when the build began: a file changed
    since then makes the next build's signature differ, and that build starts afresh.
    """
    published = [i.fingerprint for i in items if not i.draft and i.published <= as_of]
    stat = out_dir.stat()
    manifest = {
        "signature": signature(context, prints, published, config, as_of, strict),
        "out_dir": str(out_dir.resolve()),
        "out_id": _identity(stat),
        "counts": counts,
        "warnings": [vars(problem) for problem in warnings],
        "dates": {i.fingerprint: [i.published.isoformat(), i.draft] for i in items},
        "outputs": outputs,
    }
    _write_json(root / config.state_dir, BUILD_FILE, manifest)


def forget(root: Path, config: Config) -> bool:
    """Remove the manifest before out/ changes, so that a build stopped while changing
    it leaves none, and the next build replaces out/ whole. False when it stays."""
    try:
        (root / config.state_dir / BUILD_FILE).unlink(missing_ok=True)
    except OSError:
        return False
    return True


def _identity(stat: os.stat_result) -> list[int]:
    # An inode number alone can come back for a new folder; its change time cannot.
    return [stat.st_dev, stat.st_ino, stat.st_ctime_ns, stat.st_mtime_ns]


def _published(entry: list[str | bool], as_of: datetime) -> bool:
    published, draft = entry
    return not draft and datetime.fromisoformat(str(published)) <= as_of
