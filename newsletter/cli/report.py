"""What a command says: the core's problems, located; Ctrl-C; a progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from newsletter.core.errors import NewsletterError, Problem, count_summary


@contextmanager
def period_errors() -> Iterator[None]:
    """Turn a PERIOD the core cannot read into a usage error."""
    from newsletter.domain.periods import BadPeriod

    try:
        yield
    except BadPeriod as exc:
        raise click.BadParameter(str(exc), param_hint="PERIOD") from None


@contextmanager
def interrupted(advice: str) -> Iterator[None]:
    """Say what to do after Ctrl-C, instead of a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"Interrupted: {advice}.", err=True)
        raise SystemExit(130) from None


class _Bar:
    """A progress bar on a terminal, for builds long enough to want one."""

    def __init__(self) -> None:
        self.bar: Any = None

    def start(self, total: int) -> None:
        if total >= 200:
            self.bar = click.progressbar(length=total, label="Building", file=sys.stderr)
            self.bar.__enter__()

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(1)


@contextmanager
def progress_bar() -> Iterator[_Bar | None]:
    """Yield a progress bar when standard error is a terminal, else nothing: CI logs stay plain."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = _Bar()
    try:
        yield bar
    finally:
        if bar.bar is not None:
            bar.bar.__exit__(None, None, None)


@contextmanager
def reported() -> Iterator[None]:
    """Turn the core's errors into located messages and exit status 1."""
    try:
        yield
    except NewsletterError as exc:
        print_problems(exc.problems)
        errors = [p for p in exc.problems if p.severity == "error"]
        if len(exc.problems) > 1 or errors[0].path:
            click.echo(count_summary(exc.problems) + ".", err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        raise SystemExit(1) from None


def print_problems(problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        text = str(problem)
        click.echo(text if problem.path else f"Error: {text}", err=True)
