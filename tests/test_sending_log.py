"""The send log: locked by one run, written before anything is sent, refused when damaged."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp_server import PASSWORD, Script, smtp_server
from test_send_cli import configure, recipients, send

from newsletter.cli import cli
from newsletter.core.addresses import parse_mailbox
from newsletter.engine.sendlog import LOG_FILE, Run, locked_send_log

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
DAMAGED = (
    "the send log is damaged ({reason}); nothing was sent. Restore it from a backup; "
    "moving it away starts a new log, and everyone would be mailed again\n1 error.\n"
)


@pytest.fixture
def server() -> Iterator[tuple[int, Script]]:
    with smtp_server() as running:
        yield running


def log_of(project: Path) -> Path:
    return project / "state" / LOG_FILE


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: os.urandom(len(data)), "file is not a database"),
        (lambda data: data[: len(data) // 2], "database disk image is malformed"),
        (lambda data: b"", "it holds no send log"),
    ],
    ids=["random-bytes", "truncated", "empty"],
)
def test_a_damaged_log_stops_send_before_anything_is_sent(
    server: tuple[int, Script],
    project: Path,
    damage,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    port, script = server
    configure(project, port)
    recipients(project, *(f"reader{n}@example.org" for n in range(40)))
    send(project)
    log = log_of(project)
    log.write_bytes(damage(log.read_bytes()))
    for args in ((), ("--dry-run",)):
        code, output = send(project, *args)
        assert (code, output) == (1, f"{log}: " + DAMAGED.format(reason=reason))
    assert len(script.delivered) == 40


def test_a_log_that_cannot_be_written_stops_send_before_anything_is_sent(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    send(project, "--to", "me@example.org")
    log = log_of(project)
    (log.parent / f"{LOG_FILE}-journal").mkdir()  # where SQLite must write first
    code, output = send(project)
    assert (code, output) == (
        1,
        f"{log}: cannot read the send log: disk I/O error; nothing was sent\n1 error.\n",
    )
    assert script.recipients == ["me@example.org"]


def test_a_log_that_cannot_be_written_half_way_stops_send_and_names_the_uncertain(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    recipients(project, "a@example.org", "b@example.org", "c@example.org")
    journal = log_of(project).with_name(f"{LOG_FILE}-journal")
    script.on_data = lambda address: journal.mkdir(exist_ok=True)  # the disk goes away
    assert send(project) == (
        1,
        f"{log_of(project)}: cannot write to the send log: disk I/O error; "
        "stopped after 1 of 3\n1 error.\n",
    )
    journal.rmdir()
    script.on_data = None
    assert send(project) == (
        0,
        "sent to b@example.org\nsent to c@example.org\nuncertain: a@example.org: the run "
        f"started {started(project)} stopped while sending to it, so it may or may not have "
        "it; --resend-uncertain sends to it again\nSent 2024-W16 to 2 recipients.\n",
    )
    assert script.per_mailbox() == {f"{name}@example.org": 1 for name in "abc"}


def started(project: Path) -> str:
    with sqlite3.connect(log_of(project)) as db:
        (when,) = db.execute("SELECT started FROM runs ORDER BY id LIMIT 1").fetchone()
    return str(when)


def test_a_state_folder_that_cannot_be_made_stops_send(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    (project / "state").write_text("a file where the folder should be")
    lines = (project / "newsletter.yaml").read_text("utf-8").split("\n")
    line = lines.index("state_dir: state") + 1
    assert send(project) == (
        1,
        f"newsletter.yaml:{line}: state_dir: state is a file, not a folder;"
        " name a folder of its own\n1 error.\n",
    )
    assert script.delivered == []


def test_a_full_disk_stops_send_before_the_first_delivery(
    server: tuple[int, Script], project: Path
) -> None:
    """Files may not grow (as on a full disk): not one message goes out unrecorded."""
    port, script = server
    configure(project, port)
    recipients(project, *(f"reader{n}@example.org" for n in range(5)))
    send(project, "--to", "me@example.org")  # the log exists, as big as it will be at rest
    send_at = ("send", "2024-W16", "--as-of", "2024-04-30", "--yes")
    fresh = project.with_name("fresh")
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns("state"))
    result = _newsletter(fresh, *send_at, fsize=1024)
    assert (result.returncode, result.stderr) == (
        1,
        f"state/{LOG_FILE}: cannot create the send log: disk I/O error\n1 error.\n",
    )
    names = sorted(path.name for path in (fresh / "state").iterdir())
    assert names == [".newsletter-state", f"{LOG_FILE}.lock"]
    result = _newsletter(project, *send_at, fsize=0)
    assert (result.returncode, result.stderr) == (
        1,
        f"state/{LOG_FILE}.lock: cannot lock the send log: File too large; nothing was sent\n"
        "1 error.\n",
    )
    result = _newsletter(project, *send_at, fsize=1024)  # room for the lock's line only
    assert result.returncode == 1
    assert result.stderr.startswith(f"state/{LOG_FILE}: cannot write to the send log: ")
    assert "Traceback" not in result.stderr
    assert script.recipients == ["me@example.org"]


def _newsletter(project: Path, *args: str, fsize: int) -> subprocess.CompletedProcess[str]:
    """Run the installed command in PROJECT, unable to grow any file past FSIZE bytes."""

    def limit() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    command = shutil.which("newsletter", path=str(Path(sys.executable).parent))
    assert command is not None
    env = os.environ | {"NEWSLETTER_SMTP_PASSWORD": PASSWORD}
    return subprocess.run(
        [command, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=60,
    )


HOLDER = {"period": "2024-W16", "kind": "real", "pid": 4242, "host": "ci-runner-7"}


@pytest.mark.parametrize(
    ("holder", "who"),
    [
        (
            json.dumps(HOLDER | {"started": "2026-11-23T07:30:00+01:00"}),
            "process 4242 on ci-runner-7, started 2026-11-23T07:30:00+01:00",
        ),
        ("", "another process"),  # killed before it could say who it is
    ],
)
def test_a_second_send_says_who_holds_the_log(
    server: tuple[int, Script], project: Path, holder: str, who: str
) -> None:
    port, script = server
    configure(project, port)
    lock = log_of(project).with_name(LOG_FILE + ".lock")
    lock.parent.mkdir()
    with lock.open("w") as handle:
        handle.write(holder)
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_EX)
        code, output = send(project)
    assert (code, output) == (
        1,
        f"{log_of(project)}: another send is running ({who}); wait until it has finished; "
        "nothing was sent\n1 error.\n",
    )
    assert script.delivered == []


def test_an_unfinished_period_is_finished_before_the_next(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    run = Run("2024-W15", "real", datetime(2026, 4, 15, tzinfo=UTC).isoformat(), 1, "here")
    with locked_send_log(log_of(project), run) as log:  # a run that stopped after queueing
        log.queue("2024-W15", "real", [parse_mailbox("staff@example.org")])
    assert send(project) == (
        1,
        "Error: the send of 2024-W15 is unfinished (1 recipient has not got it yet); "
        "finish it first with `newsletter send 2024-W15`, then send 2024-W16\n",
    )
    assert script.delivered == []
    quiet = ["--root", str(project), "send", "latest", "--as-of", "2024-03-25", "--yes"]
    env = {"NEWSLETTER_SMTP_PASSWORD": PASSWORD}
    assert CliRunner(env=env).invoke(cli, quiet).output == (
        "Error: no news in Week 12, 2024, but the send of 2024-W15 is unfinished "
        "(1 recipient has not got it yet); finish it first with `newsletter send 2024-W15`\n"
    )
    assert send(project, "--to", "me@example.org")[0] == 0  # a test is not held up
    recipients(project, "new@example.org")  # the one waiting was taken off the list
    week15 = ["--root", str(project), "send", "2024-W15", "--as-of", "2024-04-30", "--yes"]
    assert CliRunner(env=env).invoke(cli, week15).output.endswith("Sent 2024-W15 to 1 recipient.\n")
    assert send(project)[1] == "sent to new@example.org\nSent 2024-W16 to 1 recipient.\n"
    assert script.recipients == ["me@example.org", "new@example.org", "new@example.org"]


def test_a_log_of_the_first_layout_is_carried_over(
    server: tuple[int, Script], project: Path
) -> None:
    port, script = server
    configure(project, port)
    log_of(project).parent.mkdir()
    with sqlite3.connect(log_of(project)) as db:
        db.execute("CREATE TABLE sent (period, recipient, message_id, sent_at)")
        db.execute("INSERT INTO sent VALUES ('2024-W16', 'Staff@Example.org', '<x>', '')")
    before = log_of(project).read_bytes()
    assert send(project, "--dry-run") == (
        0,
        "already sent to staff@example.org (--force sends again)\n"
        "Dry run: 2024-W16 would go to 0 recipients; nothing was sent.\n",
    )
    assert log_of(project).read_bytes() == before
    assert send(project) == (
        0,
        "already sent to staff@example.org (--force sends again)\nSent 2024-W16 to 0 recipients.\n",
    )
    assert script.delivered == []


def test_a_log_without_deferrals_is_carried_over(server: tuple[int, Script], project: Path) -> None:
    port, script = server
    configure(project, port)
    recipients(project, "staff@example.org", "new@example.org")
    log_of(project).parent.mkdir()
    with sqlite3.connect(log_of(project)) as db:  # the layout before deferrals were kept
        db.executescript(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY, period TEXT NOT NULL, kind TEXT NOT"
            " NULL, started TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL);"
            "CREATE TABLE deliveries (period TEXT NOT NULL, kind TEXT NOT NULL, mailbox TEXT"
            " NOT NULL, address TEXT NOT NULL, state TEXT NOT NULL, message_id TEXT NOT NULL,"
            " run INTEGER NOT NULL, PRIMARY KEY (period, kind, mailbox));"
            "INSERT INTO deliveries VALUES ('2024-W16', 'real', 'staff@example.org',"
            " 'staff@example.org', 'delivered', '<x>', 0);"
        )
    before = log_of(project).read_bytes()
    assert send(project, "--dry-run") == (
        0,
        "would send to new@example.org\n"
        "already sent to staff@example.org (--force sends again)\n"
        "Dry run: 2024-W16 would go to 1 recipient; nothing was sent.\n",
    )
    assert log_of(project).read_bytes() == before
    assert send(project) == (
        0,
        "sent to new@example.org\n"
        "already sent to staff@example.org (--force sends again)\n"
        "Sent 2024-W16 to 1 recipient.\n",
    )
    assert script.recipients == ["new@example.org"]
