"""Render jobs: each names its outputs by a key, so the cache can skip it, and many
of them run in worker processes, on every core.

A job's key is the hash of everything its outputs depend on; a job whose key is in
the cache is not run. A job says what to call, with what, only when it runs, so a
feed's job can send its workers just the HTML of its own items. The workers are
forked when the build starts, before it has read anything: each holds only what
its jobs send it, not a copy of the whole build.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from newsletter.cache import Cache

PARALLEL_MIN = 32  # fewer jobs than this run faster in this process than in workers

Files = dict[str, bytes]
Task = tuple[Callable[..., Files], tuple[Any, ...]]


@dataclass(frozen=True)
class Job:
    """Outputs to render, the key of everything they depend on, and how to render them."""

    key: str
    task: Callable[[], Task]  # called when the job runs: a module-level function and its arguments
    local: bool = False  # needs much of the build's data: cheaper here than sent to a worker

    def run(self) -> Files:
        """Render the outputs in this process."""
        function, arguments = self.task()
        return function(*arguments)


class Workers:
    """A pool of forked worker processes, or none for a build on one core."""

    def __init__(self, count: int) -> None:
        usable = count > 1 and "fork" in multiprocessing.get_all_start_methods()
        self.pool = multiprocessing.get_context("fork").Pool(count) if usable else None
        self.count = count

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if self.pool is not None:
            if kind is None:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[Job, Files]]:
        """Run *jobs*, in the workers where there are enough to pay for them."""
        remote = [job for job in jobs if not job.local]
        for job in jobs:
            if job.local or self.pool is None or len(remote) < PARALLEL_MIN:
                yield job, job.run()
        if self.pool is None or len(remote) < PARALLEL_MIN:
            return
        tasks = ((index, *job.task()) for index, job in enumerate(remote))
        chunk = max(1, len(remote) // (self.count * 16))
        for index, files in self.pool.imap_unordered(_call, tasks, chunksize=chunk):
            yield remote[index], files


def run_jobs(
    jobs: Sequence[Job],
    cache: Cache,
    workers: Workers,
    tick: Callable[[], None] = lambda: None,
    kept: Collection[str] = (),
) -> Iterator[tuple[Job, Files | None]]:
    """Yield each job with its files: from the cache where it has them, else rendered.

    A job whose key is in *kept* made the very same files in the out/ folder being
    replaced: it yields None, and its files are taken from there.
    """
    pending = []
    for job in jobs:
        files = None if job.key in kept else cache.get(job.key)
        if job.key in kept:
            cache.keep(job.key)
        elif files is None:
            pending.append(job)
            continue
        tick()
        yield job, files
    for job, files in workers.run(pending):
        cache.put(job.key, files)
        tick()
        yield job, files


def _call(task: tuple[int, Callable[..., Files], tuple[Any, ...]]) -> tuple[int, Files]:
    index, function, arguments = task
    return index, function(*arguments)
