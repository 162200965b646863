"""The options and arguments several commands share, parsed and checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from newsletter.core.errors import shown

Command = TypeVar("Command", bound=Callable[..., Any])


def moment(ctx: click.Context, param: click.Parameter, value: str | None) -> date | datetime | None:
    """Parse a date (2024-04-19) or an ISO 8601 time (2024-04-19T10:30, offset optional)."""
    if value is None:
        return None
    text = value.strip()
    try:
        moment = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        message = (
            f"expected a date like 2024-04-19 or a time like 2024-04-19T10:30, got {shown(text)}"
        )
        raise click.BadParameter(message) from None
    within_years(moment.year)
    return moment


def period(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Refuse a PERIOD whose year no news has, before any date is made of it."""
    year = re.match(r"\s*(\d+)-", value)
    if year:
        within_years(int(year[1]))
    return value


def within_years(year: int) -> None:
    from newsletter.sources.itemchecks import EARLIEST_YEAR, LATEST_YEAR

    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise click.BadParameter(
            f"expected a year between {EARLIEST_YEAR} and {LATEST_YEAR}, got {year}"
        )


def day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Parse a date such as 2024-04-19."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"expected a date like 2024-04-19, got {shown(value)}") from None


def title(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A headline: one line of text, not empty."""
    text = value.strip()
    if not text:
        raise click.BadParameter('is empty; give the item\'s headline, such as "Guest lecture"')
    found = next((char for char in text if ord(char) < 32 or 127 <= ord(char) < 160), None)
    if found is not None:
        raise click.BadParameter(f"holds a control character (U+{ord(found):04X}); remove it")
    return text


def addresses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...] | str) -> Any:
    """Check that each --to (or ADDRESS) is one email address; make ADDRESS a mailbox."""
    from newsletter.core.addresses import parse_mailbox

    try:
        if isinstance(values, str):
            return parse_mailbox(values)
        for value in values:
            parse_mailbox(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return values


def out_option(help: str) -> Callable[[Command], Command]:
    """The --out option of the commands that write a folder."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=help,
    )


def as_of_option(help: str) -> Callable[[Command], Command]:
    """The --as-of option: a date or a time, checked."""
    return click.option("--as-of", callback=moment, metavar="DATE|TIME", help=help)
