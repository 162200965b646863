"""Write a whole site at once, so that a failed build leaves out/ as it was.

A first build, or one into an out/ it cannot trust, fills a temporary folder
file by file, linking unchanged files from the last out/, and then swaps it in
for out/. A build that updates the out/ its last build made writes only the
files that changed into the temporary folder, and moves them into out/ when it
is done, removing what is no longer made: a site of thousands of files is not
linked and removed file by file for an edit that touches a few.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
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
    """A staging folder, the out/ it is to become or update, and whether in place."""

    folder: str
    previous: str
    in_place: bool


class Writer:
    """Writes files into a staging folder. A file as it was in the previous out/ is
    hard-linked from there instead, keeping its time stamp; when out/ is updated in
    place, it is left where it is."""

    def __init__(self, folder: Path, previous: Path, *, in_place: bool = False) -> None:
        self.folder = folder
        # Plain strings and descriptors: a site has thousands of files, and pathlib and
        # buffered files cost more than the writing.
        self._into, self._from = f"{folder}{os.sep}", f"{previous}{os.sep}"
        self._folders = {""}  # folders made so far, relative to the staging folder
        self._previous = previous.is_dir()  # a first build has nothing to compare with
        self.in_place = in_place and self._previous
        self.written: set[str] = set()  # into the staging folder
        self._present: set[str] | None = None  # the files of out/, when updated in place

    def write(self, relative: str, data: bytes) -> bool:
        """Put *data* at *relative*; return False when it was kept, unchanged."""
        if not is_inside(relative):
            raise NewsletterError(f"{relative}: an output must stay inside the out/ folder")
        unchanged = self._previous and _same(self._from + relative, data)
        if unchanged and (self.in_place or self.link(relative)):  # in place: there already
            return False
        self._make_folder(relative)
        target = self._into + relative
        try:
            fd = os.open(target, _CREATE, 0o666)
        except FileExistsError:
            # Linked a moment ago: writing into it would change the last out/ too.
            os.unlink(target)
            fd = os.open(target, _CREATE, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self.written.add(relative)
        return True

    def link(self, relative: str) -> bool:
        """Keep *relative* from the previous out/, unread; False when it is not there."""
        if not is_inside(relative):
            return False
        if self.in_place:
            return relative in self.present
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

    @property
    def place(self) -> Place:
        """Where this writer writes, for a worker process to write there too."""
        return Place(str(self.folder), self._from[:-1], self.in_place)

    def where(self, relative: str) -> str:
        """The path of a file put in place: in the staging folder, or kept in out/."""
        if self.in_place and relative not in self.written:
            return self._from + relative
        return self._into + relative

    @property
    def present(self) -> set[str]:
        """Every file in the previous out/, relative to it: read once."""
        if self._present is None:
            self._present = set(_files_under(self._from))
        return self._present

    def _make_folder(self, relative: str) -> None:
        folder = relative.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(self._into + folder, exist_ok=True)
            self._folders.add(folder)


class Staging:
    """A sibling of OUT_DIR whose files end up in it on commit(); removed otherwise.

    Nothing touches OUT_DIR until commit(), so a failed or interrupted build leaves
    the previous out/ as it was. With *in_place*, for an out/ the last build made,
    commit() moves the files written into out/ and removes from it what was not
    kept; otherwise the staging folder, holding every file, replaces out/.
    """

    def __init__(self, out_dir: Path, *, in_place: bool = False) -> None:
        out_dir = out_dir.resolve()
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
        folder.chmod(0o755)  # mkdtemp makes it private; a published site is not
        self.out_dir, self.writer = out_dir, Writer(folder, out_dir, in_place=in_place)
        self.paths: set[str] = set()
        self._removing: threading.Thread | None = None
        self._committed = False

    def claim(self, paths: Iterable[str]) -> None:
        """Note that *paths* are written; a path written twice is an error."""
        for path in paths:
            if path in self.paths:
                raise NewsletterError(f"{path}: two outputs would be written to the same path")
            self.paths.add(path)

    def commit(self, *, in_place: bool = True) -> None:
        """Put the claimed files in place as out/: nothing else is left in it. Without
        *in_place*, out/ is replaced whole even when it could have been updated."""
        writer = self.writer
        if writer.in_place and in_place and not self._clashes():
            with _signals_held():  # a Ctrl-C now would leave out/ half updated
                _move_in(writer.folder, self.out_dir, sorted(writer.written))
                _remove(self.out_dir, sorted(writer.present - self.paths))
            self._committed = True
            self._removing = threading.Thread(target=shutil.rmtree, args=(writer.folder, True))
            self._removing.start()
            return
        if writer.in_place:  # not allowed, or a file goes where a folder is, or under a file
            writer.in_place = False
            for path in sorted(self.paths - writer.written):
                if not writer.link(path):
                    raise NewsletterError(f"{path}: removed from out/ while the build ran")
        with _signals_held():
            old = _swap(writer.folder, self.out_dir)
        self._committed = True
        if old is not None:  # removed while the build finishes; waited for on leaving
            self._removing = threading.Thread(target=shutil.rmtree, args=(old, True))
            self._removing.start()

    def _clashes(self) -> bool:
        """Tell whether a written file would go where out/ has a folder, or where it has
        a file that would have to be a folder."""
        present = self.writer.present
        for path in self.writer.written:
            if os.path.isdir(os.path.join(self.out_dir, path)):
                return True
            parts = path.split("/")
            if any("/".join(parts[:end]) in present for end in range(1, len(parts))):
                return True
        return False

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if self._removing is not None:
            self._removing.join()
        if not self._committed:  # failed, or given up: the folder goes, out/ stays
            shutil.rmtree(self.writer.folder, ignore_errors=True)


def write_outputs(out_dir: Path, files: Mapping[str, bytes]) -> tuple[int, int]:
    """Replace OUT_DIR with exactly *files*; return (files written, files unchanged)."""
    written = 0
    with Staging(out_dir) as staging:
        for relative, data in sorted(files.items()):
            staging.claim([relative])
            written += staging.writer.write(relative, data)
        staging.commit()
    return written, len(files) - written


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


def _swap(staging: Path, out_dir: Path) -> Path | None:
    """Put *staging* in place of *out_dir*; return where the old one went, to remove."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return None
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    staging.rename(out_dir)
    return old


def _move_in(staging: Path, out_dir: Path, paths: Iterable[str]) -> None:
    """Move each of *paths* from *staging* into *out_dir*, over the file there."""
    made: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        if folder not in made:
            os.makedirs(os.path.join(out_dir, folder), exist_ok=True)
            made.add(folder)
        os.replace(os.path.join(staging, path), os.path.join(out_dir, path))


def _remove(out_dir: Path, paths: Iterable[str]) -> None:
    """Remove *paths* from *out_dir*, and the folders that leaves empty."""
    folders: set[str] = set()
    for path in paths:
        os.unlink(os.path.join(out_dir, path))
        folders.add(path.rpartition("/")[0])
    for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):
        while folder:
            try:
                os.rmdir(os.path.join(out_dir, folder))
            except OSError:  # not empty
                break
            folder = folder.rpartition("/")[0]


def _files_under(root: str) -> Iterator[str]:
    """Every file under ROOT (a path ending in a separator), relative to it, with /."""
    pending = [("", root)]
    while pending:
        prefix, where = pending.pop()
        with os.scandir(where) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{prefix}{entry.name}/", entry.path))
                else:
                    yield prefix + entry.name


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back Ctrl-C and termination until the block is done (where the system can)."""
    held = {signal.SIGINT, signal.SIGTERM}
    if (
        not hasattr(signal, "pthread_sigmask")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
