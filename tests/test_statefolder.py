"""The state folder: nothing written into or removed from a folder the project did not
make; an earlier version's stores removed only where their content proves them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import newsletter_here

NEWSLETTER = Path(sys.executable).parent / "newsletter"
AS_OF = "2024-04-30"

# What someone else keeps in a folder, under the names an earlier version used.
FOREIGN = {
    "build.json": b'{"invoice": 42, "signature": "mine"}',
    "prints.json": b'{"photos": ["a.jpg", "b.jpg"]}',
    "items/0a.json": b'{"sku": "0a", "price": 12}',
    "items/ff.json": b"not even JSON",
    "items/readme.txt": b"my items",
    "notes.txt": b"my notes",
}


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return newsletter_here(project, *args)


def use_state_dir(project: Path, folder: str) -> int:
    """Set state_dir in the project's newsletter.yaml; return the line it is on."""
    config = project / "newsletter.yaml"
    text = config.read_text("utf-8")
    config.write_text(text + f"state_dir: {folder}\n", "utf-8")
    return text.count("\n") + 1


def fill(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def contents(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize(
    "files",
    [
        FOREIGN,
        {name: FOREIGN[name] for name in ("build.json", "prints.json", "items/0a.json")},
        {"prints.json": b"{}", "cache.sqlite": b"my spreadsheet"},
    ],
    ids=["mixed", "under-old-names-only", "empty-json-and-not-sqlite"],
)
def test_someone_elses_folder_is_refused_and_every_file_survives(
    project: Path, files: dict[str, bytes]
) -> None:
    userdata = project.parent / "userdata"
    fill(userdata, files)
    line = use_state_dir(project, "../userdata")
    names = sorted({name.split("/")[0] for name in files})
    expected = (
        f"newsletter.yaml:{line}: state_dir: ../userdata holds files newsletter did not"
        f" make ({', '.join(names)}); newsletter writes and removes files there, so name a"
        " folder of its own, such as .newsletter, or move them out\n1 error.\n"
    )
    for command in (["check"], ["build", "--as-of", AS_OF], ["digest", "2024-W16"]):
        done = run(project, *command)
        assert (done.returncode, done.stderr) == (1, expected), command
    assert contents(userdata) == files
    assert not (project / "out").exists()


def test_a_foreign_file_beside_the_projects_own_is_refused(project: Path) -> None:
    assert run(project, "build", "--as-of", AS_OF).returncode == 0
    state = project / ".newsletter"
    assert (state / ".newsletter-state").is_file()
    fill(state, {"items/0a.json": b'{"context": "x", "items": {"zz": {}}}'})
    done = run(project, "build", "--as-of", AS_OF)
    assert done.returncode == 1
    assert "state_dir: .newsletter holds files newsletter did not make (items)" in done.stderr
    assert (state / "items" / "0a.json").exists()


def test_another_programs_database_under_the_caches_name_is_refused(project: Path) -> None:
    userdata = project.parent / "userdata"
    userdata.mkdir()
    with sqlite3.connect(userdata / "cache.sqlite") as db:
        db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, blob BLOB)")
        db.execute("CREATE TABLE invoices (number INTEGER)")
        db.execute("INSERT INTO entries VALUES ('mine', x'00')")
    db.close()
    before = contents(userdata)
    use_state_dir(project, "../userdata")
    done = run(project, "build", "--as-of", AS_OF)
    assert done.returncode == 1
    assert "holds files newsletter did not make (cache.sqlite)" in done.stderr
    assert contents(userdata) == before


def test_a_state_dir_that_is_a_file_is_refused(project: Path) -> None:
    (project.parent / "state").write_text("mine", "utf-8")
    line = use_state_dir(project, "../state")
    done = run(project, "check")
    assert (done.returncode, done.stderr) == (
        1,
        f"newsletter.yaml:{line}: state_dir: ../state is a file, not a folder;"
        " name a folder of its own\n1 error.\n",
    )
    assert (project.parent / "state").read_text("utf-8") == "mine"


def test_an_empty_folder_outside_the_project_is_taken_and_marked(project: Path) -> None:
    (project.parent / "ci-state").mkdir()
    use_state_dir(project, "../ci-state")
    done = run(project, "build", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    names = sorted(path.name for path in (project.parent / "ci-state").iterdir())
    assert names == [".newsletter-state", "cache.sqlite"]
    assert run(project, "check").returncode == 0


def test_a_marker_left_half_written_by_a_stopped_run_is_the_projects(project: Path) -> None:
    # A run stopped between writing the marker aside and putting it in place, on the
    # folder's first use: nothing yet, or all of its text, under the name it is written as.
    state = project / ".newsletter"
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    )
    gone = int(ended.stdout)  # the process id of a run that has ended
    fill(state, {f".newsletter-state.{gone}": b""})
    done = run(project, "build", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in state.iterdir()) == [".newsletter-state", "cache.sqlite"]
    text = (state / ".newsletter-state").read_bytes()
    (state / ".newsletter-state").unlink()
    fill(state, {f".newsletter-state.{gone}": text})
    assert run(project, "build", "--as-of", AS_OF).returncode == 0
    assert not (state / f".newsletter-state.{gone}").exists()
    # Under the same name, anything else is someone else's file.
    fill(state, {f".newsletter-state.{gone}": b"notes"})
    done = run(project, "build", "--as-of", AS_OF)
    assert done.returncode == 1
    assert f"holds files newsletter did not make (.newsletter-state.{gone})" in done.stderr


def earlier_versions_stores(state: Path) -> None:
    """The stores a version before the single cache file wrote, in its own form."""
    manifest = {
        "signature": "ab" * 32,
        "out_dir": "/somewhere/out",
        "out_id": [1, 2, 3, 4],
        "counts": [3, 3, 1, 40],
        "warnings": [],
        "dates": {"cd" * 32: ["2024-04-10T00:00:00+02:00", False]},
        "outputs": {"ef" * 32: ["feed.atom"]},
    }
    prints = {"items/older.yaml": [120, 99, 1700000000000000000, 1700000000000000000, "ab" * 32]}
    part = {"context": "12" * 32, "items": {"0a" + "3" * 62: {"item": None, "problems": []}}}
    fill(
        state,
        {
            "build.json": json.dumps(manifest).encode(),
            "prints.json": json.dumps(prints).encode(),
            "items/0a.json": json.dumps(part).encode(),
        },
    )
    with sqlite3.connect(state / "sent.sqlite") as log:
        log.execute("CREATE TABLE deliveries (period TEXT)")
    log.close()


def test_an_earlier_versions_stores_are_removed_and_its_send_log_kept(project: Path) -> None:
    state = project / ".newsletter"
    earlier_versions_stores(state)
    log = (state / "sent.sqlite").read_bytes()
    done = run(project, "build", "--as-of", AS_OF)
    assert done.returncode == 0, done.stderr
    names = sorted(path.name for path in state.iterdir())
    assert names == [".newsletter-state", "cache.sqlite", "sent.sqlite"]
    assert (state / "sent.sqlite").read_bytes() == log


def test_check_alone_changes_nothing_in_a_refused_folder(project: Path) -> None:
    state = project / ".newsletter"
    earlier_versions_stores(state)
    fill(state, {"diary.md": b"dear diary"})
    before = contents(state)
    assert run(project, "check").returncode == 1
    assert contents(state) == before
