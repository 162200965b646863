"""Pictures in the project: where an item's picture file is, what it is, and the copies
the build publishes of it.

A picture's src that is not a URL names a file in the project: next to the item file,
or from the project folder (`images/…`, or `/images/…` as a site spells it). It must
be a plain file under images/ or items/ (a pipe would hang the build), a JPEG, PNG,
GIF or WebP that decodes whole, and is read with Pillow for its size: nobody types it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import posixpath
import stat
import time
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from newsletter.core.errors import shown
from newsletter.core.fingerprints import fields_key, fingerprint
from newsletter.core.records import replaced
from newsletter.core.stamps import settled, stamp

if TYPE_CHECKING:
    import PIL.Image

PICTURES_DIR = "images"  # where pictures go; the build publishes them under out/images/
PICTURE_DIRS = (PICTURES_DIR, "items")  # pictures may lie only here: a build watches these
FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
EMAIL_COLUMN = 560  # the email's 600 px column less its padding: the widest a picture shows
EMAIL_WIDTH = 2 * EMAIL_COLUMN  # its email copy: sharp on screens of twice the density
THUMB_COLUMN = 160  # a compact story's picture, beside its text or above it on a phone
THUMB_WIDTH = 2 * THUMB_COLUMN  # its thumbnail copy, sharp on screens of twice the density
PAGE_WIDTH = 1600  # its copy for pages and feeds: over twice the pages' column
_ORIENTATION = 0x0112  # the EXIF tag
_TURNED = (5, 6, 7, 8)  # orientations that swap width and height
_WHERE = "pictures go in images/ or next to the item file"


class PictureError(ValueError):
    """A picture's src names no usable picture file; the message says why."""


@dataclass(frozen=True)
class Picture:
    """A picture file of the project, and the copies of it the build publishes."""

    file: str  # from the project folder, e.g. images/blasco.jpg
    path: str  # where to read it, from where the build runs
    fingerprint: str  # of its name and bytes: what its copies depend on
    format: str  # JPEG, PNG, GIF or WEBP
    page: str  # its copy for pages and feeds, in out/
    page_size: tuple[int, int]  # upright, at most PAGE_WIDTH wide
    email: str  # its copy for the email, in out/
    email_size: tuple[int, int]  # upright, at most EMAIL_WIDTH wide
    thumb: str  # its thumbnail, in out/, in the email copy's format
    thumb_size: tuple[int, int]  # upright, at most THUMB_WIDTH wide

    @functools.cached_property  # one picture is shown by many items
    def value_key(self) -> str:
        """Its key as what a render receives (see core.fingerprints.Keyed): all it is, but
        where its file is read from, which the same bytes give the same copies from."""
        return fields_key(self, leave_out=("path",))


@dataclass(frozen=True)
class Image:
    """A picture: a URL, or a file in the project, found once the items are read."""

    src: str  # absolute; "" for a file in the project until it is found
    alt: str
    credit: str | None
    width: int | None
    height: int | None
    file: str | None = None  # a file in the project: its path, as written in the item
    line: int = 0  # of image.src in the item file
    picture: Picture | None = None  # the file, once found

    @property
    def email_src(self) -> str:
        """Where the email shows it from: its email copy, for a file in the project."""
        if self.picture is None:
            return self.src
        return self.src.removesuffix(quote(self.picture.page)) + quote(self.picture.email)

    @property
    def thumb_src(self) -> str:
        """Where a compact story shows it from: its thumbnail, for a file in the project."""
        if self.picture is None:
            return self.src
        return self.src.removesuffix(quote(self.picture.page)) + quote(self.picture.thumb)


Placed = dict[tuple[str, str], "Picture | PictureError"]  # by the item's folder and src


