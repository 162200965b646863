"""Builds stopped at random moments, failing as they write, or failing in the workers:
out/ is always one whole site, the previous one or the new one, and nothing hangs."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from conftest import made_once, newsletter_here

from newsletter.commands.build import build as build_here

NEWSLETTER = Path(sys.executable).parent / "newsletter"
BENCH = Path(__file__).parent.parent / "bench"
AS_OF = "2024-12-31"
# Two workers, as a large site's build has: a site this small is built by one process
# unless told, and the faults of the workers are what these tests are about.
BUILD = [str(NEWSLETTER), "build", "--as-of", AS_OF, "--jobs", "2"]
EDITED = 4  # items whose bodies differ between the two sites built in turn


def load_synthetic() -> ModuleType:
    # bench/ is a folder of scripts, not a package; load its module by path.
    spec = importlib.util.spec_from_file_location("synthetic", BENCH / "synthetic.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = module
    spec.loader.exec_module(module)
    return module


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def build(root: Path, **options: object) -> subprocess.CompletedProcess[str]:
    """Run `newsletter build` in ROOT as a person would."""
    return subprocess.run(
        BUILD,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        **options,  # type: ignore[call-overload]
    )


def make_sites(folder: Path) -> None:
    """A project of 40 items; the text of the edited items in each of two sites; the
    site a clean build of each makes; and how long a build from one to the other takes."""
    root = folder / "project"
    synthetic = load_synthetic()
    synthetic.generate_project(root, 40)
    names = sorted(p.name for p in (root / "items").iterdir())[-EDITED:]
    first = {name: (root / "items" / name).read_text("utf-8") for name in names}
    for number, name in enumerate(names):
        synthetic.edit_item(root / "items" / name, number)
    second = {name: (root / "items" / name).read_text("utf-8") for name in names}
    (folder / "editions.json").write_text(json.dumps([first, second]), "utf-8")
    for number, edition in enumerate([first, second]):
        clean = folder / f"clean-{number}"
        shutil.copytree(root, clean)
        write(clean, edition)
        # Built here, as quick as in one process: a build's bytes are the same however
        # many processes make them.
        build_here(clean, clean / "out", date.fromisoformat(AS_OF))
    timed = shutil.copytree(folder / "clean-0", folder / "timed", symlinks=True)
    write(timed, second)
    began = time.monotonic()
    assert build(timed).returncode == 0
    (folder / "seconds.json").write_text(json.dumps(time.monotonic() - began), "utf-8")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    """The folder of the two sites, each built (see built()), and the text of the edited
    items in each; made once for all the tests."""
    folder = made_once(tmp_path_factory, "faults", make_sites)
    return folder, json.loads((folder / "editions.json").read_text("utf-8"))


def built(sites: tuple[Path, list[dict[str, str]]], number: int, where: Path) -> Path:
    """A copy in WHERE of site NUMBER as its build left it: out/, its builds and its
    state folder."""
    return shutil.copytree(sites[0] / f"clean-{number}", where / "project", symlinks=True)


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, bytes]]:
    """The site a clean build of each of the two sites makes, made once for all the tests."""
    folder = made_once(tmp_path_factory, "faults", make_sites)
    return [snapshot(folder / f"clean-{number}" / "out") for number in range(2)]


def left_over(project: Path) -> list[str]:
    """What is beside out/ but the lock, the current build and the one before it."""
    area = project / ".out.builds"
    names = sorted(p.name for p in area.iterdir() if p.name != ".lock")
    extra = [p.name for p in project.iterdir() if p.name.startswith(".out.")]
    return [*names[:-2], *[n for n in names if not n.isdigit()], *extra[1:]]


def write(project: Path, edition: dict[str, str]) -> None:
    for name, text in edition.items():
        (project / "items" / name).write_text(text, "utf-8")


def stop_a_build(project: Path, number: signal.Signals, after: float) -> None:
    """Start a build and send it signal NUMBER AFTER seconds; it must end, and say no
    traceback."""
    stopped = subprocess.Popen(BUILD, cwd=project, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    stopped.send_signal(number)
    _, errors = stopped.communicate(timeout=20)  # never a hang
    # Python's own note of a Ctrl-C that landed in a weak reference's callback aside:
    shown = re.sub(r"Exception ignored in.*?KeyboardInterrupt: ?\n", "", errors, flags=re.S)
    assert "Traceback" not in shown


# One test a signal, so that they spread over the cores.
@pytest.mark.long
@pytest.mark.parametrize("number", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_a_build_stopped_at_any_moment_leaves_one_whole_site(
    sites: tuple[Path, list[dict[str, str]]],
    expected: list[dict[str, bytes]],
    tmp_path: Path,
    number: signal.Signals,
) -> None:
    project, editions = built(sites, 0, tmp_path), sites[1]
    assert expected[0] != expected[1]
    seed = os.environ.get("FAULT_SEED") or str(time.time_ns())  # set it to run one again
    rounds, how = random.Random(seed), f"after {number.name} (FAULT_SEED={seed})"
    # Stops are drawn towards the moment out/ switches, first as far as a whole build
    # from one site to the other took.
    current, reach = 0, json.loads((sites[0] / "seconds.json").read_text("utf-8"))
    for _ in range(2):  # two a signal, drawn towards the switch: before or after it
        target = 1 - current
        write(project, editions[target])
        stop_a_build(project, number, rounds.uniform(0.6, 1.1) * reach)
        found = snapshot(project / "out")
        assert found in (expected[current], expected[target]), f"a mix {how}"
        reach *= 0.8 if found == expected[target] else 1.25
        # Built again by the command line's own code in this process: only the stopped
        # build needs a process of its own, and a new one costs a second to start.
        done = newsletter_here(project, *BUILD[1:])
        assert (done.returncode, done.stderr) == (0, ""), how
        assert snapshot(project / "out") == expected[target], how
        assert left_over(project) == [], how
        current = target


def test_a_write_failure_is_one_located_line_and_leaves_out_as_it_was(
    sites: tuple[Path, list[dict[str, str]]], tmp_path: Path
) -> None:
    project = built(sites, 1, tmp_path)
    before = snapshot(project / "out")
    write(project, sites[1][0])  # the items as first written: the feeds change

    def disk_nearly_full() -> None:  # files may not grow past 100 kB, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    failed = build(project, preexec_fn=disk_nearly_full)
    assert failed.returncode == 1
    assert re.fullmatch(r"Error: out/\S+: cannot be written: File too large\n", failed.stderr)
    assert snapshot(project / "out") == before
    assert sorted(p.name for p in (project / ".out.builds").iterdir()) == [".lock", "1"]


def test_a_template_error_in_the_workers_ends_the_build_within_seconds(
    sites: tuple[Path, list[dict[str, str]]], tmp_path: Path
) -> None:
    project = built(sites, 1, tmp_path)
    before = snapshot(project / "out")
    (project / "templates").mkdir()
    (project / "templates" / "item.html").write_text("{{ item.title.nope.deeper }}\n", "utf-8")
    for _ in range(2):  # a hang is build()'s time-out, a failure of its own
        failed = build(project)
        assert failed.returncode == 1
        assert re.fullmatch(r"templates/item\.html\S*: .*'nope'\n1 error\.\n", failed.stderr)
        assert snapshot(project / "out") == before
        assert sorted(p.name for p in (project / ".out.builds").iterdir()) == [".lock", "1"]
