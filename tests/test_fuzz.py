"""Random items and configurations through check and build: never a traceback, a hang or
a feed a reader refuses. Bounded to about half a minute in all."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser
import icalendar
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.cli import cli

SITE = Path(__file__).parent / "site"
HANG = 20  # seconds one command may take before it counts as hung
CONFIG = {"title": "Fuzz", "base_url": "https://news.example.org/", "timezone": "Europe/Oslo"}

# Text as writers paste it: any character, control characters included.
raw = st.text(st.characters(codec="utf-8"), max_size=40)
# Text that passes: no control characters, but markup, entities, emoji, right-to-left.
plain = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Co", "Cn"]),
    min_size=1,
    max_size=40,
).filter(str.strip) | st.sampled_from(
    ["<b>x</b> & y", "]]> --> \u202e", "Fish & chips 🔬", "&amp;"]
)
huge = st.integers(1, 120_000).map(lambda n: "x" * n)
moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30))
good_dates = (
    moments.map(lambda m: m.strftime("%Y-%m-%dT%H:%M"))
    | moments.map(lambda m: m.strftime("%Y-%m-%d"))
    | moments.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%S+14:00"))
)
odd_dates = st.sampled_from(
    [
        "0001-01-01",
        "9999-12-31",
        "9999-12-31T23:59-12:00",
        "0001-01-01T00:00+14:00",
        "2024-02-30",
        "2024-03-31T02:30",
        "2024-13-01",
        "1899-12-31",
        "2200-12-31T23:59:59-23:59",
        "2024-04-10T25:00",
        "1e9",
        "",
    ]
)
dates = good_dates | good_dates | odd_dates
good_urls = st.builds(
    "https://example.org/{}".format, st.text("abc/?=&%#é~-_.", max_size=20)
) | st.sampled_from(["images/x.jpg", "mailto:news@example.org", "http://localhost:8000/a"])
odd_urls = st.sampled_from(
    [
        "data:text/html,x",
        "javascript:alert(1)",
        "//evil.org/x",
        "http://",
        "https://example.org/a b",
        "../../etc/passwd",
        "&#100;ata:x",
        " https://example.org/ ",
        "https://[::1",
        "ftp://example.org/",
        "https://例え.jp/a/",
        "https://a:b@example.org/",
        "https://example.org:99999/",
        "https://a..b/",
    ]
)
urls = good_urls | good_urls | odd_urls
markdown = st.lists(
    plain
    | st.sampled_from(
        [
            "# Heading",
            "*em* **strong**",
            "[link](https://example.org/x)",
            "![pic](images/p.jpg)",
            "<https://example.org>",
            "`code <b>`",
            "```\n<div>\n```",
            "> quote",
            "- item",
            "1. one",
            "[ref]\n\n[ref]: https://example.org/r",
            "line  \nbreak",
            "---",
            "\\*",
            "&copy; &#0; &#x110000;",
            "[a](data:x)",
            "<b>x</b>",
            "> - " * 120 + "x",
            "*" * 3000 + "a" + "*" * 3000,
            "[" * 2000 + "a" + "]" * 2000,
        ]
    ),
    min_size=1,
    max_size=8,
).map("\n\n".join)
odd = st.one_of(raw, huge, st.integers(), st.floats(), st.booleans(), st.none(), st.lists(raw))


def item_fields(good: bool) -> st.SearchStrategy[dict[str, Any]]:
    """An item's fields: every one valid (GOOD), or any of them odd."""
    text = plain if good else plain | raw | odd
    when = good_dates if good else dates
    link = good_urls if good else urls
    return st.fixed_dictionaries(
        {
            "title": plain if good else plain | raw | huge,
            "date": when,
            "body": markdown if good else markdown | raw | huge,
        },
        optional={
            "id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,30}", fullmatch=True),
            "summary": plain if good else plain | huge,
            "kicker": text,
            "authors": st.lists(text, max_size=3),
            "department": text,
            "tags": st.lists(text, max_size=4),
            "image": st.fixed_dictionaries({"src": link, "alt": text}, optional={"credit": text}),
            "link": link.filter(lambda url: url.startswith("https")) if good else link,
            "lang": st.sampled_from(["en", "nb", "no", "en-GB"] + ([] if good else ["x", "a\n"])),
            "event": st.fixed_dictionaries(
                {"start": when}, optional={"host": text, "location": text}
            ),
            "draft": st.booleans(),
            **({} if good else {"updated": dates, "extra": odd}),
        },
    )


