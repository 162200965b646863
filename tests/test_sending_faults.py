"""Sends killed at random moments, and sends at the same time: nobody mailed twice.

The installed command runs from the project folder against a real SMTP server, is
stopped by SIGKILL, SIGINT or SIGTERM somewhere between its start and its last
delivery, and is run again (in the test process) until it finishes. Every mailbox is
counted: nobody gets two copies, and nobody is missed but a recipient the next run
named as uncertain.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SITE, newsletter_here
from smtp_server import PASSWORD, Script, smtp_server
from test_send_cli import configure, recipients

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
READERS = 30
SEND = ("send", "2024-W16", "--as-of", "2024-04-30", "--yes")
SIGNALS = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)


@pytest.fixture
def server() -> Iterator[tuple[int, Script]]:
    with smtp_server(Script(data_delay=0.01)) as running:
        yield running


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Path]:
    """A folder in memory for the send logs: the kills test what a process leaves behind,
    not the disk, and each of the many runs would otherwise wait on fsync."""
    folder = Path("/dev/shm") if Path("/dev/shm").is_dir() else tmp_path
    made = Path(tempfile.mkdtemp(prefix="newsletter-send-", dir=folder))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def project_for(tmp_path: Path, port: int, name: str, state: Path) -> tuple[Path, list[str]]:
    project = tmp_path / name
    shutil.copytree(SITE, project)
    configure(project, port)
    config = project / "newsletter.yaml"
    text = config.read_text("utf-8").replace("state_dir: state\n", f"state_dir: {state / name}\n")
    config.write_text(text, "utf-8")
    readers = [f"reader{n}@{name}.example.org" for n in range(READERS)]
    recipients(project, *readers)
    return project, readers


def start(project: Path) -> subprocess.Popen[str]:
    command = shutil.which("newsletter", path=str(Path(sys.executable).parent))
    assert command is not None
    env = os.environ | {"NEWSLETTER_SMTP_PASSWORD": PASSWORD}
    return subprocess.Popen(
        [command, *SEND],
        cwd=project,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def delivered_to(script: Script, name: str) -> int:
    return sum(address.endswith(f"@{name}.example.org") for address in script.recipients)


def stop_at_random(
    process: subprocess.Popen[str],
    script: Script,
    name: str,
    rng: random.Random,
    sig: signal.Signals,
    when: str,
) -> str:
    """Stop the send with *sig* at a random moment *when* it is "starting" (from its
    start-up to its first deliveries) or "sending" (after a random number of them)."""
    target, deadline = rng.randrange(READERS), time.monotonic() + 30
    if when == "starting":
        time.sleep(rng.uniform(0, 1.5))
    else:
        while delivered_to(script, name) < target and process.poll() is None:
            assert time.monotonic() < deadline, "the send made no progress"
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.01))
    process.send_signal(sig)
    _, err = process.communicate(timeout=30)
    if process.returncode == 130:  # Ctrl-C while sending
        assert err.endswith("Interrupted: run send again to reach the rest.\n"), err
    elif "Traceback" in err:  # only Python's own, for Ctrl-C while it starts; 3.11 wraps it
        # in a RuntimeError where it lands while a class is made ("Error calling __set_name__")
        assert sig == signal.SIGINT and "\nKeyboardInterrupt\n" in f"{err}\n", err
    return f"{sig.name} while {when}"


def finish(project: Path) -> set[str]:
    """Run send again until it succeeds; return the recipients it named as uncertain.

    By the command line's own code in this process, where an exception it let through
    would be raised: only the stopped send needs a process of its own."""
    uncertain: set[str] = set()
    for _ in range(3):
        done = newsletter_here(project, *SEND, env={"NEWSLETTER_SMTP_PASSWORD": PASSWORD})
        out = done.stdout
        uncertain |= {
            line.split(": ")[1] for line in out.splitlines() if line.startswith("uncertain: ")
        }
        if done.returncode == 0:
            return uncertain
    raise AssertionError(f"send did not finish: {out}{done.stderr}")


# Each run its own test, so that they spread over the cores: every signal, while the
# send starts and while it sends, at moments drawn anew in each run of the suite.
@pytest.mark.long
@pytest.mark.parametrize("when", ["starting", "sending"])
@pytest.mark.parametrize("sig", SIGNALS, ids=lambda sig: sig.name)
def test_a_send_stopped_at_any_moment_and_run_again_mails_nobody_twice(
    server: tuple[int, Script], tmp_path: Path, memory: Path, sig: signal.Signals, when: str
) -> None:
    port, script = server
    seed = os.environ.get("FAULT_SEED") or str(time.time_ns())  # set it to run one again
    project, readers = project_for(tmp_path, port, "run", memory)
    how = stop_at_random(start(project), script, "run", random.Random(seed), sig, when)
    how += f" (FAULT_SEED={seed})"
    uncertain = finish(project)
    counts = script.per_mailbox()
    twice = [reader for reader in readers if counts[reader] > 1]
    missed = {reader for reader in readers if counts[reader] == 0}
    assert twice == [], f"{how}: mailed twice"
    assert len(uncertain) <= 1, f"{how}: {uncertain}"
    assert missed <= uncertain, f"{how}: missed {missed - uncertain}"


def test_two_sends_at_once_mail_nobody_twice(
    server: tuple[int, Script], tmp_path: Path, memory: Path
) -> None:
    port, script = server
    project, readers = project_for(tmp_path, port, "both", memory)
    first, second = start(project), start(project)
    results = [process.communicate(timeout=120) for process in (first, second)]
    assert sorted([first.returncode, second.returncode]) in ([0, 0], [0, 1])
    for _, err in results:
        assert "Traceback" not in err
        assert err == "" or "another send is running (process " in err
    assert [script.per_mailbox()[reader] for reader in readers] == [1] * READERS
