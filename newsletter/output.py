"""Write a whole site at once: into a temporary folder, then swapped in for out/."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import NewsletterError


@dataclass(frozen=True)
class Kept:
    """A file the previous out/ already holds, byte for byte; *load* makes it afresh."""

    load: Callable[[], bytes]


def merge_outputs(*parts: Mapping[str, bytes]) -> dict[str, bytes]:
    """Join the files of several stages, refusing any path that two of them write."""
    merged: dict[str, bytes] = {}
    for part in parts:
        for path, data in part.items():
            if path in merged:
                raise NewsletterError(f"{path}: two outputs would be written to the same path")
            merged[path] = data
    return merged


def write_outputs(
    out_dir: Path, files: Mapping[str, bytes] | Iterable[tuple[str, bytes | Kept]]
) -> tuple[int, int]:
    """Replace OUT_DIR with exactly *files*; return (files written, files unchanged).

    *files* may be a mapping or a stream of (path, bytes) pairs, written as they
    come; a path that comes twice is refused. Nothing is touched until every file
    is in place in a sibling folder, so a failed or interrupted build leaves the
    previous out/ as it was. A file whose bytes did not change is hard-linked from
    the previous out/, keeping its time stamp; a Kept file is linked unread.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a published site is not
    written = unchanged = 0
    seen: set[str] = set()
    folders: set[Path] = set()
    try:
        pairs = sorted(files.items()) if isinstance(files, Mapping) else files
        for relative, data in pairs:
            if relative in seen:
                raise NewsletterError(f"{relative}: two outputs would be written to the same path")
            seen.add(relative)
            target = staging / relative
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            if isinstance(data, Kept):
                if _link(out_dir / relative, target):
                    unchanged += 1
                    continue
                data = data.load()
            if _link_if_same(out_dir / relative, target, data):
                unchanged += 1
            else:
                target.write_bytes(data)
                written += 1
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written, unchanged


def _link_if_same(previous: Path, target: Path, data: bytes) -> bool:
    try:
        if previous.stat().st_size != len(data) or previous.read_bytes() != data:
            return False
    except OSError:
        return False
    return _link(previous, target)


def _link(previous: Path, target: Path) -> bool:
    try:
        os.link(previous, target)
    except OSError:
        return False
    return True


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
