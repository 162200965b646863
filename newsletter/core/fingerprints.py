"""Fingerprints: the hash of what an output depends on, the key of everything cached."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import PurePath
from typing import Any, Protocol

from pydantic import BaseModel


def fingerprint(*parts: bytes | str) -> str:
    """Hash *parts* into a key: the same parts, in the same order, give the same key.

    Each part is written after its length. A build after an edit makes some 30,000
    keys: one loop, with the lengths of keys and names made once, took 2.5 to 2.8 µs a
    key of six parts, two comprehensions 4.0 to 5.8 (best of seven, three times)."""
    out: list[bytes] = []
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        size = len(data)
        out.append(_LENGTHS[size] if size < len(_LENGTHS) else size.to_bytes(8, "big"))
        out.append(data)
    return hashlib.sha256(b"".join(out)).hexdigest()


_LENGTHS = [size.to_bytes(8, "big") for size in range(256)]


class Keyed(Protocol):
    """A value that carries its own key, worked out once from all it holds by key_of()
    (an item, which thousands of outputs receive), or from what it is made of (a set of
    templates: their files; the HTML of an item: the key of the job that renders it)."""

    @property
    def value_key(self) -> str: ...  # a hex digest, as fingerprint() makes


_PLAIN = (int, float, bool, type(None), date, time, timedelta, range, PurePath, enum.Enum)
_PLAIN_OR_TEXT = (str, *_PLAIN)


def key_of(value: object) -> str:
    """The key of *value*: equal for equal values, and different for any two values a
    render function could tell apart. Values are taken apart down to plain ones (text,
    numbers, moments, containers, dataclasses and pydantic models, field by field),
    written out unambiguously and hashed once; a type it does not know is an error,
    never a guess."""
    carried = getattr(value, "value_key", None)  # a Keyed (an isinstance() costs more)
    if isinstance(carried, str):
        return carried
    out: list[bytes] = []
    _write(value, out)
    return hashlib.sha256(b"".join(out)).hexdigest()


def fields_key(record: Any, leave_out: tuple[str, ...] = ()) -> str:
    """The key of a dataclass: its type and every field but those in *leave_out*."""
    out: list[bytes] = []
    _write_fields(record, leave_out, out)
    return hashlib.sha256(b"".join(out)).hexdigest()


def _put(out: list[bytes], tag: bytes, data: bytes) -> None:
    out.append(tag + len(data).to_bytes(8, "big") + data)


def _write(value: object, out: list[bytes]) -> None:
    """Write *value* into *out* as tagged, length-prefixed parts (see key_of)."""
    _writer(value)(value, out)


def _writer(value: object) -> Callable[[Any, list[bytes]], None]:
    writer = _WRITERS.get(type(value))
    return _writer_for(value) if writer is None else writer


def _writer_for(value: object) -> Callable[[Any, list[bytes]], None]:
    """How values of *value*'s type are written, found once a type: the branches below,
    tried for every value, cost some 15 % of the keying (the keys of 1,500 of the
    benchmark's items: 92 ms so, 78 ms found once). A class is never data: refused."""
    kind = type(value)
    writer: Callable[[Any, list[bytes]], None]
    if kind is str:  # the most frequent by far: written as it is
        writer = _text
    elif hasattr(kind, "value_key"):  # a Keyed (an isinstance() costs more)
        writer = _carried
    elif issubclass(kind, bytes):
        writer = _bytes
    elif issubclass(kind, datetime):
        writer = _moment
    elif issubclass(kind, _PLAIN_OR_TEXT):  # a str of another type (Markup): another value
        writer = _plain
    elif issubclass(kind, tzinfo):
        writer = _zone
    elif issubclass(kind, tuple | list):
        writer = _sequence
    elif issubclass(kind, Mapping):
        writer = _mapping
    elif dataclasses.is_dataclass(kind) and not issubclass(kind, type):
        writer = _record
    elif issubclass(kind, BaseModel):
        writer = _model
    else:
        raise TypeError(f"no key for a {kind.__qualname__}: say how it is keyed")
    _WRITERS[kind] = writer
    return writer


def _text(value: str, out: list[bytes]) -> None:
    _put(out, b"s", value.encode())


def _carried(value: Keyed, out: list[bytes]) -> None:
    _put(out, b"k", value.value_key.encode())


def _bytes(value: bytes, out: list[bytes]) -> None:
    _put(out, b"b", value)


def _moment(value: datetime, out: list[bytes]) -> None:
    _put(out, b"d", value.isoformat().encode())
    _write(value.tzinfo, out)


def _plain(value: object, out: list[bytes]) -> None:
    _put(out, b"p", f"{type(value).__qualname__}:{value!r}".encode())


def _zone(value: tzinfo, out: list[bytes]) -> None:
    _put(out, b"z", str(value).encode())  # its rules are the code's (see versions)


def _sequence(value: tuple[Any, ...] | list[Any], out: list[bytes]) -> None:
    _put(out, b"(", str(len(value)).encode())
    get = _WRITERS.get  # the types seen before, then each item's: the same either way
    carried = all(get(type(item)) is _carried for item in value)
    if value and (carried or all(_writer(item) is _carried for item in value)):
        # The items of a list or a feed, which carry their keys (hex digests: never a
        # comma): written at once (an edit rebuild of 10,000 items keys some 100,000).
        _put(out, b"K", ",".join([item.value_key for item in value]).encode())
        return
    for item in value:
        _write(item, out)


def _mapping(value: Mapping[Any, Any], out: list[bytes]) -> None:
    _put(out, b"{", str(len(value)).encode())
    for pair in sorted(value.items()):
        _write(pair, out)


def _record(value: object, out: list[bytes]) -> None:
    _write_fields(value, (), out)


def _model(value: BaseModel, out: list[bytes]) -> None:
    _put(out, b"m", model_key(value).encode())


_WRITERS: dict[type, Callable[[Any, list[bytes]], None]] = {str: _text}


def _write_fields(record: Any, leave_out: tuple[str, ...], out: list[bytes]) -> None:
    names, head = _names(type(record), leave_out)
    out.append(head)
    for name in names:
        _write(getattr(record, name), out)


def _names(kind: type, leave_out: tuple[str, ...]) -> tuple[tuple[str, ...], bytes]:
    """The fields of the dataclass *kind* but *leave_out*, and the part that heads them:
    worked out once a type, as dataclasses.fields() costs more than the writing."""
    known = _NAMES.get((kind, leave_out))
    if known is None:
        names = tuple(f.name for f in dataclasses.fields(kind) if f.name not in leave_out)
        head: list[bytes] = []
        _put(head, b"c", f"{kind.__qualname__}:{len(names)}".encode())
        known = _NAMES[kind, leave_out] = names, head[0]
    return known


_NAMES: dict[tuple[type, tuple[str, ...]], tuple[tuple[str, ...], bytes]] = {}


def model_key(model: BaseModel) -> str:
    """The key of a pydantic model: its type and every field, as JSON."""
    return fingerprint(type(model).__qualname__, model.model_dump_json())