def config_settings(good: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Settings: every one valid (GOOD), or any of them odd."""
    text = plain if good else plain | raw
    odd_choices = [] if good else ["fr", "en\n", "x"]
    return st.fixed_dictionaries(
        {},
        optional={
            "title": text,
            "description": text,
            "base_url": st.sampled_from(["https://a.example.org/x/", "http://localhost:8000/"])
            if good
            else urls,
            "language": st.sampled_from(["en", "nb", "nb-NO", *odd_choices]),
            "timezone": st.sampled_from(["UTC", "Europe/Oslo", "Pacific/Kiritimati", "Etc/GMT+12"]),
            "author": st.fixed_dictionaries({}, optional={"name": text}),
            "email": st.fixed_dictionaries(
                {}, optional={"from": st.just("A <a@example.org>") if good else text}
            ),
            "feed": st.fixed_dictionaries({"entries": st.integers(1 if good else -5, 60)}),
            "digest": st.fixed_dictionaries(
                {"period": st.sampled_from(["weekly", "monthly", *odd_choices])},
                optional={"upcoming_events_days": st.integers(0 if good else -1, 366)},
            ),
            **({} if good else {"id_authority": text, "extra": odd}),
        },
    )


items = st.booleans().flatmap(item_fields)
configs = st.booleans().flatmap(config_settings)
mangles = st.none() | st.none() | st.sampled_from(["\t", ": ", '"', "\n  - ", "&a ", "*a", "---\n"])


def as_yaml(value: Any, mangle: str | None) -> bytes:
    """Write VALUE as YAML, then, if MANGLE, damage it the way an editor might."""
    written = yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
    if mangle is not None:
        cut = len(written) // 2
        written = written[:cut] + mangle + written[cut:]
    return written.encode("utf-8", "surrogatepass")


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in a command that takes longer than SECONDS: a hang."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(root: Path, *args: str) -> int:
    """Run a command; fail on anything but a clean exit 0, 1 or 2."""
    with deadline(HANG):
        result = CliRunner().invoke(cli, ["--root", str(root), *args])
    if not isinstance(result.exception, SystemExit | None):
        raise AssertionError(f"{args[0]} crashed:\n{result.output}") from result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code:
        assert result.output.strip(), "a failure must say why"
    return result.exit_code


def check_and_build(root: Path) -> None:
    run(root, "check")
    if run(root, "build", "--as-of", "2024-06-30", "--jobs", "1") != 0:
        return
    out = root / "out"
    for name in ("feed.atom", "feed.rss"):
        parsed = feedparser.parse((out / name).read_bytes())
        assert parsed.bozo == 0, (name, parsed.bozo_exception)
    json.loads((out / "feed.json").read_bytes())
    for feed in [*(out / "tags").glob("*.atom"), *(out / "tags").glob("*.rss")]:
        assert feedparser.parse(feed.read_bytes()).bozo == 0, feed.name
    icalendar.Calendar.from_ical((out / "events.ics").read_bytes())


@contextmanager
def project(config: bytes, files: dict[str, bytes]) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        (root / "newsletter.yaml").write_bytes(config)
        (root / "items").mkdir()
        for name, data in files.items():
            (root / "items" / name).write_bytes(data)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
sample = {path.name: path.read_bytes() for path in (SITE / "items").iterdir()}


@FUZZ
@given(st.lists(items, min_size=1, max_size=3), st.lists(mangles, min_size=3, max_size=3))
def test_random_items_are_checked_and_built_or_refused_cleanly(
    drawn: list[dict[str, Any]], damage: list[str | None]
) -> None:
    files = {f"fuzz-{n}.yaml": as_yaml(item, damage[n]) for n, item in enumerate(drawn)}
    with project(as_yaml(CONFIG, None), {**sample, **files}) as root:
        check_and_build(root)


@FUZZ
@given(configs, mangles)
def test_random_configurations_are_checked_and_built_or_refused_cleanly(
    config: dict[str, Any], damage: str | None
) -> None:
    with project(as_yaml({**CONFIG, **config}, damage), sample) as root:
        check_and_build(root)


@FUZZ
@given(st.binary(max_size=2_000))
def test_random_bytes_as_an_item_are_refused_cleanly(data: bytes) -> None:
    with project(as_yaml(CONFIG, None), {**sample, "bytes.yaml": data}) as root:
        run(root, "check")
