"""Inline an email's stylesheet into style attributes: premailer's result, faster.

premailer matches every selector against the whole document and merges every
element's styles anew for each email; that was most of the time a digest took. But
a digest is made of a few kinds of element, the same in every digest: an item's
title, its date, a link in the footer. So inline_css does premailer's work once per
kind of element, not once per email:

- each stylesheet is parsed into rules once (by premailer);
- a selector made of tags, classes and [attributes] joined by spaces is matched
  through an index of the document's elements, built in one pass; any other
  selector is matched by premailer's own selector engine;
- the style of an element that matches the same rules, with the same style of its
  own, is merged (by premailer) once and then copied.

The output is premailer's transform() byte for byte, the tests hold it so, but for
the rules of Outlook.com's dark mode, which premailer drops and this keeps. A
document using what this does not handle (stylesheets limited to some media or
that premailer is told to ignore) goes through premailer whole.

premailer is imported inside functions: it is slow to import, and `newsletter check`
or `--help` should not pay for it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from newsletter.render.selectors import Element, Index, compounds, float_side

MEMO_LIMIT = 64  # stylesheets remembered; a build has one or two
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>\s*", re.IGNORECASE)
_OUTLOOK_DARK = ("[data-ogsc]", "[data-ogsb]")


def inline_css(html: str) -> str:
    """Inline the stylesheet as premailer does, working around what premailer 3.10 breaks.

    It drops a lower-case doctype (we put it back), strips !important from the rules
    it leaves in <style> unless told not to (the @media overrides need it), would
    rewrite #anchors into absolute URLs if given base_url (we give none: every URL
    is absolute already), and copies CSS sizes into width/height attributes. It
    never fetches anything with allow_network=False.
    """
    inlined = _Document(html).inline()
    if inlined is None:
        inlined = _premailer(html).transform()
    return "<!DOCTYPE html>\n" + _DOCTYPE.sub("", inlined, count=1)


def _premailer(html: str | None) -> Any:
    return _inliner_class()(
        html,
        allow_network=False,
        strip_important=False,
        keep_style_tags=False,
        disable_validation=True,
        # It would turn the CSS width:100% and height:auto of images into attributes,
        # replacing the pixel sizes Outlook needs.
        disable_basic_attributes=["width", "height"],
        cssutils_logging_level=logging.CRITICAL,
    )


@functools.cache
def _rule_parser() -> Any:
    """A Premailer given no document, to parse stylesheets and merge styles with."""
    return _premailer(None)


@functools.cache
def _inliner_class() -> type[Any]:
    """premailer's Premailer, remembering what it made of each stylesheet.

    premailer parses its cached stylesheet into rules again for every document, and
    writes the @media rules it leaves in <style> out again. This subclass does both
    once per stylesheet. Both methods depend only on their arguments and on options
    that _premailer always sets the same way.
    """
    from premailer import Premailer

    class StylesheetMemo(Premailer):  # type: ignore[misc]
        rules: ClassVar[dict[tuple[str, int], tuple[list[Any], list[Any]]]] = {}
        texts: ClassVar[dict[tuple[Any, ...], str]] = {}

        def _parse_style_rules(self, css_body: str, index: int) -> tuple[list[Any], list[Any]]:
            key = (css_body, index)
            if key not in self.rules:
                if len(self.rules) >= MEMO_LIMIT:  # a long serve session, many stylesheets
                    self.rules.clear()
                    self.texts.clear()  # keyed by the identity of rules just let go
                    _Styles.memo.clear()
                self.rules[key] = _keep_outlook_dark(*super()._parse_style_rules(css_body, index))
            rules, leftover = self.rules[key]
            return list(rules), list(leftover)

        def _css_rules_to_string(self, rules: list[Any]) -> str:
            # The @media rules are the very objects kept in self.rules: same identity,
            # same text. A rule is a tuple of strings for a pseudo-class.
            key = tuple(rule if isinstance(rule, tuple) else id(rule) for rule in rules)
            if key not in self.texts:
                self.texts[key] = super()._css_rules_to_string(rules)
            return self.texts[key]

    return StylesheetMemo


def _keep_outlook_dark(rules: list[Any], leftover: list[Any]) -> tuple[list[Any], list[Any]]:
    """Leave the rules of Outlook.com's dark mode ([data-ogsc] and [data-ogsb], the
    attributes it sets on its own page) in <style>: no element of the email matches
    them, and inlining would drop them."""
    outlook = [rule for rule in rules if rule[1].startswith(_OUTLOOK_DARK)]
    kept = [(selector, bulk) for _, selector, bulk in outlook]
    return [rule for rule in rules if rule not in outlook], leftover + kept


class _Document:
    """One email on its way through premailer's transform(), step for step."""

    def __init__(self, html: str) -> None:
        from lxml import etree

        self.stripped = html.strip()
        self.tree = etree.fromstring(self.stripped, etree.HTMLParser()).getroottree()
        self.page = self.tree.getroot()

    def inline(self) -> str | None:
        """The document inlined, or None when premailer must do it whole."""
        from lxml import etree
        from premailer.premailer import get_or_create_head

        # lxml adds a doctype the document lacks: serialize the whole tree only when
        # the document had it, as premailer does.
        root = self.tree if self.stripped.startswith(self.tree.docinfo.doctype) else self.page
        get_or_create_head(self.tree)
        sheets = self._stylesheets()
        if sheets is None:
            return None
        styles = _Styles.of(sheets)
        for element, rules in self._matches(styles.selectors).items():
            style, attributes = styles.merged(element.get("style", ""), rules)
            if style:
                element.set("style", style)
            for name, value in attributes:
                element.set(name, value)
        # Outlook ignores CSS floats but not the align attribute.
        for image in self.page.iter("img"):
            align = float_side(image.get("style"))
            if align:
                image.set("align", align)
        out: bytes = etree.tostring(root, method="html", pretty_print=True, encoding="utf-8")
        return out.decode()

    def _stylesheets(self) -> tuple[str, ...] | None:
        """Take the <style> elements' text out as premailer does: what it cannot
        inline (@media rules, pseudo-classes) stays in <style>, the rest goes."""
        inliner = _rule_parser()
        sheets = []
        for index, element in enumerate(list(self.page.iter("style"))):
            if element.get("media") or element.get(inliner.attribute_name):
                return None
            css = element.text or ""
            sheets.append(css)
            _, leftover = inliner._parse_style_rules(css, index)
            if leftover:
                element.text = inliner._css_rules_to_string(leftover)
            else:
                element.getparent().remove(element)
        return tuple(sheets)

    def _matches(self, selectors: Sequence[str]) -> dict[Element, list[int]]:
        """Each element any rule applies to, and the rules' positions in order."""
        from premailer.premailer import _create_cssselector

        index = Index(self.page)
        matches: dict[Element, list[int]] = {}
        for position, selector in enumerate(selectors):
            simple = compounds(selector)
            found = index.select(simple) if simple else _create_cssselector(selector)(self.page)
            for element in found:
                matches.setdefault(element, []).append(position)
        return matches


