"""CSS selectors of tags, classes and [attributes] joined by spaces, matched through an
index of a document's elements built in one pass: the selectors an email's stylesheet
is made of, matched as premailer's selector engine matches them, many times faster."""

from __future__ import annotations

import functools
import re
from typing import Any

# A selector of compounds joined by spaces, each an optional tag, then classes and
# [attributes] with plain ASCII names: the selectors the index answers.
_COMPOUND = re.compile(
    r"([a-zA-Z][a-zA-Z0-9]*)?((?:\.[_a-zA-Z][-_a-zA-Z0-9]*|\[[_a-zA-Z][-_a-zA-Z0-9]*\])*)"
)
_PART = re.compile(r"([.\[])([-_a-zA-Z0-9]+)\]?")
_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() collapses

Element = Any  # lxml's _Element: lxml ships no type hints


@functools.lru_cache(maxsize=1024)
def float_side(style: str | None) -> str | None:
    """The side an image with *style* floats to, as premailer reads it, if any."""
    # Without the word (in any case, or escaped) the style cannot float; premailer
    # parses every image's style to find out, which costs more than the rest.
    if not style or ("float" not in style.lower() and "\\" not in style):
        return None
    import cssutils

    side = cssutils.parseStyle(style).float
    return side if side in ("left", "right") else None


Compound = tuple[str | None, frozenset[str], tuple[str, ...]]  # tag, classes, attributes


@functools.lru_cache(maxsize=1024)
def compounds(selector: str) -> tuple[Compound, ...] | None:
    """*selector* as compounds joined by descendant combinators, None if it is not one."""
    compounds = []
    for text in selector.split():
        match = _COMPOUND.fullmatch(text)
        if match is None:
            return None
        tag, rest = match.groups()
        parts = _PART.findall(rest)
        classes = frozenset(name for kind, name in parts if kind == ".")
        attributes = tuple(name for kind, name in parts if kind == "[")
        # Case-sensitive, as in premailer's selector engine: lxml lowers the names
        # of HTML's tags and attributes, so "P" or "[data-X]" match nothing.
        compounds.append((tag, classes, attributes))
    return tuple(compounds) or None


class Index:
    """A document's elements by tag, by class and by attribute, in document order."""

    def __init__(self, page: Element) -> None:
        self.page = page
        self.classes: dict[Element, frozenset[str]] = {}
        self.by_class: dict[str, list[Element]] = {}
        for element in page.xpath("descendant-or-self::*[@class]"):
            classes = frozenset(_XML_SPACE.split(element.get("class"))) - {""}
            self.classes[element] = classes
            for name in classes:
                self.by_class.setdefault(name, []).append(element)
        self.found: dict[Compound, list[Element]] = {}

    def select(self, compounds: tuple[Compound, ...]) -> list[Element]:
        """The elements matching the last compound inside ones matching the others."""
        found = self._matching(compounds[0])
        for compound in compounds[1:]:
            inside = {child for element in found for child in element.iterdescendants()}
            found = [element for element in self._matching(compound) if element in inside]
        return found

    def _matching(self, compound: Compound) -> list[Element]:
        """The elements matching *compound*, whatever their ancestors."""
        if compound not in self.found:
            tag, classes, attributes = compound
            if classes:
                candidates = self.by_class.get(min(classes), [])
            elif tag:
                candidates = list(self.page.iter(tag))
            else:  # the name is plain ASCII (_COMPOUND): safe in an XPath
                candidates = self.page.xpath(f"descendant-or-self::*[@{attributes[0]}]")
            self.found[compound] = [
                element
                for element in candidates
                if (tag is None or element.tag == tag)
                and classes <= self.classes.get(element, frozenset())
                and all(name in element.attrib for name in attributes)
            ]
        return self.found[compound]
