"""The command line: parse options, call one core function, print one summary."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from newsletter import __version__
from newsletter.core.errors import NewsletterError, Problem, count_summary
from newsletter.core.layout import out_folder

ROOT_HELP = "The folder that holds newsletter.yaml (default: the current folder)."


def _moment(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> date | datetime | None:
    """Parse a date (2024-04-19) or an ISO 8601 time (2024-04-19T10:30, offset optional)."""
    if value is None:
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        message = f"expected a date like 2024-04-19 or a time like 2024-04-19T10:30, got {text!r}"
        raise click.BadParameter(message) from None


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


@cli.command()
@click.option(
    "--strict", is_flag=True, help="Treat warnings (an image without credit, ...) as errors."
)
@click.pass_obj
def check(root: Path, strict: bool) -> None:
    """Validate newsletter.yaml and every item, reporting all problems at once.

    \b
    Example:
      newsletter check --strict
    """
    from newsletter.engine.itemcache import load_catalog

    with _reported():
        catalog = load_catalog(root, strict=strict)
    _print_problems(catalog.warnings)
    click.echo(f"Checked {len(catalog.items)} items: " + count_summary(catalog.warnings) + ".")


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the site (default: out/ in the project).",
)
@click.option(
    "--as-of",
    callback=_moment,
    metavar="DATE|TIME",
    help="Publish items dated up to this moment (default: now); a date covers its whole day.",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--jobs", type=click.IntRange(1, 64), default=None,
    help="How many processes render at once (default: one per core).",
)  # fmt: skip
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
    with _reported(), _progress_bar() as progress:
        report = build_site(
            root, out_dir, as_of or datetime.now(UTC), strict=strict,
            workers=jobs or os.cpu_count() or 1, progress=progress,
        )  # fmt: skip
    _print_problems(report.warnings)
    click.echo(report.summary(out_dir, time.perf_counter() - started))


@cli.command()
@click.argument("period", default="latest")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write into DIR/digests/PERIOD/ (default: out/ in the project).",
)
@click.option(
    "--as-of",
    callback=_moment,
    metavar="DATE|TIME",
    help="What is published by this moment (default: now); also the reference for latest.",
)
@click.pass_obj
def digest(root: Path, period: str, out_dir: Path | None, as_of: date | datetime | None) -> None:
    """Write the digest of PERIOD: its web page, email.html, email.txt and email.eml.

    PERIOD is a week (2024-W16), a month (2024-04) on a monthly site, or latest,
    the last complete period (the default). Only that digest's folder is replaced.

    \b
    Example:
      newsletter digest 2024-W16 --as-of 2024-04-30
    """
    from newsletter.commands.digest import write_digest_folder
    from newsletter.domain.periods import BadPeriod

    out_dir = out_folder(root, out_dir)
    with _reported():
        try:
            written = write_digest_folder(root, out_dir, period, as_of or datetime.now(UTC))
        except BadPeriod as exc:
            raise click.BadParameter(str(exc), param_hint="PERIOD") from None
    _print_problems(written.warnings)
    click.echo(written.summary())


@cli.command()
def schema() -> None:
    """Print the JSON Schema of an item file, for editors' YAML support.

    \b
    Example:
      newsletter schema > item.schema.json
    """
    from newsletter.sources.model import item_json_schema

    click.echo(json.dumps(item_json_schema(), indent=2, ensure_ascii=False))


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Parse a date such as 2024-04-19."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"expected a date like 2024-04-19, got {value!r}") from None


@cli.command()
@click.argument("title")
@click.option(
    "--date", "day", callback=_day, metavar="DATE", help="Publication date (default: today)."
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

    with _reported():
        path = scaffold_item(root, title, day or datetime.now(UTC), tags, event=event)
    click.echo(path)


@cli.command()
@click.argument("period")
@click.option("--to", "recipients", multiple=True, help="A recipient (default: email.to).")
@click.option("--dry-run", is_flag=True, help="List who would get it; send nothing.")
@click.option("--force", is_flag=True, help="Send again to recipients who already got it.")
@click.option(
    "--as-of", callback=_moment, metavar="DATE|TIME", help="Build the digest as of (default: now)."
)
@click.pass_obj
def send(
    root: Path,
    period: str,
    recipients: tuple[str, ...],
    dry_run: bool,
    force: bool,
    as_of: date | datetime | None,
) -> None:
    """Send the digest of PERIOD by SMTP, once to each recipient.

    The password comes from the environment variable NEWSLETTER_SMTP_PASSWORD.
    A run that stopped half-way is finished by the next one.

    \b
    Example:
      newsletter send latest --to me@example.org --dry-run
    """
    from newsletter.commands.send import send_digest
    from newsletter.domain.periods import BadPeriod
    from newsletter.engine.sending import PASSWORD_ENV

    password = os.environ.get(PASSWORD_ENV)
    with _reported():
        try:
            report = send_digest(
                root, period, as_of or datetime.now(UTC), recipients, password,
                force=force, dry_run=dry_run,
            )  # fmt: skip
        except BadPeriod as exc:
            raise click.BadParameter(str(exc), param_hint="PERIOD") from None
    for line in report.lines():
        click.echo(line)
    if report.refused:
        raise SystemExit(1)


@cli.command()
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
    help="The port on 127.0.0.1 (0: any free one).",
)  # fmt: skip
@click.pass_obj
def serve(root: Path, port: int) -> None:
    """Preview the site on 127.0.0.1, rebuilt and reloaded in the browser on every change.

    Run it in the project folder and leave it running: each save of an item, a
    picture (images/), a template or newsletter.yaml rebuilds the preview, and the
    open page reloads. Links stay on the preview; out/ is not touched. A failed
    build shows its problems in the browser. /_preview/ shows the email that would
    go out next, and lists every digest.

    \b
    Example:
      newsletter serve --port 8080
    """
    from newsletter.commands.serve import serve as serve_site

    with _reported(), contextlib.suppress(KeyboardInterrupt):
        serve_site(root, port, lambda: datetime.now(UTC), click.echo)


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
def _progress_bar() -> Iterator[_Bar | None]:
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
def _reported() -> Iterator[None]:
    """Turn the core's errors into located messages and exit status 1."""
    try:
        yield
    except NewsletterError as exc:
        _print_problems(exc.problems)
        errors = [p for p in exc.problems if p.severity == "error"]
        if len(exc.problems) > 1 or errors[0].path:
            click.echo(count_summary(exc.problems) + ".", err=True)
        raise SystemExit(1) from None
    except OSError as exc:
        click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        raise SystemExit(1) from None


def _print_problems(problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        text = str(problem)
        click.echo(text if problem.path else f"Error: {text}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Run the command line."""
    entry: Callable[..., Any] = cli
    entry(args=argv, prog_name="newsletter")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
