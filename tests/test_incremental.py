"""Incremental builds: the cache only ever saves time; out/ is always a clean build's."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.commands.build import build
from newsletter.core.errors import NewsletterError
from newsletter.engine import cache, manifest
from newsletter.engine.cache import decode, encode
from newsletter.engine.itemcache import load_catalog, read_memo
from newsletter.engine.output import write_outputs

AS_OF = date(2024, 4, 30)


def snapshot(folder: Path) -> dict[str, bytes]:
    files = (p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def clean_build(root: Path, tmp: Path) -> dict[str, bytes]:
    """Build a copy of ROOT with no state folder at all."""
    copy = tmp / "clean"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".newsletter", "out"))
    build(copy, copy / "out", AS_OF)
    return snapshot(copy / "out")


def test_a_build_with_nothing_changed_renders_nothing(project: Path) -> None:
    first = build(project, project / "out", AS_OF)
    second = build(project, project / "out", AS_OF)
    assert first.rendered > 0
    assert (second.rendered, second.written) == (0, 0)


def test_one_edited_item_renders_only_what_it_touches(project: Path) -> None:
    first = build(project, project / "out", AS_OF)
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of the"), "utf-8")
    second = build(project, project / "out", AS_OF)
    # its page; feed.atom/rss/json, the March archive and the awards feeds that hold it;
    # the landing page; the digest of its week and the list of digests
    assert second.rendered == 7 < first.rendered
    assert "Two of the" in (project / "out" / "news" / "older.html").read_text("utf-8")


def test_a_damaged_cache_entry_is_rendered_again(project: Path, tmp_path: Path) -> None:
    build(project, project / "out", AS_OF)
    with closing(sqlite3.connect(project / ".newsletter" / "cache.sqlite")) as db, db:
        keys = [key for (key,) in db.execute("SELECT key FROM entries ORDER BY key")]
        for key in keys[::3]:  # a flipped bit in the compressed body
            (blob,) = db.execute("SELECT blob FROM entries WHERE key = ?", (key,)).fetchone()
            damaged = blob[:-1] + bytes([blob[-1] ^ 0xFF])
            db.execute("UPDATE entries SET blob = ? WHERE key = ?", (damaged, key))
        db.execute("UPDATE entries SET blob = ? WHERE key = ?", (b"", keys[1]))
        db.execute("UPDATE entries SET blob = ? WHERE key = ?", ("text", keys[2]))
    for part in sorted((project / ".newsletter" / "items").glob("*.json"))[::2]:
        part.write_text("{not json", "utf-8")
    (project / "out").unlink()
    report = build(project, project / "out", AS_OF)
    assert report.rendered == len(keys[::3]) + 2
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_a_cache_another_build_holds_is_left_alone(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "BUSY_SECONDS", 0.1)
    build(project, project / "out", AS_OF)
    path = project / ".newsletter" / "cache.sqlite"
    inode = path.stat().st_ino
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # another build, in the middle of writing
        (project / "out").unlink()
        report = build(project, project / "out", AS_OF)
        other.execute("ROLLBACK")
    assert report.rendered > 0  # it did without the cache
    assert snapshot(project / "out") == clean_build(project, tmp_path)
    assert path.stat().st_ino == inode  # and left the other build's file alone
    (project / "out").unlink()
    assert build(project, project / "out", AS_OF).rendered == 0


@pytest.mark.parametrize(
    "junk", [b"", b"not a database at all", b"SQLite format 3\x00" + b"\xff" * 5000]
)
def test_a_cache_file_that_is_not_a_database_is_made_anew(
    project: Path, tmp_path: Path, junk: bytes
) -> None:
    build(project, project / "out", AS_OF)
    (project / ".newsletter" / "cache.sqlite").write_bytes(junk)
    (project / "out").unlink()
    again = build(project, project / "out", AS_OF)
    assert again.rendered > 0
    assert snapshot(project / "out") == clean_build(project, tmp_path)
    (project / "out").unlink()
    assert build(project, project / "out", AS_OF).rendered == 0  # cached afresh


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["lecture", "symbols", "norsk", "older", "new-a", "new-b"]),
        st.sampled_from(["title", "tags", "date", "delete", "template"]),
        st.sampled_from(["æøå & <b>", "Plain", "Kong\u00b4s"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=EDITS)
def test_incremental_builds_match_clean_builds(project: Path, tmp_path: Path, edits) -> None:  # type: ignore[no-untyped-def]
    build(project, project / "out", AS_OF)
    for name, kind, text in edits:
        apply_edit(project, name, kind, text)
        build(project, project / "out", AS_OF)
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def apply_edit(root: Path, name: str, kind: str, text: str) -> None:
    path = root / "items" / f"{name}.yaml"
    if kind == "template":
        (root / "templates").mkdir(exist_ok=True)
        extension = '{% extends "default:item.html" %}{% block title %}' + text + "{% endblock %}"
        (root / "templates" / "item.html").write_text(extension, "utf-8")
    elif kind == "delete":
        path.unlink(missing_ok=True)
    elif not path.exists() or kind == "date":
        day = 12 + len(text)
        path.write_text(f"title: {name}\ndate: 2024-04-{day}\ntags: [{name}]\nbody: x\n", "utf-8")
    elif kind == "title":
        lines = path.read_text("utf-8").splitlines()
        lines[0] = f"title: {text!r}"
        path.write_text("\n".join(lines) + "\n", "utf-8")
    else:  # tags
        text_now = path.read_text("utf-8")
        if "tags:" not in text_now:
            path.write_text(text_now + f"tags: [{text!r}]\n", "utf-8")


def test_a_build_into_a_replaced_out_folder_builds_again(project: Path, tmp_path: Path) -> None:
    build(project, project / "out", AS_OF)
    (project / "out").unlink()
    (project / "out").mkdir()
    report = build(project, project / "out", AS_OF)
    assert report.written > 0
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_a_later_as_of_that_changes_nothing_stops_early(project: Path) -> None:
    build(project, project / "out", date(2024, 4, 23))
    same = build(project, project / "out", date(2024, 4, 25))  # same items, same last week
    assert (same.rendered, same.written, same.published) == (0, 0, 4)
    later = build(project, project / "out", date(2024, 5, 2))  # publishes the May item
    assert later.published == 5 and later.rendered > 0


def test_files_lost_from_out_or_the_cache_are_made_again(project: Path, tmp_path: Path) -> None:
    build(project, project / "out", AS_OF)
    (project / "out" / "news" / "lecture.html").unlink()  # out/ itself looks untouched
    (project / ".newsletter" / "cache.sqlite").unlink()
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of the"), "utf-8")
    build(project, project / "out", AS_OF)
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_items_read_back_without_their_bodies_render_them_from_their_files(
    project: Path, tmp_path: Path
) -> None:
    build(project, project / "out", AS_OF)
    memo = b"".join(p.read_bytes() for p in (project / ".newsletter" / "items").glob("*.json"))
    assert b"A second paragraph" not in memo  # older.yaml's body is not kept there
    (project / "out").unlink()
    (project / ".newsletter" / "cache.sqlite").unlink()
    build(project, project / "out", AS_OF)  # every page again, from items read back
    assert "A second paragraph" in (project / "out" / "news" / "older.html").read_text("utf-8")
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_a_body_read_back_from_a_file_changed_since_is_a_located_error(project: Path) -> None:
    load_catalog(project)
    (item,) = [item for item in load_catalog(project).items if item.source == "items/older.yaml"]
    assert item.body is None  # read back from the state folder
    Path(item.path).write_text("title: Changed\n", "utf-8")
    with pytest.raises(NewsletterError) as caught:
        item.body_html  # noqa: B018
    assert str(caught.value) == "items/older.yaml: changed while the build ran; build again"


def test_a_state_folder_that_cannot_be_written_only_costs_time(
    project: Path, tmp_path: Path
) -> None:
    config = project / "newsletter.yaml"
    config.write_text(config.read_text("utf-8") + "state_dir: newsletter.yaml/state\n", "utf-8")
    build(project, tmp_path / "public", AS_OF)
    again = build(project, tmp_path / "public", AS_OF)
    assert again.rendered > 0 and again.written == 0
    assert snapshot(tmp_path / "public") == clean_build(project, tmp_path)


def test_an_item_file_whose_size_and_times_are_unchanged_is_not_read_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest, "_SETTLED_NS", 0)  # every file counts as settled
    state = project / ".newsletter"
    prints = manifest.item_prints(project, state)
    stored = json.loads((state / "prints.json").read_bytes())
    stored["items/lecture.yaml"][4] = "remembered"
    (state / "prints.json").write_text(json.dumps(stored), "utf-8")
    again = manifest.item_prints(project, state)
    assert again["items/lecture.yaml"] == "remembered"  # taken from the state folder
    assert {k: v for k, v in again.items() if k != "items/lecture.yaml"} == {
        k: v for k, v in prints.items() if k != "items/lecture.yaml"
    }


def test_an_edit_that_keeps_the_size_and_modification_time_is_still_seen(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest, "_SETTLED_NS", 0)
    build(project, project / "out", AS_OF)
    item = project / "items" / "older.yaml"
    before = item.stat()
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of OUR"), "utf-8")
    os.utime(item, ns=(before.st_atime_ns, before.st_mtime_ns))  # as a careless copy might
    assert item.stat().st_size == before.st_size
    build(project, project / "out", AS_OF)
    assert "Two of OUR" in (project / "out" / "news" / "older.html").read_text("utf-8")


@pytest.mark.parametrize(
    "junk",
    ['{"items/lecture.yaml": "x", "items/older.yaml": [1, 2], "items/norsk.yaml": null}',
     "[1, 2, 3]", "{not json"],
    ids=["odd-entries", "a-list", "not-json"],
)  # fmt: skip
def test_damaged_item_file_stats_only_cost_time(project: Path, tmp_path: Path, junk: str) -> None:
    build(project, project / "out", AS_OF)
    (project / ".newsletter" / "prints.json").write_text(junk, "utf-8")
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of the"), "utf-8")
    build(project, project / "out", AS_OF)
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_odd_entries_among_the_items_read_before_only_cost_time(project: Path) -> None:
    folder = project / ".newsletter" / "items"
    folder.mkdir(parents=True)
    odd = [{"item": "text", "problems": []}, {"item": None, "problems": "x"}, {"item": []}]
    for index, entry in enumerate(odd):
        part = {"context": "c", "items": {f"{index:02}ff": entry}}
        (folder / f"{index:02}.json").write_text(json.dumps(part), "utf-8")
    assert read_memo(folder, "c", project) == {}
    assert build(project, project / "out", AS_OF).published == 4


def files_with_inodes(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under FOLDER: its bytes and its inode."""
    files = (p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_ino) for p in files}


