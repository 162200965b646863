"""Items read before: kept whole in the cache, each entry verified when read back."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from newsletter.core.errors import NewsletterError
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.itemcache import (
    BODIES,
    DATES,
    TABLE,
    Bodies,
    items_context,
    load_catalog,
    read_memo,
)
from newsletter.sources.items import Item


def cache_of(project: Path) -> Cache:
    return Cache(project / ".newsletter" / CACHE_FILE)


def remembered(project: Path) -> dict[str, Item]:
    """The items the cache holds for the project as it is, by their file's name."""
    with cache_of(project) as cache:
        memo = read_memo(cache, items_context(project), ZoneInfo("Europe/Oslo"))
    return {item.source: item for item, _ in memo.values() if item is not None}


def reseal(project: Path, change: dict[str, object]) -> None:
    """Change every stored item's fields and seal it again, as a careful hand would."""
    context = items_context(project)
    with cache_of(project) as cache:
        entries = dict(cache.read_all(TABLE, seal=context))
        for key, data in entries.items():
            entry = orjson.loads(data)
            entry["item"].update(change)
            entries[key] = orjson.dumps(entry)
        cache.write(TABLE, entries, seal=context)


def test_items_come_back_as_they_were_read(project: Path) -> None:
    first = load_catalog(project)
    kept = {source: (i.id, i.title) for source, i in remembered(project).items()}
    assert kept == {i.source: (i.id, i.title) for i in first.items}
    again = load_catalog(project)
    assert again == first  # pictures found again, as the first time
    assert again.prints == first.prints
    assert again.bodies == {}  # nothing parsed, no body decoded
    with cache_of(project) as cache:
        bodies = Bodies(project, cache, again)
        assert {again.prints[i.id]: bodies.of(i) for i in again.items} == first.bodies


def test_a_body_comes_back_from_the_cache_and_else_from_its_file(project: Path) -> None:
    catalog = dataclasses.replace(load_catalog(project), bodies={})  # none read now
    (item,) = [i for i in catalog.items if i.source == "items/older.yaml"]
    path = project / "items" / "older.yaml"
    text = path.read_text("utf-8")
    path.unlink()  # the cache holds its body
    with cache_of(project) as cache:
        assert Bodies(project, cache, catalog).of(item).startswith("Two of our researchers")
        cache.write(BODIES, {catalog.prints[item.id]: b"\xff"}, seal="damaged")
        path.write_text(text, "utf-8")  # the cache has lost it: its file has it
        assert Bodies(project, cache, catalog).of(item).startswith("Two of our researchers")
        path.write_text(text.replace("Two of", "Three of"), "utf-8")
        with pytest.raises(
            NewsletterError, match=r"^items/older\.yaml: changed while the build ran; build again$"
        ):
            Bodies(project, cache, catalog).of(item)


def test_the_bodies_read_from_the_files_are_let_go_once_stored(project: Path) -> None:
    catalog = load_catalog(project)
    (item,) = [i for i in catalog.items if i.source == "items/older.yaml"]
    with cache_of(project) as cache:
        bodies = Bodies(project, cache, catalog)
        (project / "items" / "older.yaml").unlink()
        before = bodies.of(item)
        bodies.let_go()
        assert bodies.read == {}
        assert bodies.of(item) == before  # now from the cache


def test_an_item_changed_in_the_cache_is_read_from_its_file_again(project: Path) -> None:
    load_catalog(project)
    path = project / ".newsletter" / CACHE_FILE
    with closing(sqlite3.connect(path)) as db, db:
        for key, blob in db.execute(f"SELECT key, blob FROM {TABLE}").fetchall():
            wrong = blob.replace(b"Honorary members", b"Dishonoured members")
            db.execute(f"UPDATE {TABLE} SET blob = ? WHERE key = ?", (wrong, key))
    assert "items/older.yaml" not in remembered(project)  # it does not check out
    titles = [item.title for item in load_catalog(project).items]
    assert "Honorary members of the bioscience society" in titles
    assert "items/older.yaml" in remembered(project)  # stored afresh


def test_items_are_read_again_under_another_configuration(project: Path) -> None:
    load_catalog(project)
    config = project / "newsletter.yaml"
    config.write_text(
        config.read_text("utf-8").replace("Test Institute", "Another Institute"), "utf-8"
    )
    assert remembered(project) == {}  # kept for the old configuration only
    load_catalog(project)
    with closing(sqlite3.connect(project / ".newsletter" / CACHE_FILE)) as db:
        (count,) = db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    assert count == len(remembered(project)) == 6  # the old entries are gone


@pytest.mark.parametrize(
    "change",
    [
        {"card": 0},
        {"id": "../../escaped"},
        {"source": "../outside.yaml"},
        {"body": None},
        {"extra": 1},
        {"published": "not a date"},
    ],
    ids=["not-a-key", "escaping-id", "outside-source", "no-body", "extra-field", "bad-date"],
)
def test_an_entry_that_is_not_what_it_claims_is_refused(
    project: Path, change: dict[str, object]
) -> None:
    load_catalog(project)
    reseal(project, change)
    assert remembered(project) == {}
    catalog = load_catalog(project)
    assert len(catalog.items) == 6 and not any(i.id == "../../escaped" for i in catalog.items)


def test_odd_entries_only_cost_time(project: Path) -> None:
    odd = [{"item": "text", "problems": []}, {"item": None, "problems": "x"}, {"item": []}, [1]]
    context = items_context(project)
    with cache_of(project) as cache:
        entries = {f"{index:064}": json.dumps(entry).encode() for index, entry in enumerate(odd)}
        cache.write(TABLE, entries, seal=context)
        assert read_memo(cache, context, ZoneInfo("Europe/Oslo")) == {}
    assert len(load_catalog(project).items) == 6


def test_a_reader_of_some_dates_decodes_only_the_items_they_take(project: Path) -> None:
    everything = load_catalog(project)
    march = load_catalog(project, concerns=lambda published, start: published.month == 3)
    assert [item.source for item in march.items] == ["items/older.yaml"]
    assert set(march.items) <= set(everything.items)
    for damaged in (b"[1, 2", b"[1, 2]", b'{"x": [1, 2]}'):  # every item is taken
        with cache_of(project) as cache:
            cache.write("state", {DATES: damaged}, seal=items_context(project))
        assert load_catalog(project, concerns=lambda published, start: False) == everything
    (project / "items" / "new.yaml").write_text("title: New\ndate: 2021-06-01\nbody: x\n", "utf-8")
    with cache_of(project) as cache:
        cache.write("state", {DATES: b"[1, 2"}, seal=items_context(project))

    def in_2021(published: datetime, start: datetime | None) -> bool:
        return published.year == 2021

    assert len(load_catalog(project, concerns=in_2021).items) == len(everything.items) + 1
    taken = load_catalog(project, concerns=in_2021)  # the dates were recorded anew
    assert [item.source for item in taken.items] == ["items/new.yaml"]


def test_an_item_whose_dates_are_not_known_yet_is_read_and_taken(project: Path) -> None:
    load_catalog(project)
    (project / "items" / "new.yaml").write_text("title: New\ndate: 2021-06-01\nbody: x\n", "utf-8")
    taken = load_catalog(project, concerns=lambda published, start: False)
    assert [item.source for item in taken.items] == ["items/new.yaml"]
    assert load_catalog(project, concerns=lambda published, start: False).items == ()
    assert len(load_catalog(project).items) == len(remembered(project))  # none forgotten
