"""Fingerprints: the hash of what an output depends on, the key of everything cached."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import PurePath
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel


def fingerprint(*parts: bytes | str) -> str:
    """Hash *parts* into a key: the same parts, in the same order, give the same key."""
    data = [part.encode() if isinstance(part, str) else part for part in parts]
    return hashlib.sha256(b"".join(len(d).to_bytes(8, "big") + d for d in data)).hexdigest()


@runtime_checkable
class Keyed(Protocol):
    """A value that carries its own key, worked out once from all it holds by key_of()
    (an item, which thousands of outputs receive), or from what it is made of (a set of
    templates: their files; the HTML of an item: the key of the job that renders it)."""

    @property
    def value_key(self) -> str: ...


_PLAIN = (str, int, float, bool, type(None), date, time, timedelta, range, PurePath, enum.Enum)


def key_of(value: object) -> str:
    """The key of *value*: equal for equal values, and different for any two values a
    render function could tell apart. Values are taken apart down to plain ones (text,
    numbers, moments, containers, dataclasses and pydantic models, field by field);
    a type it does not know is an error, never a guess."""
    carried = getattr(value, "value_key", None)  # a Keyed (an isinstance() costs more)
    if isinstance(carried, str):
        return carried
    if isinstance(value, bytes):
        return fingerprint("bytes", value)
    if isinstance(value, datetime):
        return fingerprint("datetime", value.isoformat(), key_of(value.tzinfo))
    if isinstance(value, _PLAIN):
        return fingerprint(type(value).__name__, repr(value))
    if isinstance(value, tzinfo):
        return fingerprint("zone", str(value))  # its rules are the code's (see versions)
    if isinstance(value, tuple | list):
        return fingerprint("sequence", *map(key_of, value))
    if isinstance(value, Mapping):
        return fingerprint("mapping", *(key_of(pair) for pair in sorted(value.items())))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return fields_key(value)
    if isinstance(value, BaseModel):
        return model_key(value)
    raise TypeError(f"no key for a {type(value).__qualname__}: say how it is keyed")


def fields_key(record: Any, leave_out: tuple[str, ...] = ()) -> str:
    """The key of a dataclass: its type and every field but those in *leave_out*."""
    parts = [
        key_of(getattr(record, field.name))
        for field in dataclasses.fields(record)
        if field.name not in leave_out
    ]
    return fingerprint(type(record).__qualname__, *parts)


def model_key(model: BaseModel) -> str:
    """The key of a pydantic model: its type and every field, as JSON."""
    return fingerprint(type(model).__qualname__, model.model_dump_json())
