"""Put a build's site in place as out/ in one step, whatever stops the build.

out/ is a symbolic link to one complete build kept beside it: out -> .out.builds/7.
A build writes the whole site into a new folder there (unchanged files hard-linked
from the last one, see writer.py) and then switches the link with one rename() of a
new link over the old. A reader, and a build stopped at any moment, kill -9
included, finds out/ whole: as it was, or as the new build made it. The build just
replaced stays until the next one, for a reader in the middle of it; the next build
removes it, with anything a stopped build left. One build at a time writes an out/.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import CancelledError, Future
from pathlib import Path

from newsletter.core.claims import claim
from newsletter.core.errors import NewsletterError
from newsletter.domain.digests import DIGESTS_DIR
from newsletter.engine.writer import Submit, Writer, is_inside, writer_for

__all__ = ["Staging", "builds_folder", "is_inside", "write_outputs"]

_LOCK = ".lock"
_LINK = ".link"


def builds_folder(out_dir: Path) -> Path:
    """The folder beside OUT_DIR that holds its builds."""
    return out_dir.parent / f".{out_dir.name}.builds"


class Staging:
    """A new build folder for OUT_DIR, which becomes out/ on commit(); removed otherwise.

    OUT_DIR must be missing, a link this class made, or a folder holding only what a
    build writes (an earlier version of this tool wrote out/ itself, as a folder; and
    `digest` writes its folder alone), or, with *adopt*, a folder an earlier build
    made by the manifest's word. A folder is taken over (took_over) on commit. The
    builds before the last are removed meanwhile, by a worker where *submit* sends one.
    """

    def __init__(self, out_dir: Path, *, adopt: bool = False, submit: Submit | None = None) -> None:
        self.out, self.shown = _link_path(out_dir), str(out_dir)
        self.builds = builds_folder(self.out)
        previous = _previous(self.out, self.builds, self.shown, adopt=adopt)
        self.took_over = previous == self.out and bool(os.listdir(self.out))
        self.paths: set[str] = set()
        self._committed = False
        self._lock = _locked(self.builds, self.shown)
        try:
            names = [name for name in os.listdir(self.builds) if name != _LOCK]
            number = 1 + max((int(name) for name in names if name.isdigit()), default=0)
            folder = self.builds / str(number)
            folder.mkdir(0o755)
        except OSError as exc:
            os.close(self._lock)
            raise _failed(self.shown, exc) from None
        kept = previous.name if previous and previous.parent == self.builds else None
        stale = [self.builds / name for name in names if name != kept]
        self._removing = _remove_later([*stale, *_old_leftovers(self.out)], submit)
        self.writer: Writer = writer_for(folder, previous, self.shown)
        self.target = f"{self.builds.name}/{number}"  # what out/ links to once switched

    def link_kept(self, paths: Sequence[str], submit: Submit | None = None) -> None:
        """Start linking *paths* from the last build (see Writer.link_kept), once the
        builds before it are removed: removing one changes the files it shares with
        the last, which the new build is about to link and stamp."""
        self._removing()
        self.writer.link_kept(paths, submit)

    def claim(self, paths: Iterable[str]) -> None:
        """Note that *paths* are written; a path written twice is an error."""
        claim(self.paths, paths)

    def commit(self) -> None:
        """Make the new folder out/, in one step, with only the files claimed."""
        self.writer.prune(self.paths)
        link = self.builds / f"{_LINK}-{Path(self.writer.place.folder).name}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        try:
            os.symlink(self.target, link)
            if self.out.is_symlink() or not self.out.exists():
                os.replace(link, self.out)
            else:  # a folder out/: once only, from now on out/ is a link
                _replace_folder(link, self.out)
        except OSError as exc:
            raise _failed(self.shown, exc) from None
        self._committed = True

    def _switched(self) -> bool:
        """Tell whether out/ is the new folder: a Ctrl-C may land just after the switch."""
        try:
            return os.readlink(self.out) == self.target
        except OSError:
            return False

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        try:
            self.writer.close()
            if not (self._committed or self._switched()):  # failed or stopped: out/ stays
                _remove(self.writer.place.folder)
            self._removing()
        finally:
            os.close(self._lock)


def write_outputs(folder: Path, files: Mapping[str, bytes]) -> tuple[int, int]:
    """Replace FOLDER with exactly *files*, in one step; return (written, unchanged)."""
    folder = _link_path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    for leftover in folder.parent.glob(f".{folder.name}.new-*"):  # of one stopped
        _remove(leftover)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a published site is not
        previous = folder if folder.is_dir() and not folder.is_symlink() else None
        writer = writer_for(staging, previous, str(folder))
        written = sum(writer.write(relative, data) for relative, data in sorted(files.items()))
        _replace_folder(staging, folder)
    finally:
        _remove(staging)  # what is left there: nothing, or the folder replaced
    return written, len(files) - written


def _link_path(out_dir: Path) -> Path:
    """OUT_DIR made absolute, with the links on its way resolved but not itself."""
    absolute = Path(os.path.abspath(out_dir))
    if not absolute.name:
        raise NewsletterError(f"--out {out_dir}: a build cannot be written there")
    return absolute.parent.resolve() / absolute.name


def _previous(out: Path, builds: Path, shown: str, *, adopt: bool) -> Path | None:
    """The last build's folder, to link from; refuse an OUT_DIR this tool did not make."""
    if out.is_symlink():
        number = os.readlink(out).removeprefix(f"{builds.name}/")
        if number.isdigit():
            return builds / number if (builds / number).is_dir() else None
    elif not out.exists():
        return None
    elif out.is_dir() and (adopt or _only_what_a_build_writes(out)):
        return out  # an earlier build's; or empty, or holding what `digest` wrote alone
    raise NewsletterError(
        f"--out {shown}: was not made by newsletter build; remove it or pick another folder"
    )


