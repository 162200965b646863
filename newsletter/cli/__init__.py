"""The command line: parse options, call one core function, print one summary.

Only this layer prints, exits or reads the clock. Each command module adds its
commands to the group as it is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from newsletter.cli import mail, site
from newsletter.cli.group import cli

__all__ = ["cli", "main"]
_COMMANDS = (mail, site)  # imported for the commands they add to cli


def main(argv: list[str] | None = None) -> None:
    """Run the command line."""
    entry: Callable[..., Any] = cli
    entry(args=argv, prog_name="newsletter")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
