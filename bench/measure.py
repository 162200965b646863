"""Run one command as a child process and measure its wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One run of a command: wall time and memory high-water marks."""

    seconds: float
    max_rss: int | None
    """The largest resident set of the process or any child it waited for, in bytes."""
    tree_rss: int | None = None
    """The largest sampled total memory of the process and all its descendants: the sum of
    their proportional set sizes (PSS), so that pages forked workers share with their
    parent count once, not once per process."""


class CommandFailed(RuntimeError):
    """A measured command exited with an error."""


def run_measured(args: Sequence[str | Path], cwd: Path, *, watch_tree: bool = False) -> Sample:
    """Run ARGS in CWD as a child process; time it and take its own memory high-water mark."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        sampler = _TreeSampler(proc.pid) if watch_tree else None
        if hasattr(os, "wait4"):
            # wait4 returns this child's own rusage, unmixed with earlier children's.
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            max_rss: int | None = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        else:  # pragma: no cover - platforms without wait4
            proc.wait()
            seconds = time.perf_counter() - start
            max_rss = None
        tree_rss = sampler.stop() if sampler else None
        if proc.returncode != 0:
            log.seek(0)
            output = log.read().decode(errors="replace")[-2000:]
            command = " ".join(str(a) for a in args)
            raise CommandFailed(f"{command} (in {cwd}) exited with {proc.returncode}:\n{output}")
    return Sample(seconds, max_rss, tree_rss)


class _TreeSampler:
    """Sample the summed memory (PSS) of a process and its descendants (Linux /proc)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self.supported = Path(f"/proc/{pid}/task").is_dir()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if self.supported:
            self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            self.peak = max(self.peak, _tree_rss(self.pid))

    def stop(self) -> int | None:
        """Stop sampling; return the peak, or None where /proc cannot tell."""
        self._done.set()
        if not self.supported:
            return None
        self._thread.join()
        return self.peak or None


def _tree_rss(pid: int) -> int:
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            usage = Path(f"/proc/{current}/smaps_rollup").read_text()
            tasks = list(Path(f"/proc/{current}/task").iterdir())
            children = [Path(task, "children").read_text().split() for task in tasks]
        except OSError:  # the process ended while we looked
            continue
        for line in usage.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
        pending.extend(int(child) for group in children for child in group)
    return total