# What a build writes at the top of out/, and the kinds of file it writes anywhere in it.
_BUILT_AT_TOP = {
    *("index.html", "404.html", "follow.html", "feed.atom", "feed.rss", "feed.json"),
    *("events.ics", "upcoming.ics", "archive", DIGESTS_DIR, "events", "images", "news"),
    *("page", "tags", "admin", "logo.png", "share.png", "apple-touch-icon.png"),
    *("favicon.ico", "favicon.png"),
}
_BUILT_KINDS = {
    *(".html", ".atom", ".rss", ".json", ".ics", ".eml", ".txt", ".xml", ".yml"),
    *(".jpg", ".jpeg", ".png", ".gif", ".webp", ".ico"),
}


def _only_what_a_build_writes(out: Path) -> bool:
    """Tell whether the folder OUT_DIR holds nothing a build never writes: at its top,
    only the names a build gives; in it, only plain files of the kinds a build writes,
    and no link. So is an out/ an earlier version built, or one `digest` wrote into."""
    try:
        if not set(os.listdir(out)) <= _BUILT_AT_TOP:
            return False
        for parent, folders, files in os.walk(out, onerror=_raise):
            for name in folders:
                if os.path.islink(os.path.join(parent, name)):
                    return False
            for name in files:
                mode = os.lstat(os.path.join(parent, name)).st_mode
                if not stat.S_ISREG(mode) or os.path.splitext(name)[1] not in _BUILT_KINDS:
                    return False
    except OSError:
        return False
    return True


def _raise(error: OSError) -> None:
    raise error


def _locked(builds: Path, shown: str) -> int:
    """Hold the lock of BUILDS until the descriptor returned is closed."""
    try:
        builds.mkdir(parents=True, exist_ok=True)
        lock = os.open(builds / _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise _failed(shown, exc) from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        raise NewsletterError(
            f"{shown}: another build is writing it; run this one when it has finished"
        ) from None
    return lock


def _failed(shown: str, exc: OSError) -> NewsletterError:
    where = f": {exc.filename}" if exc.filename else ""
    return NewsletterError(f"{shown}: cannot be put in place: {exc.strerror or exc}{where}")


def _old_leftovers(out: Path) -> list[Path]:
    """What builds that swapped whole folders in for out/ left when they were stopped."""
    return [*out.parent.glob(f".{out.name}.new-*"), *out.parent.glob(f".{out.name}.old-*")]


def _replace_folder(new: Path, folder: Path) -> None:
    """Put *new* where FOLDER is, in one step where the system allows; then *new* names
    what FOLDER was (or nothing), for the caller to remove."""
    if not folder.exists() and not folder.is_symlink():
        new.rename(folder)
    elif not _exchange(new, folder):  # two steps: a moment without FOLDER
        aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=folder.parent))
        aside.rmdir()
        folder.rename(aside)
        new.rename(folder)
        aside.rename(new)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(one: Path, other: Path) -> bool:
    """Swap two paths in one step (Linux's renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    paths = os.fsencode(one), os.fsencode(other)
    if renameat2(_AT_FDCWD, paths[0], _AT_FDCWD, paths[1], _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(other))


def _remove_later(paths: list[Path], submit: Submit | None) -> Callable[[], object]:
    """Start removing *paths* while the build goes on: by a worker (through *submit*),
    else in a thread; return what waits until they are gone. The build before the last
    holds thousands of files: removed by a thread of the build's own process, its
    Python took turns with the build's (a profile of a build after an edit: 5.5 s of
    samples in that thread, beside 25 s in the build's)."""
    if not paths:
        return _nothing
    if submit is not None:
        future = submit(_remove_all, paths)
        return functools.partial(_ended, future)
    thread = threading.Thread(target=_remove_all, args=(paths,), daemon=True)
    thread.start()
    return thread.join


def _ended(future: Future[None]) -> None:
    """Wait for *future*; what it could not remove stays, for the next build to remove."""
    with contextlib.suppress(CancelledError):  # its workers stopped: the build failed
        future.exception()


def _nothing() -> None:
    pass


def _remove_all(paths: list[Path]) -> None:
    for path in paths:
        _remove(path)


def _remove(path: Path | str) -> None:
    """Remove a file, link or folder, even one made read-only; what cannot be, stays."""
    if os.path.islink(path) or not os.path.isdir(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    shutil.rmtree(path, onerror=_writable_then_again)


def _writable_then_again(function: object, path: str, info: object) -> None:
    """Make a read-only folder writable and try again to remove what was in it."""
    with contextlib.suppress(OSError):
        parent = os.path.dirname(path)
        os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
