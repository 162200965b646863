"""The CI recipes: the pre-commit hook and the example workflow run real commands."""

from __future__ import annotations

import re
import shlex

import yaml
from click.testing import CliRunner
from conftest import REPO

from newsletter.cli import cli


def test_the_pre_commit_hook_runs_check_on_items_and_config() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks == [
        {
            "id": "newsletter-check",
            "name": "newsletter check",
            "description": (
                "Validate newsletter.yaml and every news item (file:line: field: message)."
            ),
            "entry": "newsletter check",
            "language": "python",
            "files": r"^(items/.*\.ya?ml|newsletter\.yaml)$",
            "pass_filenames": False,
        }
    ]
    pattern = re.compile(hooks[0]["files"])
    matched = ["items/a.yaml", "items/2024/b.yml", "newsletter.yaml"]
    assert [name for name in [*matched, "README.md", "out/x.yaml"] if pattern.match(name)] == (
        matched
    )


def test_the_workflow_checks_builds_publishes_and_sends() -> None:
    workflow = yaml.safe_load((REPO / "docs" / "publish-workflow.yml").read_text("utf-8"))
    runs = [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]
    assert runs == [
        "pip install .",
        "newsletter check",
        "newsletter build",
        "pip install .",
        "newsletter send latest",
    ]
    for run in runs:
        words = shlex.split(run)
        if words[0] == "newsletter":
            result = CliRunner().invoke(cli, [*words[1:], "--help"])
            assert result.exit_code == 0, result.output
