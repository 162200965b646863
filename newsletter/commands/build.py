"""The build: configuration, items, then every output, written at once."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import signal
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.commands.report import BuildReport, Progress, held_back
from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.layout import ITEMS_DIR, OUT_DIR, TEMPLATES_DIR
from newsletter.domain.digests import check_email_sizes
from newsletter.domain.publishing import resolve_as_of, select_published
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.itemcache import Bodies, read_catalog
from newsletter.engine.jobs import Job, Outcome, Sink, run_jobs
from newsletter.engine.manifest import (
    Inputs,
    Manifest,
    build_inputs,
    forget,
    item_prints,
    last_build,
    out_files,
    remember,
    site_context,
)
from newsletter.engine.output import Staging, builds_folder
from newsletter.engine.statefolder import claim_state_folder
from newsletter.engine.workers import Workers, workers_for
from newsletter.sources.config import Config, load_config
from newsletter.sources.itemfiles import Found, ItemFiles, item_files
from newsletter.sources.pictures import pictures_state

if TYPE_CHECKING:
    from newsletter.engine.site import SitePlan

# engine.site, which brings every renderer, is imported where a build renders: see
# _renderers().


def build(
    root: Path,
    out_dir: Path,
    as_of: date | datetime,
    *,
    strict: bool = False,
    workers: int | None = 1,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the project at ROOT into OUT_DIR as it stands at AS_OF, with *workers*
    processes (None: as many as the site's size is worth)."""
    config = load_config(root)
    state = claim_state_folder(root, config)
    moment = resolve_as_of(as_of, config)
    found = item_files(root)  # walked once, for the prints and the items
    if workers is None:
        workers = workers_for(len(found or ()))
    contents: dict[str, bytes] = {}  # what the prints read, for the items not to read again
    # What was rendered is kept on leaving, even when the build fails.
    with Cache(state / CACHE_FILE) as cache:
        context = site_context(root)
        last = last_build(cache, out_dir)
        # A first build reads every item file for its prints: its workers are forked
        # before that, so as to hold none of them (a worker keeps its copy of all that
        # this process frees after the fork). A later build reads the changed ones only.
        early = _workers(root, config, workers) if last is None else None
        collector = _Collector()
        if last is not None:
            collector.pause()
        with early or contextlib.nullcontext(), contextlib.closing(collector):
            prints = item_prints(found, cache, contents)
            pictures = pictures_state(root)
            inputs = build_inputs(context, prints, pictures, config, moment, strict)
            present = out_files(out_dir) if last else {}
            if last is not None and last.unchanged(inputs, present):
                return _report_unchanged(last)
            _refuse_unsafe_out(root, out_dir, config)
            pool = early or _workers(root, config, workers)
            run = _Build(
                root, out_dir, config, cache, inputs, found, contents, pool, progress, collector
            )
            # Of out/, only files as the last build left them are kept.
            return run.render(last.kept(present) if last else None)


def _workers(root: Path, config: Config, count: int) -> Workers:
    """Fork the workers of a build, each warmed up for its jobs (see warm_up)."""
    site = _renderers()
    return Workers(count, functools.partial(site.warm_up, site.site_templates(root, config)))


def _renderers() -> types.ModuleType:
    """engine.site, imported the first time a build renders. Its imports are some 0.2 s
    of CPU: this module's imports took 0.64 s with it, 0.43 s without (medians of six),
    of a build with nothing to do that takes about a second."""
    from newsletter.engine import site

    return site


def _report_unchanged(last: Manifest) -> BuildReport:
    """Report a build that had nothing to do as the last build was reported."""
    total, shown, digests, files = last.counts
    return BuildReport(total, shown, digests, 0, 0, files, tuple(last.warnings), tuple(last.held))


