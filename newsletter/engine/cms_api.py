"""Decap CMS's file API (the protocol of its local backend, `decap-server`), answered
from the project: POST {action, params} in JSON, an answer in JSON.

What it does beyond decap-server: an item is saved only if `newsletter check` would
take it, the check's located message going back as the error Decap shows; a save
changes only the fields the person changed; pictures are checked as a build checks
them; and no path outside items/ and images/ is ever touched (see ProjectFiles).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from newsletter.core.errors import NewsletterError
from newsletter.core.layout import IMAGES_DIR, ITEMS_DIR
from newsletter.engine.cms_files import ITEM_SUFFIXES, Place, ProjectFiles, Refused
from newsletter.render.admin import NOTES_ACTION

Answer = tuple[HTTPStatus, Any]
MAX_DEPTH = 10  # folders under items/ that the editor lists


class FileApi:
    """Answers the editor's requests for the project at ROOT; REPORT says what it saved."""

    def __init__(self, root: Path, report: Callable[[str], None]) -> None:
        self.files = ProjectFiles(root)
        self.report = report
        self.notes: list[str] = []  # the warnings of the last item saved
        self._actions: dict[str, Callable[[dict[str, Any]], Any]] = {
            "info": self._info,
            "entriesByFolder": self._entries_by_folder,
            "entriesByFiles": self._entries_by_files,
            "getEntry": lambda params: self.files.entry(params.get("path")),
            "persistEntry": self._persist_entry,
            "getMedia": self._get_media,
            "getMediaFile": lambda params: self.files.media(self._picture(params.get("path"))),
            "persistMedia": self._persist_media,
            "deleteFile": self._delete_file,
            "deleteFiles": self._delete_files,
            "getDeployPreview": lambda params: None,
            NOTES_ACTION: self._notes,
        }

    def answer(self, request: object) -> Answer:
        """The answer to one request, a decoded JSON body."""
        if not isinstance(request, dict) or not isinstance(request.get("action"), str):
            return HTTPStatus.UNPROCESSABLE_ENTITY, {"error": "expected {action, params}"}
        action = self._actions.get(request["action"])
        if action is None:
            return HTTPStatus.UNPROCESSABLE_ENTITY, {"error": f"Unknown action {request['action']}"}
        params = request.get("params")
        try:
            return HTTPStatus.OK, action(params if isinstance(params, dict) else {})
        except (Refused, NewsletterError) as exc:
            return HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)}
        except FileNotFoundError:
            return HTTPStatus.NOT_FOUND, {"error": "no such file"}
        except OSError as exc:
            return HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"cannot do it: {exc.strerror}"}

    def _info(self, params: dict[str, Any]) -> Any:
        return {"repo": self.files.root.name, "publish_modes": ["simple"], "type": "local_fs"}

    def _entries_by_folder(self, params: dict[str, Any]) -> Any:
        folder, extension = params.get("folder"), params.get("extension")
        if folder != ITEMS_DIR or f".{extension}" not in ITEM_SUFFIXES:
            raise Refused(f"the editor lists only the items in {ITEMS_DIR}/")
        depth = params.get("depth")
        depth = min(depth, MAX_DEPTH) if isinstance(depth, int) and depth > 0 else 1
        names = self.files.listing(ITEMS_DIR, f".{extension}", depth)
        return [self.files.entry(name) for name in names]

    def _entries_by_files(self, params: dict[str, Any]) -> Any:
        files = params.get("files")
        if not isinstance(files, list):
            raise Refused("expected a list of files")
        return [
            self.files.entry(file.get("path"), file.get("label"))
            for file in files
            if isinstance(file, dict)
        ]

    def _persist_entry(self, params: dict[str, Any]) -> Any:
        data_files = params.get("dataFiles") or [params.get("entry")]
        assets = params.get("assets") or []
        if not isinstance(data_files, list) or not isinstance(assets, list):
            raise Refused("expected dataFiles and assets")
        pictures = [self.files.picture(a.get("path"), a.get("content")) for a in _dicts(assets)]
        saves: list[tuple[Place, bytes, Place | None]] = []
        for data_file in _dicts(data_files):
            place = self.files.place(data_file.get("path"), (ITEMS_DIR,))
            moved = data_file.get("newPath")
            target = self.files.place(moved, (ITEMS_DIR,)) if moved else place
            data = self.files.item_to_write(place, data_file.get("raw"))
            saves.append((target, data, place if moved else None))
        for place, data in pictures:  # an item may show a picture sent with it
            self.files.write(place, data)
            self.report(f"Saved {place.name} from the editor")
        notes: list[str] = []
        for target, data, _ in saves:
            problems = self.files.problems(target.name, data)
            if errors := [problem for problem in problems if problem.severity == "error"]:
                raise NewsletterError(errors)
            notes.extend(str(problem) for problem in problems)
        self.notes = notes
        for target, data, old in saves:
            self.files.write(target, data)
            if old is not None and old.path != target.path:
                old.path.unlink(missing_ok=True)
            self.report(f"Saved {target.name} from the editor")
        return {"message": "entry persisted"}

    def _get_media(self, params: dict[str, Any]) -> Any:
        if params.get("mediaFolder") != IMAGES_DIR:
            raise Refused(f"the editor's pictures are in {IMAGES_DIR}/")
        return [self.files.media(name) for name in self.files.listing(IMAGES_DIR, "", 1)]

    def _picture(self, name: object) -> str:
        return self.files.place(name, (IMAGES_DIR,)).name

    def _persist_media(self, params: dict[str, Any]) -> Any:
        asset = params.get("asset")
        if not isinstance(asset, dict) or asset.get("encoding") != "base64":
            raise Refused("expected a picture in base64")
        place, data = self.files.picture(asset.get("path"), asset.get("content"))
        self.files.write(place, data)
        self.report(f"Saved {place.name} from the editor")
        return self.files.media(place.name)

    def _delete_file(self, params: dict[str, Any]) -> Any:
        name = self.files.place(params.get("path")).name
        self.files.delete(name)
        self.report(f"Deleted {name} from the editor")
        return {"message": f"deleted file {name}"}

    def _delete_files(self, params: dict[str, Any]) -> Any:
        paths = params.get("paths")
        if not isinstance(paths, list):
            raise Refused("expected a list of paths")
        names = [self.files.place(path).name for path in paths]  # all checked before any goes
        for name in names:
            self.files.delete(name)
        self.report(f"Deleted {', '.join(names)} from the editor")
        return {"message": f"deleted files {', '.join(names)}"}

    def _notes(self, params: dict[str, Any]) -> Any:
        """The warnings of the item saved last, which the editor shows after a save."""
        return {"notes": self.notes}


def _dicts(values: list[Any]) -> list[dict[str, Any]]:
    found = [value for value in values if isinstance(value, dict)]
    if len(found) != len(values):
        raise Refused("expected a list of files")
    return found
