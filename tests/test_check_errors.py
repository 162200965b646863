"""One minimal broken project per error case, its expected output beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli

INVALID = Path(__file__).parent / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def run_check(case: str, tmp_path: Path) -> tuple[int, str]:
    root = tmp_path / case
    shutil.copytree(INVALID / case, root)
    if not (root / "newsletter.yaml").exists():
        shutil.copy(INVALID / "newsletter.yaml", root)
    args = ["--root", str(root), "check"] + (["--strict"] if case.startswith("strict-") else [])
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES)
def test_broken_project_reports_each_problem(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    exit_code, output = run_check(case, tmp_path)
    expected = INVALID / case / "expected.txt"
    if request.config.getoption("--update-golden"):
        expected.write_text(output, encoding="utf-8")
    assert exit_code == 1
    assert output == expected.read_text(encoding="utf-8")
    assert "Traceback" not in output


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    run_check("python-tag", tmp_path)
    assert not (tmp_path / "python-tag" / "pwned").exists()
    assert not Path("pwned").exists()


def test_norwegian_no_stays_a_language_code(project: Path) -> None:
    item = project / "items" / "norsk.yaml"
    item.write_text(item.read_text(encoding="utf-8").replace("lang: nb", "lang: no"), "utf-8")
    result = CliRunner().invoke(cli, ["--root", str(project), "check"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["check", "build"])
def test_an_item_file_that_cannot_be_read_is_named(project: Path, command: str) -> None:
    (project / "items" / "gone.yaml").symlink_to(project / "items" / "moved-away.yaml")
    result = CliRunner().invoke(cli, ["--root", str(project), command])
    assert result.exit_code == 1
    assert "items/gone.yaml: cannot be read: No such file or directory" in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
