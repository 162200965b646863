"""The kinds of value a setting can be: one line of text, an email address, a web URL;
and the footer every page and email ends with."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict

from newsletter.core.addresses import Unsendable, parse_mailbox
from newsletter.core.errors import shown
from newsletter.core.layout import ITEMS_DIR, OUT_DIR, TEMPLATES_DIR

_AUTHORITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9.@-]*(,\d{4}(-\d{2}){0,2})?")
_OWN = (".", ITEMS_DIR, TEMPLATES_DIR, OUT_DIR)  # the project's own folders, and itself
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BREAKS = "\r\n\x85\u2028\u2029"


def one_line(value: str) -> str:
    """Refuse line breaks: these settings and fields go into email headers, feeds and the
    calendar, where a line break ends the header or the line. Folded text (``title: >``)
    ends in one, which is dropped."""
    text = value.strip()
    found = _CONTROL.search(text)
    if found:
        what = "a line break" if found.group() in _BREAKS else f"U+{ord(found.group()):04X}"
        raise ValueError(f"must be one line of text; remove {what} from {shown(text)}")
    return text


def _address(value: str) -> str:
    try:
        parse_mailbox(value)
    except Unsendable as exc:
        raise ValueError(f"{exc}; correct it") from None
    except ValueError:
        raise ValueError(
            f"expected an email address such as news@example.org, got {shown(value)}"
        ) from None
    return value


def _web_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # an unclosed [ of an IPv6 address, a port past 65535
        parts, port = urlsplit(""), None
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", value):
        raise ValueError(f"expected an absolute http(s) URL, got {shown(value)}")
    if parts.username is not None:
        raise ValueError(f"must not hold a user name or password, got {shown(value)}")
    try:  # an international domain name, in the ASCII form every program reads
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"the host name in {shown(value)} is not a valid one") from None
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit(parts._replace(netloc=netloc)) if netloc != parts.netloc else value


def _authority(value: str) -> str:
    if value and not _AUTHORITY.fullmatch(value):
        hint = "a domain you own, perhaps with a date: example.org or example.org,2024"
        raise ValueError(f"expected {hint}, got {shown(value)}")
    return value


def _project_folder(value: str) -> str:
    parts = PurePosixPath(value).parts
    if not parts or parts[0] in _OWN:  # a path elsewhere is fine: CI may keep it apart
        hint = "a folder of its own, such as .newsletter, not the project or one of its folders"
        raise ValueError(f"expected {hint}, got {shown(value)}")
    return value


OneLine = Annotated[str, AfterValidator(one_line)]
Authority = Annotated[str, AfterValidator(one_line), AfterValidator(_authority)]
ProjectFolder = Annotated[str, AfterValidator(one_line), AfterValidator(_project_folder)]
Address = Annotated[str, AfterValidator(one_line), AfterValidator(_address)]
WebUrl = Annotated[str, AfterValidator(one_line), AfterValidator(_web_url)]


# The interface's catalogues, one folder per language: what `language` may name.
LOCALES = Path(__file__).parent.parent / "locales"
# Codes that name a language the interface has under another code.
_SPELLED = {"no": ("nb", "Norwegian Bokmål")}


def catalogue_language(language: str) -> str:
    """The catalogue *language* is written in: nb-NO reads nb_NO's, else nb's."""
    subtags = language.replace("-", "_").split("_")
    for size in range(len(subtags), 0, -1):
        name = "_".join(subtags[:size])
        if (LOCALES / name / "LC_MESSAGES").is_dir():
            return name
    shipped = ", ".join(sorted(path.name for path in LOCALES.iterdir() if path.is_dir()))
    if subtags[0].lower() in _SPELLED:
        code, name = _SPELLED[subtags[0].lower()]
        raise ValueError(f"no interface in {language!r}; {name} is {code}: write language: {code}")
    new = f"newsletter/locales/{subtags[0]}/LC_MESSAGES/newsletter.po"
    raise ValueError(f"no interface in {language!r}, only in {shipped}; a new language is {new}")


class FooterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
    address: OneLine = ""
    """The institution's postal address, in every page's footer (and in the email's,
    where email.postal_address is not set)."""
    privacy_url: WebUrl | None = None
    """The page of the privacy policy, linked from every page and email."""
    contact: Address | None = None
    """The address readers write to, linked from every page and email."""
