"""The command group: the options every command shares."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter import __version__

ROOT_HELP = "The folder that holds newsletter.yaml (default: the current folder)."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=".", help=ROOT_HELP
)
@click.version_option(__version__, prog_name="newsletter")
@click.pass_context
def cli(ctx: click.Context, root: Path) -> None:
    """Turn one YAML file per news item into feeds, web pages and a weekly email.

    \b
    Example:
      newsletter check
      newsletter build --as-of 2024-04-30
    """
    ctx.obj = root
