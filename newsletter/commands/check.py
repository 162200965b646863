"""The check command: newsletter.yaml and every item validated, every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.core.errors import Problem, count_summary
from newsletter.engine.itemcache import load_catalog


@dataclass(frozen=True)
class Checked:
    """What check found: how many items, and the warnings (errors are raised)."""

    items: int
    warnings: tuple[Problem, ...]

    def summary(self) -> str:
        """Say what was checked in one line."""
        return f"Checked {self.items} items: {count_summary(self.warnings)}."


def check_project(root: Path, *, strict: bool) -> Checked:
    """Validate the configuration and every item of the project at ROOT.

    Raise NewsletterError with every problem found; with *strict*, warnings too.
    """
    catalog = load_catalog(root, strict=strict)
    return Checked(len(catalog.items), tuple(catalog.warnings))
