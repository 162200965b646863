"""The project's files as the browser editor may touch them: items in items/, pictures
in images/, and nothing else.

Every path the editor sends is a name relative to the project, checked before it is
used: no absolute path, no part starting with a dot (`..`, or a hidden file that
`check` would not read), no backslash, no percent sign (no escape
decoded later), no control character; it must lie in items/ (an item, .yaml) or
images/ (a picture), and, links followed, still lie there. newsletter.yaml, templates/,
the state folder and out/ can therefore never be read or written through it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from newsletter.core.errors import NewsletterError, Problem, shown
from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import IMAGES_DIR, ITEMS_DIR
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.itemcache import read_catalog
from newsletter.engine.manifest import item_prints
from newsletter.sources.config import load_config
from newsletter.sources.itemedits import item_text, merge_item
from newsletter.sources.itemfiles import Found, item_files
from newsletter.sources.pictures import SUFFIXES, PictureError, picture_size
from newsletter.sources.yamlfile import FILE_LIMIT, load_document, read_source

ITEM_SUFFIXES = (".yaml", ".yml")
PICTURE_LIMIT = 20_000_000  # bytes of an uploaded picture: a photo from a camera, not a film
_FOLDERS = {ITEMS_DIR: ITEM_SUFFIXES, IMAGES_DIR: SUFFIXES}


class Refused(ValueError):
    """A request the editor may not make, or a file that may not be written; the message
    says why, for the person who tried."""


@dataclass(frozen=True)
class Place:
    """A file the editor may touch: its name from the project, and where it is."""

    name: str
    path: Path


class ProjectFiles:
    """The items and pictures of the project at ROOT, for the editor."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def place(self, name: object, folders: tuple[str, ...] = (ITEMS_DIR, IMAGES_DIR)) -> Place:
        """The file NAME names, if it lies in one of FOLDERS and is of its kind; Refused."""
        if not isinstance(name, str) or not name:
            raise Refused(f"expected the name of a file, got {shown(name)}")
        written = PurePosixPath(name)
        parts = written.parts
        bad = any(char in name for char in "\\%\0") or any(ord(char) < 32 for char in name)
        hidden = any(part.startswith(".") for part in parts)  # "..", and files check skips
        if bad or hidden or written.is_absolute() or not parts:
            raise Refused(f"{shown(name)} is not a plain path in the project")
        if name != written.as_posix() or len(parts) < 2 or parts[0] not in folders:
            where = " or ".join(f"{folder}/" for folder in folders)
            raise Refused(f"{shown(name)} is not in {where}; the editor writes nowhere else")
        if not name.lower().endswith(_FOLDERS[parts[0]]):
            kinds = ", ".join(_FOLDERS[parts[0]])
            raise Refused(f"{shown(name)}: only {kinds} files go in {parts[0]}/")
        top = (self.root / parts[0]).resolve()
        path = self.root / name
        # The nearest part that exists, links followed, must lie in the folder.
        existing = path
        while not existing.exists() and existing != self.root:
            existing = existing.parent
        real = existing.resolve()
        if real != top and not real.is_relative_to(top):
            raise Refused(f"{shown(name)} leads out of {parts[0]}/")
        return Place(name, path)

    def listing(self, folder: str, suffix: str, depth: int) -> list[str]:
        """The names of the files in FOLDER (items or images) ending in SUFFIX, DEPTH
        folders deep, links to folders not followed."""
        top = self.place(f"{folder}/x{_FOLDERS[folder][0]}").path.parent
        found: list[str] = []
        pending = [(top, 1)]
        while pending:
            where, level = pending.pop()
            try:
                entries = list(os.scandir(where))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if level < depth:
                        pending.append((Path(entry.path), level + 1))
                elif entry.name.endswith(suffix):
                    found.append(Path(entry.path).relative_to(self.root).as_posix())
        return sorted(found)

    def read(self, name: object) -> bytes:
        """The bytes of the file NAME names; OSError if there is none."""
        return read_source(str(self.place(name).path))

    def write(self, place: Place, data: bytes) -> None:
        """Put DATA in PLACE at once: a reader sees the old file or the new one."""
        place.path.parent.mkdir(parents=True, exist_ok=True)
        self.place(place.name)  # again: the folders made must not have led elsewhere
        handle, temporary = tempfile.mkstemp(prefix=".saving-", dir=place.path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, place.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete(self, name: object) -> None:
        """Remove the file NAME names, if it is there."""
        self.place(name).path.unlink(missing_ok=True)

    def picture(self, name: object, content: object) -> tuple[Place, bytes]:
        """The picture NAME as uploaded (base64 CONTENT), checked as a build checks it."""
        place = self.place(name, (IMAGES_DIR,))
        if not isinstance(content, str):
            raise Refused(f"{place.name}: no picture was sent")
        if len(content) > PICTURE_LIMIT * 4 // 3 + 4:
            raise Refused(f"{place.name} is over {PICTURE_LIMIT // 1_000_000} MB; make it smaller")
        try:
            data = base64.b64decode(content, validate=True)
        except ValueError:
            raise Refused(f"{place.name}: the picture did not arrive whole; try again") from None
        try:
            picture_size(data, place.name)
        except PictureError as exc:
            raise Refused(str(exc)) from None
        return place, data

    def media(self, name: str) -> dict[str, Any]:
        """A picture as the editor's media library shows it."""
        data = self.read(name)
        return {
            "id": hashlib.sha256(data).hexdigest(),
            "content": base64.b64encode(data).decode("ascii"),
            "encoding": "base64",
            "path": name,
            "name": PurePosixPath(name).name,
        }

    def entry(self, name: object, label: object = None) -> dict[str, Any]:
        """An item file as the editor reads it; data None where it cannot be read."""
        place = self.place(name, (ITEMS_DIR,))
        file: dict[str, Any] = {"path": place.name, "id": None}
        if isinstance(label, str):
            file["label"] = label
        try:
            data = read_source(str(place.path))
        except OSError:
            return {"data": None, "file": file}
        file["id"] = hashlib.sha256(data).hexdigest()
        return {"data": data.decode("utf-8", "replace"), "file": file}

    def item_to_write(self, place: Place, raw: object) -> bytes:
        """The bytes of the item the editor saves as RAW (its YAML): merged into the file
        as it is, so that only the fields it changed change."""
        if not isinstance(raw, str):
            raise Refused(f"{place.name}: no item was sent")
        new = load_document(place.name, raw.encode("utf-8")).value
        try:
            old_data: bytes | None = read_source(str(place.path))
        except FileNotFoundError:
            old_data = None
        try:
            old = load_document(place.name, old_data).value if old_data else None
        except NewsletterError:
            old = None  # a broken file: the editor's version replaces it whole
        stem = PurePosixPath(place.name).stem
        merged = merge_item(old if isinstance(old, dict) else None, new, stem)
        data = item_text(merged)
        if len(data) > FILE_LIMIT:
            raise Refused(f"{place.name} would be over {FILE_LIMIT // 1_000_000} MB")
        return data

    def problems(self, name: str, data: bytes) -> list[Problem]:
        """What `newsletter check` says of the item NAME if it held DATA, beside every
        other item as it is: its errors and warnings (a picture it names, an id it
        shares with another)."""
        config = load_config(self.root)
        files = [(label, path) for label, path in item_files(self.root) or [] if label != name]
        files.append((name, str(self.root / name)))
        files.sort(key=lambda pair: pair[0].replace("/", "\0"))
        try:
            with Cache(self.root / config.state_dir / CACHE_FILE, read_only=True) as cache:
                contents = {name: data}
                prints = item_prints([pair for pair in files if pair[0] != name], cache)
                prints[name] = fingerprint(name, data)
                found = Found(files, prints, contents)
                catalog, _ = read_catalog(self.root, config, cache, found=found)
                problems = list(catalog.warnings)
        except NewsletterError as exc:
            problems = list(exc.problems)
        return [problem for problem in problems if problem.path == name]
