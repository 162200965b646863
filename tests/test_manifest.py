"""The last build's manifest and the item files' prints, as the cache keeps them."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import orjson
import pytest

from newsletter.commands.build import build
from newsletter.core import stamps
from newsletter.engine import manifest
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.manifest import BUILD, PRINTS, item_prints, last_build, out_files
from newsletter.sources.itemfiles import item_files

AS_OF = date(2024, 4, 30)


def cache_of(project: Path) -> Cache:
    return Cache(project / ".newsletter" / CACHE_FILE)


def test_an_item_file_whose_size_and_times_are_unchanged_is_not_read_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamps, "SETTLED_NS", 0)  # every file counts as settled
    with cache_of(project) as cache:
        prints = item_prints(item_files(project), cache)
        stored = orjson.loads(cache.read("state", PRINTS) or b"")
        stored["items/lecture.yaml"][4] = "remembered"
        cache.write("state", {PRINTS: orjson.dumps(stored)})
    with cache_of(project) as cache:
        again = item_prints(item_files(project), cache)
    assert again.pop("items/lecture.yaml") == "remembered"  # taken from the cache
    assert again == {k: v for k, v in prints.items() if k != "items/lecture.yaml"}


def test_a_file_changed_a_moment_ago_is_read_every_time(project: Path) -> None:
    contents: dict[str, bytes] = {}
    with cache_of(project) as cache:
        item_prints(item_files(project), cache)
        item_prints(item_files(project), cache, contents)
    assert len(contents) == 6  # copied a moment ago: not settled yet


def test_a_damaged_print_is_not_trusted(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    with cache_of(project) as cache:
        prints = item_prints(item_files(project), cache)
    path = project / ".newsletter" / CACHE_FILE
    with closing(sqlite3.connect(path)) as db, db:
        (blob,) = db.execute("SELECT blob FROM state WHERE key = ?", (PRINTS,)).fetchone()
        wrong = blob.replace(prints["items/older.yaml"].encode(), b"f" * 64)
        db.execute("UPDATE state SET blob = ? WHERE key = ?", (wrong, PRINTS))
    with cache_of(project) as cache:
        assert item_prints(item_files(project), cache) == prints  # every file read again


def test_out_files_lists_every_file_with_its_size_and_times(tmp_path: Path) -> None:
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.html").write_bytes(b"abc")
    (tmp_path / "index.html").write_bytes(b"")
    stat = (tmp_path / "news" / "a.html").stat()
    found = out_files(tmp_path)
    assert sorted(found) == ["index.html", "news/a.html"]
    assert found["news/a.html"] == f"3 {stat.st_ino} {stat.st_mtime_ns} {stat.st_ctime_ns}"
    assert out_files(tmp_path / "missing") == {}


def test_a_file_touched_by_hand_is_not_kept(project: Path) -> None:
    build(project, project / "out", AS_OF)
    with cache_of(project) as cache:
        last = last_build(cache, project / "out")
    assert last is not None
    present = out_files(project / "out")
    assert last.kept(present) == last.outputs
    page = project / "out" / "news" / "lecture.html"
    before = page.stat()
    page.write_bytes(page.read_bytes().replace(b"<", b">", 1))  # same size
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # same time
    (project / "out" / "news" / "older.html").unlink()
    kept = last.kept(out_files(project / "out"))
    lost = {key: paths for key, paths in last.outputs.items() if key not in kept}
    touched = {"news/lecture.html", "news/older.html"}
    assert touched <= {path for paths in lost.values() for path in paths}
    assert all(touched & set(paths) for paths in lost.values())  # only the jobs of those


def test_a_manifest_for_another_out_folder_is_not_used(project: Path, tmp_path: Path) -> None:
    build(project, project / "out", AS_OF)
    (tmp_path / "elsewhere").mkdir()
    with cache_of(project) as cache:
        assert last_build(cache, project / "out") is not None
        assert last_build(cache, tmp_path / "elsewhere") is None
        assert manifest.forget(cache)
        assert last_build(cache, project / "out") is None


@pytest.mark.parametrize(
    "change",
    [
        {"counts": [1, 2]},
        {"files": []},
        {"outputs": {"k": ["../x"]}},
        {"warnings": [1]},
        {"unknown": 1},
    ],
    ids=["counts", "files", "outputs", "warnings", "unknown"],
)
def test_a_manifest_of_the_wrong_shape_is_not_used(project: Path, change: dict) -> None:  # type: ignore[type-arg]
    build(project, project / "out", AS_OF)
    with cache_of(project) as cache:
        data = orjson.loads(cache.read("state", BUILD) or b"")
        cache.write("state", {BUILD: orjson.dumps({**data, **change})})
        assert last_build(cache, project / "out") is None
