"""Write a whole site at once: into a temporary folder, then swapped in for out/.

The build fills the folder through a Writer, file by file as the workers hand them
over, and keeps only their names and sizes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from newsletter.errors import NewsletterError

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def is_inside(relative: str) -> bool:
    """Tell whether *relative* names a file inside the folder it is relative to."""
    parts = relative.split("/")
    return (
        "\0" not in relative
        and "\\" not in relative
        and all(part not in ("", ".", "..") for part in parts)
    )


def merge_outputs(*parts: Mapping[str, bytes]) -> dict[str, bytes]:
    """Join the files of several stages, refusing any path that two of them write."""
    merged: dict[str, bytes] = {}
    for part in parts:
        for path, data in part.items():
            if path in merged:
                raise NewsletterError(f"{path}: two outputs would be written to the same path")
            merged[path] = data
    return merged


class Writer:
    """Writes files into a staging folder; a file as it was in the previous out/ is
    hard-linked from there instead, keeping its time stamp."""

    def __init__(self, folder: Path, previous: Path) -> None:
        self.folder = folder
        # Plain strings and descriptors: a site has thousands of files, and pathlib and
        # buffered files cost more than the writing.
        self._into, self._from = f"{folder}{os.sep}", f"{previous}{os.sep}"
        self._folders = {""}  # folders made so far, relative to the staging folder
        self._previous = previous.is_dir()  # a first build has nothing to compare with

    def write(self, relative: str, data: bytes) -> bool:
        """Put *data* at *relative*; return False when it was linked, unchanged."""
        if not is_inside(relative):
            raise NewsletterError(f"{relative}: an output must stay inside the out/ folder")
        if self._previous and _same(self._from + relative, data) and self.link(relative):
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
        return True

    def link(self, relative: str) -> bool:
        """Link *relative* from the previous out/, unread; False when it is not there."""
        if not is_inside(relative):
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

    def _make_folder(self, relative: str) -> None:
        folder = relative.rpartition("/")[0]
        if folder not in self._folders:
            os.makedirs(self._into + folder, exist_ok=True)
            self._folders.add(folder)


class Staging:
    """A sibling of OUT_DIR that becomes it on commit(), and is removed otherwise.

    Nothing touches OUT_DIR until commit(), so a failed or interrupted build leaves
    the previous out/ as it was.
    """

    def __init__(self, out_dir: Path) -> None:
        out_dir = out_dir.resolve()
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
        folder.chmod(0o755)  # mkdtemp makes it private; a published site is not
        self.out_dir, self.writer = out_dir, Writer(folder, out_dir)
        self.paths: set[str] = set()
        self._removing: threading.Thread | None = None
        self._committed = False

    def claim(self, paths: Iterable[str]) -> None:
        """Note that *paths* are written; a path written twice is an error."""
        for path in paths:
            if path in self.paths:
                raise NewsletterError(f"{path}: two outputs would be written to the same path")
            self.paths.add(path)

    def commit(self) -> None:
        """Replace out/ with the staging folder."""
        old = _swap(self.writer.folder, self.out_dir)
        self._committed = True
        if old is not None:  # removed while the build finishes; waited for on leaving
            self._removing = threading.Thread(target=shutil.rmtree, args=(old, True))
            self._removing.start()

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
