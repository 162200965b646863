"""Incremental builds: the cache only ever saves time; out/ is always a clean build's."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from conftest import SITE, made_once
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.commands.build import build
from newsletter.core import stamps
from newsletter.core.errors import NewsletterError
from newsletter.engine import cache, manifest
from newsletter.engine.cache import Cache
from newsletter.engine.itemcache import items_context
from newsletter.engine.output import write_outputs
from newsletter.engine.versions import code_fingerprint

AS_OF = date(2024, 4, 30)


def snapshot(folder: Path) -> dict[str, bytes]:
    files = (p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def state_cache(root: Path) -> Cache:
    """The project's cache, to look into or change as a hand would."""
    return Cache(root / ".newsletter" / "cache.sqlite")


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
    before = (project / "out" / "news" / "lecture.html").stat().st_mtime_ns
    second = build(project, project / "out", AS_OF)
    assert 0 < second.rendered < first.rendered
    assert "Two of the" in (project / "out" / "news" / "older.html").read_text("utf-8")
    assert (project / "out" / "news" / "lecture.html").stat().st_mtime_ns == before  # untouched


def test_an_edit_of_a_body_past_its_first_paragraph_renders_only_what_shows_bodies(
    project: Path, tmp_path: Path
) -> None:
    """Lists, digests, the calendar and the landing page show items, not their bodies
    (the summary, which a first paragraph can make, is an item's field): they stay."""
    out = project / "out"
    build(project, out, AS_OF)
    kept = ["tags/awards/index.html", "digests/2024-W09/email.html", "digests/index.html"]
    before = {path: (out / path).stat().st_mtime_ns for path in [*kept, "news/older.html"]}
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("A second", "An edited second"), "utf-8")
    build(project, out, AS_OF)
    after = {path: (out / path).stat().st_mtime_ns for path in before}
    assert [path for path in before if after[path] == before[path]] == kept
    assert "An edited second" in (out / "news/older.html").read_text("utf-8")
    assert "An edited second" in (out / "archive/2024-03.atom").read_text("utf-8")
    assert snapshot(out) == clean_build(project, tmp_path)
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of the"), "utf-8")
    build(project, out, AS_OF)  # the first paragraph is the summary: the lists show it
    assert "Two of the" in (out / "tags/awards/index.html").read_text("utf-8")
    assert snapshot(out) == clean_build(project, tmp_path)


def test_garbage_made_after_a_build_is_still_collected(project: Path) -> None:
    """A preview server builds again and again in one process: a build that succeeds or
    fails leaves nothing that keeps memory from being freed."""
    build(project, project / "out", AS_OF)
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of the"), "utf-8")
    build(project, project / "out", AS_OF)
    assert _cycles_are_freed()
    item.write_text("title: [broken\n", "utf-8")
    with pytest.raises(NewsletterError):
        build(project, project / "out", AS_OF)
    assert _cycles_are_freed()


def _cycles_are_freed() -> bool:
    """Whether a reference cycle made now is freed as objects are made, without a call."""

    class Node:
        other: object

    node = Node()
    node.other = node
    gone = weakref.ref(node)
    del node
    for _ in range(50):  # enough new containers to set the collector off, many times over
        _ = [[] for _ in range(1000)]
        if gone() is None:
            return True
    return False


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
        items = [key for (key,) in db.execute("SELECT key FROM items ORDER BY key")]
        for key in items[::2]:
            db.execute("UPDATE items SET blob = ? WHERE key = ?", (b"{not json", key))
    (project / "out").unlink()
    report = build(project, project / "out", AS_OF)
    assert 0 < report.rendered < len(keys)  # what was damaged, and no more
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