@dataclass(frozen=True)
class _Build:
    """A build that renders: what it is to build, and what it found before."""

    root: Path
    out_dir: Path
    config: Config
    cache: Cache
    inputs: Inputs
    files: ItemFiles | None
    contents: dict[str, bytes]
    pool: Workers
    progress: Progress | None
    collector: _Collector

    def render(self, kept: Mapping[str, list[str]] | None) -> BuildReport:
        """Read the items, render what neither the cache nor out/ holds, and put the new
        out/ in place. *kept* are the files of the last build's jobs left as they were."""
        root, config, cache, inputs = self.root, self.config, self.cache, self.inputs
        with _writing(self.out_dir, self.pool, adopt=kept is not None) as (pool, staging):
            catalog, remember_items = read_catalog(
                root,
                config,
                cache,
                strict=inputs.strict,
                workers=pool,
                found=Found(self.files, inputs.prints, self.contents),
            )
            # The workers link the files kept from the last out/ while this plans.
            kept_paths = sorted({path for paths in (kept or {}).values() for path in paths})
            staging.link_kept(kept_paths, pool.submitter())
            published = select_published(catalog.items, inputs.as_of)
            bodies = Bodies(root, cache, catalog)
            plan = _renderers().plan_site(root, config, published, inputs.as_of, cache, bodies)
            self.collector.settled()
            run = _Run(staging, cache, config, _intact(kept, staging.writer.linked()), pool)
            run.run(plan, progress=self.progress, meanwhile=_then(remember_items, bodies.let_go))
            # out/ changes now: until remember(), the manifest must not describe it.
            forget(cache)
            staging.commit()
        cache.prune()
        counts = [len(catalog.items), len(published), plan.digests, run.files]
        warnings = (*catalog.warnings, *run.warnings)
        items = catalog.items
        held = held_back([(i.source, i.published, i.draft) for i in items], inputs.as_of)
        # out/'s files as they stay: as stamped when put in place (see writer).
        remember(cache, self.out_dir, inputs, catalog, counts, warnings, held, run.made, run.stamps)
        written = run.sink.written
        total, shown, digests, files = counts
        took_over = staging.target if staging.took_over else ""
        return BuildReport(
            total, shown, digests, run.rendered, written, files - written, warnings, held, took_over
        )


@contextlib.contextmanager
def _writing(out_dir: Path, pool: Workers, *, adopt: bool) -> Iterator[tuple[Workers, Staging]]:
    """The workers, to be ended with the build, and the new folder for out/. SIGTERM
    stops the build as Ctrl-C does; the workers of a failed build end before its folder
    is removed, so that they leave nothing in it."""
    with (
        _terminated_as_interrupted(),
        pool,
        Staging(out_dir, adopt=adopt, submit=pool.submitter()) as staging,
        pool.ended_on_failure(),
    ):
        yield pool, staging


