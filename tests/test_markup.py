"""Markdown: what an item's body may hold, and what it becomes."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.sources.markup import (
    count_references,
    deepest_nesting,
    first_paragraph,
    is_safe_url,
    render_markdown,
    unsafe_links,
)

BASE = "https://news.example.org/icr/news/"


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("a <b>bold</b> c", "<p>a &lt;b&gt;bold&lt;/b&gt; c</p>\n"),
        ("<div>\nblock\n</div>", "<p>&lt;div&gt;\nblock\n&lt;/div&gt;</p>\n"),
        ("<!-- note -->", "<p>&lt;!-- note --&gt;</p>\n"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        (
            '[report](../files/r.pdf?a=1&b=2 "The report")',
            '<p><a href="https://news.example.org/icr/files/r.pdf?a=1&amp;b=2"'
            ' title="The report">report</a></p>\n',
        ),
        (
            "![Blåbær *lab*](images/lab.jpg)",
            '<p><img src="https://news.example.org/icr/news/images/lab.jpg"'
            ' alt="Blåbær lab" /></p>\n',
        ),
        (
            "<https://example.org/?a&b> <mailto:ana@example.org>",
            '<p><a href="https://example.org/?a&amp;b">https://example.org/?a&amp;b</a>'
            ' <a href="mailto:ana@example.org">mailto:ana@example.org</a></p>\n',
        ),
        (
            '`<a href="x">` &amp; &copy;',
            "<p><code>&lt;a href=&quot;x&quot;&gt;</code> &amp; ©</p>\n",
        ),
        ("| a | b |\n|---|---|", "<p>| a | b |\n|---|---|</p>\n"),  # CommonMark: no tables
    ],
)
def test_markdown_is_commonmark_with_raw_html_escaped_and_links_absolute(
    body: str, html: str
) -> None:
    assert render_markdown(body, BASE) == html


@pytest.mark.parametrize(
    ("body", "summary"),
    [
        (
            "First *para*\n`code` and [a link](x)  \nend.\n\nSecond.",
            "First para code and a link end.",
        ),
        ("# Title\n\nThe ![alt **text**](i.png) para &amp; more", "The alt text para & more"),
        ("[ref] line\n\n[ref]: https://example.org/", "ref line"),
        ("> quoted\n\n- list", ""),
    ],
)
def test_the_summary_is_the_first_paragraph_as_plain_text(body: str, summary: str) -> None:
    assert first_paragraph(body) == summary


# The checks as plainly written, one pattern each, ^ tried at every line's start.
_PLAIN_LINK = re.compile(
    r"\]\(\s*<?(?P<inline>[^)\s>]+)"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>"
    r"|^ {0,3}\[[^\]]+\]:\s*<?(?P<ref>[^\s>]+)",
    re.MULTILINE,
)
_PLAIN_CONTAINERS = re.compile(r"^(?:[ \t]*(?:>|[-+*][ \t]|\d{1,9}[.)][ \t]))+", re.MULTILINE)
_PLAIN_MARKER = re.compile(r">|[-+*][ \t]|\d{1,9}[.)][ \t]")


def _plain_links(text: str) -> list[tuple[int, str]]:
    found = []
    for match in _PLAIN_LINK.finditer(text):
        url = match.group("inline") or match.group("auto") or match.group("ref")
        if not is_safe_url(html.unescape(url)):
            found.append((text.count("\n", 0, match.start()), url))
    return found


def _plain_nesting(text: str) -> tuple[int, int]:
    deepest = (0, 0)
    for prefix in _PLAIN_CONTAINERS.finditer(text):
        depth = len(_PLAIN_MARKER.findall(prefix.group()))
        if depth > deepest[1]:
            deepest = (text.count("\n", 0, prefix.start()), depth)
    return deepest


# Text made of the pieces these checks look for, in any order, on any line.
_PIECES = [
    "\n",
    " ",
    "   ",
    "\t",
    "x",
    "`",
    "]",
    ":",
    "(",
    ")",
    "<",
    ">",
    "[a]:",
    "[b]",
    "](",
    "[a]: javascript:x",
    "[b]:\n<data:y>",
    "](javascript:x)",
    "](\n data:y",
    "<data:y>",
    "https://e.org/",
    "<mailto:a@b.no>",
    "> ",
    "- ",
    "1. ",
    "* ",
    "> > - ",
]
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_the_body_checks_find_what_the_plain_patterns_find(text: str) -> None:
    assert unsafe_links(text) == _plain_links(text)
    assert deepest_nesting(text) == _plain_nesting(text)
    assert count_references(text) == len(re.findall(r"^ {0,3}\[[^\]]+\]:", text, re.M))
