"""Worker processes that make calls on every core, and stop at once when a build fails.

The workers are forked when the build starts, before it has read anything: each
holds only what its calls send it. They ignore Ctrl-C, which a terminal sends to
every process of the build: the build itself stops them, after it has put out/
back in order. A build that fails or is interrupted cancels the calls not yet
begun and terminates its workers, so it ends within moments whatever they were
doing; a worker whose build was killed outright ends on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import process as process_module
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.queues import SimpleQueue
from typing import Any

from newsletter.core.errors import NewsletterError

PARALLEL_MIN = 2  # a single call is made in this process: sending it would only cost time
STOP_SECONDS = 2.0  # how long a worker is given to end when told to, before it is killed
_WATCH_SECONDS = 0.5  # how often a worker looks whether its build is still there
_AHEAD = 4  # chunks of calls sent per worker ahead of the results read back
# Items from which a build forks workers unless told how many: each worker costs some
# 0.5 s of CPU (its fork, its templates compiled, the inliner its first email imports).
# Cold builds of bench/synthetic.py projects on 2 cores, best of two, seconds of wall
# and of CPU, one process against two: 40 items 2.5 and 2.5 against 2.5 and 3.8; 120
# items 4.7 and 4.7 against 4.8 and 7.8; 300 items 7.3 and 7.2 against 5.5 and 9.5.
MANY_ITEMS = 200

Call = tuple[Callable[..., Any], tuple[Any, ...]]
Chunk = list[tuple[int, Callable[..., Any], tuple[Any, ...]]]


def workers_for(items: int) -> int:
    """How many processes build a site of *items* items when not told: one per core
    for a large site, this one alone for a small one, which it builds as soon."""
    return (os.cpu_count() or 1) if items >= MANY_ITEMS else 1


class Workers:
    """A pool of forked worker processes, or none for a build on one core."""

    def __init__(self, count: int, warm_up: Callable[[], object] | None = None) -> None:
        """Start *count* workers, each of which first calls *warm_up*."""
        self.count = count
        self.pool: ProcessPoolExecutor | None = None
        _hand_back_freed_memory()
        if count > 1 and "fork" in multiprocessing.get_all_start_methods():
            self.pool = ProcessPoolExecutor(count, _Forked(), _start, (os.getpid(), warm_up))
            self.pool.submit(int)  # the workers are forked now, while this process holds little

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if self.pool is None:
            return
        if kind is None:
            self.pool.shutdown(wait=True)
        else:
            stop(self.pool)

    @contextlib.contextmanager
    def ended_on_failure(self) -> Iterator[None]:
        """End the workers at once if the block fails, before what encloses it cleans up:
        they stop writing into a folder that is about to be removed."""
        try:
            yield
        except BaseException:
            if self.pool is not None:
                stop(self.pool)
            raise

    def submitter(self) -> Callable[..., Future[Any]] | None:
        """What sends one call to the workers, where there are workers."""
        return self.pool.submit if self.pool is not None else None

    def map(self, count: int, calls: Iterable[Call]) -> Iterator[tuple[int, Any]]:
        """Make each of *count* calls; yield (its index, its result) as each is done.

        They run in the workers, but for a single call, which runs here. The workers
        start at once, before the first result is asked for. *calls* is read as the
        workers take them, so their arguments are made only when needed, never all
        at once.
        """
        numbered = ((index, *call) for index, call in enumerate(calls))
        if self.pool is None or count < PARALLEL_MIN:
            return ((index, function(*arguments)) for index, function, arguments in numbered)
        # A worker sends a chunk's results back when all are done, holding them until
        # then: small chunks keep that small, and cost no time. Cold builds of the
        # 10,000-item benchmark, a count of calls a chunk, a worker's share cut in 64
        # against 128: peak memory 302 to 304 MiB against 292 to 294 (five builds
        # each), 54 to 68 s against 59 to 64 s.
        size = max(1, count // (self.count * 128))
        chunks = iter(lambda: list(itertools.islice(numbered, size)), [])
        first = itertools.islice(chunks, self.count * _AHEAD)
        running = {self.pool.submit(_call, chunk) for chunk in first}
        return _results(self.pool, running, chunks)


_M_MMAP_THRESHOLD = -3  # the parameter of glibc's mallopt()
_MMAP_AT = 128 * 1024  # bytes: glibc's threshold to begin with


def _hand_back_freed_memory() -> None:
    """Have glibc give each block of 128 KiB or more its own mapping, returned to the
    system when freed, for the rest of this process and its workers. glibc raises that
    threshold each time such a block is freed, up to 32 MiB: the large buffers a build
    makes for a moment (a chunk's arguments pickled for the workers, its results read
    back, a feed's archive being written) then come from the heap, and its pages stay
    counted after they are freed. The peak memory of a cold build of the 10,000-item
    benchmark (its processes' proportional set size, three runs each): 313 to 318 MiB
    with the rising threshold, 287 MiB with it fixed. Where the C library is not glibc,
    this does nothing."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_AT)


def _results(
    pool: ProcessPoolExecutor, running: set[Future[list[tuple[int, Any]]]], chunks: Iterator[Chunk]
) -> Iterator[tuple[int, Any]]:
    """Yield the results of the chunks as they come back, sending another for each."""
    while running:
        done, running = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            with abrupt_ends_reported():
                results = future.result()
            yield from results
            chunk = next(chunks, None)
            if chunk is not None:
                running.add(pool.submit(_call, chunk))


@contextlib.contextmanager
def abrupt_ends_reported() -> Iterator[None]:
    """Turn a worker that ended abruptly (killed, out of memory) into one clear error."""
    try:
        yield
    except BrokenProcessPool:
        raise NewsletterError(
            "a worker process ended abruptly (out of memory?); build again, or with --jobs 1"
        ) from None


def stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the calls not yet begun and end the workers now, killing those that linger."""
    # Before Python 3.14 the executor offers no way to end its workers but this one.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(STOP_SECONDS)
    if manager is not None:  # it closes its pipes once the workers are gone: at exit,
        manager.join(STOP_SECONDS)  # Python would write to them and complain
        if not manager.is_alive():
            getattr(process_module, "_threads_wakeups", {}).pop(manager, None)


def _start(parent: int, warm_up: Callable[[], object] | None) -> None:
    """Ready a worker: deaf to Ctrl-C, watching its build, then warmed up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.enable()  # a worker collects as usual, whether or not its build had paused it
    # The watching thread never takes SIGTERM: it comes to the one that sends results.
    signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    if warm_up is not None:
        warm_up()


_HELD = {signal.SIGTERM}


class _Results(SimpleQueue[Any]):
    """The queue a worker sends its results back through, in one piece each."""

    def put(self, obj: Any) -> None:
        """Send *obj* whole: a SIGTERM that cut it short would leave half a message in the
        pipe, and the build would wait forever for the rest as it exits. A SIGTERM that
        comes meanwhile is held, and ends the worker once the message is sent."""
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
        try:
            super().put(obj)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Forked(multiprocessing.context.ForkContext):
    """Forked workers whose results come back through _Results (the executor takes its
    result queue from the context it is given)."""

    def SimpleQueue(self) -> _Results:
        return _Results(ctx=self.get_context())


def _watch(parent: int) -> None:
    """End this worker once the build that started it is gone (killed outright)."""
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def _call(chunk: Chunk) -> list[tuple[int, Any]]:
    return [(index, function(*arguments)) for index, function, arguments in chunk]
