"""Markdown (CommonMark) to HTML: raw HTML escaped, every link made absolute.

Checking an item must stay fast for thousands of items, so it never renders the
whole body: the default summary comes from the first paragraph alone, and links
are found with a pattern. Rendering happens only when a build needs the HTML.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Final
from urllib.parse import urljoin, urlsplit

from markdown_it_pyrs import MarkdownIt, Node

SAFE_SCHEMES = ("http", "https", "mailto")
# CommonMark without its two raw HTML rules: raw HTML stays text, and is escaped.
_COMMONMARK: Final = (
    "blockquote",
    "code",
    "fence",
    "heading",
    "hr",
    "lheading",
    "list",
    "paragraph",
    "reference",
    "autolink",
    "backticks",
    "emphasis",
    "entity",
    "escape",
    "image",
    "link",
    "newline",
)
# Link destinations: [text](dest), <scheme:autolink> and [label]: dest definitions, the
# last at the start of a line. The checks below search the text with a line break put
# before it, and match that line break where a line starts: each branch then begins
# with a character, which Python's re looks for at once, where ^ is tried at every
# position. The four checks of 1,000 of the benchmark's bodies took 0.64 s with ^, 0.11 s so
# (with raw HTML looked for only where a "<" is).
_LINK = re.compile(
    r"\]\(\s*<?(?P<inline>[^)\s>]+)"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>"
    r"|\n {0,3}\[[^\]]+\]:\s*<?(?P<ref>[^\s>]+)"
)
# Where rendered HTML holds a link or image URL. Text in it is escaped, so only
# the renderer can have written these.
_URL = re.compile(r'(<a href="|<img src=")([^"]*)"')
# Raw HTML a writer may paste: an opening or closing tag. Autolinks (<https://…>,
# <name@example.org>) never match: a tag name is followed by a space, / or >.
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>")
# Code, where HTML is meant to be shown as text: fenced blocks and inline spans.
_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?(?:^ {0,3}\1|\Z)|`[^`\n]+`", re.MULTILINE | re.DOTALL)
# The quotes and list items a line opens: "> > - 1. ".
_CONTAINERS = re.compile(r"\n(?:[ \t]*(?:>|[-+*][ \t]|\d{1,9}[.)][ \t]))+")  # after a line break
_MARKER = re.compile(r">|[-+*][ \t]|\d{1,9}[.)][ \t]")
_REFERENCE = re.compile(r"\n {0,3}\[[^\]]+\]:")  # after a line break
_ESCAPED = (("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_TEXT_NODES = ("text", "text_special")


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("zero").enable_many(list(_COMMONMARK))


def render_markdown(text: str, base: str) -> str:
    """Render *text* to HTML, resolving relative links and images against *base*."""

    def resolve(match: re.Match[str]) -> str:
        url = match[2]
        for escaped, plain in _ESCAPED:
            url = url.replace(escaped, plain)
        return f'{match[1]}{_escape(urljoin(base, url))}"'

    return _URL.sub(resolve, _parser().render(text))


def _escape(text: str) -> str:
    for escaped, plain in reversed(_ESCAPED):
        text = text.replace(plain, escaped)
    return text


def first_paragraph(text: str) -> str:
    """Return the plain text of the first paragraph of *text*."""
    head = text.strip().split("\n\n", 1)[0]
    blocks = _parser().tree(head).children
    if "[" in head or not blocks or blocks[0].name != "paragraph":
        blocks = _parser().tree(text).children  # the rare case that needs the whole document
    for block in blocks:
        if block.name == "paragraph":
            return " ".join(plain_text(block).split())
    return ""


def unsafe_links(text: str) -> list[tuple[int, str]]:
    """Return (line within *text*, URL) for each link that is not http(s), mailto or relative."""
    found = []
    lines = "\n" + text  # see _LINK
    for match in _LINK.finditer(lines):
        url = match.group("inline") or match.group("auto") or match.group("ref")
        if not is_safe_url(html.unescape(url)):  # &#100;ata: is data: to a browser
            start = match.start() + (1 if match.group("ref") else 0)  # after its break
            found.append((lines.count("\n", 1, start), url))
    return found


def html_tags(text: str) -> list[tuple[int, str]]:
    """Return (line within *text*, tag name) for the first use of each raw HTML tag
    outside code: pasted HTML is shown as text, which the writer rarely means."""
    if "<" not in text:  # as in most bodies
        return []
    prose = _CODE.sub(lambda code: "\n" * code.group().count("\n"), text)
    found: dict[str, int] = {}
    line = position = 0
    for match in _TAG.finditer(prose):
        line += prose.count("\n", position, match.start())
        position = match.start()
        found.setdefault(match[1].lower(), line)
    return [(line, tag) for tag, line in found.items()]


def count_references(text: str) -> int:
    """Count the link reference definitions ([label]: url) in *text*."""
    return len(_REFERENCE.findall("\n" + text)) if "]:" in text else 0


def is_safe_url(url: str) -> bool:
    """Tell whether *url* is relative or uses http, https or mailto."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:  # such as an unclosed [ of an IPv6 address: no link at all
        return False
    return scheme in ("", *SAFE_SCHEMES)


def plain_text(node: Node) -> str:
    """Return the readable text within a node of the Markdown tree (without recursion:
    emphasis can nest thousands deep)."""
    parts = []
    pending = list(reversed(node.children))
    while pending:
        child = pending.pop()
        if child.name in _TEXT_NODES:
            parts.append(child.meta.get("content", ""))
        elif child.name in ("softbreak", "hardbreak"):
            parts.append(" ")
        else:  # emphasis, code, links, images: their text
            pending.extend(reversed(child.children))
    return "".join(parts)


def deepest_nesting(text: str) -> tuple[int, int]:
    """Return (line within *text*, depth) of the line that opens the most quotes and
    lists at once (> > - 1.): the Markdown parser's stack is only so deep."""
    deepest = (0, 0)
    lines = "\n" + text  # see _LINK
    for prefix in _CONTAINERS.finditer(lines):  # the lines that open any, only
        depth = len(_MARKER.findall(prefix.group()))
        if depth > deepest[1]:
            deepest = (lines.count("\n", 1, prefix.start() + 1), depth)
    return deepest
