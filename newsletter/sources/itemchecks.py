"""The checks of one item's values that its model cannot make alone: dates placed in
the site's time zone, the body's links, leftovers and size, the summary, the topics."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from newsletter.core.errors import Problem, Severity, shown
from newsletter.sources.markup import count_references, deepest_nesting, html_tags, unsafe_links
from newsletter.sources.yamlfile import Document

SUMMARY_LIMIT = 300
EARLIEST_YEAR = 1900  # an earlier year is a typing error, and would make thousands of digests
LATEST_YEAR = 2200  # so is a later one; and near 9999 the calendar itself ends
BODY_LIMIT = 100_000  # bytes: a news story, not a document; feed readers refuse far less
TAG_LIMIT = 20  # each tag is a feed the item is written to, with every tag in each
NESTING_LIMIT = 100  # > > - quotes and lists opened by one line; the parser's stack ends
REFERENCE_LIMIT = 1000  # [label]: url definitions; Markdown resolves them slowly
PLACEHOLDER = "Write the story here in Markdown"  # the start of the text `new` leaves
_MARKDOWN_FOR = {
    "b": "**bold**",
    "strong": "**bold**",
    "i": "*italics*",
    "em": "*italics*",
    "a": "[text](https://…)",
    "br": "a blank line",
    "p": "a blank line between paragraphs",
    "img": "an image field",
    "ul": "lines starting with -",
    "li": "lines starting with -",
    "h1": "# Heading",
    "h2": "## Heading",
    "h3": "### Heading",
}


@dataclass
class Report:
    """Collects the problems of one item file, each at the line of its field."""

    label: str
    doc: Document
    problems: list[Problem] = field(default_factory=list)

    def __call__(self, field: str, message: str, severity: Severity = "error") -> None:
        line = self.doc.line_of(tuple(field.split(".")))
        self.problems.append(Problem(self.label, line, field, message, severity))

    def at(self, line: int, field: str, message: str, severity: Severity = "error") -> None:
        """Report a problem at a known *line*, such as one within the body."""
        self.problems.append(Problem(self.label, line, field, message, severity))


def check_body(body: str, report: Report) -> bool:
    """Report a body too long to publish, unsafe links, the example text and raw HTML;
    False when it is too long even to read as Markdown."""
    size = len(body.encode("utf-8"))
    if size > BODY_LIMIT:
        message = f"is {size // 1000:,} kB; keep it under {BODY_LIMIT // 1000} kB"
        report("body", f"{message} (put a long document on a web page and link to it)")
        return False
    references = count_references(body)
    if references > REFERENCE_LIMIT:
        message = f"has {references:,} link definitions ([label]: url); at most {REFERENCE_LIMIT:,}"
        report("body", message)
        return False
    first = report.doc.line_of(("body",)) + (1 if "\n" in body else 0)
    line, depth = deepest_nesting(body)
    if depth > NESTING_LIMIT:
        message = f"nests {depth} quotes or lists in one line; at most {NESTING_LIMIT}"
        report.at(first + line, "body", message)
        return False
    for offset, url in unsafe_links(body):
        report.at(first + offset, "body", f"link {shown(url)} is not http(s) or mailto")
    if PLACEHOLDER in body:
        line = first + body.count("\n", 0, body.index(PLACEHOLDER))
        message = "still holds the example text that newsletter new wrote; write the story"
        report.at(line, "body", message)
    for offset, tag in html_tags(body):
        instead = _MARKDOWN_FOR.get(tag, "Markdown")
        message = f"<{tag}> is HTML, which is shown as text, not applied; write {instead} instead"
        report.at(first + offset, "body", message, "warning")
    return True


def check_summary(summary: str, written: bool, report: Report) -> None:
    """Report a missing summary, or one longer than readers see in a list."""
    if not summary:
        report("body", "an item needs a body or a summary")
    elif len(summary) > SUMMARY_LIMIT and written:
        message = f"is {len(summary)} characters; keep it under {SUMMARY_LIMIT}"
        report("summary", message, "warning")
    elif len(summary) > SUMMARY_LIMIT:
        message = f"its first paragraph, the default summary, is {len(summary)} characters"
        report("body", f"{message}; add a summary under {SUMMARY_LIMIT}", "warning")


def check_topics(tags: list[str], department: str | None, report: Report) -> None:
    """Report a tag or department with nothing to name its feed by. A script without
    Latin letters is fine: its feed is named by a hash (see topic_slug)."""
    if len(tags) > TAG_LIMIT:
        report("tags", f"{len(tags)} tags; an item can have at most {TAG_LIMIT}")
    topics = [("tags", tag) for tag in tags] + ([("department", department)] if department else [])
    for name, topic in topics:
        if not any(char.isalnum() for char in topic):
            message = f"{shown(topic)} has no letter or digit to name its feed by; add a word"
            report(name, message)


def aware(value: date | datetime, tz: ZoneInfo, field: str, report: Report) -> datetime:
    """Place a naive date or time in *tz*, and show one with an offset there too (the
    same moment); a time the clocks skip is a problem, and so is a year no news has
    (which would also take the calendar past its end)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        years = f"between {EARLIEST_YEAR} and {LATEST_YEAR}"
        report(field, f"the year {value.year} is not {years}; is it a typing error?")
        year = EARLIEST_YEAR if value.year < EARLIEST_YEAR else LATEST_YEAR
        return datetime(year, 1, 1, tzinfo=UTC)  # in the calendar: the item is not used
    if value.tzinfo is not None:
        return value.astimezone(tz)
    aware = value.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
        report(field, f"{value:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks skip it)")
    return aware


def check_times(
    dated: date | datetime, updated: date | datetime | None, tz: ZoneInfo, problem: Report
) -> tuple[datetime, datetime]:
    """Place the publication and update times in *tz*; an update before it is a problem."""
    before = len(problem.problems)
    published = aware(dated, tz, "date", problem)
    changed = aware(updated, tz, "updated", problem) if updated else published
    if changed < published and len(problem.problems) == before:  # both in the calendar
        problem("updated", f"is before date ({show(published)}); it should be the same or later")
    return published, changed


def show(moment: datetime) -> str:
    """Write a moment the way an item file does: 2024-04-19 10:30."""
    return moment.strftime("%Y-%m-%d %H:%M")


def duplicate_ids(items: Iterable[tuple[str, str]]) -> Iterator[Problem]:
    """Report each (id, file) whose id, in any case, an earlier file has already."""
    first: dict[str, str] = {}
    for item_id, source in items:
        other = first.setdefault(item_id.lower(), source)
        if other != source:
            message = f"{shown(item_id)} is also the id of {other}; give one of them another id"
            yield Problem(source, 1, "id", message)
