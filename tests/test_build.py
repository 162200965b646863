"""The build as a whole: reproducible to the byte, and never half-written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest

from newsletter.commands.build import build
from newsletter.core.errors import NewsletterError
from newsletter.engine.output import write_outputs
from newsletter.engine.workers import PARALLEL_MIN


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def build_in_subprocess(root: Path, out: Path, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "newsletter", "--root", str(root), "build", "--out", str(out)]
    subprocess.run(
        [*command, "--as-of", "2024-04-30"],
        check=True,
        env={**os.environ, **env},
        capture_output=True,
    )


@pytest.mark.long
def test_builds_are_byte_identical_across_zones_locales_and_file_order(
    project: Path, tmp_path: Path
) -> None:
    build_in_subprocess(project, tmp_path / "a", {"TZ": "Pacific/Kiritimati", "LC_ALL": "C"})
    reordered = tmp_path / "reordered"
    reordered.mkdir()
    shutil.copy(project / "newsletter.yaml", reordered)
    shutil.copytree(project / "images", reordered / "images")
    (reordered / "items").mkdir()
    for item in sorted((project / "items").iterdir(), reverse=True):
        shutil.copy(item, reordered / "items" / item.name)
    env = {"TZ": "America/Los_Angeles", "LC_ALL": "nb_NO.UTF-8", "LANG": "nb_NO.UTF-8"}
    build_in_subprocess(reordered, tmp_path / "b", env)
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert len(snapshot(tmp_path / "a")) > 10


def test_failed_build_leaves_previous_out_as_it_was(project: Path) -> None:
    out = project / "out"
    build(project, out, date(2024, 4, 30))
    before = snapshot(out)
    (project / "items" / "broken.yaml").write_text("title: [unclosed\n", "utf-8")
    with pytest.raises(NewsletterError):
        build(project, out, date(2024, 5, 30))
    assert snapshot(out) == before
    names = sorted(p.name for p in project.iterdir())
    assert names == [".newsletter", ".out.builds", "images", "items", "newsletter.yaml", "out"]
    assert sorted(p.name for p in (project / ".out.builds").iterdir()) == [".lock", "1"]


def test_failure_while_writing_leaves_out_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(out, {"index.html": b"old"})
    with pytest.raises(NewsletterError, match="a file is where") as caught:
        write_outputs(out, {"a": b"file", "a/b": b"under a file"})
    assert snapshot(out) == {"index.html": b"old"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert str(caught.value) == f"{out}/a/b: cannot be written: a file is where its folder would be"


class Interrupted(Mapping[str, bytes]):
    """Files whose writing is interrupted halfway, as by Ctrl-C."""

    def __init__(self) -> None:
        self.files = {f"page{i}.html": b"new" for i in range(10)}

    def __getitem__(self, key: str) -> bytes:
        return self.files[key]

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[str]:
        for index, key in enumerate(self.files):
            if index == 5:
                raise KeyboardInterrupt
            yield key


def test_interrupted_write_leaves_out_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(out, {"index.html": b"old"})
    with pytest.raises(KeyboardInterrupt):
        write_outputs(out, Interrupted())
    assert snapshot(out) == {"index.html": b"old"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_unchanged_files_are_not_rewritten(project: Path) -> None:
    out = project / "out"
    first = build(project, out, date(2024, 4, 30))
    written = (out / "feed.atom").stat().st_mtime_ns
    second = build(project, out, date(2024, 4, 30))
    assert (second.written, second.unchanged) == (0, first.written)
    assert (out / "feed.atom").stat().st_mtime_ns == written  # rsync sees it unchanged


def test_out_cannot_replace_the_project(project: Path) -> None:
    for unsafe in [project, project / "items", project.parent]:
        with pytest.raises(NewsletterError, match="would replace the project itself"):
            build(project, unsafe, date(2024, 4, 30))
    assert (project / "items" / "lecture.yaml").exists()


def test_out_cannot_replace_the_state_folder_with_the_send_log(project: Path) -> None:
    build(project, project / "out", date(2024, 4, 30))
    (project / ".newsletter" / "sent.sqlite").write_bytes(b"who got what")
    for unsafe in [project / ".newsletter", project / ".newsletter" / ".."]:
        with pytest.raises(NewsletterError) as caught:
            build(project, unsafe, date(2024, 4, 30))
        assert str(caught.value).startswith(f"--out {unsafe}: would replace the ")
    with pytest.raises(NewsletterError) as caught:
        build(project, project / ".newsletter", date(2024, 4, 30))
    assert str(caught.value) == (
        f"--out {project / '.newsletter'}: would replace the state folder, which holds the"
        " send log; pick another folder"
    )
    assert (project / ".newsletter" / "sent.sqlite").read_bytes() == b"who got what"


def test_out_refuses_a_folder_it_did_not_make_in_one_line(project: Path) -> None:
    (project / "public").mkdir()
    (project / "public" / "mine.html").write_text("keep me", "utf-8")
    command = [sys.executable, "-m", "newsletter", "build", "--out", "public"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (
        1,
        "Error: --out public: was not made by newsletter build; remove it or pick another folder\n",
    )
    assert (project / "public" / "mine.html").read_text("utf-8") == "keep me"


def test_worker_processes_build_the_same_bytes(project: Path, tmp_path: Path) -> None:
    for day in range(40):  # enough render jobs to be sent to workers
        text = f"title: Story {day} æøå\ndate: 2024-03-{day % 28 + 1:02}T{day % 24:02}:00\n"
        text += f"tags: [t{day % 5}]\nbody: Body *{day}* & more.\n"
        (project / "items" / f"story-{day}.yaml").write_text(text, "utf-8")
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    shutil.copytree(project, alone)
    shutil.copytree(project, shared)
    build(alone, alone / "out", date(2024, 4, 30), workers=1)
    report = build(shared, shared / "out", date(2024, 4, 30), workers=2)
    assert report.rendered > PARALLEL_MIN
    assert snapshot(shared / "out") == snapshot(alone / "out")


def test_items_read_by_worker_processes_report_their_problems(project: Path) -> None:
    for day in range(PARALLEL_MIN + 8):  # enough files to be read by workers
        text = f"title: Story {day}\ndate: 2024-03-{day % 28 + 1:02}\nbody: Body.\n"
        (project / "items" / f"story-{day}.yaml").write_text(text, "utf-8")
    (project / "items" / "story-7.yaml").write_text("title: Seven\ndate: 2024-02-30\n", "utf-8")
    with pytest.raises(NewsletterError) as caught:
        build(project, project / "out", date(2024, 4, 30), workers=2)
    assert [str(p) for p in caught.value.problems if p.severity == "error"] == [
        "items/story-7.yaml:2: date: expected a date like 2024-04-10 or a time like "
        "2024-04-10T10:30, got '2024-02-30' (day is out of range for month)",
    ]
    assert not (project / "out").exists()


def test_a_broken_template_is_reported_by_worker_processes_too(project: Path) -> None:
    # Workers compile the templates as they start: an error there must not stop them.
    for day in range(PARALLEL_MIN + 8):
        text = f"title: Story {day}\ndate: 2024-03-{day % 28 + 1:02}\nbody: Body.\n"
        (project / "items" / f"story-{day}.yaml").write_text(text, "utf-8")
    (project / "templates").mkdir()
    (project / "templates" / "item.html").write_text(
        '{% extends "default:item.html" %}\n\n{% block title %}{{ item.title }{% endblock %}\n',
        "utf-8",
    )
    with pytest.raises(NewsletterError) as caught:
        build(project, project / "out", date(2024, 4, 30), workers=2)
    assert str(caught.value.problems[0]).startswith("templates/item.html:3: ")
    assert not (project / "out").exists()
