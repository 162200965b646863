"""The site's language: its gettext catalogue and its Babel locale.

A catalogue is one file, newsletter/locales/<language>/LC_MESSAGES/newsletter.po,
read as it is (no compiled .mo): a new language is that one file. Its strings are
English; the English catalogue lists them untranslated, for a translator to copy.
"""

from __future__ import annotations

import functools
import gettext
from io import BytesIO

from babel import Locale
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from newsletter.sources.settingtypes import LOCALES, catalogue_language

DOMAIN = "newsletter"
# Plain en reads dates as Oslo writes them (Friday, 19 April 2024, 10:30); en-US
# or en-GB say so themselves.
_PLAIN = {"en": "en_GB"}


@functools.lru_cache(maxsize=8)
def translations(language: str) -> gettext.NullTranslations:
    """The interface strings in *language* (a BCP 47 tag such as nb or en-GB)."""
    name = catalogue_language(language)
    path = LOCALES / name / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=name, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@functools.lru_cache(maxsize=8)
def locale_of(language: str) -> Locale:
    """The Babel locale of *language*: its dates, times and plural rules."""
    tag = language.replace("-", "_")
    return Locale.parse(_PLAIN.get(tag, tag))


def og_locale(language: str) -> str:
    """The Open Graph locale of *language*, a language and a territory: nb_NO, en_GB."""
    locale = locale_of(language)
    if not locale.territory:
        likely = get_global("likely_subtags").get(locale.language, locale.language)
        locale = Locale.parse(likely)
    return f"{locale.language}_{locale.territory}"


def shipped_languages() -> list[str]:
    """The languages newsletter's interface is written in: what an item's lang offers."""
    return sorted(path.name for path in LOCALES.iterdir() if (path / "LC_MESSAGES").is_dir())
