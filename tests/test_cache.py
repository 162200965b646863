"""The cache file itself: sealed entries, verified on reading, a miss when damaged."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from newsletter.engine import cache as cache_module
from newsletter.engine.cache import Cache
from newsletter.engine.entries import decode, encode

FILES = {"news/a.html": "<p>æøå</p>".encode(), "#content/a": b"<p>a</p>", "empty": b""}


def stored(path: Path, table: str) -> dict[str, bytes]:
    """Every row of *table* in the cache file at PATH, as stored."""
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute(f"SELECT key, blob FROM {table}").fetchall())


def overwrite(path: Path, table: str, key: str, blob: bytes) -> None:
    """Put *blob* under *key* in *table*, as damage or a hand would, seal and all."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(f"UPDATE {table} SET blob = ? WHERE key = ?", (blob, key))


def test_rendered_files_come_back_as_they_were_put(tmp_path: Path) -> None:
    with Cache(tmp_path / "cache.sqlite") as cache:
        cache.put_blob("k1", encode("k1", FILES))
    with Cache(tmp_path / "cache.sqlite") as cache:
        assert cache.get("k1") == FILES
        assert cache.get("k2") is None


@pytest.mark.parametrize("where", [0, 33, 40, -1], ids=["checksum", "count", "body", "end"])
def test_a_flipped_bit_anywhere_in_an_entry_is_a_miss(tmp_path: Path, where: int) -> None:
    path = tmp_path / "cache.sqlite"
    blob = encode("k1", FILES)
    with Cache(path) as cache:
        cache.put_blob("k1", blob)
    damaged = bytearray(blob)
    damaged[where] ^= 1
    overwrite(path, "entries", "k1", bytes(damaged))
    with Cache(path) as cache:
        assert cache.get("k1") is None


def test_an_entry_found_under_another_key_is_refused() -> None:
    with pytest.raises(ValueError, match="damaged cache entry"):
        decode("k2", encode("k1", FILES))


@pytest.mark.parametrize("blob", [b"", b"short", "text"], ids=["empty", "short", "text"])
def test_an_entry_of_the_wrong_shape_is_a_miss(tmp_path: Path, blob: object) -> None:
    path = tmp_path / "cache.sqlite"
    with Cache(path) as cache:
        cache.put_blob("k1", encode("k1", FILES))
        cache.write("items", {"i1": b"{}"})
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE entries SET blob = ?", (blob,))
        db.execute("UPDATE items SET blob = ?", (blob,))
    with Cache(path) as cache:
        assert cache.get("k1") is None
        assert cache.read("items", "i1") is None