ITEM_EDITS = ["title", "tags", "date", "delete", "body", "summary", "event", "kicker"]
# Templates that reach for what the built-in ones do not show, and settings: an output's
# key covers whatever its render function receives, never only what it shows today.
TEMPLATES = {
    "item.html": '{% extends "default:item.html" %}{% block title %}TEXT{% endblock %}',
    "listing.html": '{% extends "default:listing.html" %}{% block main %}'
    "{% for item in items %}<p>{{ item.kicker }} {{ item.authors|join }}</p>{% endfor %}"
    "{{ super() }}{% endblock %}",
    "index.html": '{% extends "default:index.html" %}{% block title %}TEXT '
    "{{ items|map(attribute='summary')|join('|') }}{% endblock %}",
    "digest.html": '{% extends "default:digest.html" %}{% block title %}TEXT '
    "{{ digest.items|map(attribute='updated')|join('|') }}{% endblock %}",
}
SETTINGS = {
    "title": ("title: Test Institute — News", "title: TEXT"),
    "language": ("language: en", "language: nb"),
    "description": ("description: News from a small test institute", "description: TEXT"),
}
EDITS = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["lecture", "symbols", "norsk", "older", "new-a", "new-b"]),
            st.sampled_from(ITEM_EDITS),
            st.sampled_from(["æøå & <b>", "Plain", "Kong\u00b4s"]),
        ),
        st.tuples(st.just("templates"), st.sampled_from(sorted(TEMPLATES)), st.just("Tpl")),
        st.tuples(st.just("settings"), st.sampled_from(sorted(SETTINGS)), st.just("Set æ")),
    ),
    min_size=1,
    max_size=5,
)


def build_sample(folder: Path) -> None:
    shutil.copytree(SITE, folder / "project")
    build(folder / "project", folder / "project" / "out", AS_OF)


