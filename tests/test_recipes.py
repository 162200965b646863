"""The CI recipes: the pre-commit hook and the example workflow run real commands."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

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
    jobs = workflow["jobs"]
    commands = [
        line.strip()
        for job in jobs.values()
        for step in job["steps"]
        for line in step.get("run", "").splitlines()
        if line.strip().startswith("newsletter ")
    ]
    assert commands == ["newsletter check", "newsletter build", "newsletter send latest --yes"]
    for command in commands:
        result = CliRunner().invoke(cli, [*shlex.split(command)[1:], "--help"])
        assert result.exit_code == 0, result.output


def test_the_workflow_keeps_the_cache_and_never_sends_without_the_send_log() -> None:
    workflow = yaml.safe_load((REPO / "docs" / "publish-workflow.yml").read_text("utf-8"))
    build, send = workflow["jobs"]["build"]["steps"], workflow["jobs"]["send"]["steps"]
    (cache,) = [step for step in build if step.get("uses", "").startswith("actions/cache@")]
    assert ".newsletter/cache.sqlite" in cache["with"]["path"]
    assert not any(step.get("uses", "").startswith("actions/cache@") for step in send)
    names = [step.get("name") or step.get("run") or step["uses"] for step in send]
    restore, sending = (
        names.index("Restore the send log, or stop"),
        names.index("newsletter send latest --yes"),
    )
    assert restore < sending
    assert "exit 1" in send[restore]["run"]
    (back,) = [step for step in send if step.get("name", "").startswith("Commit the send log")]
    assert back["if"] == "always()" and "git push" in back["run"]
    assert workflow["jobs"]["send"]["concurrency"]["group"] == "send"


def test_the_send_job_stops_when_the_send_log_is_missing(tmp_path: Path) -> None:
    workflow = yaml.safe_load((REPO / "docs" / "publish-workflow.yml").read_text("utf-8"))
    (step,) = [
        s for s in workflow["jobs"]["send"]["steps"] if s.get("name", "").startswith("Restore")
    ]

    def restore(first_send: str) -> subprocess.CompletedProcess[str]:
        script = step["run"].replace("${{ vars.NEWSLETTER_FIRST_SEND }}", first_send)
        return subprocess.run(
            ["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True
        )

    (tmp_path / "send-log").mkdir()
    missing = restore("")
    assert missing.returncode == 1
    assert missing.stdout.startswith("::error::send-log/sent.sqlite is missing;")
    assert restore("true").returncode == 0  # the very first send, on purpose
    (tmp_path / "send-log" / "sent.sqlite").write_bytes(b"the log")
    assert restore("").returncode == 0
    assert (tmp_path / ".newsletter" / "sent.sqlite").read_bytes() == b"the log"
