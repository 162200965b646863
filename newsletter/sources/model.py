"""The item file format: a pydantic model of one items/<name>.yaml, and its JSON Schema."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from newsletter.core.errors import shown
from newsletter.sources.settingtypes import one_line

ID_LIMIT = 100  # characters: an id names files (news/<id>.html), which have a limit
ID_PATTERN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{ID_LIMIT - 1}}}$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_DATE_HINT = "a date like 2024-04-10 or a time like 2024-04-10T10:30"


def _parse_when(value: Any) -> date | datetime:
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected {_DATE_HINT}, got {shown(value)}")
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError as exc:
        reason = str(exc).removeprefix("Invalid isoformat string: ")
        detail = "" if reason.startswith("'") else f" ({reason})"
        raise ValueError(f"expected {_DATE_HINT}, got {shown(text)}{detail}") from None


def parse_when(value: Any) -> date | datetime:
    """VALUE, a date or time as an item writes it, as a date or datetime; ValueError."""
    return _parse_when(value)


_WHEN_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
When = Annotated[
    date | datetime,
    BeforeValidator(_parse_when),
    WithJsonSchema({"type": "string", "pattern": _WHEN_PATTERN}),
]


def _link(value: str) -> str:
    if not re.match(r"^(https?://\S+|mailto:\S+@\S+)$", value.strip()):
        raise ValueError(f"expected an http(s) or mailto: link, got {shown(value)}")
    return value.strip()


def _web_link(value: str) -> str:
    if not re.match(r"^https?://\S+$", value.strip()):
        raise ValueError(f"expected an http(s) URL, got {shown(value)}")
    return value.strip()


def _image_src(value: str) -> str:
    text = value.strip()
    parts = urlsplit(text)
    remote = parts.scheme.lower() in ("http", "https") and parts.netloc
    if not text or text.startswith("//") or (parts.scheme and not remote):
        hint = "an https URL or the path of a picture file, such as images/lab.jpg"
        raise ValueError(f"expected {hint}, got {shown(value)}")
    return text


Link = Annotated[str, BeforeValidator(lambda v: _link(v) if isinstance(v, str) else v)]
WebLink = Annotated[
    str,
    BeforeValidator(lambda v: _web_link(v) if isinstance(v, str) else v),
    WithJsonSchema({"type": "string", "pattern": r"^https?://\S+$"}),
]
ImageSrc = Annotated[str, BeforeValidator(lambda v: _image_src(v) if isinstance(v, str) else v)]
Text = Annotated[str, Field(min_length=1)]
# What reaches an email's headers (the subject is the lead's title) must be one line.
Line = Annotated[str, AfterValidator(one_line)]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, str_strip_whitespace=True
    )


class ImageFields(_Strict):
    src: ImageSrc
    """A picture file in the project, next to the item file or from the project folder
    (images/lab.jpg), which the build publishes; or an https URL."""
    alt: Text
    """What the picture shows, for readers who cannot see it (required)."""
    credit: str | None = None
    """Who made the picture, e.g. "Photo: CNIO"."""
    width: int | None = Field(None, ge=1, le=4000)
    """Width in pixels of a picture at an https URL, if known; a file's is read from it."""
    height: int | None = Field(None, ge=1, le=4000)
    """Height in pixels of a picture at an https URL, if known; a file's is read from it."""


class EventFields(_Strict):
    start: When
    """When it starts: 2024-04-19T10:30 (in the configured time zone) or a date."""
    end: When | None = None
    """When it ends; must be after start."""
    location: str | None = None
    """Where it takes place."""
    host: str | None = None
    """Who hosts it."""
    registration: WebLink | None = None
    """Where to sign up for it: an http(s) URL ("Register")."""


class ItemFields(_Strict):
    """One news item, as written in items/<name>.yaml."""

    title: Annotated[Text, AfterValidator(one_line)]
    """The headline (required), on one line."""
    date: When
    """Publication date or time (required); without an offset it is in the configured time
    zone, and a date alone means 00:00."""
    kicker: Line | None = None
    """A short lead-in shown before the title, on one line, e.g. "Guest lecture"."""
    updated: When | None = None
    """When the item was last changed in a way readers should see; default: date."""
    id: str | None = None
    """Stable identity of the item; default: the file name without .yaml. Never change it."""
    summary: str | None = None
    """Plain-text summary; default: the first paragraph of body."""
    body: str = ""
    """The story in Markdown (CommonMark); raw HTML is shown as text."""
    authors: list[Text] = []
    """Names of the people who wrote it."""
    department: str | None = None
    """The department it is about; it gets a feed of its own."""
    tags: list[Text] = []
    """Topics; each gets a feed of its own."""
    image: ImageFields | None = None
    """A picture: {src, alt, credit}."""
    link: Link | None = None
    """An external page with the full story ("Read more")."""
    event: EventFields | None = None
    """For lectures, defences and seminars: {start, end, location, host, registration}."""
    featured: bool = False
    """true makes it the lead story of its digest's email, with its picture large."""
    lang: str | None = None
    """Language of this item (en, nb, ...); default: the configured language."""
    draft: bool = False
    """true keeps the item out of every output; it is still checked."""

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str | None) -> str | None:
        if value is not None and not ID_PATTERN.match(value):
            what = f"at most {ID_LIMIT} letters, digits, '-', '_' and '.'"
            raise ValueError(f"use {what}, got {shown(value)}")
        return value

    @field_validator("lang")
    @classmethod
    def _lang_shape(cls, value: str | None) -> str | None:
        if value is not None and not _LANG.match(value):
            raise ValueError(f"expected a language code such as en or nb, got {shown(value)}")
        return value


def item_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of an item file."""
    schema = ItemFields.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "newsletter item"
    return schema
