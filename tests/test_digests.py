# ruff: noqa: RUF001  (the spans are typeset with en dashes)
"""Digests: which items and events each holds, the build's digests, size budget, CLI."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from click.testing import CliRunner
from conftest import newsletter_here

from newsletter.cli import cli
from newsletter.commands.build import build
from newsletter.commands.digest import QuietPeriod, chosen_digest, write_digest
from newsletter.core.errors import NewsletterError
from newsletter.domain.digests import group_into_digests
from newsletter.engine import digestjobs
from newsletter.engine.itemcache import load_catalog
from newsletter.sources.config import load_config
from newsletter.sources.items import load_items

OSLO = ZoneInfo("Europe/Oslo")
AS_OF = datetime(2024, 4, 30, 12, tzinfo=OSLO)


def digests_of(project: Path, as_of: datetime = AS_OF) -> dict[str, tuple[list[str], list[str]]]:
    config = load_config(project)
    items = [i for i in load_items(project, config).items if not i.draft and i.published <= as_of]
    return {
        d.period.key: ([i.id for i in d.items], [i.id for i in d.events])
        for d in group_into_digests(items, config, as_of)
    }


def add_item(project: Path, name: str, text: str) -> None:
    (project / "items" / f"{name}.yaml").write_text(text, encoding="utf-8")


def test_each_complete_week_with_something_to_say_has_a_digest(project: Path) -> None:
    assert digests_of(project) == {
        "2024-W09": (["older"], []),
        "2024-W15": (["lecture"], []),  # announced this week: news, not an event again
        "2024-W16": (["symbols", "norsk"], []),
    }


def test_the_week_in_progress_and_later_items_are_left_out(project: Path) -> None:
    assert digests_of(project, datetime(2024, 4, 21, 23, 59, tzinfo=OSLO)) == {
        "2024-W09": (["older"], []),
        "2024-W15": (["lecture"], []),
    }


def test_upcoming_events_are_those_known_by_the_end_within_the_window(project: Path) -> None:
    event = "event: {{start: {start}}}\n"
    add_item(
        project,
        "soon",
        "title: Soon\ndate: 2024-04-03\nbody: x\n" + event.format(start="2024-04-14"),
    )
    add_item(
        project,
        "edge",
        "title: Edge\ndate: 2024-04-03\nbody: x\n" + event.format(start="2024-04-28"),
    )
    add_item(
        project, "far", "title: Far\ndate: 2024-04-03\nbody: x\n" + event.format(start="2024-04-29")
    )
    add_item(
        project,
        "late",
        "title: Late\ndate: 2024-04-15\nbody: x\n" + event.format(start="2024-04-20"),
    )
    found = digests_of(project)
    # W14 ends Monday 8 April: events from then to 22 April 00:00 would be upcoming, but
    # "soon" was announced in W14 itself: it is listed once, as news.
    assert found["2024-W14"] == (["soon", "far", "edge"], [])
    # W15 ends 15 April: its window runs to 29 April 00:00; "late" was not known yet,
    # and "lecture" is this week's news.
    assert found["2024-W15"] == (["lecture"], ["edge"])
    assert found["2024-W16"] == (["symbols", "norsk", "late"], ["edge", "far"])


def test_adding_items_later_never_changes_an_earlier_digest(project: Path, tmp_path: Path) -> None:
    build(project, tmp_path / "before", date(2024, 4, 30))
    add_item(
        project,
        "added",
        "title: Added afterwards\ndate: 2024-04-15T00:00\nbody: x\n"
        "event: {start: 2024-04-20T10:00}\n",
    )
    build(project, tmp_path / "after", date(2024, 4, 30))
    for name in ("index.html", "email.html", "email.txt", "email.eml"):
        before = (tmp_path / "before/digests/2024-W15" / name).read_bytes()
        assert (tmp_path / "after/digests/2024-W15" / name).read_bytes() == before
    assert b"Added afterwards" in (tmp_path / "after/digests/2024-W16/email.txt").read_bytes()


def test_a_digest_read_for_itself_holds_what_the_builds_does(project: Path) -> None:
    """The digest command decodes only the items its period can hold, and any changed
    since: with an event added far ahead, every week's digest still comes out as the
    whole catalog gives it."""
    add_item(
        project, "ahead", "title: Ahead\ndate: 2024-02-27\nbody: x\nevent: {start: 2024-04-09}\n"
    )
    expected = {key: ids for key, ids in digests_of(project).items()}
    load_catalog(project)  # as a build leaves the cache: every item's dates known
    config = load_config(project)
    for key, ids in expected.items():
        digest = chosen_digest(project, config, key, AS_OF)
        assert ([i.id for i in digest.items], [i.id for i in digest.events]) == ids
    assert expected["2024-W14"] == ([], ["ahead"])  # an event only: found by its start


def test_a_digest_after_a_build_is_the_builds_and_follows_an_edit(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build(project, out, date(2024, 4, 30))
    built = {p.name: p.read_bytes() for p in (out / "digests/2024-W16").iterdir()}
    written = write_digest(project, tmp_path / "again", "2024-W16", date(2024, 4, 30))
    alone = {p.name: p.read_bytes() for p in written.iterdir()}
    # A digest written on its own knows no other: its page links no previous digest.
    pager = re.compile(rb'<nav class="pager".*?</nav>\n', re.S)
    assert pager.search(built.pop("index.html"))
    assert alone.pop("index.html") == pager.sub(
        b"", (out / "digests/2024-W16/index.html").read_bytes()
    )
    assert alone == built  # the email, as the build made it
    path = project / "items" / "symbols.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace('title: "', 'title: "Edited ', 1), "utf-8")
    written = write_digest(project, tmp_path / "again", "2024-W16", date(2024, 4, 30))
    assert b"Edited Fish" in (written / "email.txt").read_bytes()
    assert b"Edited Fish" not in built["email.txt"]


def test_a_digest_after_a_build_takes_the_email_the_build_made(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build(project, out, date(2024, 4, 30))

    def render_again(*_: object) -> None:
        raise AssertionError("the email was rendered again")

    monkeypatch.setattr(digestjobs, "render_email", render_again)
    written = write_digest(project, tmp_path / "again", "2024-W16", date(2024, 4, 30))
    for name in ("email.html", "email.txt", "email.eml"):
        assert (written / name).read_bytes() == (out / "digests/2024-W16" / name).read_bytes()


def test_digest_in_the_project_folder_takes_the_email_of_an_earlier_build(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a person runs it: a build as of a past day, then `newsletter digest PERIOD`
    # with no other option, as of now, with out/ where the build put it.
    assert newsletter_here(project, "build", "--as-of", "2024-04-30").returncode == 0
    folder = project / "out" / "digests" / "2024-W16"
    built = {name: (folder / name).read_bytes() for name in ("email.html", "email.txt")}

    def render_again(*_: object) -> None:
        raise AssertionError("the email was rendered again")

    monkeypatch.setattr(digestjobs, "render_email", render_again)
    done = newsletter_here(project, "digest", "2024-W16")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Wrote out/digests/2024-W16: ")
    assert {name: (folder / name).read_bytes() for name in built} == built


def test_a_digest_reports_an_error_in_any_item_changed_since(project: Path) -> None:
    load_catalog(project)
    add_item(project, "broken", "title: Broken\ndate: 2023-01-05\n")  # years before
    with pytest.raises(NewsletterError) as raised:
        chosen_digest(project, load_config(project), "2024-W16", AS_OF)
    assert "items/broken.yaml" in str(raised.value)


def test_build_writes_the_archive_and_shows_the_latest_digest(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build(project, out, date(2024, 4, 30))
    assert sorted(p.name for p in (out / "digests").iterdir()) == [
        "2024-W09",
        "2024-W15",
        "2024-W16",
        "digests.atom",
        "index.html",
    ]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert (
        '<p class="event">Latest digest: <a href="https://news.example.org/test/digests/'
        '2024-W16/index.html">Week 16, 2024</a> (15\u2009–\u200921 April 2024)'
    ) in index
    archive = (out / "digests/index.html").read_text(encoding="utf-8")
    assert archive.index("2024-W16/index.html") < archive.index("2024-W15/index.html")
    assert '<p class="meta">8\u2009–\u200914 April 2024 · 1 item</p>' in archive
    feed = feedparser.parse((out / "digests/digests.atom").read_bytes())
    assert feed.bozo == 0
    assert [e.id for e in feed.entries] == [
        "tag:example.org,2024:digests/2024-W16",
        "tag:example.org,2024:digests/2024-W15",
        "tag:example.org,2024:digests/2024-W09",
    ]
    assert feed.entries[0].title == "Week 16, 2024 (15\u2009–\u200921 April 2024)"
    assert feed.entries[0].link == "https://news.example.org/test/digests/2024-W16/index.html"
    assert feed.entries[0].updated == "2024-04-22T00:00:00+02:00"
    assert feed.feed.updated == "2024-04-22T00:00:00+02:00"


def test_write_digest_replaces_only_its_own_folder(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out, date(2024, 4, 30))
    (out / "digests/2024-W16/stale.txt").write_text("old", encoding="utf-8")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    folder = write_digest(project, out, "2024-W16", date(2024, 4, 30))
    assert folder == out / "digests" / "2024-W16"
    after = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert after == [p for p in before if p.name != "stale.txt"]


def test_a_period_with_nothing_to_say_has_no_digest(project: Path, tmp_path: Path) -> None:
    with pytest.raises(QuietPeriod) as raised:
        write_digest(project, tmp_path, "2024-W12", date(2024, 4, 30))
    assert str(raised.value) == "no news in Week 12, 2024"
    assert not (tmp_path / "digests").exists()


def long_items(root: Path, count: int) -> None:
    items = root / "items"
    items.mkdir()
    words = "Researchers at the institute describe how tumour cells escape the immune system"
    for n in range(count):
        (items / f"long-{n:02d}.yaml").write_text(
            f"title: {words} and what it means for treatment, part {n}\n"
            f"kicker: New publication in a leading journal\n"
            f"date: 2024-04-{15 + n % 7:02d}T{8 + n % 9:02d}:00\n"
            f"department: Department of Molecular Cell Biology\n"
            f"summary: {(words + ', ') * 3}with results that may change treatment.\n"
            f"body: {(words + '. ') * 30}\n"
            f"image: {{src: https://images.example.org/long-{n}.jpg, alt: Researchers in the lab, "
            f"credit: 'Photo: Øystein H. Horgmo, UiO', width: 1200, height: 800}}\n",
            encoding="utf-8",
        )
        # Announced the week before, so that they are upcoming events, not news again.
        (items / f"event-{n:02d}.yaml").write_text(
            f"title: {words}, a lecture, part {n}\n"
            f"date: 2024-04-{8 + n % 7:02d}T{8 + n % 9:02d}:00\n"
            f"summary: {words}.\n"
            f"event: {{start: 2024-04-{22 + n % 7}T10:{n:02d}, location: 'Auditorium, "
            f"K-Building, Radiumhospitalet', host: Kjetil Taskén}}\n",
            encoding="utf-8",
        )


@pytest.fixture
def long_project(tmp_path: Path) -> Path:
    root = tmp_path / "long"
    root.mkdir()
    config = (Path(__file__).parent / "site/newsletter.yaml").read_text(encoding="utf-8")
    (root / "newsletter.yaml").write_text(config, encoding="utf-8")
    long_items(root, 20)
    return root


def set_budget(root: Path, kb: int) -> None:
    config = (Path(__file__).parent / "site/newsletter.yaml").read_text(encoding="utf-8")
    budget = f"digest: {{size_budget_kb: {kb}}}\n"
    (root / "newsletter.yaml").write_text(config + budget, encoding="utf-8")


def test_twenty_long_items_stay_well_under_the_size_budget(long_project: Path) -> None:
    folder = write_digest(long_project, long_project / "out", "2024-W16", date(2024, 4, 30))
    html = (folder / "email.html").read_bytes()
    assert html.count(b'class="lead"') == 1
    assert html.count(b'class="item"') == 19
    assert html.count(b'class="event"') == 20
    assert len(html) < 102_000 * 0.8  # 20 long items and 20 events: about 79 kB


def test_a_digest_near_its_budget_warns_and_one_over_it_fails(long_project: Path) -> None:
    out = long_project / "out"
    size = (write_digest(long_project, out, "2024-W16", date(2024, 4, 30)) / "email.html").stat()
    kb = math.ceil(size.st_size / 1000)
    set_budget(long_project, kb)
    report = build(long_project, out, date(2024, 4, 30))
    assert [str(p) for p in report.warnings] == [
        f"digests/2024-W16/email.html: warning: is {size.st_size / 1000:.1f} kB, over 90 % "
        f"of digest.size_budget_kb ({kb} kB); Gmail clips beyond it"
    ]
    set_budget(long_project, kb - 1)
    with pytest.raises(NewsletterError) as raised:
        build(long_project, tmp := long_project / "other", date(2024, 4, 30))
    assert str(raised.value) == (
        f"digests/2024-W16/email.html: is {size.st_size / 1000:.1f} kB, over "
        f"digest.size_budget_kb ({kb - 1} kB); Gmail clips it. Split the period's items"
    )
    assert not tmp.exists()


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--root", str(project), *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_digest_writes_the_folder_and_says_so(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = project / "out"
    assert run(project, "digest", "2024-W15", "--as-of", "2024-04-30") == (
        0,
        f"Wrote {out}/digests/2024-W15: Week 15, 2024 (8–14 April 2024), 1 item; "
        "email.html 9.8 kB.\n",
        "",
    )
    assert run(project, "digest", "--as-of", "2024-04-23", "--out", "x") == (
        0,
        "Wrote x/digests/2024-W16: Week 16, 2024 (15–21 April 2024), 2 items; "
        "email.html 10.8 kB.\n",
        "",
    )
    assert (tmp_path / "x/digests/2024-W16/email.eml").is_file()


def test_cli_digest_of_a_week_in_progress_is_a_preview(project: Path) -> None:
    code, output, _ = run(project, "digest", "2024-W16", "--as-of", "2024-04-16T12:00")
    assert (code, output.split(": ", 1)[1]) == (
        0,
        "Week 16, 2024 (15–21 April 2024) (preview: the week is not over), 2 items; "
        "email.html 10.8 kB.\n",
    )


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2024-W99", "'2024-W99' is not a period; give a week such as 2024-W16, or latest"),
        ("2024-04", "'2024-04': this site's digests are weekly; give a week such as 2024-W16"),
    ],
)
def test_cli_digest_refuses_an_impossible_period(project: Path, period: str, message: str) -> None:
    code, output, error = run(project, "digest", period)
    assert (code, output) == (2, "")
    assert error.endswith(f"Error: Invalid value for PERIOD: {message}\n")


def test_cli_digest_of_a_quiet_week_is_not_a_failure(project: Path) -> None:
    assert run(project, "digest", "2024-W12", "--as-of", "2024-04-30") == (
        0,
        "nothing to write: no news in Week 12, 2024\n",
        "",
    )
    assert run(project, "digest", "latest", "--as-of", "2024-03-25") == (
        0,
        "nothing to write: no news in Week 12, 2024\n",
        "",
    )
    assert not (project / "out").exists()


def test_cli_digest_help_has_an_example(project: Path) -> None:
    code, output, _ = run(project, "digest", "--help")
    assert code == 0
    assert "newsletter digest 2024-W16 --as-of 2024-04-30" in output
