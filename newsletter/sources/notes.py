"""The editor's notes: notes/<period>.md, a few words in Markdown above a digest's news."""

from __future__ import annotations

from pathlib import Path

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import NOTES_DIR


def read_notes(root: Path) -> dict[str, str]:
    """Each note of the project at ROOT: its name (a period, 2024-W16) and its Markdown."""
    notes, problems = {}, []
    for path in _note_files(root):
        try:
            notes[path.stem] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(f"{NOTES_DIR}/{path.name}", 0, "", "save it as UTF-8 text"))
    if problems:
        raise NewsletterError(problems)
    return notes


def notes_fingerprint(root: Path) -> str:
    """Hash the notes' names and bytes: a changed note is a changed digest."""
    return fingerprint(*(part for p in _note_files(root) for part in (p.name, p.read_bytes())))


def _note_files(root: Path) -> list[Path]:
    folder = root / NOTES_DIR
    return sorted(folder.glob("*.md")) if folder.is_dir() else []