def place_picture(
    root: Path,
    item_file: str,
    image: Image,
    base_url: str,
    known: Measured | None = None,
    found: Placed | None = None,
) -> Image:
    """IMAGE with its file found, measured and given its URL; raise PictureError.
    *found* holds the pictures found already in this reading of the items: one picture
    shown by many items is looked for once (some 0.4 ms each time)."""
    if image.file is None:
        return image
    where = (posixpath.dirname(item_file), image.file)
    picture = (found or {}).get(where)
    if picture is None:
        try:
            picture = find_picture(root, item_file, image.file, known)
        except PictureError as exc:
            picture = exc
        if found is not None:
            found[where] = picture
    if isinstance(picture, PictureError):
        raise picture
    width, height = picture.page_size
    src = base_url + _quoted(picture.page)  # a file may be named "Blåbær i lab.jpg"
    return replaced(image, src=src, width=width, height=height, picture=picture)


@functools.lru_cache(maxsize=1024)  # one picture is shown by many items
def _quoted(path: str) -> str:
    return quote(path)


def find_picture(root: Path, item_file: str, src: str, known: Measured | None = None) -> Picture:
    """Find the picture *src* names for the item in *item_file* (its name from ROOT).

    It is looked for next to the item file first, then from the project folder.
    Raise PictureError saying what is wrong. *known* holds the files measured before
    (see measure), and is filled.
    """
    written = PurePosixPath(src)
    site_root = src.startswith(f"/{PICTURES_DIR}/")  # the site's images/: the project's
    if site_root:
        written = PurePosixPath(src.lstrip("/"))
    if written.is_absolute() or ".." in written.parts or "\\" in src:
        raise PictureError(f"{shown(src)} leads outside the project; {_WHERE}")
    beside = (PurePosixPath(item_file).parent / written).as_posix()
    for name in dict.fromkeys([written.as_posix()] if site_root else [beside, written.as_posix()]):
        path = root / name
        if path.exists():
            return _inspect(root, name, path, known)
    raise PictureError(f"no file {written.as_posix()} ({_WHERE})")


def _inside(root: Path, path: Path) -> bool:
    """Tell whether PATH, links followed, lies in one of the folders pictures go in."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return any(real.startswith(os.path.join(top, folder) + os.sep) for folder in PICTURE_DIRS)


def _inspect(root: Path, name: str, path: Path, known: Measured | None) -> Picture:
    if not name.startswith(tuple(folder + "/" for folder in PICTURE_DIRS)):
        raise PictureError(f"{name} is outside images/ and items/; {_WHERE}")
    if not _inside(root, path):
        raise PictureError(f"{name} links to a file outside images/ and items/; {_WHERE}")
    try:
        key, kind, size, alpha = measure(name, path, known)
    except NotPlain:
        message = "is not a plain file (a folder, device, pipe or socket); put the picture there"
        raise PictureError(f"{name} {message}") from None
    except OSError as exc:
        raise PictureError(f"{name} cannot be read: {exc.strerror}") from None
    page = name if name.startswith(PICTURES_DIR + "/") else f"{PICTURES_DIR}/{name}"
    email = f"{PICTURES_DIR}/email/{page.removeprefix(PICTURES_DIR + '/')}"
    suffix = "." + FORMATS[email_format(kind, alpha)]
    thumb = f"{PICTURES_DIR}/thumb/{page.removeprefix(PICTURES_DIR + '/')}"
    return Picture(
        file=name,
        path=str(path),
        fingerprint=key,
        format=kind,
        page=page,
        page_size=fitted(size, PAGE_WIDTH),
        email=str(PurePosixPath(email).with_suffix(suffix)),
        email_size=fitted(size, EMAIL_WIDTH),
        thumb=str(PurePosixPath(thumb).with_suffix(suffix)),
        thumb_size=fitted(size, THUMB_WIDTH),
    )


Measured = dict[str, list[Any]]  # file: size, inode, times, print, format, width, height, alpha


def measure(
    name: str, path: Path, known: Measured | None
) -> tuple[str, str, tuple[int, int], bool]:
    """The print of a picture file, its format, upright size, and whether it has
    transparent parts. A file *known* with the size, inode and times it has now is
    not read again (a build after an edit would read every picture, megabytes each);
    one changed within a moment is read every time, as the item files are."""
    read_at = time.time_ns()
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        raise NotPlain(path)
    seen = stamp(status)
    entry = (known or {}).get(name)
    if isinstance(entry, list) and len(entry) == 9 and entry[:4] == seen:
        key, kind, width, height, alpha = entry[4:]
        if kind in FORMATS and isinstance(width, int) and isinstance(height, int):
            return str(key), kind, (width, height), alpha is True
    data = read_picture(path)
    kind, size, alpha = picture_size(data, name)
    key = fingerprint(name, data)
    if known is not None and settled(seen, read_at):
        known[name] = [*seen, key, kind, *size, alpha]
    return key, kind, size, alpha


class NotPlain(OSError):
    """A picture's path names a device, pipe, socket or folder, which is never read."""


