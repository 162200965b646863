"""render/templates.py: a template that fails while rendering is named, with its line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
    done = subprocess.run(
        [str(NEWSLETTER), "build", "--as-of", "2024-04-30"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.endswith(f"templates/item.html:3: {expected}\n1 error.\n")
    assert "Traceback" not in done.stderr
    assert not (project / "out").exists()
