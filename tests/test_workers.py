"""The worker processes: results as they come, and a bounded end when a build fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from newsletter.core.errors import NewsletterError
from newsletter.engine.workers import MANY_ITEMS, PARALLEL_MIN, Workers, workers_for


def square(number: int) -> tuple[int, int]:
    return number * number, os.getpid()


def fail_or_sleep(number: int) -> int:
    if number == 0:
        raise ValueError("the template failed")
    time.sleep(60)  # a job that would hold a pool's shutdown for a minute
    return number


def sleep_then_answer(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def test_a_small_site_is_built_here_and_a_large_one_on_every_core() -> None:
    assert workers_for(0) == workers_for(MANY_ITEMS - 1) == 1
    assert workers_for(MANY_ITEMS) == workers_for(10 * MANY_ITEMS) == (os.cpu_count() or 1)


def test_every_call_is_made_once_in_the_workers() -> None:
    with Workers(2) as workers:
        results = dict(workers.map(200, ((square, (n,)) for n in range(200))))
    assert sorted(results) == list(range(200))
    assert all(results[n][0] == n * n for n in range(200))
    assert os.getpid() not in {pid for _, pid in results.values()}


def test_a_single_call_is_made_here() -> None:
    with Workers(2) as workers:
        assert [(index, pid) for index, (_, pid) in workers.map(1, [(square, (3,))])] == [
            (0, os.getpid())
        ]
    assert PARALLEL_MIN == 2


def test_a_failed_call_ends_the_workers_within_seconds() -> None:
    started = time.monotonic()
    with pytest.raises(ValueError, match="the template failed"), Workers(2) as workers:
        pids = list(workers.pool._processes) if workers.pool else []  # type: ignore[attr-defined]
        for _ in workers.map(4, ((fail_or_sleep, (n,)) for n in range(4))):
            pass
    assert time.monotonic() - started < 10
    assert len(pids) == 2
    assert wait_until_gone(pids, 5) == []


def test_workers_ignore_ctrl_c_which_the_build_handles() -> None:
    with Workers(2) as workers:
        results = workers.map(2, [(sleep_then_answer, (1.0,)), (sleep_then_answer, (1.0,))])
        time.sleep(0.3)
        for pid in workers.pool._processes:  # type: ignore[union-attr]
            os.kill(pid, signal.SIGINT)  # as a terminal sends it to every process
        assert [answer for _, answer in results] == ["done", "done"]


def die_at_once(number: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)  # as the system does to a process out of memory
    return number


def test_a_worker_killed_outright_is_one_clear_error() -> None:
    started = time.monotonic()
    with pytest.raises(NewsletterError) as caught, Workers(2) as workers:
        for _ in workers.map(4, ((die_at_once, (n,)) for n in range(4))):
            pass
    assert str(caught.value) == (
        "a worker process ended abruptly (out of memory?); build again, or with --jobs 1"
    )
    assert time.monotonic() - started < 10


WORKERS_THEN_SLEEP = """
import sys, time
from newsletter.engine.workers import Workers
with Workers(2) as workers:
    print(*workers.pool._processes, flush=True)
    time.sleep(60)
"""


def test_workers_end_on_their_own_when_their_build_is_killed() -> None:
    build = subprocess.Popen(
        [sys.executable, "-c", WORKERS_THEN_SLEEP], stdout=subprocess.PIPE, text=True
    )
    assert build.stdout is not None
    pids = [int(pid) for pid in build.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(pid) for pid in pids)
    build.kill()
    build.wait()
    assert wait_until_gone(pids, 5) == []


FAIL_AMID_LARGE_RESULTS = """
from newsletter.engine.workers import Workers

def large(number):
    if number == 40:
        raise ValueError("a picture that cannot be decoded")
    return b"x" * 300_000  # sent back in several writes

for attempt in range(15):
    try:
        with Workers(2) as workers:
            for _ in workers.map(400, ((large, (n,)) for n in range(400))):
                pass
    except ValueError:
        pass
"""


@pytest.mark.long
def test_workers_ended_while_sending_large_results_never_hold_the_exit() -> None:
    # A worker ended mid-result would leave half a message for the build to wait on.
    subprocess.run([sys.executable, "-c", FAIL_AMID_LARGE_RESULTS], check=True, timeout=90)
