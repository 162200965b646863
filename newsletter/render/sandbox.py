"""Templates as untrusted input: Jinja's sandbox, bounded operators, a time bound.

A project's templates are written by whoever can push to it, and rendered where the
SMTP password and the unsubscribe secret are in the environment. Jinja's sandbox
refuses attributes that lead out of the values a template is given (``__globals__``,
``__class__``, ``mro``) and bounds ``range``; here, ``*`` and ``**`` are bounded too
(``"x" * 10**9`` would take a gigabyte at once), as are the widths of ``%``,
``.format()`` and the filters that pad, and each render has a time bound,
after which it stops where it is, with the line it was on.

The time bound is kept by one watching thread per process, which raises TimeUp in a
render's thread once its time is up (CPython's asynchronous exceptions): it stops a
loop in any thread, a worker's or the preview's, between two steps of Python. A
render costs two dictionary changes; no thread or timer is made per render.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

RENDER_SECONDS = 5.0  # a page renders in milliseconds; this is a loop that never ends
LARGEST_REPEAT = 1_000_000  # items or characters that * may make
LARGEST_POWER_BITS = 4096  # the size of a number that ** may make
_WATCH_SECONDS = 0.2


class TimeUp(Exception):
    """A template ran past its time bound."""


class Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, with ``*``, ``**`` and the widths of formats bounded."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("center", "indent"):
            self.filters[name] = _narrow(self.filters[name])
        self.filters["format"] = _plain_format(self.filters["format"])

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse a repetition, a power or a text too big to make, before it is made."""
        if operator == "*" and _too_many(left, right):
            raise SecurityError(
                f"a repetition of more than {LARGEST_REPEAT:,} items or characters; make it smaller"
            )
        if operator == "**" and _too_big_a_power(left, right):
            raise SecurityError(f"a power of {LARGEST_POWER_BITS} bits or more; make it smaller")
        if operator == "%":
            _refuse_wide(left)
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """The attribute of *obj*; a field of a dataclass the project renders from (an
        item, a digest, a period) is data, and is read at once. Every other attribute goes
        through the sandbox's checks: asked for each of some 500,000 attributes a cold
        build of 2,000 items reads, they took 15 % of its time."""
        fields = _FIELDS.get(type(obj))
        if fields is None:
            fields = _FIELDS[type(obj)] = _data_fields(type(obj))
        if attribute in fields:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Jinja's answer, which depends only on the type of *obj* and the name *attr*,
        kept for each such pair: asked some 800,000 times in a cold build of 10,000
        items. Measured on 600 of the benchmark's item pages: 0.97 ms a page worked out
        each time, 0.85 ms kept."""
        known = (type(obj), attr)
        safe = _SAFE.get(known)
        if safe is None:
            safe = _SAFE[known] = super().is_safe_attribute(obj, attr, value)
        return safe

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Bound the widths of a str.format() call, as of the % operator."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _refuse_wide(value.__self__)
        return wrapped


_FIELDS: dict[type, frozenset[str]] = {}
_SAFE: dict[tuple[type, str], bool] = {}


def _data_fields(kind: type) -> frozenset[str]:
    """The fields of *kind* when it is a dataclass of the project's own (its values are
    data: text, numbers, moments and more such records), else none."""
    if not dataclasses.is_dataclass(kind) or not kind.__module__.startswith("newsletter."):
        return frozenset()
    return frozenset(field.name for field in dataclasses.fields(kind))


# A width or precision of a million or more, in a % or a {} format.
_WIDE = re.compile(r"(%|\{[^{}]*:)[^a-zA-Z%{}]*\d{7,}")


def _refuse_wide(pattern: Any) -> None:
    if isinstance(pattern, str) and _WIDE.search(pattern):
        raise SecurityError(f"a width of {LARGEST_REPEAT:,} or more; make it smaller")


def _narrow(function: Callable[..., str]) -> Callable[..., str]:
    """A filter whose width (its second argument) is bounded."""

    def narrow(value: Any, width: Any = 80, *args: Any, **kwargs: Any) -> str:
        if isinstance(width, int) and width >= LARGEST_REPEAT:
            raise SecurityError(f"a width of {LARGEST_REPEAT:,} or more; make it smaller")
        return function(value, width, *args, **kwargs)

    return narrow


def _plain_format(function: Callable[..., str]) -> Callable[..., str]:
    """The format filter, with the widths of its pattern bounded."""

    def format_bounded(value: Any, *args: Any, **kwargs: Any) -> str:
        _refuse_wide(value)
        return function(value, *args, **kwargs)

    return format_bounded


def _too_many(left: Any, right: Any) -> bool:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | bytes | list | tuple) and isinstance(count, int):
            return len(sequence) * count > LARGEST_REPEAT
    return False


def _too_big_a_power(base: Any, exponent: Any) -> bool:
    if not (isinstance(base, int) and isinstance(exponent, int)) or abs(base) < 2:
        return False
    return exponent * math.log2(abs(base)) > LARGEST_POWER_BITS


@contextmanager
def time_bound(seconds: float = RENDER_SECONDS) -> Iterator[None]:
    """Raise TimeUp in this thread if the block runs longer than *seconds*."""
    watch = _Watch.of_this_process()
    thread = threading.get_ident()
    with watch.lock:
        watch.raised.discard(thread)  # one raised before was delivered: this thread runs
        ours = thread not in watch.deadlines  # a render inside a render keeps the first's
        if ours:
            watch.deadlines[thread] = time.monotonic() + seconds
    try:
        yield
    finally:
        if ours:
            watch.done(thread)


class _Watch:
    """The deadlines of the renders under way in one process, and the thread that
    keeps them."""

    _current: _Watch | None = None

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deadlines: dict[int, float] = {}
        self.raised: set[int] = set()
        self.pid = os.getpid()
        threading.Thread(target=self._watch, name="template time bound", daemon=True).start()

    @classmethod
    def of_this_process(cls) -> _Watch:
        current = cls._current
        if current is None or current.pid != os.getpid():  # none yet, or a forked parent's
            current = cls._current = _Watch()
        return current

    def done(self, thread: int) -> None:
        """End the render of *thread*; take back a TimeUp raised but not yet delivered."""
        with self.lock:
            self.deadlines.pop(thread, None)
            if thread in self.raised:
                self.raised.discard(thread)
                _raise_in(thread, None)

    def _watch(self) -> None:
        while self.pid == os.getpid():
            time.sleep(_WATCH_SECONDS)
            now = time.monotonic()
            with self.lock:
                for thread, deadline in list(self.deadlines.items()):
                    if deadline <= now:
                        del self.deadlines[thread]  # raised once only
                        self.raised.add(thread)
                        _raise_in(thread, TimeUp)


def _raise_in(thread: int, kind: type[BaseException] | None) -> None:
    """Have *thread* raise *kind* at its next step of Python; None takes one back."""
    exception = None if kind is None else ctypes.py_object(kind)  # None: a NULL pointer
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), exception)


def _forget_after_fork() -> None:
    # The forking thread may have held the lock: the child starts its own watch.
    _Watch._current = None


os.register_at_fork(after_in_child=_forget_after_fork)
