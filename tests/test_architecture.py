"""docs/architecture.md names every module of the package, and only modules that exist;
the layout of the code is the formatter's."""

from __future__ import annotations

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


def test_the_formatter_has_the_last_word_on_layout() -> None:
    """Sizes are a reader's signal, never met by hiding code from the formatter."""
    held_back = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("newsletter", "tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if re.search(r"#\s*fmt:\s*(skip|off)", line)
    ]
    assert held_back == []
