"""Render jobs: each names its outputs by a key, so the cache can skip it, and many
of them run on every core.

A job's key is the hash of everything its outputs depend on. A job whose key is
in the cache is not run. The others run in worker processes when there are
enough of them to pay for the workers; the workers are forked, so they share the
build's items, templates and already rendered content without copying them.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from newsletter.cache import Cache

PARALLEL_MIN = 64  # fewer jobs than this run faster in this process than in workers

Files = dict[str, bytes]


@dataclass(frozen=True)
class Job:
    """Outputs to render, and the key of everything they depend on."""

    key: str
    render: Callable[[], Files]


def run_jobs(
    jobs: Sequence[Job], cache: Cache, *, workers: int = 1, tick: Callable[[], None] = lambda: None
) -> Iterator[Files]:
    """Yield the files of every job: from the cache where it has them, else rendered."""
    pending = []
    for job in jobs:
        files = cache.get(job.key)
        if files is None:
            pending.append(job)
        else:
            tick()
            yield files
    for job, files in _execute(pending, workers):
        cache.put(job.key, files)
        tick()
        yield files


_PENDING: Sequence[Job] = ()


def _execute(jobs: Sequence[Job], workers: int) -> Iterator[tuple[Job, Files]]:
    if (
        workers < 2
        or len(jobs) < PARALLEL_MIN
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for job in jobs:
            yield job, job.render()
        return
    global _PENDING
    _PENDING = jobs
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunk = max(1, len(jobs) // (workers * 16))
            for index, files in pool.imap_unordered(_run, range(len(jobs)), chunksize=chunk):
                yield jobs[index], files
    finally:
        _PENDING = ()


def _run(index: int) -> tuple[int, Files]:
    return index, _PENDING[index].render()
