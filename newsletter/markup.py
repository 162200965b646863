"""Markdown (CommonMark) to HTML: raw HTML escaped, every link made absolute."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import urljoin, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

SAFE_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class Rendered:
    """A body as HTML, its first paragraph as plain text, and links that are not allowed."""

    html: str
    first_paragraph: str
    bad_links: tuple[tuple[int, str], ...]  # (line within the body, starting at 0; the URL)


@cache
def _parser() -> MarkdownIt:
    # "commonmark" with html=False escapes raw HTML instead of passing it through.
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def render_markdown(text: str, base: str) -> Rendered:
    """Render *text*, resolving relative links and images against *base*."""
    md = _parser()
    tokens = md.parse(text)
    bad: list[tuple[int, str]] = []
    first = ""
    line = 0
    for token in tokens:
        line = token.map[0] if token.map else line
        if token.type != "inline" or not token.children:
            continue
        if not first and _is_paragraph_text(tokens, token):
            first = plain_text(token.children)
        for child in token.children:
            attr = "href" if child.type == "link_open" else "src" if child.type == "image" else ""
            if attr:
                url = str(child.attrs.get(attr, ""))
                if not is_safe_url(url):
                    bad.append((line, url))
                child.attrs[attr] = urljoin(base, url)
    return Rendered(md.renderer.render(tokens, md.options, {}), first, tuple(bad))


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


def _is_paragraph_text(tokens: list[Token], inline: Token) -> bool:
    index = tokens.index(inline)
    return index > 0 and tokens[index - 1].type == "paragraph_open"
