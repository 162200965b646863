"""The digest command: one period's digest, written into out/digests/PERIOD/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.words import plural
from newsletter.domain.digests import (
    DIGESTS_DIR,
    KB,
    Digest,
    check_email_sizes,
    check_notes,
    concerns,
    digest_of,
)
from newsletter.domain.periods import parse_period
from newsletter.domain.publishing import resolve_as_of, select_published
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.digestjobs import rendered_digest, site_templates
from newsletter.engine.itemcache import load_catalog
from newsletter.engine.output import write_outputs
from newsletter.engine.statefolder import claim_state_folder
from newsletter.sources.config import Config, load_config
from newsletter.sources.notes import read_notes

_UNITS = {"weekly": "week", "monthly": "month"}


@dataclass(frozen=True)
class WrittenDigest:
    """What write_digest_folder did, for the command's summary."""

    digest: Digest
    folder: Path
    email_size: int
    warnings: tuple[Problem, ...]

    def summary(self) -> str:
        """Say what was written in one line."""
        digest, period = self.digest, self.digest.period
        counts = plural(len(digest.items), "item")
        if digest.events:
            counts += ", " + plural(len(digest.events), "upcoming event")
        preview = "" if digest.complete else f" (preview: the {_UNITS[period.kind]} is not over)"
        return (
            f"Wrote {self.folder}: {period.title} ({period.span}){preview}, {counts}; "
            f"email.html {self.email_size / KB:.1f} kB."
        )


def write_digest(root: Path, out_dir: Path, period: str, as_of: datetime | date) -> Path:
    """Write the digest of PERIOD (2024-W16, 2024-04, latest) into OUT_DIR/digests/PERIOD/.

    Only that folder is replaced, atomically; the rest of OUT_DIR stays as it was.
    Return the folder, which holds index.html, email.html, email.txt and email.eml.
    """
    return write_digest_folder(root, out_dir, period, as_of).folder


def write_digest_folder(
    root: Path, out_dir: Path, period: str, as_of: datetime | date
) -> WrittenDigest:
    """Do what write_digest does, and say what was written."""
    config = load_config(root)
    digest = chosen_digest(root, config, period, as_of)
    templates = site_templates(root, config)
    with Cache(claim_state_folder(root, config) / CACHE_FILE) as cache:
        files = rendered_digest(digest, config, templates, cache)
    sizes = {path: len(data) for path, data in _prefixed(digest.folder, files).items()}
    warnings = check_email_sizes(sizes, config)
    folder = out_dir / DIGESTS_DIR / digest.period.key
    write_outputs(folder, files)
    return WrittenDigest(digest, folder, len(files["email.html"]), warnings)


class QuietPeriod(NewsletterError):
    """A period with no news and no event coming up: nothing to write or send."""

    def __init__(self, title: str) -> None:
        super().__init__(f"no news in {title}")
        self.title = title


def chosen_digest(
    root: Path, config: Config, period: str, as_of: datetime | date, *, writes: bool = True
) -> Digest:
    """The digest of PERIOD (2024-W16, 2024-04, latest) as published by AS_OF.

    Unless WRITES is false (a dry run), what was read is remembered in the state folder.
    """
    moment = resolve_as_of(as_of, config)
    chosen = parse_period(period, config.digest.period, config.tz, moment)
    catalog = load_catalog(root, config=config, remember=writes, concerns=concerns(chosen, config))
    published = select_published(catalog.items, moment)
    notes = read_notes(root)
    check_notes(notes, config, moment)
    digest = digest_of(chosen, published, config, moment, notes)
    if digest is None:
        raise QuietPeriod(chosen.title)
    return digest


def _prefixed(folder: str, files: Mapping[str, bytes]) -> dict[str, bytes]:
    return {folder + name: data for name, data in files.items()}