def test_records_check_out_only_under_the_seal_they_were_written_with(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with Cache(path) as cache:
        cache.write("items", {"a": b"one", "b": b"two"}, seal="config-1")
        cache.write("state", {"prints": b"{}"})
    with Cache(path) as cache:
        assert cache.read("items", "a", seal="config-1") == b"one"
        assert cache.read("items", "a", seal="config-2") is None
        assert dict(cache.read_all("items", seal="config-1")) == {"a": b"one", "b": b"two"}
        assert dict(cache.read_all("items", seal="config-2")) == {}
        assert cache.read("state", "prints") == b"{}"


def test_a_record_changed_without_its_checksum_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with Cache(path) as cache:
        cache.write("items", {"a": b'{"title": "Right"}', "b": b"two"}, seal="c")
    blob = stored(path, "items")["a"]
    overwrite(path, "items", "a", blob.replace(b"Right", b"Wrong"))  # still valid JSON
    with Cache(path) as cache:
        assert cache.read("items", "a", seal="c") is None
        assert dict(cache.read_all("items", seal="c")) == {"b": b"two"}


def test_prune_keeps_only_the_rendered_entries_this_build_used(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with Cache(path) as cache:
        for key in ("old", "kept", "read"):
            cache.put_blob(key, encode(key, FILES))
        cache.write("items", {"i": b"item"})
    with Cache(path) as cache:
        cache.keep("kept")
        assert cache.get("read") == FILES
        cache.put_blob("new", encode("new", FILES))
        cache.prune()
    assert sorted(stored(path, "entries")) == ["kept", "new", "read"]
    assert list(stored(path, "items")) == ["i"]  # other tables are not the build's to prune


def test_keep_only_and_delete_remove_records(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with Cache(path) as cache:
        cache.write("items", {"a": b"1", "b": b"2", "c": b"3"})
        cache.write("state", {"build": b"{}"})
        cache.keep_only("items", {"b", "z"})
        assert cache.delete("state", "build")
    assert list(stored(path, "items")) == ["b"]
    assert stored(path, "state") == {}


@pytest.mark.parametrize(
    "junk", [b"", b"not a database at all", b"SQLite format 3\x00" + b"\xff" * 5000]
)
def test_a_file_that_is_not_a_database_is_made_anew_and_the_send_log_left_alone(
    tmp_path: Path, junk: bytes
) -> None:
    (tmp_path / "sent.sqlite").write_bytes(b"the send log")
    (tmp_path / "cache.sqlite").write_bytes(junk)
    with Cache(tmp_path / "cache.sqlite") as cache:
        assert cache.get("k1") is None
        cache.put_blob("k1", encode("k1", FILES))
    with Cache(tmp_path / "cache.sqlite") as cache:
        assert cache.get("k1") == FILES
    assert (tmp_path / "sent.sqlite").read_bytes() == b"the send log"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.sqlite", "sent.sqlite"]


def test_a_cache_that_cannot_be_made_remembers_nothing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("a file, not a folder", "utf-8")
    with Cache(tmp_path / "file" / "cache.sqlite") as cache:
        cache.put_blob("k1", encode("k1", FILES))
        cache.write("state", {"build": b"{}"})
        assert cache.get("k1") is None
        assert cache.read("state", "build") is None
        assert not cache.delete("state", "build")
    with Cache(None) as nothing:
        assert nothing.get("k1") is None


def test_another_build_holding_the_file_is_waited_for_then_done_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "BUSY_SECONDS", 0.1)
    path = tmp_path / "cache.sqlite"
    with Cache(path) as cache:
        cache.put_blob("k1", encode("k1", FILES))
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        with Cache(path) as cache:
            assert cache.get("k1") is None
            cache.put_blob("k2", encode("k2", FILES))
        other.execute("ROLLBACK")
    assert sorted(stored(path, "entries")) == ["k1"]  # left as the other build had it


def test_the_cache_is_used_from_the_build_thread_only(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    with Cache(tmp_path / "cache.sqlite") as cache:
        cache.put_blob("k1", encode("k1", FILES))

        def elsewhere() -> None:
            try:
                cache.get("k1")
            except sqlite3.ProgrammingError as error:
                errors.append(error)

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert len(errors) == 1  # a lookup from another thread is a mistake, not a miss


def test_a_table_outside_the_cache_is_refused(tmp_path: Path) -> None:
    with Cache(tmp_path / "cache.sqlite") as cache, pytest.raises(ValueError, match="no table"):
        cache.read("sent", "x")


def test_a_read_only_cache_reads_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state" / "cache.sqlite"
    with Cache(path, read_only=True) as cache:
        cache.write("items", {"a": b"1"})
        assert cache.read("items", "a") is None
    assert not (tmp_path / "state").exists()  # not even made
    with Cache(path) as cache:
        cache.write("items", {"a": b"1"})
    before = path.read_bytes()
    with Cache(path, read_only=True) as cache:
        assert cache.read("items", "a") == b"1"
        cache.write("items", {"b": b"2"})
        assert not cache.delete("items", "a")
    assert path.read_bytes() == before
    path.write_bytes(b"not a database at all")
    with Cache(path, read_only=True) as cache:
        assert cache.read("items", "a") is None
    assert path.read_bytes() == b"not a database at all"  # left for a build to make anew
