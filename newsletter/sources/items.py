"""Load every items/*.yaml into frozen Items, collecting every problem at once."""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from newsletter.core.errors import NewsletterError, Problem, shown
from newsletter.core.fingerprints import fields_key, fingerprint
from newsletter.core.layout import EVENTS_DIR
from newsletter.core.records import replaced
from newsletter.sources.config import Config, config_warnings
from newsletter.sources.itemchecks import (
    Report,
    aware,
    check_body,
    check_summary,
    check_times,
    check_topics,
    duplicate_ids,
    show,
)
from newsletter.sources.itemfiles import Found, InOrder, Pool, item_sources
from newsletter.sources.markup import first_paragraph
from newsletter.sources.model import ID_PATTERN, EventFields, ImageFields, ItemFields
from newsletter.sources.pictures import Image, Measured, PictureError, Placed, place_picture
from newsletter.sources.validation import validate_document
from newsletter.sources.yamlfile import Document, load_document, read_source


@dataclass(frozen=True)
class Event:
    """When and where something happens; all_day when only dates were given."""

    start: datetime
    end: datetime | None
    all_day: bool
    location: str | None
    host: str | None
    registration: str | None = None  # where to sign up, an http(s) URL

    def over_at(self, moment: datetime) -> bool:
        """Whether it is over at *moment*: past its end (its start, without one); an
        all-day event lasts to the end of its last day."""
        last = self.end or self.start
        return (last + timedelta(days=1) if self.all_day else last) <= moment


@dataclass(frozen=True)
class Item:
    """One news item, validated, with times made aware: all but its body, which only the
    rendering of its own page and content needs (see Catalog.bodies)."""

    id: str
    source: str
    title: str
    kicker: str | None
    published: datetime
    updated: datetime
    summary: str
    authors: tuple[str, ...]
    department: str | None
    tags: tuple[str, ...]
    image: Image | None
    link: str | None
    event: Event | None
    lang: str
    draft: bool
    featured: bool
    url: str
    entry_id: str

    base_url: str
    card: str = ""  # key_of() its other fields, worked out once: see value_key

    @property
    def value_key(self) -> str:
        """The key of everything the item holds (see core.fingerprints.key_of): an output
        made from it is made again when any of it changes. Its body is no part of it:
        an output that shows a body receives the body too."""
        return self.card

    @property
    def calendar_url(self) -> str | None:
        """The URL of its event's own calendar file, for "Add to calendar"; None without one."""
        return f"{self.base_url}{EVENTS_DIR}/{self.id}.ics" if self.event else None

    @cached_property
    def topics(self) -> tuple[str, ...]:
        """Its tags, then its department, each once: every feed it belongs to besides the site's."""
        return tuple(dict.fromkeys([*self.tags, *([self.department] if self.department else [])]))


# Orders items oldest first, ties broken by id; reversed, newest first.
SORT_KEY = operator.attrgetter("published", "id")


@dataclass(frozen=True)
class Catalog:
    """Every item, sorted newest first, and the warnings found while reading them."""

    items: tuple[Item, ...]
    warnings: tuple[Problem, ...]
    # Each item's file print (of its name and bytes, see load_items), by its id: where
    # the build finds its body again, and what tells whether its file changed.
    prints: dict[str, str] = field(default_factory=dict, compare=False)
    # The Markdown body of each item parsed now (not found in the memo), by its print,
    # until a build lets them go (see engine.itemcache.Bodies).
    bodies: dict[str, str] = field(default_factory=dict, compare=False)


Memo = dict[str, tuple["Item | None", tuple[Problem, ...]]]  # None: the file has errors


def load_items(
    root: Path,
    config: Config,
    *,
    strict: bool = False,
    memo: Memo | None = None,
    found: Found | None = None,
    workers: Pool | None = None,
    pictures: Measured | None = None,
) -> Catalog:
    """Read and validate every item under ROOT/items; raise all problems at once.

    *memo* maps a file's fingerprint to what reading it gave; it is used and
    filled, so that an unchanged file is never parsed twice. *found* is what the
    caller knows of the files already (see Found): a file found in the memo by its
    print is not even read again. The files left to parse are parsed by *workers*,
    where given.
    *pictures* holds the picture files measured before, and is filled.
    """
    problems: list[Problem] = []
    memo = {} if memo is None else memo
    keys, unread = _unparsed(root, config, memo, found or Found(None), problems)
    calls = ((_parse_item, (data, label, stem, config)) for data, label, stem, _, config in unread)
    bodies: dict[str, str] = {}
    for index, (item, its_problems, body) in (workers or InOrder()).map(len(unread), calls):
        memo[unread[index][3]] = item, its_problems
        if item is not None:
            bodies[unread[index][3]] = body
    items: list[Item] = []
    prints: dict[str, str] = {}
    placed: Placed = {}  # each picture found once
    for key in keys:
        item, its_problems = memo[key]
        problems.extend(its_problems)
        if item is not None:
            items.append(_with_picture(root, item, problems, pictures, placed))
            prints[item.id] = key
    return _catalog(items, problems, config, strict, Catalog((), (), prints, bodies))


Unparsed = list[tuple[bytes, str, str, str, Config]]  # a file, its label, stem, print, config


def _unparsed(
    root: Path, config: Config, memo: Memo, found: Found, problems: list[Problem]
) -> tuple[list[str], Unparsed]:
    """The key of every item file, and the files whose keys are not in *memo*, read."""
    keys: list[str] = []
    unread: Unparsed = []
    contents = found.contents
    for path, label in item_sources(root, problems, found.files):
        key = found.prints.get(label, "")
        if key not in memo:
            try:
                data = contents.pop(label) if contents and label in contents else read_source(path)
            except OSError as exc:
                problems.append(Problem(label, 0, "", f"cannot be read: {exc.strerror}"))
                continue
            key = fingerprint(label, data)
            if key not in memo:
                unread.append((data, label, PurePosixPath(label).stem, key, config))
        keys.append(key)
    return keys, unread


