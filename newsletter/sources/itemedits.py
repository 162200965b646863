"""An item saved in the browser editor, merged into its file as it was: only the fields
the person changed change.

The editor sends the whole item back, as it understands it: the fields it knows, the
ones it does not, and the values it shows differently (a date 2024-04-10 given back as
"2024-04-10"). Every field it did not change keeps its value as written; a field it
emptied is left out (an empty field means its default), and one it sent without it
being there before is added only where it says something (not an empty list, not the
default false). The file is written again without its comments.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from newsletter.sources.model import ID_LIMIT, parse_when


def merge_item(old: dict[str, Any] | None, new: Any, stem: str) -> Any:
    """The item to write: NEW (as the editor sent it) merged into OLD (the file's fields,
    None for a new file). A new item gets the id `newsletter new` gives it: its file's
    name, STEM."""
    if not isinstance(new, dict):
        return new  # not an item: the checks say so
    merged = _mapping(old or {}, new)
    if old is None and "id" not in merged:
        merged = _with_id(merged, item_id(stem))
    return merged


def item_id(stem: str) -> str:
    """The id of a new item in the file STEM.yaml: its name, as `newsletter new` gives
    it, with any character an id cannot hold made '-' and cut at a word to ID_LIMIT."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._") or "item"
    if len(name) > ID_LIMIT:
        cut = name[: ID_LIMIT + 1]
        name = cut.rsplit("-", 1)[0] if "-" in cut else cut[:ID_LIMIT]
    return name


def _with_id(fields: dict[str, Any], stem: str) -> dict[str, Any]:
    """FIELDS with id: STEM, after the date (where `newsletter new` writes it)."""
    ordered: dict[str, Any] = {}
    for key, value in fields.items():
        ordered[key] = value
        if key == "date":
            ordered["id"] = stem
    ordered.setdefault("id", stem)
    return ordered


def _mapping(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key, value in old.items():
        if key not in new:
            merged[key] = value  # a field the editor does not know
        elif _empty(new[key]) and not _empty(value):
            continue  # emptied: its default
        else:
            merged[key] = _value(value, new[key])
    for key, value in new.items():
        if key not in old and not _empty(value) and value is not False:
            merged[key] = _value(None, value)
    return merged


def _value(old: Any, new: Any) -> Any:
    if isinstance(new, dict):
        return _mapping(old if isinstance(old, dict) else {}, new)
    if isinstance(new, list):
        return [_pruned(part) for part in new if not _empty(part)]
    return old if _same(old, new) else new


def _pruned(value: Any) -> Any:
    return _mapping({}, value) if isinstance(value, dict) else value


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(part) or part is False for part in value.values())
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def _same(old: Any, new: Any) -> bool:
    """Whether NEW says what OLD says: the same text, number or moment, however written."""
    if old == new:
        return type(old) is type(new) or isinstance(old, int | float)
    if isinstance(old, str) and isinstance(new, str):
        if old.strip() == new.strip():
            return True
        try:
            return parse_when(old) == parse_when(new)
        except ValueError:
            return False
    return False


class _Dumper(yaml.SafeDumper):
    """Writes items as people do: dates plain, text of several lines as a block."""


_Dumper.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip("\n") or (value.endswith("\n") and "\n" in value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def item_text(fields: Any) -> bytes:
    """FIELDS written as an item file."""
    text = yaml.dump(
        fields, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2
    )
    return text.encode("utf-8")
