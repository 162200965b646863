"""Markdown: what an item's body may hold, and what it becomes."""

from __future__ import annotations

import pytest

from newsletter.sources.markup import first_paragraph, render_markdown

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
