"""newsletter new: a pre-filled item that passes check as written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from click.testing import CliRunner
from conftest import REPO

from newsletter.cli import cli


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    return result.exit_code, result.output


def test_new_writes_an_item_that_passes_check(project: Path) -> None:
    code, output = run(project, "new", "Kong\u00b4s lecture on æøå", "--date", "2024-05-02")
    path = project / "items" / "2024-05-02-kongs-lecture-on-aeoa.yaml"
    assert (code, output) == (0, f"{path}\n")
    assert path.read_text(encoding="utf-8") == (
        "title: Kong\u00b4s lecture on æøå\n"
        "date: 2024-05-02\n"
        "# kicker: Guest lecture                 # a short lead-in shown before the title\n"
        "# summary: One or two plain sentences.  # default: the first paragraph of body\n"
        "body: |\n"
        "  Write the story here in Markdown: a blank line starts a new paragraph,\n"
        "  *italics*, **bold** and [links](https://example.org) work.\n"
        "# authors: [Your Name]\n"
        "# department: Department of Molecular Cell Biology\n"
        "# tags: [lecture]\n"
        "# image:\n"
        "#   src: https://example.org/picture.jpg  # or a path relative to base_url\n"
        "#   alt: What the picture shows           # required with an image\n"
        '#   credit: "Photo: Name"\n'
        '# link: https://example.org/full-story    # an external "Read more"\n'
        "# updated: 2024-05-02T12:00              # when readers should see a change\n"
        "# lang: nb                                # default: the site's language\n"
        "# draft: true                             # keeps the item out of every output\n"
    )
    assert run(project, "check") == (0, "Checked 7 items: 0 errors.\n")


def test_new_event_with_quotes_and_colons_passes_check(project: Path) -> None:
    title = 'Defence: "Telomeres" #1 - yes'
    code, output = run(
        project, "new", title, "--date", "2024-05-03", "--tag", "a, b", "--tag", "x: y", "--event"
    )
    path = project / "items" / "2024-05-03-defence-telomeres-1-yes.yaml"
    assert (code, output) == (0, f"{path}\n")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["title"] == title
    assert data["tags"] == ["a, b", "x: y"]
    assert data["event"] == {"start": "2024-05-03T10:00", "end": "2024-05-03T11:00"}
    assert run(project, "check") == (0, "Checked 7 items: 0 errors.\n")


def test_new_refuses_to_overwrite(project: Path) -> None:
    assert run(project, "new", "Same", "--date", "2024-05-02")[0] == 0
    before = (project / "items" / "2024-05-02-same.yaml").read_bytes()
    assert run(project, "new", "Same", "--date", "2024-05-02") == (
        1,
        "items/2024-05-02-same.yaml: already exists; edit it, or choose another title "
        "or --date\n1 error.\n",
    )
    assert (project / "items" / "2024-05-02-same.yaml").read_bytes() == before


def test_new_defaults_to_today_in_the_configured_zone(project: Path) -> None:
    before = datetime.now(UTC).astimezone(ZoneInfo("Europe/Oslo")).date()
    code, output = run(project, "new", "Today")
    after = datetime.now(UTC).astimezone(ZoneInfo("Europe/Oslo")).date()
    assert code == 0
    assert output in {f"{project}/items/{day}-today.yaml\n" for day in (before, after)}


def test_new_rejects_a_bad_date(project: Path) -> None:
    code, output = run(project, "new", "X", "--date", "2024-13-01")
    assert code == 2
    assert output.endswith(
        "Error: Invalid value for '--date': expected a date like 2024-04-19, got '2024-13-01'\n"
    )


def test_new_writes_the_schema_modeline_when_the_schema_is_there(project: Path) -> None:
    (project / "item.schema.json").write_text("{}", encoding="utf-8")
    run(project, "new", "With schema", "--date", "2024-05-02")
    text = (project / "items" / "2024-05-02-with-schema.yaml").read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=../item.schema.json\ntitle: With schema\n"
    )


def test_committed_schema_matches_the_schema_command() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    committed = (REPO / "item.schema.json").read_text(encoding="utf-8")
    assert committed == result.output
    assert json.loads(committed)["title"] == "newsletter item"
