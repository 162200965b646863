# ruff: noqa: RUF001  (real text: an acute accent)
"""Inlining the stylesheet: premailer's traps, and premailer's own result, byte for byte."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.domain.digests import group_into_digests
from newsletter.engine.itemcache import load_catalog
from newsletter.render.emails import email_context
from newsletter.render.inline import inline_css
from newsletter.render.templates import make_environment, render
from newsletter.sources.config import load_config

TRAPS = """<!doctype html>
<html lang="nb"><head><meta charset="utf-8">
<!--[if mso]><style>td { font-family: Arial !important; }</style><![endif]-->
<style>
p { color: #111111; }
img { width: 100%; height: auto; }
@media (max-width: 620px) { p { color: #222222 !important; } }
</style></head>
<body><p id="top">Blåbær &amp; brød &lt;3 &nbsp;é´</p>
<a href="#top">Til toppen</a>
<img src="https://example.org/a.png" alt="A" width="560" height="373">
<!--[if mso]><table role="presentation" width="600"><tr><td><![endif]-->
</body></html>
"""


def test_premailer_keeps_the_doctype_it_drops_when_lower_case() -> None:
    assert inline_css(TRAPS).startswith("<!DOCTYPE html>\n<html")
    assert inline_css(TRAPS).count("DOCTYPE") == 1


def test_premailer_keeps_important_in_media_queries() -> None:
    assert "color: #222 !important" in inline_css(TRAPS)


def test_premailer_leaves_in_page_anchors_alone() -> None:
    assert '<a href="#top">Til toppen</a>' in inline_css(TRAPS)


def test_premailer_keeps_outlook_conditional_comments_as_they_are() -> None:
    out = inline_css(TRAPS)
    assert "<!--[if mso]><style>td { font-family: Arial !important; }</style><![endif]-->" in out
    assert '<!--[if mso]><table role="presentation" width="600"><tr><td><![endif]-->' in out


def test_premailer_keeps_entities_and_non_ascii_text() -> None:
    assert '<p id="top" style="color:#111">Blåbær &amp; brød &lt;3 \xa0é´</p>' in inline_css(TRAPS)


def test_premailer_keeps_pixel_sizes_of_images() -> None:
    assert 'alt="A" width="560" height="373" style="width:100%; height:auto"' in inline_css(TRAPS)


def plain_premailer(html: str, **options: object) -> str:
    """What premailer itself makes of *html*, with inline_css's options."""
    import logging

    from premailer import Premailer

    inliner = Premailer(
        html,
        allow_network=False,
        strip_important=False,
        keep_style_tags=False,
        disable_validation=True,
        disable_basic_attributes=["width", "height"],
        cssutils_logging_level=logging.CRITICAL,
        **options,
    )
    body = re.sub(r"^\s*<!doctype[^>]*>\s*", "", str(inliner.transform()), flags=re.IGNORECASE)
    return "<!DOCTYPE html>\n" + body


FLOATS = TRAPS.replace("img { width", "a:hover { color: red; } .left { float: left; } img { width")
SHEETS = [TRAPS, FLOATS, TRAPS.replace("#111111", "#333333"), TRAPS]


@pytest.mark.parametrize("html", SHEETS, ids=["first", "floats", "other-sheet", "again"])
def test_remembering_stylesheets_changes_nothing_premailer_makes(html: str) -> None:
    # Run in order: the last one finds its stylesheet remembered from the first.
    html = html.replace('alt="A"', 'alt="A" class="left"')
    assert inline_css(html) == plain_premailer(html)


def test_an_image_floated_by_the_stylesheet_still_gets_its_align_attribute() -> None:
    html = FLOATS.replace('alt="A"', 'alt="A" class="left"')
    assert 'align="left"' in inline_css(html)


def test_a_stylesheet_for_some_media_only_is_left_to_premailer_and_not_inlined() -> None:
    html = TRAPS.replace("<style>\np {", '<style media="print">\np {')
    assert inline_css(html) == plain_premailer(html)
    assert 'style="color:#111"' not in inline_css(html)


def test_a_stylesheet_premailer_is_told_to_ignore_stays_as_it_is() -> None:
    html = TRAPS.replace("<style>\np {", '<style data-premailer="ignore">\np {')
    assert inline_css(html) == plain_premailer(html)
    assert "p { color: #111111; }" in inline_css(html)


def test_every_digest_email_of_the_sample_project_comes_out_as_premailer_makes_it(
    project: Path,
) -> None:
    config = load_config(project)
    items = [item for item in load_catalog(project, config=config).items if not item.draft]
    digests = group_into_digests(items, config, datetime(2024, 6, 1, tzinfo=UTC))
    env = make_environment(project)
    assert len(digests) >= 2
    for digest in digests:
        html = render(env, "email.html", **email_context(digest, config))
        without = OUTLOOK_DARK.sub("", html)
        assert inline_css(without) == plain_premailer(without)


def test_the_rules_of_outlook_dark_mode_stay_in_the_style_element(project: Path) -> None:
    config = load_config(project)
    items = [item for item in load_catalog(project, config=config).items if not item.draft]
    digest = group_into_digests(items, config, datetime(2024, 6, 1, tzinfo=UTC))[-1]
    html = render(make_environment(project), "email.html", **email_context(digest, config))
    assert OUTLOOK_DARK.search(html)
    inlined = inline_css(html)
    style = inlined[inlined.rindex("<style>") : inlined.rindex("</style>")]
    assert "[data-ogsc] .button {color:#10233a !important}" in style
    assert "[data-ogsc] .kicker {color:#e6c07b !important}" in style


OUTLOOK_DARK = re.compile(r"^\[data-og[sb]c\][^\n]*\n", re.MULTILINE)


# Documents and stylesheets made of pieces chosen to meet every path of inline_css:
# selectors it matches itself and ones it leaves to premailer, classes and attributes
# in any case, styles of the element's own, and declarations that become attributes.
TAGS = ["div", "p", "a", "td", "span", "img"]
CLASSES = ["a", "b", "item", "Title", "x-1", "_y"]
SELECTORS = [
    "p",
    "a",
    "P",
    "div p",
    "td a",
    ".a",
    ".b",
    ".item",
    ".Title",
    ".title",
    ".x-1",
    "._y",
    ".a.b",
    "p.a",
    "div .b a",
    ".a .a",
    "[data-x]",
    "[data-X]",
    "[data-x] .a",
    "[title]",
    "a[title].b",
    "td > p",
    "p + p",
    "p ~ a",
    "p:first-child",
    "a:last-child",
    "div:nth-child(2)",
    "a:hover",
    "#top",
    ".a, .b",
    "* p",
]
DECLARATIONS = [
    "color: red",
    "color: #00509e !important",
    "padding: 0 4px",
    "width: 120px",
    "height: auto",
    "background-color: #abc",
    "background-color: transparent",
    "text-align: center",
    "vertical-align: top",
    "margin: unset",
    "font-weight: bold",
    "float: left",
    "FLOAT: right",
    "float: none",
]


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attributes = ""
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(CLASSES), max_size=3))
        spacing = draw(st.sampled_from([" ", "  ", "\t", "\n", "\xa0"]))
        attributes += f' class="{spacing.join(names)}"'
    if draw(st.booleans()):
        attributes += draw(
            st.sampled_from([' data-x=""', ' title="t"', ' id="top"', ' DATA-X="1"'])
        )
    if draw(st.booleans()):
        attributes += f' style="{draw(st.sampled_from(DECLARATIONS))}"'
    if tag == "img":
        return f"<img{attributes}>"
    children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 4 else []
    return f"<{tag}{attributes}>t{''.join(children)}</{tag}>"


@st.composite
def stylesheets(draw: st.DrawFn) -> str:
    rules = draw(
        st.lists(
            st.tuples(st.sampled_from(SELECTORS), st.sampled_from(DECLARATIONS)),
            min_size=1,
            max_size=12,
        )
    )
    css = "\n".join(f"{selector} {{ {declaration}; }}" for selector, declaration in rules)
    if draw(st.booleans()):
        css += "\n@media (max-width: 600px) { .a { color: blue !important; } }"
    return css


# 75 examples with a second stylesheet and 75 without, drawn anew in each run: two
# tests, for two cores.
@pytest.mark.parametrize("second", [False, True], ids=["one-stylesheet", "two-stylesheets"])
@pytest.mark.long
@settings(max_examples=75, deadline=None)
@given(css=stylesheets(), body=st.lists(elements(), min_size=1, max_size=4))
def test_inlining_makes_what_premailer_makes(css: str, body: list[str], second: bool) -> None:
    extra = "<style>.b { color: green; }</style>" if second else ""
    head = f"<head><style>{css}</style>{extra}</head>"
    html = f"<!DOCTYPE html>\n<html>{head}<body>{''.join(body)}</body></html>"
    assert inline_css(html) == plain_premailer(html)
