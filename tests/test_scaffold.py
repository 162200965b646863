"""newsletter new: a pre-filled item that passes check as written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO

from newsletter.cli import cli

# The sample project pastes HTML into one body, on purpose: it must stay text.
LECTURE_HTML = (
    "items/lecture.yaml:9: warning: body: <b> is HTML, which is shown as text, not applied;"
    " write **bold** instead"
)


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    return result.exit_code, result.output


def write_story(path: Path) -> None:
    """Do what the writer does: replace the example text with the story."""
    text = path.read_text(encoding="utf-8")
    start = text.index("  Write the story here")
    end = text.index("# authors:")
    path.write_text(text[:start] + "  The story.\n" + text[end:], encoding="utf-8")


def test_new_writes_an_item_that_passes_check_once_written(project: Path) -> None:
    code, output = run(project, "new", "Kong\u00b4s lecture on æøå", "--date", "2024-05-02")
    path = project / "items" / "2024-05-02-kongs-lecture-on-aeoa.yaml"
    assert (code, output) == (0, f"{path}\n")
    assert path.read_text(encoding="utf-8") == (
        "title: Kong\u00b4s lecture on æøå\n"
        "date: 2024-05-02\n"
        "id: 2024-05-02-kongs-lecture-on-aeoa  # never change it: readers know the item by it\n"
        "# kicker: Guest lecture                 # a short lead-in shown before the title\n"
        "# summary: One or two plain sentences.  # default: the first paragraph of body\n"
        "body: |\n"
        "  Write the story here in Markdown: a blank line starts a new paragraph,\n"
        "  *italics*, **bold** and [links](https://example.org) work.\n"
        "# authors: [Your Name]\n"
        "# department: Department of Molecular Cell Biology\n"
        "# tags: [lecture]\n"
        "# image:\n"
        "#   src: images/picture.jpg               # a file in images/, or an https URL\n"
        "#   alt: What the picture shows           # required with an image\n"
        '#   credit: "Photo: Name"\n'
        '# link: https://example.org/full-story    # an external "Read more"\n'
        "# updated: 2024-05-02T12:00              # when readers should see a change\n"
        "# lang: nb                                # default: the site's language\n"
        "# draft: true                             # keeps the item out of every output\n"
    )
    assert run(project, "check") == (
        1,
        "items/2024-05-02-kongs-lecture-on-aeoa.yaml:7: body: still holds the example text"
        f" that newsletter new wrote; write the story\n{LECTURE_HTML}\n1 error, 1 warning.\n",
    )
    write_story(path)
    assert run(project, "check") == (0, f"{LECTURE_HTML}\nChecked 7 items: 0 errors, 1 warning.\n")
    renamed = path.with_name("renamed.yaml")
    path.rename(renamed)
    assert yaml.safe_load(renamed.read_text("utf-8"))["id"] == "2024-05-02-kongs-lecture-on-aeoa"


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
    write_story(path)
    assert run(project, "check") == (0, f"{LECTURE_HTML}\nChecked 7 items: 0 errors, 1 warning.\n")


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


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", 'is empty; give the item\'s headline, such as "Guest lecture"'),
        ("   ", 'is empty; give the item\'s headline, such as "Guest lecture"'),
        ("Bell\x07 here", "holds a control character (U+0007); remove it"),
        ("Two\nlines", "holds a control character (U+000A); remove it"),
    ],
)
def test_new_refuses_a_title_it_cannot_write(project: Path, title: str, message: str) -> None:
    code, output = run(project, "new", title)
    assert code == 2
    assert output.endswith(f"Error: Invalid value for 'TITLE': {message}\n")
    assert sorted(p.name for p in (project / "items").iterdir()) == sorted(
        p.name for p in (REPO / "tests" / "site" / "items").iterdir()
    )


def test_new_cuts_a_long_title_at_a_word_and_names_other_scripts_by_a_hash(
    project: Path,
) -> None:
    code, output = run(project, "new", "Telomere " * 60, "--date", "2024-05-02")
    assert code == 0
    long_words = output.strip()
    assert Path(long_words).name == "2024-05-02-" + "-".join(["telomere"] * 6) + ".yaml"
    one_word = run(project, "new", "x" * 500, "--date", "2024-05-02")[1].strip()
    assert one_word.endswith("2024-05-02-" + "x" * 60 + ".yaml")
    hebrew = run(project, "new", "הרצאה אורחת", "--date", "2024-05-02")[1].strip()
    japanese = run(project, "new", "ゲスト講演", "--date", "2024-05-02")[1].strip()
    assert Path(hebrew).name.startswith("2024-05-02-item-") and hebrew != japanese
    for path in (long_words, one_word, hebrew, japanese):
        write_story(Path(path))
    code, output = run(project, "check")
    assert (code, output.splitlines()[-1]) == (0, "Checked 10 items: 0 errors, 1 warning.")