def test_after_an_edit_every_file_with_the_same_bytes_is_the_same_file(project: Path) -> None:
    build(project, project / "out", AS_OF)
    before = files_with_inodes(project / "out")
    item = project / "items" / "older.yaml"  # its body is its last field
    item.write_text(item.read_text("utf-8") + "\n  One more paragraph.\n", "utf-8")
    build(project, project / "out", AS_OF)
    after = files_with_inodes(project / "out")
    assert after.keys() == before.keys()
    same = [path for path, (data, _) in after.items() if data == before[path][0]]
    changed = sorted(set(after) - set(same))
    assert "news/older.html" in changed and "index.html" not in changed  # summaries only
    for path in same:
        assert after[path] == before[path], path  # linked from the last out/, not rewritten


def test_outputs_an_item_took_with_it_are_gone_folders_and_all(
    project: Path, tmp_path: Path
) -> None:
    build(project, project / "out", AS_OF)
    assert (project / "out" / "tags" / "awards.atom").exists()
    (project / "items" / "older.yaml").unlink()  # the only item tagged awards
    build(project, project / "out", AS_OF)
    assert not (project / "out" / "tags" / "awards.atom").exists()
    clean_build(project, tmp_path)
    everything = [p.relative_to(project / "out") for p in (project / "out").rglob("*")]
    clean = [
        p.relative_to(tmp_path / "clean" / "out") for p in (tmp_path / "clean" / "out").rglob("*")
    ]
    assert sorted(everything) == sorted(clean)  # files and folders alike


