"""render/templates.py: a template that fails while rendering is named, with its line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import newsletter_here

from newsletter.render.sandbox import TimeUp, time_bound

NEWSLETTER = Path(sys.executable).parent / "newsletter"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("{{ item.title | round }}", 'TypeError: "type str doesn\'t define __round__ method"'),
        ("{{ 1 // 0 }}", "ZeroDivisionError: 'integer division or modulo by zero'"),
        ("{{ '%d' % item.title }}", "TypeError: '%d format: a real number is required, not str'"),
    ],
)
def test_a_template_that_raises_is_named_with_its_line(
    project: Path, block: str, expected: str
) -> None:
    (project / "templates").mkdir()
    (project / "templates" / "item.html").write_text(
        '{% extends "default:item.html" %}\n\n{% block title %}' + block + "{% endblock %}\n",
        "utf-8",
    )
    done = newsletter_here(project, "build", "--as-of", "2024-04-30")
    assert done.returncode == 1
    assert done.stderr.endswith(f"templates/item.html:3: {expected}\n1 error.\n")
    assert "Traceback" not in done.stderr
    assert not (project / "out").exists()


def build_with(
    project: Path, templates: dict[str, str | bytes], *, installed: bool = False
) -> subprocess.CompletedProcess[str]:
    """Build the project with these files in templates/, as a person would: with the
    installed command where INSTALLED (a time-out guards against a build that would
    never end), else in this process."""
    folder = project / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in templates.items():
        data = text.encode() if isinstance(text, str) else text
        (folder / name).write_bytes(data)
    secret = {"NEWSLETTER_SMTP_PASSWORD": "hunter2-secret"}
    if not installed:
        return newsletter_here(project, "build", "--as-of", "2024-04-30", env=secret)
    return subprocess.run(
        [str(NEWSLETTER), "build", "--as-of", "2024-04-30"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,  # a guard: the build must end on its own
        env={**os.environ, **secret},
    )


def in_title(block: str) -> dict[str, str | bytes]:
    return {
        "item.html": '{% extends "default:item.html" %}\n{% block title %}'
        + block
        + "{% endblock %}\n"
    }


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            '{{ lipsum.__globals__["os"].environ.get("NEWSLETTER_SMTP_PASSWORD") }}',
            "access to attribute '__globals__' of 'function' object is unsafe.",
        ),
        (
            "{{ item.__class__.__mro__ }}",
            "access to attribute '__class__' of 'Item' object is unsafe.",
        ),
        (
            "{% for i in range(10**9) %}{% endfor %}",
            "OverflowError: 'Range too big. The sandbox blocks ranges larger than MAX_RA…'",
        ),
        (
            '{{ "x" * 10**9 }}',
            "a repetition of more than 1,000,000 items or characters; make it smaller",
        ),
        ("{{ 7 ** (10**9) }}", "a power of 4096 bits or more; make it smaller"),
        pytest.param(
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
            "still rendering after 5 seconds; a loop that never ends?",
            marks=pytest.mark.long,
        ),
    ],
    ids=["globals", "class", "range", "repeat", "power", "endless"],
)
def test_a_template_reaching_out_of_its_sandbox_fails_the_build_in_one_line(
    project: Path, block: str, expected: str
) -> None:
    # The loop that never ends runs the installed command, under a time-out.
    done = build_with(project, in_title(block), installed="range(99999)" in block)
    assert (done.returncode, done.stderr) == (1, f"templates/item.html:2: {expected}\n1 error.\n")
    assert not (project / "out").exists()


def test_a_template_linked_to_a_file_outside_is_refused_and_never_read(project: Path) -> None:
    secret = project.parent / "secret.txt"
    secret.write_text("the password is hunter2", "utf-8")
    (project / "templates").mkdir()
    (project / "templates" / "footer.html").symlink_to(secret)
    base = '{% extends "default:base.html" %}\n{% block masthead %}{% include "footer.html" %}'
    done = build_with(project, {"base.html": base + "{% endblock %}\n"})
    assert (done.returncode, done.stderr) == (
        1,
        "templates/footer.html: is a link; put the template itself in templates/\n1 error.\n",
    )
    assert not (project / "out").exists()


def test_a_template_in_a_folder_linked_outside_is_refused(project: Path) -> None:
    (project.parent / "elsewhere").mkdir()
    (project.parent / "elsewhere" / "part.html").write_text("someone else's", "utf-8")
    (project / "templates").mkdir()
    (project / "templates" / "parts").symlink_to(project.parent / "elsewhere")
    done = build_with(project, in_title('{% include "parts/part.html" %}'))
    assert (done.returncode, done.stderr) == (
        1,
        "templates/parts/part.html: templates/parts is a link; put the template itself in"
        " templates/\n1 error.\n",
    )


def test_a_template_that_is_a_pipe_is_refused_at_once(project: Path) -> None:
    (project / "templates").mkdir()
    os.mkfifo(project / "templates" / "part.html")
    done = build_with(project, in_title('{% include "part.html" %}'))
    assert (done.returncode, done.stderr) == (
        1,
        "templates/part.html: is not a plain file (a folder, device, pipe or socket)\n1 error.\n",
    )


def test_a_template_that_is_not_utf8_is_named_by_its_own_path(project: Path) -> None:
    done = build_with(project, {"base.html": b'{% extends "default:base.html" %}\n{# caf\xe9 #}\n'})
    assert (done.returncode, done.stderr) == (
        1,
        "templates/base.html:2: not UTF-8 (byte 0xE9); save the file as UTF-8\n1 error.\n",
    )


def test_the_time_bound_stops_a_loop_in_any_thread() -> None:
    outcome: list[str] = []

    def endless() -> None:
        try:
            with time_bound(0.5):
                while True:
                    pass
        except TimeUp:
            outcome.append("stopped")

    thread = threading.Thread(target=endless)
    thread.start()
    thread.join(30)  # a guard: without the bound it would never end
    assert outcome == ["stopped"]
    with time_bound(0.5):  # a render that ends in time is left alone
        pass


def test_check_names_every_template_a_build_would_refuse(project: Path) -> None:
    folder = project / "templates"
    folder.mkdir()
    (folder / "secret.html").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.html")
    (folder / "broken.html").write_text("{% if %}\n", "utf-8")
    (folder / "latin1.html").write_bytes(b"ok\ncaf\xe9\n")
    (folder / "fine.html").write_text('{% extends "default:base.html" %}\n', "utf-8")
    done = newsletter_here(project, "check")
    assert done.returncode == 1
    assert done.stderr.startswith(
        "templates/broken.html:1: Expected an expression, got 'end of statement block'\n"
        "templates/latin1.html:2: not UTF-8 (byte 0xE9); save the file as UTF-8\n"
        "templates/pipe.html: is not a plain file (a folder, device, pipe or socket)\n"
        "templates/secret.html: is a link; put the template itself in templates/\n"
    )
    assert done.stderr.endswith("4 errors, 1 warning.\n")


def test_a_templates_folder_that_is_a_link_is_refused(project: Path) -> None:
    (project / "templates").symlink_to("/etc")
    done = newsletter_in(project, "check")
    assert (done.returncode, done.stderr.splitlines()[0]) == (
        1,
        "templates/: is a link; make it a folder of the project's own",
    )
    done = newsletter_in(project, "build", "--as-of", "2024-04-30")
    assert (done.returncode, done.stderr) == (
        1,
        "templates/: is a link; make it a folder of the project's own\n1 error.\n",
    )
    assert not (project / "out").exists()


def newsletter_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return newsletter_here(project, *args)


@pytest.mark.parametrize(
    "block",
    [
        '{{ "%0999999999d" % 1 }}',
        '{{ "{:>999999999}".format(1) }}',
        '{{ "%0999999999d" | format(1) }}',
        '{{ "x" | center(999999999) }}',
        '{{ "x\\ny" | indent(999999999) }}',
    ],
    ids=["percent", "format-method", "format-filter", "center", "indent"],
)
def test_a_template_padding_text_to_a_gigabyte_is_refused(project: Path, block: str) -> None:
    done = build_with(project, in_title(block))
    assert (done.returncode, done.stderr) == (
        1,
        "templates/item.html:2: a width of 1,000,000 or more; make it smaller\n1 error.\n",
    )


def test_ordinary_arithmetic_and_formats_still_work(project: Path) -> None:
    block = '{{ 3 * 5000 }} {{ 2 ** 10 }} {{ "%05d" % 42 }} {{ "{:>6}".format("x") }}'
    done = build_with(project, in_title(block))
    assert done.returncode == 0, done.stderr
    page = (project / "out" / "news" / "lecture.html").read_text("utf-8")
    assert "15000 1024 00042      x" in page
