"""docs/architecture.md names every module of the package, and only modules that exist;
every module and function is of a size a reader can hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "newsletter"
NAMED = re.compile(r"`((?:[a-z_]+/)?[a-z_0-9]+\.py)`")


def _named() -> set[str]:
    names = NAMED.findall((ROOT / "docs" / "architecture.md").read_text())
    return {name for name in names if not name.startswith("tests/")}


def _modules() -> set[str]:
    found = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")}
    return {name for name in found if not name.endswith("__init__.py") and name != "__main__.py"}


def test_every_module_the_page_names_exists() -> None:
    assert sorted(_named() - _modules()) == []


def test_the_page_names_every_module() -> None:
    assert sorted(_modules() - _named()) == []


MODULE_LINES, FUNCTION_LINES = 300, 40  # what a reader holds at once


def test_every_module_and_function_is_of_a_size_a_reader_can_hold() -> None:
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text("utf-8")
        name = path.relative_to(PACKAGE).as_posix()
        if len(text.splitlines()) > MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > FUNCTION_LINES:
                    too_long.append(f"{name}: {node.name}() {lines} lines")
    assert too_long == []