def test_an_edit_built_by_worker_processes_keeps_the_cache(project: Path, tmp_path: Path) -> None:
    for day in range(12):  # enough feeds and digests for several jobs to go to the workers
        text = f"title: Story {day}\ndate: 2024-0{day % 3 + 2}-1{day % 9}\ntags: [t{day % 3}]\n"
        (project / "items" / f"story-{day}.yaml").write_text(text + "body: Body.\n", "utf-8")
    build(project, project / "out", AS_OF, workers=2)
    item = project / "items" / "story-4.yaml"
    item.write_text(item.read_text("utf-8").replace("Body.", "Body, edited."), "utf-8")
    edited = build(project, project / "out", AS_OF, workers=2)
    assert (project / ".newsletter" / "cache.sqlite").exists()
    assert snapshot(project / "out") == clean_build(project, tmp_path)
    (project / "out").unlink()  # all of it from the cache now
    assert build(project, project / "out", AS_OF, workers=2).rendered == 0 < edited.rendered


@pytest.mark.parametrize("path", ["../victim.txt", "news/../../victim.txt", "/tmp/victim.txt"])
def test_a_tampered_manifest_cannot_reach_outside_out(
    project: Path, tmp_path: Path, path: str
) -> None:
    build(project, project / "out", AS_OF)
    victim = project / "victim.txt"
    victim.write_text("keep me", "utf-8")
    manifest_file = project / ".newsletter" / "build.json"
    manifest = json.loads(manifest_file.read_bytes())
    manifest["outputs"]["0" * 64] = [path.replace("/tmp/victim.txt", str(victim))]
    manifest_file.write_text(json.dumps(manifest), "utf-8")
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of the"), "utf-8")
    build(project, project / "out", AS_OF)
    assert victim.read_text("utf-8") == "keep me"
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_a_tampered_item_read_before_cannot_name_a_file_outside_out(project: Path) -> None:
    build(project, project / "out", AS_OF)
    for part in (project / ".newsletter" / "items").glob("*.json"):
        stored = json.loads(part.read_bytes())
        for entry in stored["items"].values():
            entry["item"]["id"] = "../../escaped"
        part.write_text(json.dumps(stored), "utf-8")
    (project / "out").unlink()
    build(project, project / "out", AS_OF)
    assert not (project.parent / "escaped.html").exists()
    assert (project / "out" / "news" / "older.html").exists()


