"""Render jobs: each names its outputs by a key, so the cache can skip it, and many
of them run in worker processes, on every core.

A job's key is derived from what its render function receives, by one mechanism for
every kind of output (see output_key); a job whose key is in the cache is not run. An
argument can be made only when the job runs (Later), so that a feed's job sends its
workers just the HTML of its own items, made in the first round. The workers are
forked when the build starts, before it has read anything: each holds only what
its jobs send it, not a copy of the whole build.

A worker writes its job's files into the build's new folder itself, on its own core,
and sends back the entry packed for the cache (compressed) and what it wrote; this
process stores the entries (a Sink) while the workers render on: the cache is one
file with one writer. The outputs named HANDED_BACK are not files: they go back to
the build, such as the HTML that feeds embed.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsletter.core.fingerprints import fingerprint, key_of
from newsletter.engine.cache import Cache
from newsletter.engine.entries import encode
from newsletter.engine.versions import environment_key
from newsletter.engine.workers import Workers
from newsletter.engine.writer import Place, Writer

HANDED_BACK = "#"  # outputs named so are not files: they go back to the build

Files = dict[str, bytes]
Task = tuple[Callable[..., Files], tuple[Any, ...]]


class Later(ABC):
    """An argument made only when its job runs, such as an item's body (read from the
    cache or its file) or the HTML of items the first round rendered: keyed by what it
    will be made from, so that its job's key is known before."""

    @property
    @abstractmethod
    def value_key(self) -> str:
        """The key of what the value will be made from (see core.fingerprints.Keyed)."""

    @abstractmethod
    def value(self) -> Any:
        """Make the value."""


@dataclass(frozen=True)
class Job:
    """A render function, what it receives, and the key of its outputs, derived from
    those (see output_key): whatever a template reaches of what the function receives,
    a change of it is a new key."""

    function: Callable[..., Files]  # module-level, so that a worker process can call it
    arguments: tuple[Any, ...]  # values, or Later for those made when the job runs
    local: bool = False  # needs much of the build's data: cheaper here than sent to a worker
    key: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", output_key(self.function, self.arguments))

    def task(self) -> Task:
        """The function, and its arguments made (see Later)."""
        made = tuple(a.value() if isinstance(a, Later) else a for a in self.arguments)
        return self.function, made

    def run(self) -> Files:
        """Render the outputs in this process."""
        function, arguments = self.task()
        return function(*arguments)


def output_key(function: Callable[..., Files], arguments: Sequence[Any]) -> str:
    """The key of the outputs of *function* called with *arguments*: the code that runs
    (the package, its libraries, Python and the time zone rules, see environment_key),
    which function, and the key of each argument (see core.fingerprints.key_of; the
    templates an argument names are keyed by their files)."""
    name = f"{function.__module__}.{function.__qualname__}"
    return fingerprint(environment_key(), name, *map(key_of, arguments))


@dataclass(frozen=True)
class Outcome:
    """What a job put in place, and what it handed back."""

    sizes: dict[str, int]  # each file in out/: its size, or -1 when linked unread
    handed: dict[str, bytes]  # its outputs named HANDED_BACK
    rendered: bool  # rendered now, not read from the cache or the last out/
    stamps: dict[str, str]  # each file in out/: its stamp (see core.stamps.out_stamp)


class Sink:
    """Where a job's files go: into the cache and the build's new folder."""

    def __init__(self, cache: Cache, writer: Writer) -> None:
        self.cache, self.writer = cache, writer
        self.written = 0  # files written, not linked unchanged from the last out/

    def took(self, key: str, done: Done) -> Outcome:
        """Store the entry of a job under *key* whose files were written (see _render)."""
        blob, (sizes, handed, written, stamps) = done
        self.cache.put_blob(key, blob)
        self.writer.written.update(written)
        self.written += len(written)
        return Outcome(sizes, handed, True, stamps)

    def fetch(self, key: str) -> Outcome | None:
        """Write the files the cache holds under *key*; None when it has none intact."""
        files = self.cache.get(key)
        return None if files is None else self._write(files, rendered=False)

    def relink(self, paths: Sequence[str]) -> Outcome:
        """Keep the files a job made in the last out/, linked already (see
        Writer.link_kept)."""
        stamps = {path: self.writer.kept[path] for path in paths}
        return Outcome(dict.fromkeys(paths, -1), {}, False, stamps)

    def _write(self, files: Mapping[str, bytes], *, rendered: bool) -> Outcome:
        sizes, handed, written, stamps = _put(self.writer, files)
        self.written += len(written)
        return Outcome(sizes, handed, rendered, stamps)


def run_jobs(
    jobs: Sequence[Job],
    sink: Sink,
    workers: Workers,
    kept: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[tuple[Job, Outcome]]:
    """Put each job's files in place, and yield it with its Outcome.

    A job whose key is in *kept* made the very same files in the out/ being
    replaced: they are linked from there. A job the cache holds is read from it;
    the others are rendered, in the workers.
    """
    kept = kept or {}
    pending: list[Job] = []
    local: list[Job] = []
    for job in jobs:
        sink.cache.keep(job.key)
        outcome = sink.relink(kept[job.key]) if job.key in kept else None
        if outcome is None:
            outcome = sink.fetch(job.key)
        if outcome is not None:
            yield job, outcome
        else:
            (local if job.local else pending).append(job)
    place = sink.writer.place
    calls = ((_render, (job.key, place, *job.task())) for job in pending)
    rendered = workers.map(len(pending), calls)  # the workers start on these now
    for job in local:  # while this process renders its own
        yield job, sink.took(job.key, _render(job.key, place, *job.task()))
    for index, done in rendered:
        yield pending[index], sink.took(pending[index].key, done)


# What a job put in place: its files' sizes, what it hands back, the files written (the
# others were kept unchanged), and the stamps of its files.
Put = tuple[dict[str, int], dict[str, bytes], list[str], dict[str, str]]
Done = tuple[bytes, Put]  # the entry for the cache, and what was put


def _render(
    key: str, place: Place, function: Callable[..., Files], arguments: tuple[Any, ...]
) -> Done:
    """Render a job and write its files, in a worker or here. Return its entry for the
    cache, and what it put in place (see Put)."""
    files = function(*arguments)
    return encode(key, files), _put(_writer(place), files)


def _put(writer: Writer, files: Mapping[str, bytes]) -> Put:
    """Write a job's files for out/ (see Put)."""
    sizes, handed, written, stamps = {}, {}, [], {}
    for path, data in files.items():
        if path.startswith(HANDED_BACK):
            handed[path] = data
        else:
            if writer.write(path, data):
                written.append(path)
            sizes[path] = len(data)
            stamps[path] = writer.stamps.pop(path)
    return sizes, handed, written, stamps


@functools.lru_cache(maxsize=4)
def _writer(place: Place) -> Writer:
    """A worker's writer into one build's new folder, made once per build."""
    return Writer(place)
