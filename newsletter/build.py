"""The build: configuration, items, then every output, written at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from newsletter.config import Config, load_config
from newsletter.digests import check_email_sizes, group_into_digests, render_digests
from newsletter.errors import NewsletterError, Problem
from newsletter.feeds import render_feeds
from newsletter.ics import render_calendar
from newsletter.items import Catalog, Item, load_items
from newsletter.output import merge_outputs, write_outputs
from newsletter.pages import render_entry_content, render_pages
from newsletter.templates import make_environment


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the one-line summary."""

    items: int
    published: int
    written: int
    unchanged: int
    warnings: tuple[Problem, ...]

    def summary(self, out_dir: Path) -> str:
        """Say what happened in one line."""
        held = self.items - self.published
        return (
            f"Built {out_dir}: {self.published} items published"
            + (f" ({held} drafts or scheduled)" if held else "")
            + f", {self.written} files written, {self.unchanged} unchanged."
        )


def build(
    root: Path, out_dir: Path, as_of: date | datetime, *, strict: bool = False
) -> BuildReport:
    """Build the project at ROOT into OUT_DIR as it stands at AS_OF."""
    config = load_config(root)
    catalog = load_items(root, config, strict=strict)
    moment = resolve_as_of(as_of, config)
    published = select_published(catalog.items, moment)
    files = render_site(root, config, published, moment)
    warnings = catalog.warnings + check_email_sizes(files, config)
    _refuse_unsafe_out(root, out_dir)
    written, unchanged = write_outputs(out_dir, files)
    return BuildReport(len(catalog.items), len(published), written, unchanged, warnings)


def render_site(
    root: Path, config: Config, published: Sequence[Item], as_of: datetime
) -> dict[str, bytes]:
    """Render every output of the site as {path relative to out/: bytes}."""
    env = make_environment(root)
    digests = group_into_digests(published, config, as_of)
    env.globals["latest_digest"] = digests[-1] if digests else None
    content = render_entry_content(published, config, env)
    return merge_outputs(
        render_feeds(published, config, content),
        render_pages(published, config, env, content),
        render_calendar(published, config),
        render_digests(digests, config, env),
    )


def resolve_as_of(as_of: date | datetime, config: Config) -> datetime:
    """Turn --as-of into a moment: a date covers that whole day in the configured zone."""
    if not isinstance(as_of, datetime):
        as_of = datetime.combine(as_of + timedelta(days=1), time()) - timedelta(microseconds=1)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=config.tz)
    return as_of


def select_published(items: Sequence[Item], as_of: datetime) -> list[Item]:
    """Keep the items that are not drafts and are dated at or before AS_OF."""
    return [item for item in items if not item.draft and item.published <= as_of]


def check(root: Path, *, strict: bool = False) -> Catalog:
    """Validate the configuration and every item; raise every problem at once."""
    config = load_config(root)
    return load_items(root, config, strict=strict)


def _refuse_unsafe_out(root: Path, out_dir: Path) -> None:
    out, root = out_dir.resolve(), root.resolve()
    if out == root or root.is_relative_to(out) or out in (root / "items", root / "templates"):
        raise NewsletterError(
            f"--out {out_dir}: would replace the project itself; pick another folder"
        )
