"""Write a build's files into its own new folder, linking those it keeps unchanged.

A file whose bytes are those of the same file in the last build is hard-linked from
there, keeping its time stamp: a build after an edit writes a few files and links
the thousands of others, which costs little and no more space.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.core.errors import NewsletterError

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)

# A part of a path that is empty, "." or "..", or a NUL or backslash anywhere.
_OUTSIDE = re.compile(r"(?:^|/)\.{0,2}(?:/|$)|[\0\\]")


def is_inside(relative: str) -> bool:
    """Tell whether *relative* names a file inside the folder it is relative to."""
    return _OUTSIDE.search(relative) is None


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
        self._later: list[str] = []  # to link in the background, not sent yet
        self._linking: list[Future[list[str]]] = []
        self._linker: ThreadPoolExecutor | None = None

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
            _create(self._into + relative, data)
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
            return _same_file(previous, target)
        except FileNotFoundError:  # no such file, or its folder is not made yet
            if relative.rpartition("/")[0] in self._folders or not os.path.isfile(previous):
                return False
            self._make_folder(relative)
            return self.link(relative)
        except OSError:
            return False
        return True

    def link_later(self, paths: Iterable[str]) -> None:
        """Keep *paths* from the last build, linked by a thread of their own while this one
        goes on; finish() says if one could not be. For files the last build is known to
        hold: a build after an edit keeps thousands, and linking them one by one here,
        a system call or two each, was a tenth of its time."""
        self._later.extend(paths)
        if len(self._later) >= _LINKS_AT_ONCE:
            self._send()

    def finish(self) -> None:
        """Wait for the links made in the background; fail if one could not be made."""
        self._send()
        failed = [path for done in self._linking for path in done.result()]
        self.close()
        if failed:
            reason = "it went from the last build while this one ran; build again"
            raise self.failed(failed[0], reason)

    def close(self) -> None:
        """Stop linking in the background, once the links under way are made."""
        self._later.clear()
        if self._linker is not None:
            self._linker.shutdown(wait=True, cancel_futures=True)

    def _send(self) -> None:
        if self._later:
            self._linker = self._linker or ThreadPoolExecutor(1, "link")
            batch, self._later = self._later, []
            self._linking.append(self._linker.submit(_link_all, self._from, self._into, batch))

    def kept_size(self, relative: str) -> int:
        """The size of a file kept from the last build."""
        return os.stat(self._from + relative).st_size

    def where(self, relative: str) -> str:
        """The path of a file put in place, in the new folder."""
        return self._into + relative

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


def files_under(root: str) -> Iterator[str]:
    """Every file under ROOT, relative to it, with /."""
    pending = [("", root)]
    while pending:
        prefix, where = pending.pop()
        with os.scandir(where) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{prefix}{entry.name}/", entry.path))
                else:
                    yield prefix + entry.name


_LINKS_AT_ONCE = 512  # paths sent to the linking thread at once


def _link_all(source: str, target: str, paths: list[str]) -> list[str]:
    """Hard-link each of *paths* from the folder *source* into *target*, making folders
    as needed; return those that could not be linked."""
    failed = []
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
                failed.append(relative)
        except OSError:
            failed.append(relative)
    return failed


def _create(path: str, data: bytes) -> None:
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