def test_no_output_path_can_leave_out(tmp_path: Path) -> None:
    with pytest.raises(NewsletterError, match="inside the out/ folder"):
        write_outputs(tmp_path / "out", {"../escaped.html": b"x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("entry", [["not a date", False], 7, []], ids=["date", "number", "empty"])
def test_damaged_dates_in_the_manifest_only_cost_time(
    project: Path, tmp_path: Path, entry: object
) -> None:
    build(project, project / "out", AS_OF)
    manifest_file = project / ".newsletter" / "build.json"
    manifest = json.loads(manifest_file.read_bytes())
    manifest["dates"] = dict.fromkeys(manifest["dates"], entry)
    manifest_file.write_text(json.dumps(manifest), "utf-8")
    build(project, project / "out", AS_OF)  # no traceback: a build as usual
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_cache_entries_can_be_packed_and_read_from_several_threads_at_once() -> None:
    # A build reads the cache from the pool's own thread while its main thread writes.
    entries = {
        f"key{n}": {f"news/{n}.html": f"<p>{'æøå ' * n}</p>".encode() * 50} for n in range(200)
    }

    def round_trips(_: int) -> bool:
        return all(decode(key, encode(key, files)) == files for key, files in entries.items())

    with ThreadPoolExecutor(4) as threads:
        assert all(threads.map(round_trips, range(16)))
