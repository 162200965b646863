"""The browser editor's file API, called as a browser (or an attacker) calls it, on a
real `newsletter serve`: hostile paths, foreign origins and hosts, items check refuses,
edits that keep every field they do not touch."""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from test_email_browser import png
from test_serve import NEWSLETTER, Served

from newsletter.sources.yamlfile import load_document


class Api:
    """The file API of a running preview, called with the preview's own Origin (or
    ORIGIN; None: without one) and Host."""

    def __init__(self, served: Served) -> None:
        settings = yaml.safe_load(served.get("/admin/config.yml")[2])
        url = urlsplit(settings["backend"]["proxy_url"])
        self.port, self.origin = url.port, served.base

    def call(
        self, action: str, params: Any = None, *, origin: str | None = "-", host: str = ""
    ) -> tuple[int, Any]:
        body = json.dumps({"action": action, "params": params or {}})
        headers = {"Content-Type": "application/json", "Host": host or f"127.0.0.1:{self.port}"}
        if origin is not None:
            headers["Origin"] = self.origin if origin == "-" else origin
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", "/api/v1", body, headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def save(self, path: str, raw: str) -> tuple[int, Any]:
        data_file = {"slug": Path(path).stem, "path": path, "raw": raw}
        options = {"commitMessage": "x", "useWorkflow": False, "status": ""}
        return self.call(
            "persistEntry", {"dataFiles": [data_file], "assets": [], "options": options}
        )


@pytest.fixture(scope="module")
def editing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Api]]:
    import shutil

    from conftest import SITE

    project = tmp_path_factory.mktemp("editing") / "project"
    shutil.copytree(SITE, project)
    served = Served(project).ready()
    yield served, Api(served)
    assert "Traceback" not in served.stop()


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".newsletter" not in path.parts
    }


def test_it_answers_decaps_info_and_lists_the_items(editing: tuple[Served, Api]) -> None:
    _, api = editing
    assert api.call("info") == (
        200,
        {"repo": "project", "publish_modes": ["simple"], "type": "local_fs"},
    )
    status, entries = api.call(
        "entriesByFolder", {"folder": "items", "extension": "yaml", "depth": 1}
    )
    assert status == 200
    assert "items/lecture.yaml" in [entry["file"]["path"] for entry in entries]
    assert all(entry["data"] for entry in entries)


@pytest.mark.parametrize(
    "origin",
    [None, "https://evil.example", "http://127.0.0.1:1", "null", "http://localhost.evil.example"],
)
def test_a_page_from_elsewhere_is_refused(editing: tuple[Served, Api], origin: str | None) -> None:
    _, api = editing
    status, answer = api.call("info", origin=origin)
    assert status == 403, answer
    assert answer["error"].startswith("Forbidden: Origin")


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1", "localhost:1"]
)
def test_a_host_name_other_than_loopback_with_its_port_is_refused(
    editing: tuple[Served, Api], host: str
) -> None:
    _, api = editing
    status, answer = api.call("info", host=host.format(port=api.port))
    assert status == 403
    assert answer["error"].startswith("Forbidden: Host")


def test_a_preflight_from_elsewhere_gets_no_cors_permission(editing: tuple[Served, Api]) -> None:
    _, api = editing
    for origin, expected in (("https://evil.example", 403), (api.origin, 204)):
        connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
        headers = {"Origin": origin, "Host": f"localhost:{api.port}"}
        connection.request("OPTIONS", "/api/v1", headers=headers)
        response = connection.getresponse()
        assert response.status == expected
        allowed = response.getheader("Access-Control-Allow-Origin")
        assert allowed == (origin if expected == 204 else None)
        connection.close()


HOSTILE = [
    "../outside.yaml",
    "/etc/passwd.yaml",
    "items/../newsletter.yaml",
    "items/%2e%2e/newsletter.yaml",
    "items/..%2Fnewsletter.yaml",
    "items\\..\\newsletter.yaml",
    "newsletter.yaml",
    "templates/base.yaml",
    ".newsletter/cache.yaml",
    "out/index.yaml",
    "items/./x.yaml",
    "items/.hidden.yaml",
    "items//x.yaml",
    "images/x.yaml",
    "items/x.html",
    "items/link/x.yaml",
]


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_paths_write_read_and_delete_nothing(
    editing: tuple[Served, Api], path: str
) -> None:
    served, api = editing
    root = served.project
    outside = root.parent / "outside-dir"
    outside.mkdir(exist_ok=True)
    (outside / "x.yaml").write_text("title: secret\n", "utf-8")
    if not (root / "items" / "link").exists():
        os.symlink(outside, root / "items" / "link")
    before = snapshot(root)
    raw = "title: Pwned\ndate: 2024-04-10\n"
    status, answer = api.save(path, raw)
    assert status == 422, answer
    for action, params in (
        ("getEntry", {"path": path}),
        ("deleteFile", {"path": path}),
        ("deleteFiles", {"paths": ["items/lecture.yaml", path]}),
        ("getMediaFile", {"path": path}),
    ):
        status, answer = api.call(action, params)
        assert status == 422, (action, answer)
    status, answer = api.call(
        "persistMedia",
        {
            "asset": {
                "path": path,
                "content": base64.b64encode(png(2, 2)).decode(),
                "encoding": "base64",
            }
        },
    )
    assert status == 422
    assert snapshot(root) == before
    assert (outside / "x.yaml").read_text("utf-8") == "title: secret\n"
    assert not (root.parent / "outside.yaml").exists()


