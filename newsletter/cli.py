"""The command line: parse options, call one core function, print one summary."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from newsletter import __version__
from newsletter.core.errors import NewsletterError, Problem, count_summary, shown
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
        moment = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        message = (
            f"expected a date like 2024-04-19 or a time like 2024-04-19T10:30, got {shown(text)}"
        )
        raise click.BadParameter(message) from None
    _within_years(moment.year)
    return moment


def _period(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Refuse a PERIOD whose year no news has, before any date is made of it."""
    year = re.match(r"\s*(\d+)-", value)
    if year:
        _within_years(int(year[1]))
    return value


def _within_years(year: int) -> None:
    from newsletter.sources.itemchecks import EARLIEST_YEAR, LATEST_YEAR

    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise click.BadParameter(
            f"expected a year between {EARLIEST_YEAR} and {LATEST_YEAR}, got {year}"
        )


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
    for line in report.held_lines():
        click.echo(line)


@cli.command()
@click.argument("period", default="latest", callback=_period)
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
    from newsletter.commands.digest import QuietPeriod, write_digest_folder

    out_dir = out_folder(root, out_dir)
    with _reported(), _period_errors():
        try:
            written = write_digest_folder(root, out_dir, period, as_of or datetime.now(UTC))
        except QuietPeriod as exc:
            click.echo(f"nothing to write: {exc}")
            return
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
        raise click.BadParameter(f"expected a date like 2024-04-19, got {shown(value)}") from None


def _title(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A headline: one line of text, not empty."""
    text = value.strip()
    if not text:
        raise click.BadParameter('is empty; give the item\'s headline, such as "Guest lecture"')
    found = next((char for char in text if ord(char) < 32 or 127 <= ord(char) < 160), None)
    if found is not None:
        raise click.BadParameter(f"holds a control character (U+{ord(found):04X}); remove it")
    return text


@cli.command()
@click.argument("title", callback=_title)
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


def _addresses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...] | str) -> Any:
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


@cli.command()
@click.argument("period", callback=_period)
@click.option(
    "--to", "recipients", multiple=True, callback=_addresses, metavar="ADDR",
    help="Send a [Test] copy to ADDR instead of email.to; repeat for more. "
    "A test never counts as the real send.",
)  # fmt: skip
@click.option("--yes", is_flag=True, help="Send to email.to without asking (CI needs it).")
@click.option("--dry-run", is_flag=True, help="Say who would get it; send and write nothing.")
@click.option("--force", is_flag=True, help="Send again to recipients who already got it.")
@click.option(
    "--resend-uncertain", is_flag=True,
    help="Send again to a recipient that a stopped run may or may not have reached.",
)  # fmt: skip
@click.option(
    "--as-of", callback=_moment, metavar="DATE|TIME", help="Build the digest as of (default: now)."
)
@click.pass_obj
def send(
    root: Path, period: str, recipients: tuple[str, ...], yes: bool, dry_run: bool,
    force: bool, resend_uncertain: bool, as_of: date | datetime | None,
) -> None:  # fmt: skip
    """Send the digest of PERIOD by SMTP, one copy to each recipient, once.

    To email.to it asks first in a terminal, and needs --yes without one. The
    password comes from NEWSLETTER_SMTP_PASSWORD; a run that stopped half-way is
    finished by the next one.

    \b
    Example:
      newsletter send latest --to me@example.org
      newsletter send 2024-W16 --yes
    """
    from newsletter.commands.send import QuietPeriod, Secrets, send_digest
    from newsletter.engine.sending import Options

    asks = not (recipients or yes or dry_run)
    if asks and not sys.stdin.isatty():
        raise click.UsageError(
            "no terminal to confirm in: pass --yes to send to email.to, or --to ADDR"
        )
    now, confirm = datetime.now(UTC), _confirm_send if asks else (lambda plan: True)
    options = Options(force=force, resend_uncertain=resend_uncertain, dry_run=dry_run)
    with _reported(), _period_errors(), _interrupted("run send again to reach the rest"):
        try:
            report = send_digest(
                root,
                period,
                now,
                as_of or now,
                recipients,
                Secrets.of(os.environ),
                confirm,
                options,
            )
        except QuietPeriod as exc:
            click.echo(f"nothing to send: {exc}")
            return
    click.echo("\n".join(report.lines()))
    if report.refused or report.declined:
        raise SystemExit(1)


def _confirm_send(plan: Any) -> bool:
    """Show what is about to go to the whole list, and ask."""
    click.echo("\n".join(plan.summary()))
    return click.confirm("Send it now?", default=False)


@cli.command("unsubscribe-token")
@click.argument("mailbox", metavar="ADDRESS", callback=_addresses)
@click.option("--verify", metavar="TOKEN", help="Check TOKEN instead of printing one.")
def unsubscribe_token(mailbox: Any, verify: str | None) -> None:
    """Print the unsubscribe token of ADDRESS, or check one, for the unsubscribe page.

    The token is the hex HMAC-SHA256 of the address (lower-case, without a display
    name), keyed by the secret in NEWSLETTER_UNSUBSCRIBE_SECRET.

    \b
    Example:
      newsletter unsubscribe-token alice@example.org
      newsletter unsubscribe-token alice@example.org --verify 3f5a...
    """
    from newsletter.commands.unsubscribe import token_answer

    with _reported():
        good, answer = token_answer(mailbox, os.environ, verify)
    click.echo(answer)
    if not good:
        raise SystemExit(1)


@contextmanager
def _period_errors() -> Iterator[None]:
    """Turn a PERIOD the core cannot read into a usage error."""
    from newsletter.domain.periods import BadPeriod

    try:
        yield
    except BadPeriod as exc:
        raise click.BadParameter(str(exc), param_hint="PERIOD") from None


@contextmanager
def _interrupted(advice: str) -> Iterator[None]:
    """Say what to do after Ctrl-C, instead of a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"Interrupted: {advice}.", err=True)
        raise SystemExit(130) from None


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
