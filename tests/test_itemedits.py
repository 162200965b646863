"""An item saved in the browser editor, merged into its file: only what changed changes."""

from __future__ import annotations

import pytest

from newsletter.sources.itemedits import item_id, item_text, merge_item
from newsletter.sources.model import ID_PATTERN
from newsletter.sources.yamlfile import load_document

OLD = """\
title: Guest lecture
date: 2024-04-10
updated: 2024-04-11T10:00
id: blasco
body: |
  First paragraph.

  Second.
authors: [Kjetil Taskén]
image: {src: images/blasco.jpg, alt: Blasco, credit: "Photo: CNIO"}
event: {start: 2024-04-19T10:30, end: 2024-04-19T11:30}
"""


def fields(text: str | bytes) -> object:
    data = text.encode() if isinstance(text, str) else text
    return load_document("items/x.yaml", data).value


def test_fields_the_editor_gave_back_unchanged_keep_their_value() -> None:
    old = fields(OLD)
    assert isinstance(old, dict)
    # As the editor sends it: dates as text, an untouched bool, a field it does not show.
    new = {key: value for key, value in old.items() if key != "authors"}
    new |= {"date": "2024-04-10", "updated": "2024-04-11T10:00:00", "draft": False}
    new["title"] = "Guest lecture: moved"
    merged = merge_item(old, new, "x")
    assert merged == old | {"title": "Guest lecture: moved"}
    assert fields(item_text(merged)) == merged


def test_a_field_emptied_in_the_editor_is_left_out() -> None:
    old = fields(OLD)
    assert isinstance(old, dict)
    new = old | {"image": {"src": "", "alt": "", "credit": ""}, "body": ""}
    merged = merge_item(old, new, "x")
    assert "image" not in merged and "body" not in merged
    assert merged["event"] == old["event"]


def test_a_new_item_gets_the_id_new_would_give_it_and_nothing_empty() -> None:
    new = {"title": "Nytt: æøå", "date": "2024-04-20T10:30", "tags": [], "draft": False}
    merged = merge_item(None, new, "2024-04-20-nytt-aeoa")
    assert merged == {
        "title": "Nytt: æøå",
        "date": "2024-04-20T10:30",
        "id": "2024-04-20-nytt-aeoa",
    }
    assert item_text(merged).decode() == (
        "title: 'Nytt: æøå'\ndate: 2024-04-20T10:30\nid: 2024-04-20-nytt-aeoa\n"
    )


@pytest.mark.parametrize("stem", ["2024-04-20-a~b", "2024-04-20-" + "lang-tittel-" * 20, "~~"])
def test_a_new_items_id_is_always_a_valid_one(stem: str) -> None:
    assert ID_PATTERN.match(item_id(stem))
