"""Digests: the items of one period, plus the events coming up after it.

A digest shows what was known at its period's end: items dated later never enter
it, so adding items never changes the email of a period that is over. Each item is
listed once: an event announced in the period is news, with its story; the upcoming
events are those announced in earlier periods that start soon after this one.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.layout import NOTES_DIR
from newsletter.domain.periods import BadPeriod, Period, parse_period, periods_from
from newsletter.sources.config import Config
from newsletter.sources.items import SORT_KEY, Item

DIGESTS_DIR = "digests"
KB = 1000  # Gmail clips at about 102 kB; counting 1000 bytes a kB errs on the safe side
WARN_SHARE = 0.9


@dataclass(frozen=True)
class Digest:
    """One issue of the newsletter: a period's items, newest first, and upcoming events."""

    period: Period
    items: tuple[Item, ...]  # published in the period
    events: tuple[Item, ...]  # by start time: announced before the period, starting after it
    complete: bool  # False for a preview of a period not yet over
    folder: str  # relative to out/: digests/2024-W16/
    url: str  # the web version
    entry_id: str
    note: str = ""  # the editor's note, Markdown

    @property
    def lead(self) -> Item | None:
        """The lead story: the newest item marked featured, else the newest with a
        picture, else the newest."""
        return next(
            (item for item in self.items if item.featured),
            next(
                (item for item in self.items if item.image), self.items[0] if self.items else None
            ),
        )

    @property
    def others(self) -> tuple[Item, ...]:
        """The items after the lead story, newest first."""
        return tuple(item for item in self.items if item is not self.lead)


class _Timeline:
    """Items by publication and events by start, sorted once for every period's look-up."""

    def __init__(self, published: Sequence[Item]) -> None:
        self.items = sorted(published, key=SORT_KEY)
        self.dates = [item.published for item in self.items]
        self.events = sorted(
            (item for item in published if item.event),
            key=lambda item: (item.event.start if item.event else item.published, item.id),
        )
        self.starts = [item.event.start for item in self.events if item.event]

    def published_in(self, start: datetime, end: datetime) -> list[Item]:
        return self.items[bisect_left(self.dates, start) : bisect_left(self.dates, end)]

    def starting_in(self, start: datetime, end: datetime) -> list[Item]:
        return self.events[bisect_left(self.starts, start) : bisect_left(self.starts, end)]


def upcoming_until(period: Period, config: Config) -> datetime:
    """When the events a digest of *period* lists as upcoming must start before: the
    period's end and digest.upcoming_events_days more."""
    return period.end + timedelta(days=config.digest.upcoming_events_days)


def concerns(period: Period, config: Config) -> Callable[[datetime, datetime | None], bool]:
    """Whether an item published at one time, its event (if any) starting at another,
    can be in *period*'s digest: digest_of() looks at no other."""
    horizon = upcoming_until(period, config)

    def concerned(published: datetime, start: datetime | None) -> bool:
        if period.start <= published < period.end:
            return True
        return start is not None and period.end <= start < horizon

    return concerned


def digest_of(
    period: Period,
    published: Sequence[Item] | _Timeline,
    config: Config,
    as_of: datetime,
    notes: Mapping[str, str] | None = None,
) -> Digest | None:
    """Collect the digest of *period* from *published* items; None when it says nothing."""
    timeline = published if isinstance(published, _Timeline) else _Timeline(published)
    items = timeline.published_in(period.start, period.end)
    upcoming = timeline.starting_in(period.end, upcoming_until(period, config))
    events = [item for item in upcoming if item.published < period.start]  # not news again
    if not items and not events:
        return None
    folder = f"{DIGESTS_DIR}/{period.key}/"
    return Digest(
        period=period,
        items=tuple(reversed(items)),
        events=tuple(events),
        complete=period.end <= as_of,
        folder=folder,
        url=f"{config.base_url}{folder}index.html",
        entry_id=f"{config.tag_prefix}{DIGESTS_DIR}/{period.key}",
        note=(notes or {}).get(period.key, ""),
    )


def group_into_digests(
    published: Sequence[Item],
    config: Config,
    as_of: datetime,
    notes: Mapping[str, str] | None = None,
) -> list[Digest]:
    """Return the digest of every period complete at *as_of* that has something to say,
    each with the editor's note of its period, if there is one."""
    check_notes(notes or {}, config, as_of)
    if not published:
        return []
    timeline = _Timeline(published)
    found = (
        digest_of(period, timeline, config, as_of, notes)
        for period in periods_from(timeline.dates[0], as_of, config.digest.period, config.tz)
    )
    return [digest for digest in found if digest is not None]


def check_notes(notes: Mapping[str, str], config: Config, as_of: datetime) -> None:
    """Fail on a note whose name is not one of this site's periods."""
    problems = []
    kind, example = (
        config.digest.period,
        "2024-W16" if config.digest.period == "weekly" else "2024-04",
    )
    for name in sorted(notes):
        try:
            named = parse_period(name, kind, config.tz, as_of).key == name
        except BadPeriod:
            named = False
        if not named:
            message = f"name a note after its period, as in {NOTES_DIR}/{example}.md"
            problems.append(Problem(f"{NOTES_DIR}/{name}.md", 0, "", message))
    if problems:
        raise NewsletterError(problems)


def check_email_sizes(sizes: Mapping[str, int], config: Config) -> tuple[Problem, ...]:
    """Fail when an email.html is over digest.size_budget_kb; warn beyond 90 % of it."""
    budget = config.digest.size_budget_kb * KB
    errors, warnings = [], []
    for path, length in sorted(sizes.items()):
        if not (path.endswith("email.html") and length > budget * WARN_SHARE):
            continue
        size = f"{length / KB:.1f} kB"
        limit = f"digest.size_budget_kb ({config.digest.size_budget_kb} kB)"
        if length > budget:
            message = f"is {size}, over {limit}; Gmail clips it. Split the period's items"
            errors.append(Problem(path, 0, "", message))
        else:
            message = f"is {size}, over 90 % of {limit}; Gmail clips beyond it"
            warnings.append(Problem(path, 0, "", message, "warning"))
    if errors:
        raise NewsletterError(errors + warnings)
    return tuple(warnings)