def test_an_item_check_refuses_is_not_written_and_the_answer_says_where(
    editing: tuple[Served, Api],
) -> None:
    served, api = editing
    raw = "title: Broken\ndate: 2024-04-10\nevent:\n  start: 2024-04-19T10:30\n"
    raw += "  end: 2024-04-19T09:00\n"
    status, answer = api.save("items/2024-04-10-broken.yaml", raw)
    assert status == 422
    assert answer["error"].startswith("items/2024-04-10-broken.yaml:")
    assert "event.end: ends before it starts" in answer["error"]
    assert not (served.project / "items" / "2024-04-10-broken.yaml").exists()
    status, answer = api.save("items/2024-04-10-broken.yaml", "title: Broken\nimage:\n  src: x\n")
    assert status == 422
    assert "date" in answer["error"] and "image" in answer["error"]


def test_an_edit_keeps_every_field_it_did_not_change(editing: tuple[Served, Api]) -> None:
    served, api = editing
    path = served.project / "items" / "lecture.yaml"
    before = load_document("x", path.read_bytes()).value
    # As Decap sends it back: the fields it knows, dates as text, the title changed.
    edited = {key: value for key, value in before.items() if key != "authors"}
    edited["title"] = "Guest lecture moved: Dr. Blasco"
    edited["draft"] = False
    status, answer = api.save("items/lecture.yaml", yaml.safe_dump(edited, allow_unicode=True))
    assert (status, answer) == (200, {"message": "entry persisted"})
    after = load_document("x", path.read_bytes()).value
    assert after == before | {"title": "Guest lecture moved: Dr. Blasco"}
    check = subprocess.run([str(NEWSLETTER), "check"], cwd=served.project, capture_output=True)
    assert check.returncode == 0, check.stdout


def test_a_new_item_gets_its_id_and_its_warnings_are_written_and_shown(
    editing: tuple[Served, Api],
) -> None:
    served, api = editing
    name = "items/2024-04-20-nytt-fra-icr-aeoa.yaml"
    raw = (
        "title: 'Nytt fra ICR: æøå \u2013 test'\ndate: 2024-04-20T10:30\ntags: []\ndraft: false\n"
        "image:\n  src: images/blasco.jpg\n  alt: Blasco\n  credit: ''\nbody: Hei.\n"
    )
    assert api.save(name, raw)[0] == 200
    written = load_document("x", (served.project / name).read_bytes()).value
    assert written == {
        "title": "Nytt fra ICR: æøå \u2013 test",
        "date": "2024-04-20T10:30",
        "id": "2024-04-20-nytt-fra-icr-aeoa",
        "image": {"src": "images/blasco.jpg", "alt": "Blasco"},
        "body": "Hei.",
    }
    status, answer = api.call("itemNotes")
    assert status == 200
    assert answer["notes"] == [
        f"{name}:4: warning: image.credit: the image has no credit; say who made it"
    ]


def test_pictures_are_checked_as_a_build_checks_them(editing: tuple[Served, Api]) -> None:
    served, api = editing

    def upload(name: str, data: bytes) -> tuple[int, Any]:
        asset = {"path": name, "content": base64.b64encode(data).decode(), "encoding": "base64"}
        return api.call("persistMedia", {"asset": asset, "options": {"commitMessage": "x"}})

    status, answer = upload("images/fake.jpg", b"not a picture at all")
    assert status == 422
    assert answer["error"] == "images/fake.jpg is not a picture file; use a JPEG, PNG, GIF or WebP"
    assert not (served.project / "images" / "fake.jpg").exists()
    status, answer = upload("images/lab.png", png(8, 6))
    assert status == 200
    assert answer["path"] == "images/lab.png" and answer["name"] == "lab.png"
    assert (served.project / "images" / "lab.png").read_bytes() == png(8, 6)
    status, media = api.call("getMedia", {"mediaFolder": "images"})
    assert "images/lab.png" in [file["path"] for file in media]