def _catalog(
    items: list[Item],
    problems: list[Problem],
    config: Config,
    strict: bool,
    found: Catalog,
) -> Catalog:
    """Sort the items and their problems, adding those of the whole; raise any error."""
    problems.extend(duplicate_ids((item.id, item.source) for item in items))
    problems.extend(config_warnings(config))
    problems.sort(key=lambda p: (p.path, p.line, p.field))
    if strict:
        problems = [Problem(p.path, p.line, p.field, p.message) for p in problems]
    if any(p.severity == "error" for p in problems):
        raise NewsletterError(problems)
    items.sort(key=SORT_KEY, reverse=True)
    return dataclasses.replace(found, items=tuple(items), warnings=tuple(problems))


def _with_picture(
    root: Path, item: Item, problems: list[Problem], known: Measured | None, found: Placed
) -> Item:
    """Find the picture file of *item*, if it has one, and give the item its size."""
    image = item.image
    if image is None or image.file is None:
        return item
    try:
        placed = place_picture(root, item.source, image, item.base_url, known, found)
    except PictureError as exc:
        problems.append(Problem(item.source, image.line, "image.src", str(exc)))
        return item
    # Its card covered every field, the picture as written: now the picture file found
    # too, which is all the placed image adds (its URL and size are the file's).
    card = fingerprint(item.card, placed.picture.value_key if placed.picture else "")
    return replaced(item, image=placed, card=card)


def _parse_item(
    data: bytes, label: str, stem: str, config: Config
) -> tuple[Item | None, tuple[Problem, ...], str]:
    """Read one item file: the Item, its warnings and its body, or no Item and its errors."""
    try:
        fields, doc = _fields(data, label)
        return (*_resolve(fields, doc, label, stem, config), fields.body)
    except NewsletterError as exc:
        return None, exc.problems, ""


def body_of(data: bytes, label: str) -> str:
    """The Markdown body of the item file *label* (its bytes: *data*), valid before."""
    return _fields(data, label)[0].body


def _fields(data: bytes, label: str) -> tuple[ItemFields, Document]:
    doc = load_document(label, data)
    if not isinstance(doc.value, dict):
        kind = "a list" if isinstance(doc.value, list) else "a single value"
        message = f"expected a mapping of fields (title: ..., date: ...), got {kind}"
        raise NewsletterError([Problem(label, 1, "", message)])
    return validate_document(label, doc, ItemFields), doc


def _resolve(
    fields: ItemFields, doc: Document, label: str, stem: str, config: Config
) -> tuple[Item, tuple[Problem, ...]]:
    problem = Report(label, doc)
    item_id = fields.id or stem
    if fields.id is None and not ID_PATTERN.match(stem):
        problem("id", f"the file name {shown(stem)} cannot be an id; rename the file or set id")
    published, updated = check_times(fields.date, fields.updated, config.tz, problem)
    default = first_paragraph(fields.body) if check_body(fields.body, problem) else "…"
    summary = " ".join((fields.summary or default).split())
    check_summary(summary, bool(fields.summary), problem)
    check_topics(fields.tags, fields.department, problem)
    secure = config.base_url.startswith("https:")
    image = (
        _image(fields.image, doc.line_of(("image", "src")), problem, secure)
        if fields.image
        else None
    )
    event = _event(fields.event, config.tz, problem) if fields.event else None
    item = Item(
        id=item_id,
        source=label,
        title=fields.title,
        kicker=fields.kicker or None,
        published=published,
        updated=updated,
        summary=summary,
        authors=tuple(fields.authors),
        department=fields.department or None,
        tags=tuple(fields.tags),
        image=image,
        link=fields.link,
        event=event,
        lang=fields.lang or config.language,
        draft=fields.draft,
        featured=fields.featured,
        url=f"{config.base_url}news/{item_id}.html",
        entry_id=f"{config.tag_prefix}news/{item_id}",
        base_url=config.base_url,
    )
    return with_card(item), tuple(problem.problems)


def with_card(item: Item) -> Item:
    """*item* with its card: the key of its other fields (see Item.value_key)."""
    return replaced(item, card=fields_key(item, leave_out=("card",)))


def _image(fields: ImageFields, line: int, problem: Report, secure: bool) -> Image:
    if not fields.credit:
        problem("image.credit", "the image has no credit; say who made it", "warning")
    scheme = urlsplit(fields.src).scheme
    if scheme.lower() == "http" and secure:
        message = "is http:// on an https site: browsers block or flag a picture sent in the"
        problem("image.src", f"{message} clear on a secure page (mixed content); use https://")
    if scheme:
        return Image(fields.src, fields.alt, fields.credit or None, fields.width, fields.height)
    for name in ("width", "height"):
        if getattr(fields, name) is not None:
            message = "not needed for a picture in the project: its file says it; remove it"
            problem(f"image.{name}", message, "warning")
    return Image("", fields.alt, fields.credit or None, None, None, file=fields.src, line=line)


def _event(fields: EventFields, tz: ZoneInfo, problem: Report) -> Event:
    before = len(problem.problems)
    start = aware(fields.start, tz, "event.start", problem)
    end = aware(fields.end, tz, "event.end", problem) if fields.end is not None else None
    all_day = not isinstance(fields.start, datetime)
    in_calendar = len(problem.problems) == before
    if in_calendar and end is not None and end <= start and not (all_day and end == start):
        problem("event.end", f"ends before it starts ({show(start)}); got {show(end)}")
    return Event(
        start, end, all_day, fields.location or None, fields.host or None, fields.registration
    )
