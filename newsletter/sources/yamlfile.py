"""Read one YAML file safely into plain values, keeping the line of every field.

Only the YAML 1.2 core schema is understood: mappings, lists, strings, integers,
floats, ``true``/``false`` and ``null``. Dates stay text for the model to parse
(so ``2024-13-45`` becomes a located error, not a crash), ``no`` stays the
Norwegian language code rather than becoming ``False``, and anchors, aliases and
tags are refused before anything is built, so neither an alias bomb nor a
``!!python/...`` tag can do harm. Events come from libyaml's C parser for speed.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from typing import Any

import yaml

from newsletter.core.errors import NewsletterError, Problem
from newsletter.sources.yamlerrors import explain

Path = tuple[str | int, ...]

FILE_LIMIT = 1_000_000  # bytes: an item or the settings is text, far smaller than this
MAX_DEPTH = 20  # an item nests three levels; deeper is a mistake, or an attack on the stack

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
# Characters XML 1.0 forbids, plus DEL and the C1 controls that no feed should carry.
_NOT_PLAIN = "not a plain file (a device, pipe or socket); only plain files are read"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Document:
    """A file's plain value and the line of each field, keyed by its path."""

    value: Any
    lines: dict[Path, int]

    def line_of(self, path: Path) -> int:
        """Return the line of the deepest part of *path* that exists in the file."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def load_document(label: str, data: bytes) -> Document:
    """Parse *data*, the bytes of the file called *label*, or raise located problems."""
    if len(data) > FILE_LIMIT:
        message = f"is over {FILE_LIMIT // 1_000_000} MB; put long documents on a web page"
        raise NewsletterError([Problem(label, 0, "", message)])
    text = _decode(label, data)
    try:
        return _Builder(label).build(yaml.parse(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        raise NewsletterError([explain(label, text, exc)]) from None
    except yaml.YAMLError as exc:
        raise NewsletterError([Problem(label, 1, "", f"YAML syntax error: {exc}")]) from None


def read_source(path: str) -> bytes:
    """Read a file of the project, refusing what is not a plain file (a FIFO would block
    for ever, a device never end) and reading no more than one byte past FILE_LIMIT."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, _NOT_PLAIN)
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # swapped since the stat
            raise OSError(errno.EINVAL, _NOT_PLAIN)
        return file.read(FILE_LIMIT + 1)


def _decode(label: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise NewsletterError(
            [Problem(label, line, "", f"not UTF-8 (byte 0x{byte}); save the file as UTF-8")]
        ) from None
    found = _ILLEGAL.search(text)
    if found and found.group() not in "\t\n\r":
        line = text.count("\n", 0, found.start()) + 1
        raise NewsletterError([Problem(label, line, "", _illegal_message(found.group()))])
    return text


def _illegal_message(char: str) -> str:
    return f"control character U+{ord(char):04X} is not allowed; delete it"


class _Builder:
    """Turn a stream of parser events into plain values, recording lines."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []

    def build(self, events: Any) -> Document:
        stream = iter(events)
        values: list[Any] = []
        for event in stream:
            if isinstance(event, yaml.DocumentStartEvent):
                if values:
                    message = "holds several YAML documents (---); keep one"
                    raise NewsletterError([Problem(self.label, _line(event), "", message)])
                values.append(self._node(next(stream), stream, (), 1))
        if not values or values == [None]:
            raise NewsletterError([Problem(self.label, 1, "", "the file is empty")])
        if self.problems:
            raise NewsletterError(self.problems)
        return Document(values[0], self.lines)

    def _refuse(self, event: Any, message: str, field: str = "") -> NewsletterError:
        column = int(event.start_mark.column) + 1 if event.start_mark else 0
        return NewsletterError([Problem(self.label, _line(event), field, message, column=column)])

    def _node(self, event: Any, stream: Any, path: Path, line: int) -> Any:
        if isinstance(event, yaml.AliasEvent):
            raise self._refuse(event, f"YAML aliases (*{event.anchor}) are not allowed")
        if event.anchor is not None:
            raise self._refuse(event, f"YAML anchors (&{event.anchor}) are not allowed")
        if event.tag is not None and event.tag != "!":
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise self._refuse(event, f"YAML tags ({tag}) are not allowed")
        self.lines[path] = line
        if isinstance(event, yaml.ScalarEvent):
            found = _ILLEGAL.search(event.value)
            if found and found.group() not in "\t\n\r":
                self.problems.append(
                    Problem(self.label, line, dotted(path), _illegal_message(found.group()))
                )
            return _scalar(event)
        if len(path) >= MAX_DEPTH:
            message = f"nested more than {MAX_DEPTH} levels deep; no field goes that deep"
            raise self._refuse(event, message, dotted(path))
        if isinstance(event, yaml.SequenceStartEvent):
            return self._sequence(stream, path)
        return self._mapping(stream, path)

    def _sequence(self, stream: Any, path: Path) -> list[Any]:
        items: list[Any] = []
        for event in stream:
            if isinstance(event, yaml.SequenceEndEvent):
                return items
            items.append(self._node(event, stream, (*path, len(items)), _line(event)))
        return items

    def _mapping(self, stream: Any, path: Path) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        block: tuple[str, str, bool] | None = None  # the field before, "name: |", and if empty
        for event in stream:
            if isinstance(event, yaml.MappingEndEvent):
                return mapping
            if not isinstance(event, yaml.ScalarEvent) or event.anchor or event.tag:
                raise self._refuse(event, "a field name must be plain text")
            key, line = str(_scalar(event)), _line(event)
            # After "body: |", a name no field has (with a space, a capital) is a line of
            # the text, left unindented: "Lecturer: Dr. Blasco".
            prose = not event.style and (" " in key or key[:1].isupper())
            if block and (block[2] or prose):
                message = f"every line of the text under '{block[1]}' must be indented"
                message += f" (by two spaces); line {line} is not"
                raise self._refuse(event, message, block[0])
            field = dotted((*path, key))
            if key in mapping:
                first = self.lines[(*path, key)]
                raise self._refuse(event, f"appears twice (first on line {first}); keep one", field)
            value = next(stream)
            is_block = isinstance(value, yaml.ScalarEvent) and value.style in ("|", ">")
            block = (field, f"{key}: {value.style}", not value.value) if is_block else None
            mapping[key] = self._node(value, stream, (*path, key), line)
        return mapping


def _line(event: Any) -> int:
    mark = event.start_mark
    return int(mark.line) + 1 if mark else 1


def _scalar(event: Any) -> Any:
    value: str = event.value
    if not event.implicit[0]:  # quoted or block scalar: always text
        return value
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value


def dotted(path: Path) -> str:
    """Write a field path the way a writer sees it: ``event.start``, ``tags[2]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
