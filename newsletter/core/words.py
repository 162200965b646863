"""English words for the command line's own messages (readers' text is translated)."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """Say *count* of *word*: 1 item, 2 items; *words* where the plural is not word + s."""
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"