class _Styles:
    """The inlinable rules of a set of stylesheets, in the order premailer applies
    them, and the styles already merged from them."""

    memo: ClassVar[dict[tuple[str, ...], _Styles]] = {}

    def __init__(self, sheets: tuple[str, ...]) -> None:
        inliner = _rule_parser()
        rules = []
        for index, css in enumerate(sheets):
            rules.extend(inliner._parse_style_rules(css, index)[0])
        rules.sort(key=lambda rule: rule[0])
        self.inliner = inliner
        self.selectors: list[str] = []
        self.pseudo: list[str] = []
        self.bulks: list[str] = [bulk for _, _, bulk in rules]
        for _, selector, _ in rules:
            plain, pseudo = selector, ""
            if ":" in selector:
                plain, pseudo = selector.split(":", 1)
                pseudo = ":" + pseudo
            # premailer matches :first-child and its like with the selector whole.
            if pseudo in _filter_pseudo_selectors() or pseudo.startswith(":nth-child"):
                plain, pseudo = selector, ""
            self.selectors.append(plain)
            self.pseudo.append(pseudo)
        self.merges: dict[tuple[str, tuple[int, ...]], tuple[str, tuple[tuple[str, str], ...]]] = {}

    @classmethod
    def of(cls, sheets: tuple[str, ...]) -> _Styles:
        """The rules of *sheets*, parsed once."""
        if sheets not in cls.memo:
            if len(cls.memo) >= MEMO_LIMIT:
                cls.memo.clear()
            cls.memo[sheets] = cls(sheets)
        return cls.memo[sheets]

    def merged(self, own: str, rules: list[int]) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The style attribute of an element with style *own* that *rules* apply to,
        and the HTML attributes premailer derives from it (such as bgcolor)."""
        key = (own, tuple(rules))
        if key not in self.merges:
            from lxml import etree
            from premailer.merge_style import csstext_to_pairs, merge_styles

            pairs = [csstext_to_pairs(self.bulks[rule], validate=False) for rule in rules]
            style = merge_styles(
                own, pairs, [self.pseudo[rule] for rule in rules], remove_unset_properties=True
            )
            # The attributes depend on the style alone: premailer's force=True sets
            # them whatever the element has.
            scratch = etree.Element("scratch")
            self.inliner._style_to_basic_html_attributes(scratch, style, force=True)
            self.merges[key] = (style, tuple(scratch.attrib.items()))
        return self.merges[key]


@functools.cache
def _filter_pseudo_selectors() -> tuple[str, ...]:
    from premailer.premailer import FILTER_PSEUDOSELECTORS

    return tuple(FILTER_PSEUDOSELECTORS)
