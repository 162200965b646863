"""The command line: help everywhere, exact messages, the right exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from newsletter.cli import cli


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="newsletter")
    return result.exit_code, result.output


@pytest.mark.parametrize("name", sorted(cli.commands))  # type: ignore[attr-defined]
def test_every_command_and_option_has_help_with_an_example(name: str) -> None:
    command = cli.commands[name]  # type: ignore[attr-defined]
    exit_code, output = invoke(name, "--help")
    assert exit_code == 0
    assert "Example" in output, f"{name} --help shows no example"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} has no help"


def test_top_level_help_lists_commands() -> None:
    exit_code, output = invoke("--help")
    assert exit_code == 0
    assert "check" in output and "build" in output and "--root" in output


# The sample project pastes HTML into one body, on purpose: it must stay text.
LECTURE_HTML = (
    "items/lecture.yaml:9: warning: body: <b> is HTML, which is shown as text, not applied;"
    " write **bold** instead\n"
)


def test_check_passes_on_the_sample_project(project: Path) -> None:
    assert invoke("--root", str(project), "check") == (
        0,
        LECTURE_HTML + "Checked 6 items: 0 errors, 1 warning.\n",
    )


def test_check_prints_warnings_and_passes(project: Path) -> None:
    item = project / "items" / "lecture.yaml"
    item.write_text(item.read_text("utf-8").replace('  credit: "Photo: CNIO"\n', ""), "utf-8")
    assert invoke("--root", str(project), "check") == (
        0,
        LECTURE_HTML
        + "items/lecture.yaml:12: warning: image.credit: the image has no credit; say who made it\n"
        "Checked 6 items: 0 errors, 2 warnings.\n",
    )
    assert invoke("--root", str(project), "check", "--strict") == (
        1,
        LECTURE_HTML.replace("warning: ", "")
        + "items/lecture.yaml:12: image.credit: the image has no credit; say who made it\n"
        "2 errors.\n",
    )


def test_build_summary(project: Path) -> None:
    out = project / "public"
    exit_code, output = invoke(
        "--root", str(project), "build", "--out", str(out), "--as-of", "2024-04-30"
    )
    assert exit_code == 0
    lines = output.removeprefix(LECTURE_HTML).splitlines()
    assert lines[0].startswith(f"Built {out}: 4 items published (2 drafts or scheduled), ")
    assert lines[1:] == [
        "  held back: items/draft.yaml: a draft, dated 2024-04-12 00:00",
        "  held back: items/scheduled.yaml: scheduled for 2024-05-02 08:00",
    ]
    assert (out / "feed.atom").exists()
    again = invoke("--root", str(project), "build", "--out", str(out), "--as-of", "2024-04-30")
    assert again[1].splitlines()[-2:] == lines[1:]  # the same when nothing had to be built


def test_bad_as_of_is_a_usage_error(project: Path) -> None:
    exit_code, output = invoke("--root", str(project), "build", "--as-of", "next week")
    assert (exit_code, output.splitlines()[-1]) == (
        2,
        "Error: Invalid value for '--as-of': expected a date like 2024-04-19 or a time like "
        "2024-04-19T10:30, got 'next week'",
    )


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["build", "--as-of", "1899-12-31"], "Invalid value for '--as-of'"),
        (["digest", "2201-W01"], "Invalid value for '[PERIOD]'"),
    ],
)
def test_a_year_no_news_can_have_is_a_usage_error(
    project: Path, args: list[str], shown: str
) -> None:
    exit_code, output = invoke("--root", str(project), *args)
    year = args[-1][:4]
    assert (exit_code, output.splitlines()[-1]) == (
        2,
        f"Error: {shown}: expected a year between 1900 and 2200, got {year}",
    )


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("", "would replace the project itself; pick another folder"),
        ("items", "would replace the project itself; pick another folder"),
        (
            ".newsletter",
            "would replace the state folder, which holds the send log; pick another folder",
        ),
    ],
)
def test_out_never_replaces_the_project_or_its_state(
    project: Path, folder: str, message: str
) -> None:
    out = project / folder
    exit_code, output = invoke("--root", str(project), "build", "--out", str(out))
    assert (exit_code, output) == (1, f"Error: --out {out}: {message}\n")
    assert (project / "items" / "lecture.yaml").is_file()


def test_unknown_option_is_a_usage_error() -> None:
    exit_code, output = invoke("check", "--strikt")
    assert exit_code == 2
    assert output.endswith("Error: No such option '--strikt'. Did you mean '--strict'?\n")


def test_missing_configuration(tmp_path: Path) -> None:
    assert invoke("--root", str(tmp_path), "check") == (
        1,
        f"newsletter.yaml: not found in {tmp_path}; run newsletter where it is, or pass --root\n"
        "1 error.\n",
    )


def test_schema_is_json_schema_of_an_item() -> None:
    exit_code, output = invoke("schema")
    schema = json.loads(output)
    assert exit_code == 0
    assert schema["required"] == ["title", "date"]
    assert schema["additionalProperties"] is False
    assert "event" in schema["properties"]


def test_check_new_and_help_start_without_the_heavy_libraries(project: Path) -> None:
    code = (
        "import sys\n"
        "from newsletter.cli import main\n"
        "root = sys.argv[1]\n"
        "for argv in (['--help'], ['build', '--help'], ['--root', root, 'check'],\n"
        "             ['--root', root, 'new', 'A title', '--date', '2024-05-01']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('premailer', 'feedgen', 'lxml', 'icalendar')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(project)], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]"
    assert (project / "items" / "2024-05-01-a-title.yaml").exists()
