"""The project's own error type: located problems, collected and raised once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from newsletter.core.words import plural

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in one file."""

    path: str
    line: int
    field: str
    message: str
    severity: Severity = "error"
    column: int = 0  # 1-based; 0 where only the line is known

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        if self.line and self.column:
            where += f":{self.column}"
        label = f"{self.field}: " if self.field else ""
        prefix = "warning: " if self.severity == "warning" else ""
        text = f"{prefix}{label}{self.message}"
        return f"{where}: {text}" if where else text


class NewsletterError(Exception):
    """Raised by the core with every problem it found; only the CLI prints it."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", 0, "", problems)]
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[NewsletterError], tuple[tuple[Problem, ...]]]:
        # Keep the problems when the error crosses from a worker process.
        return (NewsletterError, (self.problems,))


def count_summary(problems: Iterable[Problem]) -> str:
    """Say how many errors and warnings there were, as one line."""
    problems = list(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    parts = [plural(errors, "error")]
    if warnings:
        parts.append(plural(warnings, "warning"))
    return ", ".join(parts)


ECHO_LIMIT = 60


def shown(value: object) -> str:
    """Quote a value a writer gave, cut to a readable length: 'a long title…'."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > ECHO_LIMIT:
        text = text[: ECHO_LIMIT - 1] + "…"
    return repr(text) if isinstance(value, str) else text
