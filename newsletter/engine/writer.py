"""Write a build's files into its own new folder, linking those it keeps unchanged.

A file whose bytes are those of the same file in the last build is hard-linked from
there, keeping its time stamp: a build after an edit writes a few files and links
the thousands of others, which costs little and no more space.

Each file is stamped as it is put in place (see core.stamps.out_stamp), for the
build's manifest: a link changes a file's change time, and so does removing the build
before the last, which shares its files; the build removes that one before it links
anything (see output.Staging), so that a stamp taken then holds once the build is
over, and out/ need not be walked again to learn them (0.13 to 0.14 s of a build after
an edit of the benchmark's 10,000 items).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from newsletter.core.errors import NewsletterError
from newsletter.core.stamps import out_stamp
from newsletter.engine.workers import abrupt_ends_reported

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)

_NOT_A_NAME = frozenset(("", ".", ".."))  # parts of a path that lead nowhere, or out


def is_inside(relative: str) -> bool:
    """Tell whether *relative* names a file inside the folder it is relative to: no part
    of it empty, "." or "..", and no NUL or backslash anywhere. (Asked of every file of
    out/ a few times a build: split, 0.5 µs a path; a regular expression took 2.4 to 3.9.)"""
    return (
        _NOT_A_NAME.isdisjoint(relative.split("/"))
        and "\0" not in relative
        and "\\" not in relative
    )


class Submit(Protocol):
    """Makes a call elsewhere, as an executor's submit() does."""

    def __call__(self, function: Any, /, *arguments: Any) -> Future[Any]: ...


@dataclass(frozen=True)
class Place:
    """A build's new folder, the last build's folder ("" for none), and the name of
    the folder they are for (out/), to name a file in an error."""

    folder: str
    previous: str
    shown: str
    # Tells this build from an earlier one into a folder of the same name, for the
    # writers the workers keep.
    serial: str = field(default_factory=lambda: secrets.token_hex(8))


