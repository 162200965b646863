"""sources/yamlfile.py: plain values with their lines, and YAML mistakes a writer can act on."""

from __future__ import annotations

import pytest

from newsletter.core.errors import NewsletterError
from newsletter.sources.yamlfile import load_document


def problems(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(NewsletterError) as caught:
        load_document("a.yaml", data)
    return [str(problem) for problem in caught.value.problems]


def test_values_keep_their_lines_and_stay_plain() -> None:
    doc = load_document("a.yaml", b"title: A\ndate: 2024-04-10\nlang: no\ntags:\n  - x\n  - 3\n")
    assert doc.value == {"title": "A", "date": "2024-04-10", "lang": "no", "tags": ["x", 3]}
    assert doc.line_of(("tags", 1)) == 6
    assert doc.line_of(("event", "start")) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: A\n\tdate: x\n", "a.yaml:2:1: YAML indents with spaces, not tabs;"),
        ("a:\n  - x\n\t- y\n", "a.yaml:3:1: YAML indents with spaces, not tabs;"),
        (
            "title: Lecture: Dr. B\n",
            "a.yaml:1:15: title: a colon and a space end a field name; put the title in quotes:"
            ' title: "Lecture: Dr. B"',
        ),
        (
            'title: "open\ndate: x\n',
            'a.yaml:1:8: title: the quote (") opened here is never closed; end the value with "',
        ),
        (
            "body: |\nnot indented\n",
            "a.yaml:2:1: body: every line of the text under 'body: |' must be indented",
        ),
        (
            "body: >\nwith: colon\n",
            "a.yaml:2:1: body: every line of the text under 'body: >' must be indented",
        ),
        (
            "body: |\n  Intro.\n\nLecturer: Dr. Blasco\n",
            "a.yaml:4:1: body: every line of the text under 'body: |' must be indented",
        ),
        (
            "body: |\n  Intro.\nThe lecture: at ten\n",
            "a.yaml:3:1: body: every line of the text under 'body: |' must be indented",
        ),
        ("a: 1\na: 2\n", "a.yaml:2:1: a: appears twice (first on line 1); keep one"),
        ("e:\n  s: 1\n  s: 2\n", "a.yaml:3:3: e.s: appears twice (first on line 2); keep one"),
        ("tags: [a, b\nbody: x\n", "a.yaml:2:5: YAML syntax error: did not find expected ','"),
    ],
)
def test_syntax_errors_say_what_to_do_at_line_and_column(text: str, expected: str) -> None:
    assert problems(text)[0].startswith(expected)


def test_text_under_a_block_is_fine_once_indented() -> None:
    doc = load_document("a.yaml", b"body: |\n  Lecturer: Dr. Blasco\n\n  More.\ntitle: T\n")
    assert doc.value["body"] == "Lecturer: Dr. Blasco\n\nMore.\n"
    doc = load_document("a.yaml", b"body: |\n  Text.\n'Odd Name': 1\nTitle: 2\n")
    assert doc.value == {"body": "Text.\n", "Odd Name": 1, "Title": 2}  # named as fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", "a.yaml:1: the file is empty"),
        (b"# only a comment\n", "a.yaml:1: the file is empty"),
        (b"a: 1\n---\nb: 2\n", "a.yaml:2: holds several YAML documents (---); keep one"),
        (b"[a]: 1\n", "a.yaml:1:1: a field name must be plain text"),
        (b"!!str a: 1\n", "a.yaml:1:1: a field name must be plain text"),
        (b"a: &x 1\n", "a.yaml:1:4: YAML anchors (&x) are not allowed"),
        (b"a: 1\nb: *x\n", "a.yaml:2:4: YAML aliases (*x) are not allowed"),
        (b"a: !!binary aGk=\n", "a.yaml:1:4: YAML tags (!!binary) are not allowed"),
        (b"a: caf\xe9\n", "a.yaml:1: not UTF-8 (byte 0xe9); save the file as UTF-8"),
        (b"a: 1\nb: x\x01\n", "a.yaml:2: control character U+0001 is not allowed; delete it"),
        (b'a: "x\\x07"\n', "a.yaml:1: a: control character U+0007 is not allowed; delete it"),
    ],
)
def test_what_a_file_may_not_hold_is_refused_with_its_line(text: bytes, expected: str) -> None:
    assert problems(text) == [expected]


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    block = "a:\n" + "".join("  " * depth + "a:\n" for depth in range(1, 300)) + "  " * 300 + "b"
    assert problems(block)[0].endswith("nested more than 20 levels deep; no field goes that deep")
    flow = "a: " + "[" * 5000 + "]" * 5000
    assert problems(flow) == ["a.yaml:1:1003: nested too deep; no field goes that deep"]
