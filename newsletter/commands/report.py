"""What a build did: the one-line summary, and each item held back with its reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from newsletter.core.errors import Problem


class Progress(Protocol):
    """Told how many jobs a build has, then of each one done."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the one-line summary."""

    items: int
    published: int
    digests: int
    rendered: int  # parts of the site rendered again; the others came from the cache
    written: int
    unchanged: int
    warnings: tuple[Problem, ...]
    held: tuple[str, ...] = ()  # each item held back, and why
    took_over: str = ""  # where out/ now links, when it was a folder an earlier version built

    def summary(self, out_dir: Path, seconds: float | None = None) -> str:
        """Say what happened in one line."""
        held = self.items - self.published
        return (
            f"Built {out_dir}: {self.published} items published"
            + (f" ({held} drafts or scheduled)" if held else "")
            + f", {self.digests} digests, {self.written} files written,"
            + f" {self.unchanged} unchanged"
            + (f" in {seconds:.1f} s." if seconds is not None else ".")
        )

    def took_over_lines(self, out_dir: Path) -> list[str]:
        """Say, where out/ was a folder an earlier version built, that it is now a link."""
        if not self.took_over:
            return []
        return [
            f"Replaced {out_dir}, a folder an earlier version of newsletter built, with a link"
            f" to the new build ({self.took_over}); publish through it (rsync -L, tar -h)."
        ]

    def held_lines(self) -> list[str]:
        """Name each item held back, and why, one line each."""
        return [f"  held back: {reason}" for reason in self.held]


def held_back(items: Iterable[tuple[str, datetime, bool]], moment: datetime) -> tuple[str, ...]:
    """Say of each (file, date, draft) not published at MOMENT why it is held back."""
    reasons = []
    for source, published, draft in sorted(i for i in items if i[2] or i[1] > moment):
        when = published.strftime("%Y-%m-%d %H:%M")  # in the item's own time zone
        why = "a draft, dated" if draft else "scheduled for"
        reasons.append(f"{source}: {why} {when}")
    return tuple(reasons)
