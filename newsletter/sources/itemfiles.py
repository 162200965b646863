"""Find the item files under items/ (every file in the folder and its sub-folders), and
the pools that parse them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from newsletter.core.errors import Problem
from newsletter.core.layout import ITEMS_DIR
from newsletter.sources.pictures import SUFFIXES


class Pool(Protocol):
    """Makes calls, perhaps in other processes: yields (index, result) as each is done."""

    def map(
        self, count: int, calls: Iterable[tuple[Callable[..., Any], tuple[Any, ...]]]
    ) -> Iterator[tuple[int, Any]]: ...


class InOrder:
    """A Pool that makes each call here, in turn."""

    def map(
        self, count: int, calls: Iterable[tuple[Callable[..., Any], tuple[Any, ...]]]
    ) -> Iterator[tuple[int, Any]]:
        return ((index, function(*args)) for index, (function, args) in enumerate(calls))


ItemFiles = list[tuple[str, str]]  # (name from the project, path), as item_files() finds them


@dataclass(frozen=True)
class Found:
    """What a caller knows of the item files already: the files item_files() found,
    each one's print (its fingerprint a moment ago), and the bytes it read of some,
    which load_items takes as it uses them."""

    files: ItemFiles | None
    prints: Mapping[str, str] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)


def item_files(root: Path) -> ItemFiles | None:
    """Every file under ROOT/items, as (its name from ROOT, its path), in path order.

    None when there is no items/ folder. Links to folders are not followed.
    """
    folder = root / ITEMS_DIR
    if not folder.is_dir():
        return None
    found: ItemFiles = []
    pending = [(str(folder), f"{ITEMS_DIR}/")]
    while pending:
        where, prefix = pending.pop()
        with os.scandir(where) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    found.append((prefix + entry.name, entry.path))
    found.sort(key=lambda pair: pair[0].replace("/", "\0"))  # part by part, quickly
    return found


def item_sources(
    root: Path, problems: list[Problem], files: ItemFiles | None
) -> Iterator[tuple[str, str]]:
    """Yield (path, name) of each item among *files* (default: all under ROOT/items),
    reporting the folder missing and files that are not items."""
    files = item_files(root) if files is None else files
    if files is None:
        problems.append(Problem(ITEMS_DIR, 0, "", "folder not found; create it for the items"))
        return
    for label, path in files:
        name = label.rsplit("/", 1)[-1]
        if name.startswith(".") or name.lower().endswith(SUFFIXES):
            continue  # a picture beside its item
        if name.endswith((".yaml", ".yml")):
            yield path, label
        else:
            message = "not an item (items end in .yaml); move it out of items/"
            problems.append(Problem(label, 0, "", message, "warning"))
