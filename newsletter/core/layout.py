"""Where things are in a project: the names of its files and folders, said once."""

from __future__ import annotations

from pathlib import Path

CONFIG_FILE = "newsletter.yaml"
ITEMS_DIR = "items"
TEMPLATES_DIR = "templates"
NOTES_DIR = "notes"  # the editor's note of a period: notes/2024-W16.md
IMAGES_DIR = "images"  # pictures, wherever items point to them
OUT_DIR = "out"
EVENTS_DIR = "events"  # in out/: an .ics file per event, for "Add to calendar"


def out_folder(root: Path, chosen: Path | None = None) -> Path:
    """The folder a build writes: the one chosen with --out, or ROOT/out."""
    return chosen if chosen is not None else root / OUT_DIR
