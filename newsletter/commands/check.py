"""The check command: newsletter.yaml and every item validated, every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.core.errors import NewsletterError, Problem, count_summary
from newsletter.engine.itemcache import load_catalog
from newsletter.render.templates import template_problems


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

    Raise NewsletterError with every problem found; with *strict*, warnings too. The
    templates are checked as a build would read them (a link, a pipe, text that is not
    UTF-8, a syntax error).
    """
    catalog = load_catalog(root, strict=strict)
    if found := template_problems(root):
        raise NewsletterError([*found, *catalog.warnings])
    return Checked(len(catalog.items), tuple(catalog.warnings))
