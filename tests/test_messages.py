"""Every message the package shows a person is triggered by a test: the words of each
raised error stand in a test's assertion or in a broken project's expected output."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE, TESTS = ROOT / "newsletter", ROOT / "tests"
# What carries a message to the person: the project's error types, click's, and the
# calls that note a located problem.
CARRIERS = {"NewsletterError", "Problem", "PictureError", "BadPeriod", "QuietPeriod"}
CARRIERS |= {"Uncertain", "BadParameter", "UsageError", "ClickException", "at", "_refuse"}
CARRIERS |= {"failed"}
# Below the engine a ValueError's message becomes a located problem (a setting's or a
# field's validator, an address); the engine's own are caught and never shown.
SHOWN_VALUE_ERRORS = ("sources/", "core/", "domain/")
SHORTEST = 10  # characters of a fragment worth looking for


def _fragments(node: ast.expr, named: Mapping[str, list[ast.expr]] | None = None) -> list[str]:
    """The literal words of a message: a string, an f-string's text, joined parts, and
    what the names in it are given in *named*."""
    named = named or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [text for part in node.values for text in _fragments(part, named)]
    if isinstance(node, ast.FormattedValue):
        return _fragments(node.value, named)
    if isinstance(node, ast.BinOp):
        return _fragments(node.left, named) + _fragments(node.right, named)
    if isinstance(node, ast.List | ast.Tuple):
        return [text for element in node.elts for text in _fragments(element, named)]
    if isinstance(node, ast.IfExp):
        return _fragments(node.body, named) + _fragments(node.orelse, named)
    if isinstance(node, ast.Call) and _called(node) in CARRIERS:
        return [text for argument in node.args for text in _fragments(argument, named)]
    if isinstance(node, ast.Name):
        rest = {name: values for name, values in named.items() if name != node.id}
        return [text for value in named.get(node.id, []) for text in _fragments(value, rest)]
    return []


def _called(call: ast.Call) -> str:
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")


def _messages() -> Iterator[tuple[str, list[str]]]:
    """Each message the package can show: (where, its literal fragments)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text("utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef):
                yield from _messages_in(module, function)


def _messages_in(module: str, function: ast.FunctionDef) -> Iterator[tuple[str, list[str]]]:
    named: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    named.setdefault(target.id, []).append(node.value)
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            name = _called(node)
            shown = name == "ValueError" and module.startswith(SHOWN_VALUE_ERRORS)
            if name in CARRIERS or shown:
                words = [t.strip(" ;:,()") for a in node.args for t in _fragments(a, named)]
                words = [text for text in words if len(text) >= SHORTEST]
                if words:
                    yield f"{module}:{node.lineno}", words


def _tested_words() -> str:
    """Every string of the tests (implicitly joined literals joined) and their data."""
    found = []
    for path in sorted(TESTS.rglob("*")):
        if path.suffix == ".py":
            tree = ast.parse(path.read_text("utf-8"))
            found += [text for node in ast.walk(tree) for text in _fragments(node)]
        elif path.is_file() and "golden" not in path.parts:
            found.append(path.read_text("utf-8", errors="replace"))
    return "\n".join(found)


def test_every_message_shown_to_a_person_has_a_test_that_triggers_it() -> None:
    tested = _tested_words()
    untested = [
        f"{where}: {text}" for where, words in _messages() for text in words if text not in tested
    ]
    assert untested == []
