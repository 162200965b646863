"""docs/architecture.md names every module of the package, and only modules that exist."""

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