class Writer:
    """Writes files into a build's new folder; a file as it was in the last build is
    hard-linked from there instead."""

    def __init__(self, place: Place) -> None:
        self.place = place
        # Plain strings and descriptors: a site has thousands of files, and pathlib and
        # buffered files cost more than the writing.
        self._into, self._from = place.folder + os.sep, place.previous + os.sep
        self._folders = {""}  # folders made so far, relative to the new folder
        self._previous = bool(place.previous) and os.path.isdir(place.previous)
        self.written: set[str] = set()
        self.stamps: dict[str, str] = {}  # the files put here, but by link_kept(), as put
        self.kept: dict[str, str] = {}  # the files link_kept() linked, as linked
        self._early: set[str] = set()  # linked by link_kept()
        self._linking: list[Future[dict[str, str]]] = []  # links under way elsewhere
        self._failed: list[str] = []

    def write(self, relative: str, data: bytes) -> bool:
        """Put *data* at *relative*; return False when it was kept, unchanged."""
        if not is_inside(relative):
            raise NewsletterError(f"{relative}: an output must stay inside the out/ folder")
        if self._previous and _same(self._from + relative, data) and self.link(relative):
            return False
        try:
            self._make_folder(relative)
        except (FileExistsError, NotADirectoryError):
            raise self.failed(relative, "a file is where its folder would be") from None
        try:
            self.stamps[relative] = _create(self._into + relative, data)
        except OSError as exc:
            raise self.failed(relative, exc.strerror or str(exc)) from None
        self.written.add(relative)
        return True

    def link(self, relative: str) -> bool:
        """Keep *relative* from the last build, unread; False when it is not there."""
        if not (self._previous and is_inside(relative)):
            return False
        previous, target = self._from + relative, self._into + relative
        try:
            os.link(previous, target)
        except FileExistsError:  # linked already, before the build knew it would be kept
            if not _same_file(previous, target):
                return False
        except FileNotFoundError:  # no such file, or its folder is not made yet
            if relative.rpartition("/")[0] in self._folders or not os.path.isfile(previous):
                return False
            self._make_folder(relative)
            return self.link(relative)
        except OSError:
            return False
        try:
            self.stamps[relative] = out_stamp(os.lstat(target))
        except OSError:
            return False
        return True

    def link_kept(self, paths: Sequence[str], submit: Submit | None = None) -> None:
        """Start linking *paths*, files the last build holds as it made them, from there:
        by the build's workers (through *submit*) while this process goes on, else here,
        now. A build after an edit keeps thousands of files: linked one by one in this
        process, a system call or two each, they were a tenth of its time.

        Each is linked before the build knows whether it keeps it: a file rendered
        anew replaces its link, and prune() removes the links no output claimed."""
        self._failed.extend(path for path in paths if not is_inside(path))
        paths = [path for path in paths if is_inside(path)]
        for start in range(0, len(paths), _LINKS_AT_ONCE):
            batch = paths[start : start + _LINKS_AT_ONCE]
            if submit is None:
                self.kept.update(_link_all(self._from, self._into, batch))
            else:
                self._linking.append(submit(_link_all, self._from, self._into, batch))
        self._early.update(paths)

    def linked(self) -> set[str]:
        """Wait for the links link_kept() started; return the paths that could not be made,
        gone from the last build since."""
        with abrupt_ends_reported():
            for done in self._linking:
                self.kept.update(done.result())
        failed = self._early.difference(self.kept)
        failed.update(self._failed)
        self._linking, self._failed = [], []
        self._early -= failed
        return failed

    def prune(self, claimed: Iterable[str]) -> None:
        """Remove the links link_kept() made that no output of this build *claimed*, and
        the folders left empty."""
        for relative in sorted(self._early.difference(claimed)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._into + relative)
            folder = relative.rpartition("/")[0]
            while folder and not os.listdir(self._into + folder):
                os.rmdir(self._into + folder)
                folder = folder.rpartition("/")[0]

    def close(self) -> None:
        """Give up the links not begun yet (the build failed)."""
        for done in self._linking:
            done.cancel()

    def kept_size(self, relative: str) -> int:
        """The size of a file kept from the last build."""
        return os.stat(self._from + relative).st_size

    def failed(self, relative: str, reason: str) -> NewsletterError:
        """An error for a file that could not be put in place, named as in out/."""
        return NewsletterError(f"{self.place.shown}/{relative}: cannot be written: {reason}")

    def _make_folder(self, relative: str) -> None:
        folder = relative.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(self._into + folder, exist_ok=True)
            self._folders.add(folder)


def writer_for(folder: Path, previous: Path | None, shown: str) -> Writer:
    """A writer into *folder*, linking unchanged files from *previous*."""
    return Writer(Place(str(folder), str(previous or ""), shown))


# Paths linked in one call: a site of some thousands of files goes to one worker, and
# the build keeps a core to itself (a batch of 1,024 to each worker was slower).
_LINKS_AT_ONCE = 16384


def _link_all(source: str, target: str, paths: list[str]) -> dict[str, str]:
    """Hard-link each of *paths* from the folder *source* into *target*, making folders
    as needed; return the stamp of each linked (the others could not be)."""
    linked = {}
    for relative in paths:
        previous, path = source + relative, target + relative
        try:
            try:
                os.link(previous, path)
            except FileNotFoundError:  # its folder is not made yet, or no such file
                os.makedirs(os.path.dirname(path), exist_ok=True)
                os.link(previous, path)
        except FileExistsError:
            if not _same_file(previous, path):
                continue
        except OSError:
            continue
        with contextlib.suppress(OSError):
            linked[relative] = out_stamp(os.lstat(path))
    return linked


def _create(path: str, data: bytes) -> str:
    """Write *data* into a new file at *path*; return its stamp."""
    try:
        fd = os.open(path, _CREATE, 0o666)
    except FileExistsError:
        # Linked a moment ago: writing into it would change the last build too.
        os.unlink(path)
        fd = os.open(path, _CREATE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return out_stamp(os.fstat(fd))
    finally:
        os.close(fd)


def _same_file(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _same(previous: str, data: bytes) -> bool:
    try:
        if os.stat(previous).st_size != len(data):
            return False
        with open(previous, "rb") as file:
            return file.read() == data
    except OSError:
        return False