class _Run:
    """Puts a plan's files in place, and notes what each job made."""

    def __init__(
        self,
        staging: Staging,
        cache: Cache,
        config: Config,
        kept: Mapping[str, list[str]],
        workers: Workers,
    ) -> None:
        self.staging, self.sink = staging, Sink(cache, staging.writer)
        self.config, self.kept, self.workers = config, kept, workers
        self.made: dict[str, list[str]] = {}
        self.stamps: dict[str, str] = {}  # every file of the new out/, as put in place
        self.warnings: list[Problem] = []
        self.files = self.rendered = 0

    def run(self, plan: SitePlan, progress: Progress | None, meanwhile: Callable[[], None]) -> None:
        """Run the items' jobs, then the others; fail at the end if an email is too big.

        *meanwhile* is called once the workers are at work (a job they render is back,
        and more are to come), or at the end when they render nothing. A first build
        remembers the items then, and lets go of the bodies it read (the items' jobs
        read the rest of them from the cache): the cold build of the benchmark's 10,000
        items peaked at 296 and 298 MiB with them held through the items' round, 257 and
        259 so. After an edit, the one item rendered is the round's last: the workers
        start on the second round before this process remembers anything.
        """
        tick = progress.advance if progress else (lambda: None)
        if progress:
            progress.start(len(plan.item_jobs) + len(plan.jobs))
        items = run_jobs(plan.item_jobs, self.sink, self.workers, self.kept)
        for done, (job, outcome) in enumerate(items, start=1):
            if outcome.rendered and done < len(plan.item_jobs):
                meanwhile()
                meanwhile = _nothing
            for path, data in outcome.handed.items():
                plan.handed.take(path, data)
            self._note(job, outcome)
            tick()
        errors: list[Problem] = []
        for job, outcome in run_jobs(plan.jobs, self.sink, self.workers, self.kept):
            if outcome.rendered:  # the workers are at work
                meanwhile()
                meanwhile = _nothing
            self._note(job, outcome)
            emails = {path: self._size(path, size) for path, size in outcome.sizes.items()}
            try:
                self.warnings.extend(check_email_sizes(emails, self.config))
            except NewsletterError as exc:
                errors.extend(exc.problems)
            tick()
        meanwhile()
        if errors:
            raise NewsletterError(sorted(errors))

    def _note(self, job: Job, outcome: Outcome) -> None:
        self.staging.claim(outcome.sizes)
        self.made[job.key] = list(outcome.sizes)
        self.stamps.update(outcome.stamps)
        self.files += len(outcome.sizes)
        self.rendered += outcome.rendered

    def _size(self, path: str, size: int) -> int:
        if size >= 0 or not path.endswith("email.html"):
            return size
        return self.staging.writer.kept_size(path)  # kept unread


class _Collector:
    """Pauses the garbage collector while a build after an edit makes the objects that
    live as long as it does (the items, the plan), then leaves them out of its later
    rounds (gc.freeze): it would go through all of them, over and over, and find
    nothing to free. Measured on the 10,000-item benchmark, a build after an edit:
    1.84 s with the collector at work, 1.54 s paused (medians of six). A first build
    is left alone: paused, its peak memory rose by some 15 MiB, for no time gained.
    At the build's end every object is the collector's again (a preview server builds
    over and over in one process)."""

    def __init__(self) -> None:
        self.paused = self.froze = False

    def pause(self) -> None:
        """Pause the collector until settled()."""
        self.paused = gc.isenabled()
        gc.disable()

    def settled(self) -> None:
        """The long-lived objects are made: let the collector work again, without them."""
        if self.paused:
            gc.freeze()
            gc.enable()
            self.paused, self.froze = False, True

    def close(self) -> None:
        """The build is over: the collector works as it did before."""
        self.settled()
        if self.froze:
            gc.unfreeze()
            self.froze = False


def _intact(kept: Mapping[str, list[str]] | None, gone: set[str]) -> dict[str, list[str]]:
    """The jobs of *kept* none of whose files is *gone*."""
    return {key: paths for key, paths in (kept or {}).items() if gone.isdisjoint(paths)}


def _nothing() -> None:
    pass


def _then(first: Callable[[], None], second: Callable[[], None]) -> Callable[[], None]:
    def both() -> None:
        first()
        second()

    return both


def _refuse_unsafe_out(root: Path, out_dir: Path, config: Config) -> None:
    """Refuse an OUT_DIR whose replacing would lose the project or its state."""
    out, root = Path(os.path.abspath(out_dir)), root.resolve()
    out = out.parent.resolve() / out.name
    sources = (root / ITEMS_DIR, root / TEMPLATES_DIR, builds_folder(root / OUT_DIR))
    if root.is_relative_to(out) or any(out.is_relative_to(folder) for folder in sources):
        raise NewsletterError(
            f"--out {out_dir}: would replace the project itself; pick another folder"
        )
    if (root / config.state_dir).resolve().is_relative_to(out):
        raise NewsletterError(
            f"--out {out_dir}: would replace the state folder, which holds the send log;"
            " pick another folder"
        )


@contextlib.contextmanager
def _terminated_as_interrupted() -> Iterator[None]:
    """Have SIGTERM stop the build as Ctrl-C does, cleaning up, where it can be caught."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(number: int, frame: object) -> None:
    raise KeyboardInterrupt