def read_picture(path: Path | str) -> bytes:
    """The bytes of a plain file; a pipe or device raises NotPlain at once, never hangs."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise NotPlain(path)
        return file.read()


def picture_size(data: bytes, name: str) -> tuple[str, tuple[int, int], bool]:
    """The format of a picture file, its size once upright (EXIF orientation applied),
    and whether it has transparent parts. The picture is decoded whole, as its copies
    will be: a file cut short is found here, at the item that shows it."""
    import PIL.Image  # here: a build that measures no picture never needs it (25 ms)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            image = PIL.Image.open(io.BytesIO(data))
            kind, (width, height) = str(image.format), image.size
            turned = image.getexif().get(_ORIENTATION) in _TURNED
            alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            if kind in FORMATS:
                _decode_whole(image, name)
    except PictureError:
        raise
    except (
        OSError,
        ValueError,
        SyntaxError,
        PIL.Image.DecompressionBombWarning,
        PIL.Image.DecompressionBombError,
    ) as exc:
        if "pixels" in str(exc):
            message = f"{name} has too many pixels to open safely; make it smaller"
            raise PictureError(message) from None
        raise PictureError(f"{name} is not a picture file; use a JPEG, PNG, GIF or WebP") from None
    if kind not in FORMATS:
        raise PictureError(f"{name} is a {kind} picture; use a JPEG, PNG, GIF or WebP")
    return kind, (height, width) if turned else (width, height), alpha


def _decode_whole(image: PIL.Image.Image, name: str) -> None:
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        message = f"{name} is damaged or cut short ({reason}); save or copy it again"
        raise PictureError(message) from None


def email_format(kind: str, alpha: bool) -> str:
    """The format of a picture's email copy: JPEG or PNG, which every mail program shows."""
    if kind in ("JPEG", "PNG"):
        return kind
    return "PNG" if alpha or kind == "GIF" else "JPEG"


def fitted(size: tuple[int, int], width: int) -> tuple[int, int]:
    """SIZE made at most WIDTH wide, keeping its proportions (never made larger)."""
    old_width, old_height = size
    if old_width <= width:
        return size
    return width, max(1, round(old_height * width / old_width))


def pictures_state(root: Path) -> str:
    """The key of every file under ROOT/images/ as it stands: names, sizes, times.

    A build that finds its items unchanged compares this, not the pictures' bytes,
    to tell that no picture changed either (the files under items/ it reads anyway).
    """
    parts: list[str] = []
    # Links to folders are not followed (one to / would take the whole disk); its
    # pictures are refused anyway, as outside images/.
    pending = [] if (root / PICTURES_DIR).is_symlink() else [root / PICTURES_DIR]
    while pending:
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                else:
                    with contextlib.suppress(OSError):  # a link that leads nowhere
                        seen = tuple(stamp(entry.stat()))
                        parts.append(f"{entry.path}\0{seen}")
    return fingerprint(*sorted(parts))
