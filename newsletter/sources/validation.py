"""Validate a YAML document against a pydantic model, reporting located problems."""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from newsletter.core.errors import NewsletterError, Problem, shown
from newsletter.sources.yamlfile import Document, dotted

M = TypeVar("M", bound=BaseModel)

_TYPE_NAMES = {
    dict: "a mapping of fields",
    list: "a list",
    str: "text",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "nothing",
}
_EXPECTED = {
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "list_type": "a list such as [a, b]",
    "model_type": "a mapping of fields (name: value)",
    "model_attributes_type": "a mapping of fields (name: value)",
    "dict_type": "a mapping of fields (name: value)",
}


def validate_document(label: str, doc: Document, model: type[M], context: Any = None) -> M:
    """Return *doc* as a *model*, or raise every problem with its line."""
    try:
        return model.model_validate(doc.value, strict=False, context=context)
    except ValidationError as exc:
        problems = [_problem(label, doc, model, error) for error in exc.errors()]
        raise NewsletterError(sorted(set(problems), key=lambda p: (p.line, p.field))) from None


def _problem(label: str, doc: Document, model: type[BaseModel], error: ErrorDetails) -> Problem:
    loc = _document_path(doc.value, error["loc"])
    field = dotted(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return Problem(label, doc.line_of(loc), field, _unknown(model, loc))
    if kind == "missing":
        return Problem(label, doc.line_of(loc[:-1]), field, "missing; this field is required")
    if kind in _EXPECTED:
        got = _TYPE_NAMES.get(type(error["input"]), "something else")
        if isinstance(error["input"], str | int | float):
            got += f" ({shown(error['input'])})"
        return Problem(label, doc.line_of(loc), field, f"expected {_EXPECTED[kind]}, got {got}")
    if kind == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return Problem(label, doc.line_of(loc), field, "is empty; write something here")
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", "")).replace("' or '", "', '")
        return Problem(
            label,
            doc.line_of(loc),
            field,
            f"expected one of {expected}, got {shown(error['input'])}",
        )
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return Problem(label, doc.line_of(loc), field, message)


def _document_path(value: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Keep the parts of pydantic's *loc* that are fields or indexes in the document.

    pydantic also names the branch of a union it tried (``function-before[...]``);
    a field name of the writer's may hold the same characters, so the document decides.
    """
    path: list[str | int] = []
    for part in loc:
        if isinstance(value, dict) and part in value:  # noqa: SIM114 (mypy needs each test)
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        elif isinstance(part, str) and "[" in part:
            continue  # a union's branch
        else:
            value = None  # a missing field: named, with nothing under it
        path.append(part)
    return tuple(path)


def _unknown(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    owner: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(owner, "model_fields", {}).get(part)
        owner = _model_of(info.annotation) if info else None
    known = [info.alias or name for name, info in getattr(owner, "model_fields", {}).items()]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known fields: {', '.join(known)}"
    return f"unknown field{hint}"


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
