"""Shared fixtures: the sample project, golden files, and real external components."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).parent
REPO = TESTS.parent
SITE = TESTS / "site"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's, which .ci/run installs
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Read once: each test runs as on a developer's machine (see not_in_ci below).
UNDER_CI = os.environ.get("CI", "").lower() == "true"

# A machine may ask Python never to write bytecode (PYTHONDONTWRITEBYTECODE). The suite
# runs the newsletter command hundreds of times, each of which would compile the package
# afresh, and every test process would rewrite every test module: this folder's
# __pycache__ (never committed) keeps them, for this run's test processes and commands.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="Rewrite the golden files from real output."
    )


def require(component: str, found: bool) -> None:
    """Skip a test whose component is missing, but fail under CI, where all must run."""
    if found:
        return
    if UNDER_CI:
        pytest.fail(f"{component} is required under CI=true but is not available")
    pytest.skip(f"{component} is not available")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "long: runs for many seconds; started first, so as not to end the run last"
    )
    # A shell starts a job put in the background with Ctrl-C ignored, and the commands
    # the tests start would inherit that: `newsletter serve` and `send`, stopped as
    # Ctrl-C stops them, would not stop. They are started as from a terminal.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One test process more than the cores: the tests wait a third of their time on
    Chromium, servers and the commands they start, and a third process fills it. On 2
    cores, the whole suite in 150 s with three, 161 s with two (173 and 181 s in another
    pair of runs; four were no faster than two)."""
    return (os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests marked long first in each test process's share of the run, dealt to
    the processes in turn: the run ends when its last test does, so the long ones start
    at once, side by side, and the short ones fill in around them. The processes share
    the tests out in equal runs of this order, the first run to the first process."""
    count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    long = [item for item in items if item.get_closest_marker("long")]
    rest = [item for item in items if not item.get_closest_marker("long")]
    shares: list[list[pytest.Item]] = [[] for _ in range(count)]
    for number, item in enumerate(long):
        shares[number % count].append(item)
    left = len(items)
    for number, share in enumerate(shares):
        size = left // (count - number)  # as the scheduler cuts the run
        left -= size
        while len(share) < size and rest:
            share.append(rest.pop(0))
    items[:] = [item for share in shares for item in share] + rest


@pytest.fixture(autouse=True)
def not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test as outside CI, whether the suite runs in CI or not: where the list
    is sent from (email.send_from) depends on it. A test of CI sets CI itself."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the small sample project in tests/site."""
    root = tmp_path / "project"
    shutil.copytree(SITE, root)
    return root


@pytest.fixture
def golden(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Compare text with tests/golden/NAME, or rewrite it under --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, actual: bytes | str) -> None:
        data = actual.encode() if isinstance(actual, str) else actual
        path = TESTS / "golden" / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        assert path.exists(), f"no golden file {path}; run pytest --update-golden and review it"
        assert data.decode() == path.read_text(encoding="utf-8"), f"{name} differs from golden"

    return check


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright; required under CI=true."""
    require("chromium", CHROMIUM.exists())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for all the browser tests a test process runs: each test opens pages
    or a context of its own in it, and closes them."""
    with chromium() as launched:
        yield launched


def newsletter_here(
    project: Path, *args: str, env: Mapping[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `newsletter ARGS` from inside PROJECT, with its default options, as a person
    does, but in this process: the command line's own code, without the start-up of a
    new interpreter. Its exit status, output and error output come back as a finished
    process's would; an exception the command line let through is raised here."""
    from click.testing import CliRunner

    from newsletter.cli import cli

    here = Path.cwd()
    os.chdir(project)
    try:
        result = CliRunner(env=env).invoke(cli, list(args), input=input, prog_name="newsletter")
    finally:
        os.chdir(here)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(
        ["newsletter", *args], result.exit_code, result.stdout, result.stderr
    )


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder NAME, filled by MAKE once for the whole run, whichever test process
    asks first (the others wait for it); read it, or copy it to change it."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, which every worker's folder is in
    folder = base / f"made-once-{name}"
    with open(base / f"made-once-{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (base / f"made-once-{name}.done").exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            make(folder)
            (base / f"made-once-{name}.done").touch()
    return folder
