"""The feeds as jobs: every document of the site's feed and of each topic's.

An item's job (see site.render_item) makes what the feeds show of the item once, and
hands it back, compressed, under a HANDED_BACK path, never written: the HTML of its
content, with the rest of its Atom entry around it (see render.atom.entry_parts). A
current document (Atom, RSS, JSON) is rendered from its items and their HTML. An
archive, Atom only and most of the feeds' bytes, is its head and its items' entries
joined: its job receives no item at all.

Measured in one process on the 10,000 items of bench/synthetic.py (741 documents,
684 of them archives, 44,837 entries), each job's arguments pickled and read back as
a worker's are, CPU seconds in three runs: each archive rendered from its items, 10.1
to 11.0; joined from what the items' jobs made (its making included), 4.9 to 5.2.
Each item's HTML and the rest of its entry are one piece, compressed together: the
build holds them until the last document that shows the item is sent, and whole
entries beside the HTML raised the cold build's peak memory by 10 MiB, one piece by 4.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import orjson

from newsletter.core.fingerprints import fingerprint
from newsletter.domain.channels import FeedDocument, Topics, feed_documents
from newsletter.engine.cache import Cache
from newsletter.engine.entries import squeeze, unsqueeze
from newsletter.engine.jobs import HANDED_BACK, Files, Job, Later
from newsletter.render.atom import atom_document, atom_head, entry_parts, entry_with
from newsletter.render.feeds import render_feed_document
from newsletter.sources.config import Config
from newsletter.sources.items import Item

FEED = HANDED_BACK + "feed/"  # what the feeds show of an item, by its id


class Handed:
    """What the items' jobs handed back for the feeds, by item id, compressed (see
    squeeze): a build holds each item's until the last feed document that shows it is
    sent to a worker, and sends a worker only what its document shows. What an item's
    job did not hand back (its page was kept from the last build) is found in the
    cache, or rendered, when a feed asks."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.jobs: dict[str, Job] = {}  # each item's job, by the item's id
        self.held: dict[str, bytes] = {}
        self.readers: Counter[str] = Counter()  # the documents yet to read each item's

    def take(self, path: str, data: bytes) -> None:
        """Keep what an item's job handed back."""
        self.held[path.removeprefix(FEED)] = data

    def of(self, items: Sequence[Item]) -> dict[str, bytes]:
        """What the feeds show of each of *items*, by item id, for one document."""
        shown = {}
        for item in items:
            data = self.held.get(item.id)
            if data is None:
                job = self.jobs[item.id]
                data = self.held[item.id] = (self.cache.get(job.key) or job.run())[FEED + item.id]
            shown[item.id] = data
            self.readers[item.id] -= 1
            if self.readers[item.id] <= 0:  # no other document reads it
                del self.held[item.id]
        return shown


class HandedOf(Later):
    """What the feeds show of each of *items*, as their jobs hand it back: keyed by the
    keys of those jobs."""

    def __init__(self, items: Sequence[Item], handed: Handed) -> None:
        self.items, self.handed = items, handed
        handed.readers.update(item.id for item in items)

    @property
    def value_key(self) -> str:
        jobs = self.handed.jobs  # their keys are hex digests: joined by commas at once
        return fingerprint("feed", ",".join([jobs[item.id].key for item in self.items]))

    def value(self) -> dict[str, bytes]:
        return self.handed.of(self.items)


def feed_jobs(
    published: Sequence[Item], config: Config, topics: Topics, handed: Handed
) -> list[Job]:
    """The job of each feed document: an archive's from its head and its items' entries,
    a current document's from its items and their HTML."""
    jobs = []
    for document in feed_documents(published, config, topics):
        shown = HandedOf(document.channel.items, handed)
        if document.formats == ("atom",):  # an archive
            head = atom_head(document, config)
            jobs.append(Job(render_archive, (document.channel.path, head, shown)))
        else:
            jobs.append(Job(render_feed, (document, config, shown)))
    return jobs


def feed_parts(item: Item, config: Config, html: str) -> Files:
    """What an item's job hands back for the feeds: its *html*, with the rest of its
    Atom entry before and after."""
    before, after = entry_parts(item, config)
    return {FEED + item.id: squeeze(orjson.dumps([before, html, after]))}


def render_feed(document: FeedDocument, config: Config, shown: dict[str, bytes]) -> Files:
    """Render a current feed document from its items and their HTML, as handed back."""
    html = {key: _parts(data)[1] for key, data in shown.items()}
    return render_feed_document(document, config, html)


def render_archive(path: str, head: str, shown: dict[str, bytes]) -> Files:
    """Render the archive at PATH (Atom) from its *head* and its items' entries, in order,
    as handed back."""
    entries = (
        entry_with((before, after), html) for before, html, after in map(_parts, shown.values())
    )
    return {f"{path}.atom": atom_document(head, entries)}


def _parts(data: bytes) -> tuple[str, str, str]:
    before, html, after = orjson.loads(unsqueeze(data))
    return before, html, after
