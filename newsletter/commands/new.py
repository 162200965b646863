"""Start a news item: items/<date>-<slug>.yaml, pre-filled and valid as written."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import yaml

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.layout import ITEMS_DIR
from newsletter.core.slugs import slugify
from newsletter.sources.config import load_config

SCHEMA_FILE = "item.schema.json"
SLUG_LIMIT = 60  # characters of the title in the file name: names stay readable, and legal

_TEMPLATE = """\
{modeline}title: {title}
date: {date}
id: {id}  # never change it: readers know the item by it
# kicker: Guest lecture                 # a short lead-in shown before the title
# summary: One or two plain sentences.  # default: the first paragraph of body
body: |
  Write the story here in Markdown: a blank line starts a new paragraph,
  *italics*, **bold** and [links](https://example.org) work.
# authors: [Your Name]
# department: Department of Molecular Cell Biology
{tags}
# image:
#   src: images/picture.jpg               # a file in images/, or an https URL
#   alt: What the picture shows           # required with an image
#   credit: "Photo: Name"
# link: https://example.org/full-story    # an external "Read more"
{event}# updated: {date}T12:00              # when readers should see a change
# lang: nb                                # default: the site's language
# draft: true                             # keeps the item out of every output
"""

_EVENT = """\
event:
  start: {date}T10:00
  end: {date}T11:00
  # location: Auditorium, K-Building, Radiumhospitalet
  # host: Name of the host
"""


def scaffold_item(
    root: Path, title: str, when: date | datetime, tags: Sequence[str], *, event: bool
) -> Path:
    """Write a new item for TITLE dated WHEN under ROOT/items; refuse to overwrite one.

    A datetime WHEN (the current moment) is dated in the configured time zone.
    """
    config = load_config(root)
    day = when.astimezone(config.tz).date() if isinstance(when, datetime) else when
    name = f"{day.isoformat()}-{file_slug(title)}"
    relative = f"{ITEMS_DIR}/{name}.yaml"
    text = render_item(
        title, day, tags, event=event, schema=(root / SCHEMA_FILE).is_file(), item_id=name
    )
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        message = "already exists; edit it, or choose another title or --date"
        raise NewsletterError([Problem(relative, 0, "", message)]) from None
    return path


def render_item(
    title: str, day: date, tags: Sequence[str], *, event: bool, schema: bool, item_id: str
) -> str:
    """Return the text of a new item file."""
    modeline = f"# yaml-language-server: $schema=../{SCHEMA_FILE}\n" if schema else ""
    return _TEMPLATE.format(
        modeline=modeline,
        title=_yaml_value(title),
        date=day.isoformat(),
        id=item_id,
        tags=f"tags: {_yaml_value(list(tags))}" if tags else "# tags: [lecture]",
        event=_EVENT.format(date=day.isoformat()) if event else "",
    )


def file_slug(title: str) -> str:
    """Name a file after TITLE: its slug, cut at a word to SLUG_LIMIT characters; for a
    title without Latin letters or digits, a short hash of it."""
    slug = slugify(title)
    if len(slug) > SLUG_LIMIT:
        cut = slug[: SLUG_LIMIT + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut[:SLUG_LIMIT]
    return slug or "item-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]


def _yaml_value(value: str | list[str]) -> str:
    """Write VALUE as one line of YAML, quoted only where YAML needs it."""
    text = yaml.safe_dump(
        value, allow_unicode=True, default_flow_style=True, width=1_000_000, sort_keys=False
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()
