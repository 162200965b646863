"""The build: configuration, items, then every output, written at once."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Protocol

from newsletter.cache import CACHE_DIR, Cache, code_fingerprint, fingerprint
from newsletter.config import CONFIG_FILE, Config, load_config
from newsletter.digests import check_email_sizes
from newsletter.errors import NewsletterError, Problem
from newsletter.itemcache import load_catalog
from newsletter.items import Item
from newsletter.jobs import Job, Workers, run_jobs
from newsletter.manifest import item_prints, last_build, remember
from newsletter.output import Kept, write_outputs
from newsletter.site import CONTENT, SitePlan, plan_site
from newsletter.templates import templates_fingerprint


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


def build(
    root: Path,
    out_dir: Path,
    as_of: date | datetime,
    *,
    strict: bool = False,
    workers: int = 1,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the project at ROOT into OUT_DIR as it stands at AS_OF."""
    config = load_config(root)
    moment = resolve_as_of(as_of, config)
    context, prints = _context(root), item_prints(root)
    last = last_build(root, out_dir, config)
    if last is not None and last.unchanged(prints, context, config, moment, strict):
        total, shown, digests, files = last.counts
        return BuildReport(total, shown, digests, 0, 0, files, tuple(last.warnings))
    _refuse_unsafe_out(root, out_dir)
    with Workers(workers) as pool:  # forked now, while this process holds little
        catalog = load_catalog(root, strict=strict, config=config, prints=prints)
        published = select_published(catalog.items, moment)
        cache = Cache(root / config.state_dir / CACHE_DIR)
        plan = plan_site(root, config, published, moment, context, cache)
        run = _Run(cache, config, out_dir, last.outputs if last else {}, pool, progress)
        written, unchanged = write_outputs(out_dir, run.outputs(plan))
    cache.prune()
    counts = [len(catalog.items), len(published), plan.digests, written + unchanged]
    warnings = [*catalog.warnings, *run.warnings]
    remember(
        root, out_dir, prints, context, config, moment, strict, catalog.items, counts, warnings,
        run.made,
    )  # fmt: skip
    total, shown, digests, _ = counts
    return BuildReport(total, shown, digests, cache.misses, written, unchanged, tuple(warnings))


def _context(root: Path) -> str:
    """The key of everything every output depends on: the code, config, templates."""
    config = (root / CONFIG_FILE).read_bytes()
    return fingerprint(code_fingerprint(), config, templates_fingerprint(root))


class _Run:
    """Streams a plan's files to the writer, and notes what each job made."""

    def __init__(
        self, cache: Cache, config: Config, out_dir: Path, kept: Mapping[str, list[str]],
        workers: Workers, progress: Progress | None,
    ) -> None:  # fmt: skip
        self.cache, self.config, self.out_dir, self.kept = cache, config, out_dir, kept
        self.workers, self.progress = workers, progress
        self.made: dict[str, list[str]] = {}
        self.warnings: list[Problem] = []

    def outputs(self, plan: SitePlan) -> Iterator[tuple[str, bytes | Kept]]:
        """Yield every output file, items first; fail at the end if an email is too big."""
        if self.progress:
            self.progress.start(len(plan.item_jobs) + len(plan.jobs))
        for files in self._run(plan.item_jobs):
            for path, data in files.items():
                if path.startswith(CONTENT) and isinstance(data, bytes):
                    plan.content[path.removeprefix(CONTENT)] = data.decode()
                elif not path.startswith(CONTENT):
                    yield path, data
        errors: list[Problem] = []
        for files in self._run(plan.jobs):
            sizes = {path: self._size(path, data) for path, data in files.items()}
            try:
                self.warnings.extend(check_email_sizes(sizes, self.config))
            except NewsletterError as exc:
                errors.extend(exc.problems)
            yield from files.items()
        if errors:
            raise NewsletterError(sorted(errors))

    def _run(self, jobs: Sequence[Job]) -> Iterator[Mapping[str, bytes | Kept]]:
        tick = self.progress.advance if self.progress else (lambda: None)
        for job, files in run_jobs(jobs, self.cache, self.workers, tick, self.kept):
            found: Mapping[str, bytes | Kept] = (
                files
                if files is not None
                else {
                    path: Kept(partial(_reload, job, self.cache, path))
                    for path in self.kept[job.key]
                }
            )  # None: the same files as in the out/ being replaced
            self.made[job.key] = [path for path in found if not path.startswith(CONTENT)]
            yield found

    def _size(self, path: str, data: bytes | Kept) -> int:
        if isinstance(data, bytes):
            return len(data)
        return (self.out_dir / path).stat().st_size if path.endswith("email.html") else 0


def _reload(job: Job, cache: Cache, path: str) -> bytes:
    """A kept file that went missing from out/: from the cache, or rendered again."""
    return (cache.get(job.key) or job.run())[path]


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


def _refuse_unsafe_out(root: Path, out_dir: Path) -> None:
    out, root = out_dir.resolve(), root.resolve()
    if out == root or root.is_relative_to(out) or out in (root / "items", root / "templates"):
        raise NewsletterError(
            f"--out {out_dir}: would replace the project itself; pick another folder"
        )
