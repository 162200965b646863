"""Load every items/*.yaml into frozen Items, collecting every problem at once."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from newsletter.core.errors import NewsletterError, Problem, Severity
from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import EVENTS_DIR, ITEMS_DIR
from newsletter.core.slugs import slugify
from newsletter.sources.config import Config
from newsletter.sources.markup import first_paragraph, render_markdown, unsafe_links
from newsletter.sources.model import ID_PATTERN, EventFields, ItemFields
from newsletter.sources.validation import validate_document
from newsletter.sources.yamlfile import Document, load_document

SUMMARY_LIMIT = 300
EARLIEST_YEAR = 1900  # an earlier year is a typing error, and would make thousands of digests


class Pool(Protocol):
    """Makes calls, perhaps in other processes: yields (index, result) as each is done."""

    def map(
        self, count: int, calls: Iterable[tuple[Callable[..., Any], tuple[Any, ...]]]
    ) -> Iterator[tuple[int, Any]]: ...


class _InOrder:
    """A Pool that makes each call here, in turn."""

    def map(
        self, count: int, calls: Iterable[tuple[Callable[..., Any], tuple[Any, ...]]]
    ) -> Iterator[tuple[int, Any]]:
        return ((index, function(*args)) for index, (function, args) in enumerate(calls))


class _Report(Protocol):
    def __call__(self, field: str, message: str, severity: Severity = "error") -> None: ...


@dataclass(frozen=True)
class Image:
    """A picture with an absolute src."""

    src: str
    alt: str
    credit: str | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Event:
    """When and where something happens; all_day when only dates were given."""

    start: datetime
    end: datetime | None
    all_day: bool
    location: str | None
    host: str | None
    registration: str | None = None  # where to sign up, an http(s) URL


@dataclass(frozen=True)
class Item:
    """One news item, validated, with times made aware and its body rendered."""

    id: str
    source: str
    title: str
    kicker: str | None
    published: datetime
    updated: datetime
    summary: str
    body: str | None  # Markdown; None when read back from the state folder: see markdown
    authors: tuple[str, ...]
    department: str | None
    tags: tuple[str, ...]
    image: Image | None
    link: str | None
    event: Event | None
    lang: str
    draft: bool
    url: str
    entry_id: str

    base_url: str
    fingerprint: str  # hash of the file's name and bytes: what every output of it depends on
    path: str  # of its file, from where the build runs

    @cached_property
    def markdown(self) -> str:
        """The body. An item read back from the state folder is kept without it (most
        builds never need it): it is read again from the file, which must be unchanged."""
        return self.body if self.body is not None else _read_body(self)

    @cached_property
    def body_html(self) -> str:
        """The body rendered to HTML, links made absolute; rendered when first asked for."""
        return render_markdown(self.markdown, self.base_url)

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


Memo = dict[str, tuple["Item | None", tuple[Problem, ...]]]  # None: the file has errors


def load_items(
    root: Path,
    config: Config,
    *,
    strict: bool = False,
    memo: Memo | None = None,
    prints: Mapping[str, str] | None = None,
    workers: Pool | None = None,
    files: ItemFiles | None = None,
    contents: dict[str, bytes] | None = None,
) -> Catalog:
    """Read and validate every item under ROOT/items; raise all problems at once.

    *memo* maps a file's fingerprint to what reading it gave; it is used and
    filled, so that an unchanged file is never parsed twice. *prints* maps file
    names to the fingerprints they had a moment ago: a file found in the memo by
    its print is not even read again. The files left to parse are parsed by
    *workers*, where given. *files* are those item_files() found, if already known;
    *contents* holds files read already, by name, and is emptied as they are used.
    """
    problems: list[Problem] = []
    memo = {} if memo is None else memo
    prints = prints or {}
    keys: list[str] = []
    unread: list[tuple[bytes, str, str, str, Config, str]] = []
    for path, label in _item_files(root, problems, files):
        key = prints.get(label, "")
        if key not in memo:
            try:
                data = contents.pop(label) if contents and label in contents else _read(path)
            except OSError as exc:
                problems.append(Problem(label, 0, "", f"cannot be read: {exc.strerror}"))
                continue
            key = fingerprint(label, data)
            if key not in memo:
                unread.append((data, label, PurePosixPath(label).stem, key, config, path))
        keys.append(key)
    calls = ((_parse_item, arguments) for arguments in unread)
    for index, read in (workers or _InOrder()).map(len(unread), calls):
        memo[unread[index][3]] = read
    items: list[Item] = []
    for key in keys:
        item, found = memo[key]
        problems.extend(found)
        if item is not None:
            items.append(item)
    problems.extend(_duplicate_ids(items))
    problems.sort(key=lambda p: (p.path, p.line, p.field))
    if strict:
        problems = [Problem(p.path, p.line, p.field, p.message) for p in problems]
    if any(p.severity == "error" for p in problems):
        raise NewsletterError(problems)
    items.sort(key=SORT_KEY, reverse=True)
    return Catalog(tuple(items), tuple(problems))


def _parse_item(
    data: bytes, label: str, stem: str, key: str, config: Config, path: str
) -> tuple[Item | None, tuple[Problem, ...]]:
    """Read one item file: the Item and its warnings, or no Item and its errors."""
    try:
        fields, doc = _fields(data, label)
        return _resolve(fields, doc, label, stem, key, config, path)
    except NewsletterError as exc:
        return None, exc.problems


ItemFiles = list[tuple[str, str]]  # (name from the project, path), as item_files() finds them


def item_files(root: Path) -> ItemFiles | None:
    """Every file under ROOT/items, as (its name from ROOT, its path), in path order.

    None when there is no items/ folder. Links to folders are not followed.
    """
    folder = root / ITEMS_DIR
    if not folder.is_dir():
        return None
    found: ItemFiles = []
    pending = [(str(folder), f"{ITEMS_DIR}/")]
    while pending:
        where, prefix = pending.pop()
        with os.scandir(where) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    found.append((prefix + entry.name, entry.path))
    found.sort(key=lambda pair: pair[0].replace("/", "\0"))  # part by part, quickly
    return found


def _item_files(
    root: Path, problems: list[Problem], files: ItemFiles | None
) -> Iterator[tuple[str, str]]:
    files = item_files(root) if files is None else files
    if files is None:
        problems.append(Problem(ITEMS_DIR, 0, "", "folder not found; create it for the items"))
        return
    for label, path in files:
        name = label.rsplit("/", 1)[-1]
        if name.startswith("."):
            continue
        if name.endswith((".yaml", ".yml")):
            yield path, label
        else:
            message = "not an item (items end in .yaml); move it out of items/"
            problems.append(Problem(label, 0, "", message, "warning"))


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _fields(data: bytes, label: str) -> tuple[ItemFields, Document]:
    doc = load_document(label, data)
    if not isinstance(doc.value, dict):
        kind = "a list" if isinstance(doc.value, list) else "a single value"
        message = f"expected a mapping of fields (title: ..., date: ...), got {kind}"
        raise NewsletterError([Problem(label, 1, "", message)])
    return validate_document(label, doc, ItemFields), doc


def _read_body(item: Item) -> str:
    """Read the body of *item* from its file again, as it was when the item was read."""
    try:
        data = _read(item.path)
    except OSError as exc:
        raise NewsletterError(
            [Problem(item.source, 0, "", f"cannot be read: {exc.strerror}")]
        ) from None
    if fingerprint(item.source, data) != item.fingerprint:
        message = "changed while the build ran; build again"
        raise NewsletterError([Problem(item.source, 0, "", message)])
    return _fields(data, item.source)[0].body


def _resolve(
    fields: ItemFields, doc: Document, label: str, stem: str, key: str, config: Config,
    path: str,
) -> tuple[Item, tuple[Problem, ...]]:  # fmt: skip
    problems: list[Problem] = []

    def problem(field: str, message: str, severity: Severity = "error") -> None:
        path = tuple(field.split("."))
        problems.append(Problem(label, doc.line_of(path), field, message, severity))

    item_id = fields.id or stem
    if fields.id is None and not ID_PATTERN.match(stem):
        problem("id", f"the file name {stem!r} cannot be an id; rename the file or set id")
    tz = config.tz
    published = _aware(fields.date, tz, "date", problem)
    updated = _aware(fields.updated, tz, "updated", problem) if fields.updated else published
    if updated < published:
        problem("updated", f"is before date ({_show(published)}); it should be the same or later")
    body_line = doc.line_of(("body",)) + (1 if "\n" in fields.body else 0)
    for offset, url in unsafe_links(fields.body):
        message = f"link {url!r} is not http(s) or mailto"
        problems.append(Problem(label, body_line + offset, "body", message))
    summary = " ".join((fields.summary or first_paragraph(fields.body)).split())
    if not summary:
        problem("body", "an item needs a body or a summary")
    elif len(summary) > SUMMARY_LIMIT and fields.summary:
        problem(
            "summary", f"is {len(summary)} characters; keep it under {SUMMARY_LIMIT}", "warning"
        )
    elif len(summary) > SUMMARY_LIMIT:
        message = f"its first paragraph, the default summary, is {len(summary)} characters"
        problem("body", f"{message}; add a summary under {SUMMARY_LIMIT}", "warning")
    for field, topic in _topics(fields):
        if not slugify(topic):
            problem(field, f"{topic!r} has no letter or digit to name its feed by; add a word")
    image = None
    if fields.image:
        if not fields.image.credit:
            problem("image.credit", "the image has no credit; say who made it", "warning")
        image = Image(
            src=urljoin(config.base_url, fields.image.src),
            alt=fields.image.alt,
            credit=fields.image.credit or None,
            width=fields.image.width,
            height=fields.image.height,
        )
    event = _event(fields.event, tz, problem) if fields.event else None
    item = Item(
        id=item_id,
        source=label,
        title=fields.title,
        kicker=fields.kicker or None,
        published=published,
        updated=updated,
        summary=summary,
        body=fields.body,
        authors=tuple(fields.authors),
        department=fields.department or None,
        tags=tuple(fields.tags),
        image=image,
        link=fields.link,
        event=event,
        lang=fields.lang or config.language,
        draft=fields.draft,
        url=f"{config.base_url}news/{item_id}.html",
        entry_id=f"{config.tag_prefix}news/{item_id}",
        base_url=config.base_url,
        fingerprint=key,
        path=path,
    )
    return item, tuple(problems)


def _event(fields: EventFields, tz: ZoneInfo, problem: _Report) -> Event:
    start = _aware(fields.start, tz, "event.start", problem)
    end = _aware(fields.end, tz, "event.end", problem) if fields.end is not None else None
    all_day = not isinstance(fields.start, datetime)
    if end is not None and end <= start and not (all_day and end == start):
        problem("event.end", f"ends before it starts ({_show(start)}); got {_show(end)}")
    return Event(
        start, end, all_day, fields.location or None, fields.host or None, fields.registration
    )


def _aware(value: date | datetime, tz: ZoneInfo, field: str, problem: _Report) -> datetime:
    """Place a naive date or time in *tz*; a time the clocks skip is a problem."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.year < EARLIEST_YEAR:
        problem(field, f"the year {value.year} is before {EARLIEST_YEAR}; is it a typing error?")
    if value.tzinfo is not None:
        return value
    aware = value.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
        problem(field, f"{value:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks skip it)")
    return aware


def _topics(fields: ItemFields) -> Iterator[tuple[str, str]]:
    """Each tag and the department, with the field it stands in."""
    yield from (("tags", tag) for tag in fields.tags)
    if fields.department:
        yield "department", fields.department


def _show(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _duplicate_ids(items: list[Item]) -> Iterator[Problem]:
    first: dict[str, Item] = {}
    for item in items:
        key = item.id.lower()
        if key in first:
            other = first[key]
            message = f"{item.id!r} is also the id of {other.source}; give one of them another id"
            yield Problem(item.source, 1, "id", message)
        else:
            first[key] = item