@pytest.fixture(scope="module")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample project as its first build left it: out/, its builds and its state."""
    return made_once(tmp_path_factory, "incremental-sample", build_sample) / "project"


@pytest.mark.long
@settings(
    max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=EDITS)
def test_incremental_builds_match_clean_builds(  # type: ignore[no-untyped-def]
    tmp_path: Path, built_sample: Path, edits
) -> None:
    project = Path(tempfile.mkdtemp(dir=tmp_path)) / "project"  # each example its own
    shutil.copytree(built_sample, project, symlinks=True)  # built, as a writer finds it
    for name, kind, text in edits:
        apply_edit(project, name, kind, text)
        build(project, project / "out", AS_OF)
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def apply_edit(root: Path, name: str, kind: str, text: str) -> None:
    """Change the project at ROOT as a writer, a designer or an editor would."""
    if name == "templates":
        (root / "templates").mkdir(exist_ok=True)
        (root / "templates" / kind).write_text(TEMPLATES[kind].replace("TEXT", text), "utf-8")
        return
    if name == "settings":
        config = root / "newsletter.yaml"
        before, after = SETTINGS[kind]
        config.write_text(config.read_text("utf-8").replace(before, after), "utf-8")
        return
    path = root / "items" / f"{name}.yaml"
    if kind == "delete":
        path.unlink(missing_ok=True)
    elif not path.exists() or kind == "date":
        day = 12 + len(text)
        path.write_text(f"title: {name}\ndate: 2024-04-{day}\ntags: [{name}]\nbody: x\n", "utf-8")
    else:
        _edit_field(path, kind, text)


def _edit_field(path: Path, kind: str, text: str) -> None:
    """Change one field of the item file at PATH: a body gets a paragraph at its end; an
    event is replaced; tags, summary and kicker are set where the item has none."""
    lines = path.read_text("utf-8").splitlines()
    if kind == "title":
        lines[0] = f"title: {text!r}"
    elif kind == "body":
        at = next(n for n, line in enumerate(lines) if line.startswith("body:"))
        if lines[at] == "body: |":
            end = _block_end(lines, at)
            lines[end:end] = ["", f"  {text}"]
        else:
            paragraphs = [lines[at].removeprefix("body: "), text]
            lines[at] = "body: " + json.dumps("\n\n".join(paragraphs))
    elif kind == "event":
        if any(line.startswith("event:") for line in lines):
            at = next(n for n, line in enumerate(lines) if line.startswith("event:"))
            del lines[at : _block_end(lines, at)]
        lines.append(f"event: {{start: 2024-05-0{len(text) % 9 + 1} 10:00, location: {text!r}}}")
    elif not any(line.startswith(f"{kind}:") for line in lines):  # tags, summary, kicker
        lines.append(f"{kind}: [{text!r}]" if kind == "tags" else f"{kind}: {text!r}")
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _block_end(lines: list[str], at: int) -> int:
    """The line after the block of the field at line *at* (its indented lines)."""
    end = at + 1
    while end < len(lines) and (lines[end].startswith(" ") or not lines[end]):
        end += 1
    return end


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


def test_items_read_back_render_the_bodies_they_carry(project: Path, tmp_path: Path) -> None:
    build(project, project / "out", AS_OF)
    (project / "out").unlink()
    with closing(sqlite3.connect(project / ".newsletter" / "cache.sqlite")) as db, db:
        db.execute("DELETE FROM entries")
    build(project, project / "out", AS_OF)  # every page again, from items read back
    assert "A second paragraph" in (project / "out" / "news" / "older.html").read_text("utf-8")
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_a_state_folder_that_cannot_be_written_only_costs_time(
    project: Path, tmp_path: Path
) -> None:
    config = project / "newsletter.yaml"
    config.write_text(config.read_text("utf-8") + "state_dir: newsletter.yaml/state\n", "utf-8")
    build(project, tmp_path / "public", AS_OF)
    again = build(project, tmp_path / "public", AS_OF)
    assert again.rendered > 0 and again.written == 0
    assert snapshot(tmp_path / "public") == clean_build(project, tmp_path)


def test_an_edit_that_keeps_the_size_and_modification_time_is_still_seen(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
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
    [
        '{"items/lecture.yaml": "x", "items/older.yaml": [1, 2], "items/norsk.yaml": null}',
        "[1, 2, 3]",
        "{not json",
    ],
    ids=["odd-entries", "a-list", "not-json"],
)
def test_damaged_item_file_stats_only_cost_time(project: Path, tmp_path: Path, junk: str) -> None:
    build(project, project / "out", AS_OF)
    with state_cache(project) as state:
        state.write("state", {manifest.PRINTS: junk.encode()})  # sealed: a careful hand
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of the"), "utf-8")
    build(project, project / "out", AS_OF)
    assert snapshot(project / "out") == clean_build(project, tmp_path)


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
    with state_cache(project) as state:
        last = json.loads(state.read("state", manifest.BUILD) or b"")
        last["outputs"]["0" * 64] = [path.replace("/tmp/victim.txt", str(victim))]
        state.write("state", {manifest.BUILD: json.dumps(last).encode()})
    item = project / "items" / "older.yaml"
    item.write_text(item.read_text("utf-8").replace("Two of our", "Two of the"), "utf-8")
    build(project, project / "out", AS_OF)
    assert victim.read_text("utf-8") == "keep me"
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_a_tampered_item_read_before_cannot_name_a_file_outside_out(project: Path) -> None:
    build(project, project / "out", AS_OF)
    context = items_context(project)
    with state_cache(project) as state:
        for key, data in list(state.read_all("items", seal=context)):
            entry = json.loads(data)
            entry["item"]["id"] = "../../escaped"
            state.write("items", {key: json.dumps(entry).encode()}, seal=context)
    (project / "out").unlink()
    build(project, project / "out", AS_OF)
    assert not (project.parent / "escaped.html").exists()
    assert (project / "out" / "news" / "older.html").exists()


def test_no_output_path_can_leave_out(tmp_path: Path) -> None:
    with pytest.raises(NewsletterError, match="inside the out/ folder"):
        write_outputs(tmp_path / "out", {"../escaped.html": b"x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "span",
    [["not a date", None], [None, 7], [], "2024-04-01", ["2024-04-01T00:00:00", None]],
    ids=["date", "number", "empty", "text", "no-offset"],
)
def test_a_damaged_span_in_the_manifest_only_costs_time(
    project: Path, tmp_path: Path, span: object
) -> None:
    build(project, project / "out", AS_OF)
    with state_cache(project) as state:
        last = json.loads(state.read("state", manifest.BUILD) or b"")
        last["published"] = span
        state.write("state", {manifest.BUILD: json.dumps(last).encode()})
    build(project, project / "out", AS_OF)  # no traceback: a build as usual
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_the_state_folder_holds_one_cache_file(project: Path, tmp_path: Path) -> None:
    build(project, project / "out", AS_OF)
    names = sorted(p.name for p in (project / ".newsletter").iterdir())
    assert names == [".newsletter-state", "cache.sqlite"]  # the file, and the project's mark
    (project / ".newsletter" / "cache.sqlite").unlink()
    (project / "out").unlink()
    report = build(project, project / "out", AS_OF)  # a cold build, nothing worse
    assert report.rendered > 0
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_a_wrong_item_in_the_cache_never_reaches_the_feeds(project: Path, tmp_path: Path) -> None:
    build(project, project / "out", AS_OF)
    with closing(sqlite3.connect(project / ".newsletter" / "cache.sqlite")) as db, db:
        for key, blob in db.execute("SELECT key, blob FROM items").fetchall():
            wrong = blob.replace(b"Honorary members", b"Dishonoured members")  # still JSON
            db.execute("UPDATE items SET blob = ? WHERE key = ?", (wrong, key))
    (project / "out").unlink()
    build(project, project / "out", AS_OF)
    assert b"Honorary members" in (project / "out" / "feed.atom").read_bytes()
    assert snapshot(project / "out") == clean_build(project, tmp_path)


@pytest.mark.parametrize("sealed", [False, True], ids=["damaged", "resealed"])
def test_a_wrong_stored_print_only_costs_time(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sealed: bool
) -> None:
    monkeypatch.setattr(stamps, "SETTLED_NS", 0)  # the prints are kept
    build(project, project / "out", AS_OF)
    with state_cache(project) as state:
        stats = json.loads(state.read("state", manifest.PRINTS) or b"")
        right = stats["items/older.yaml"][4]
    path = project / ".newsletter" / "cache.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        (blob,) = db.execute("SELECT blob FROM state WHERE key = 'prints'").fetchone()
        db.execute(
            "UPDATE state SET blob = ? WHERE key = 'prints'",
            (blob.replace(right.encode(), b"e" * 64),),
        )
    if sealed:  # as a careful hand would: the checksum made again
        stats["items/older.yaml"][4] = "e" * 64
        with state_cache(project) as state:
            state.write("state", {manifest.PRINTS: json.dumps(stats).encode()})
    (project / "out").unlink()
    build(project, project / "out", AS_OF)
    build(project, project / "out", AS_OF)
    assert snapshot(project / "out") == clean_build(project, tmp_path)


def test_files_damaged_or_deleted_by_hand_in_out_do_not_survive_a_build(
    project: Path, tmp_path: Path
) -> None:
    build(project, project / "out", AS_OF)
    page = project / "out" / "news" / "lecture.html"
    before = page.stat()
    page.write_bytes(page.read_bytes().replace(b"<", b">", 1))  # the same size
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same time
    (project / "out" / "tags" / "awards.atom").unlink()
    (project / "out" / "news" / "stray.html").write_text("not made by a build", "utf-8")
    report = build(project, project / "out", AS_OF)  # nothing else changed
    assert (report.rendered, report.written) == (0, 2)  # from the cache
    assert snapshot(project / "out") == clean_build(project, tmp_path)
    assert build(project, project / "out", AS_OF).written == 0


@pytest.fixture
def fresh_code_key() -> Iterator[None]:
    """Let the key of the code be computed again, in the test and after it."""
    code_fingerprint.cache_clear()
    yield
    code_fingerprint.cache_clear()


def test_a_new_version_of_a_library_renders_everything_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_code_key: None
) -> None:
    first = build(project, project / "out", AS_OF)
    upgrade = tmp_path / "upgrade"
    (upgrade / "Jinja2-99.0.dist-info").mkdir(parents=True)  # where Python looks first
    monkeypatch.syspath_prepend(upgrade)
    code_fingerprint.cache_clear()
    again = build(project, project / "out", AS_OF)
    assert again.rendered == first.rendered  # nothing of the old version's output is used
    assert snapshot(project / "out") == clean_build(project, tmp_path)
    assert build(project, project / "out", AS_OF).rendered == 0
