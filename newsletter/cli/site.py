"""The commands that check, build and preview the site and its digests."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, date, datetime
from pathlib import Path

import click

from newsletter.cli.group import cli
from newsletter.cli.options import as_of_option, day, out_option, period, title
from newsletter.cli.report import period_errors, print_problems, progress_bar, reported
from newsletter.core.layout import out_folder


@cli.command()
@click.option(
    "--strict", is_flag=True, help="Treat warnings (an image without credit, ...) as errors."
)
@click.pass_obj
def check(root: Path, strict: bool) -> None:
    """Validate newsletter.yaml, every item and the templates' files, reporting all
    problems at once.

    \b
    Example:
      newsletter check --strict
    """
    from newsletter.commands.check import check_project

    with reported():
        checked = check_project(root, strict=strict)
    print_problems(checked.warnings)
    click.echo(checked.summary())


@cli.command()
@out_option("Where to write the site (default: out/ in the project).")
@as_of_option("Publish items dated up to this moment (default: now); a date covers its whole day.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="How many processes render at once (default: one per core; one for a small site).",
)
@click.pass_obj
def build(
    root: Path, out_dir: Path | None, as_of: date | datetime | None, strict: bool, jobs: int | None
) -> None:
    """Build feeds, pages and digests into out/, replacing it only if all went well.

    Only what changed since the last build is rendered again (the cache lives in
    the state folder, .newsletter/); the result is the same as a clean build's.

    \b
    Example:
      newsletter build --as-of 2024-04-30 --out public
    """
    from newsletter.commands.build import build as build_site

    out_dir = out_folder(root, out_dir)
    started = time.perf_counter()
    with reported(), progress_bar() as progress:
        report = build_site(
            root,
            out_dir,
            as_of or datetime.now(UTC),
            strict=strict,
            workers=jobs,
            progress=progress,
        )
    print_problems(report.warnings)
    click.echo(report.summary(out_dir, time.perf_counter() - started))
    for line in [*report.took_over_lines(out_dir), *report.held_lines()]:
        click.echo(line)


@cli.command()
@click.argument("period", default="latest", callback=period)
@out_option("Write into DIR/digests/PERIOD/ (default: out/ in the project).")
@as_of_option("What is published by this moment (default: now); also the reference for latest.")
@click.pass_obj
def digest(root: Path, period: str, out_dir: Path | None, as_of: date | datetime | None) -> None:
    """Write the digest of PERIOD: its web page, email.html, email.txt and email.eml.

    PERIOD is a week (2024-W16), a month (2024-04) on a monthly site, or latest,
    the last complete period (the default). Only that digest's folder is replaced.

    \b
    Example:
      newsletter digest 2024-W16 --as-of 2024-04-30
    """
    from newsletter.commands.digest import QuietPeriod, write_digest_folder

    out_dir = out_folder(root, out_dir)
    with reported(), period_errors():
        try:
            written = write_digest_folder(root, out_dir, period, as_of or datetime.now(UTC))
        except QuietPeriod as exc:
            click.echo(f"nothing to write: {exc}")
            return
    print_problems(written.warnings)
    click.echo(written.summary())


@cli.command()
def schema() -> None:
    """Print the JSON Schema of an item file, for editors' YAML support.

    \b
    Example:
      newsletter schema > item.schema.json
    """
    from newsletter.commands.schema import schema_document

    click.echo(schema_document())


@cli.command()
@click.argument("title", callback=title)
@click.option(
    "--date", "day", callback=day, metavar="DATE", help="Publication date (default: today)."
)
@click.option("--tag", "tags", multiple=True, help="A topic of the item; repeat for more.")
@click.option("--event", is_flag=True, help="Add an event block (start, end, location, host).")
@click.pass_obj
def new(root: Path, title: str, day: date | None, tags: tuple[str, ...], event: bool) -> None:
    """Start a news item: write items/<date>-<slug>.yaml and print its path.

    \b
    Example:
      newsletter new "Guest lecture: Dr. Blasco" --date 2024-04-10 --tag lecture --event
    """
    from newsletter.commands.new import scaffold_item

    with reported():
        path = scaffold_item(root, title, day or datetime.now(UTC), tags, event=event)
    click.echo(path)


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port on 127.0.0.1 (0: any free one).",
)
@click.pass_obj
def serve(root: Path, port: int) -> None:
    """Preview the site on 127.0.0.1, rebuilt and reloaded in the browser on every change.

    Run it in the project folder and leave it running: each save of an item, a
    picture (images/), a template or newsletter.yaml rebuilds the preview, and the
    open page reloads. Links stay on the preview; out/ is not touched. A failed
    build shows its problems in the browser. /_preview/ shows the email that would
    go out next, and lists every digest. /admin/ is the browser editor, which writes
    items/ and images/ and saves only what check takes.

    \b
    Example:
      newsletter serve --port 8080
    """
    from newsletter.commands.serve import serve as serve_site

    with reported(), contextlib.suppress(KeyboardInterrupt):
        serve_site(root, port, lambda: datetime.now(UTC), click.echo)
