"""The last build's manifest and the item files' prints, as the cache keeps them."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from newsletter.commands.build import build
from newsletter.core import stamps
from newsletter.engine import manifest
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.manifest import (
    BUILD,
    PRINTS,
    Span,
    item_prints,
    last_build,
    out_files,
)
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


@pytest.mark.parametrize("workers", [1, 2])
def test_the_manifest_stamps_every_file_of_out_as_it_stays(project: Path, workers: int) -> None:
    """Each file is stamped as it is put in place, not by walking out/ once more: the
    stamps still hold after the build before the last, which shares files with it, is
    removed, and once links are replaced by files written anew."""
    item = project / "items" / "older.yaml"
    for edit in range(3):  # the third build removes the first, whose files it links
        build(project, project / "out", AS_OF, workers=workers)
        with cache_of(project) as cache:
            stored = orjson.loads(cache.read("state", BUILD) or b"")
        assert stored["files"] == out_files(project / "out"), f"build {edit + 1}"
        item.write_text(item.read_text("utf-8") + f"\n  Paragraph {edit}.\n", "utf-8")
    assert len(list((project / ".out.builds").iterdir())) <= 3  # the lock, two builds


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
        {"held": [1]},
        {"warnings": [1]},
        {"unknown": 1},
    ],
    ids=["counts", "files", "held", "warnings", "unknown"],
)
def test_a_manifest_of_the_wrong_shape_is_not_used(project: Path, change: dict) -> None:  # type: ignore[type-arg]
    build(project, project / "out", AS_OF)
    with cache_of(project) as cache:
        data = orjson.loads(cache.read("state", BUILD) or b"")
        cache.write("state", {BUILD: orjson.dumps({**data, **change})})
        assert last_build(cache, project / "out") is None


def test_no_job_is_kept_whose_files_a_manifest_places_outside_out(project: Path) -> None:
    build(project, project / "out", AS_OF)
    with cache_of(project) as cache:
        data = orjson.loads(cache.read("state", BUILD) or b"")
        outputs = {**data["outputs"], "out": ["../x"], "root": ["/x"], "odd": "feed.atom"}
        outputs |= {"listed": [["feed.atom"]], "number": [1]}
        cache.write("state", {BUILD: orjson.dumps({**data, "outputs": outputs})})
        last = last_build(cache, project / "out")
    assert last is not None
    assert last.kept(out_files(project / "out")) == data["outputs"]


def test_the_span_holds_while_the_same_items_are_published() -> None:
    oslo = ZoneInfo("Europe/Oslo")
    april, may, june = (datetime(2024, month, 1, tzinfo=oslo) for month in (4, 5, 6))
    span = Span.around([april, june], may)
    assert (span.since, span.until) == (april, june)
    assert span.holds(april) and span.holds(may) and span.holds(june - timedelta(microseconds=1))
    assert not span.holds(june) and not span.holds(april - timedelta(microseconds=1))
    assert Span.around([], may).holds(june)  # nothing dated: the same at any moment
    assert Span.parse(span.stored()) == span


@pytest.mark.parametrize(
    "stored", [["not a date", None], [None, 7], [], "2024-04-01", None], ids=repr
)
def test_a_damaged_span_is_not_read(stored: object) -> None:
    assert Span.parse(stored) is None


def test_a_span_without_offsets_holds_at_no_moment() -> None:
    span = Span.parse(["2024-04-01T00:00:00", None])
    assert span is not None
    assert not span.holds(datetime(2024, 5, 1, tzinfo=ZoneInfo("Europe/Oslo")))
