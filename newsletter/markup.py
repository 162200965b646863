"""Markdown (CommonMark) to HTML: raw HTML escaped, every link made absolute.

Checking an item must stay fast for thousands of items, so it never renders the
whole body: the default summary comes from the first paragraph alone, and links
are found with a pattern. Rendering happens only when a build needs the HTML.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urljoin, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

SAFE_SCHEMES = ("http", "https", "mailto")
# Link destinations: [text](dest), <scheme:autolink> and [label]: dest definitions.
_LINK = re.compile(
    r"\]\(\s*<?(?P<inline>[^)\s>]+)"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>"
    r"|^ {0,3}\[[^\]]+\]:\s*<?(?P<ref>[^\s>]+)",
    re.MULTILINE,
)


@cache
def _parser() -> MarkdownIt:
    # "commonmark" with html=False escapes raw HTML instead of passing it through.
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def render_markdown(text: str, base: str) -> str:
    """Render *text* to HTML, resolving relative links and images against *base*."""
    md = _parser()
    tokens = md.parse(text)
    for token in tokens:
        for child in token.children or ():
            attr = "href" if child.type == "link_open" else "src" if child.type == "image" else ""
            if attr:
                child.attrs[attr] = urljoin(base, str(child.attrs.get(attr, "")))
    return str(md.renderer.render(tokens, md.options, {}))


def first_paragraph(text: str) -> str:
    """Return the plain text of the first paragraph of *text*."""
    head = text.strip().split("\n\n", 1)[0]
    tokens = _parser().parse(head)
    if "[" in head or not tokens or tokens[0].type != "paragraph_open":
        tokens = _parser().parse(text)  # the rare case that needs the whole document
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and tokens[index + 1].children is not None:
            return plain_text(tokens[index + 1].children or [])
    return ""


def unsafe_links(text: str) -> list[tuple[int, str]]:
    """Return (line within *text*, URL) for each link that is not http(s), mailto or relative."""
    found = []
    for match in _LINK.finditer(text):
        url = match.group("inline") or match.group("auto") or match.group("ref")
        if not is_safe_url(url):
            found.append((text.count("\n", 0, match.start()), url))
    return found


def is_safe_url(url: str) -> bool:
    """Tell whether *url* is relative or uses http, https or mailto."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return scheme in ("", *SAFE_SCHEMES)


def plain_text(children: list[Token]) -> str:
    """Return the readable text of an inline token's children."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(plain_text(child.children or []))
    return " ".join("".join(parts).split())
