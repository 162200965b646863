"""A deterministic synthetic project: newsletter.yaml and years of realistic news items.

The same seed and count always give the same bytes: every choice comes from one seeded
``random.Random``, nothing reads the clock, and no set or dict order depends on hashing.
The items are written as a person would write them (plain scalars where YAML allows,
the Markdown body as a literal block at the end).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

END = date(2024, 12, 31)
"""The newest item's day; the archive reaches back ten years from here."""
YEARS = 10
AS_OF = "2025-01-01"
"""A build moment after every item, so that all but the drafts are published."""

CONFIG = """\
title: Institute for Cancer Research — News
description: News and events from the Institute for Cancer Research, Oslo University Hospital
base_url: https://news.example.org/icr/
language: en
timezone: Europe/Oslo
author: {name: Institute for Cancer Research, email: news@example.org}
id_authority: example.org
digest:
  period: weekly
  upcoming_events_days: 14
feed:
  entries: 50
email:
  from: "ICR News <news@example.org>"
  to: "icr-all@example.org"
  unsubscribe: {url: "https://news.example.org/unsubscribe", mailto: "unsubscribe@example.org"}
  postal_address: "Institute for Cancer Research, Oslo University Hospital, Oslo, Norway"
"""

FIRST_NAMES = [
    "Kjetil",
    "Siri",
    "Øystein",
    "Åse",
    "Bjørn",
    "Håkon",
    "Ingrid",
    "Sæmund",
    "Tone",
    "Gunnhild",
    "Pål",
    "Maria",
    "Ragnhild",
    "Jørgen",
    "Kirsten",
    "Ståle",
    "Liv",
    "Ærlig",
    "Tore-Geir",
    "Remya",
    "Nina",
    "Marit",
    "Lars",
    "Anja",
    "Dag Erik",
    "Hege",
    "Vessela",
]
LAST_NAMES = [
    "Taskén",
    "Sæbø",
    "Bråten",
    "Mælandsmo",
    "Østby",
    "Lærum",
    "Dæhli",
    "Åsmund",
    "Iversen",
    "Sandvig",
    "Skotland",
    "Kvalvaag",
    "Olweus",
    "Lothe",
    "Bjørkøy",
    "Strømme",
    "Aasheim",
    "Fodstad",
    "Smeland",
    "Børresen-Dale",
    "Haraldsen",
    "Kristensen",
    "Grønlund",
    "Hovig",
]
DEPARTMENTS = [
    "Department of Molecular Cell Biology",
    "Department of Tumor Biology",
    "Department of Cancer Immunology",
    "Department of Radiation Biology",
    "Department of Cancer Genetics",
    "Department of Core Facilities",
    "Department of Molecular Oncology",
    "Avdeling for kreftforebygging og helseøkonomi",
]
TAGS = [
    "lecture",
    "telomeres",
    "nanomedicine",
    "breast cancer",
    "immunotherapy",
    "lymphoma",
    "prostate cancer",
    "genomics",
    "proteomics",
    "imaging",
    "radiotherapy",
    "metastasis",
    "clinical trial",
    "award",
    "grant",
    "PhD defence",
    "seminar",
    "funding",
    "EU",
    "outreach",
    "strålebehandling",
    "brystkreft",
    "kreftforebygging",
    "pårørende",
    "forskningsdagene",
    "nærmiljø",
    "ørebetennelse",
    "blærekreft",
    "tarmkreft",
    "leukemia",
    "melanoma",
    "cell signalling",
    "autophagy",
    "endocytosis",
    "machine learning",
    "precision medicine",
    "biobank",
    "single-cell",
    "CRISPR",
    "organoids",
    "mouse models",
    "epigenetics",
    "DNA repair",
    "cell death",
    "microbiome",
    "open science",
    "Kreftforeningen",
    "Sør-Øst",
]
JOURNALS = [
    "Nature",
    "Science",
    "Cell",
    "Nature Immunology",
    "Cancer Research",
    "The Lancet Oncology",
    "International Journal of Nanomedicine",
    "Journal of Cell Biology",
    "EMBO Journal",
    "Nature Communications",
    "Blood",
    "Molecular Oncology",
]
TOPICS = [
    "targeted therapy in lymphoma",
    "telomere maintenance",
    "tumour microenvironment",
    "nanoparticle delivery",
    "T-cell exhaustion",
    "DNA damage response",
    "liquid biopsies",
    "radiation resistance",
    "cancer stem cells",
    "metabolic rewiring",
    "immune checkpoints",
    "protein sorting in endosomes",
    "drug screening in organoids",
    "early detection",
]
PLACES = [
    "Auditorium, K-Building, Radiumhospitalet",
    "Seminar room 1, Forskningsbygget",
    "Store auditorium, Rikshospitalet",
    "Lille auditorium, Domus Medica",
    "Møterom Ærfugl, Montebello",
    "Zoom (link sent by email)",
]
WORDS = [
    "cells",
    "tumour",
    "patients",
    "results",
    "study",
    "group",
    "method",
    "cancer",
    "protein",
    "analysis",
    "model",
    "data",
    "treatment",
    "response",
    "researchers",
    "samples",
    "survival",
    "signalling",
    "pathway",
    "mutation",
    "expression",
    "collaboration",
    "funding",
    "project",
    "approach",
    "therapy",
    "clinic",
    "imaging",
    "screening",
    "genome",
    "team",
    "effect",
    "mechanism",
    "laboratory",
    "experiments",
    "findings",
    "network",
    "cohort",
    "biomarker",
    "resistance",
]
VERBS = [
    "show",
    "reveal",
    "suggest",
    "improve",
    "identify",
    "describe",
    "explain",
    "reduce",
    "increase",
    "support",
]
HEADINGS = ["Background", "What we found", "Why it matters", "Next steps", "About the project"]


@dataclass(frozen=True)
class SyntheticItem:
    """One generated news item, ready to be written as YAML or as Hugo content."""

    name: str
    title: str
    published: date | datetime
    kicker: str | None
    summary: str | None
    body: str
    authors: tuple[str, ...]
    department: str | None
    tags: tuple[str, ...]
    image: dict[str, str | int] | None
    link: str | None
    event: dict[str, str] | None
    lang: str | None
    draft: bool


def make_items(count: int, seed: int = 1) -> list[SyntheticItem]:
    """Return COUNT items spread over ten years up to END, oldest first."""
    rng = random.Random(seed)
    span = (END - date(END.year - YEARS, END.month, END.day)).days
    days = sorted(rng.randrange(span + 1) for _ in range(count))
    used: dict[str, int] = {}
    items = []
    for offset in days:
        day = END - timedelta(days=span - offset)
        items.append(_item(rng, day, used))
    return items


def write_project(root: Path, items: list[SyntheticItem]) -> None:
    """Write newsletter.yaml and items/*.yaml under ROOT, replacing any earlier items."""
    shutil.rmtree(root / "items", ignore_errors=True)
    (root / "items").mkdir(parents=True)
    (root / "newsletter.yaml").write_text(CONFIG, encoding="utf-8")
    for item in items:
        path = root / "items" / f"{item.name}.yaml"
        path.write_text(item_yaml(item), encoding="utf-8")


def generate_project(root: Path, count: int, seed: int = 1) -> list[SyntheticItem]:
    """Write a synthetic project of COUNT items under ROOT and return its items."""
    items = make_items(count, seed)
    write_project(root, items)
    return items


def edit_item(path: Path, number: int) -> None:
    """Append a paragraph to the body of the item at PATH (the body is its last field)."""
    text = path.read_text(encoding="utf-8")
    addition = f"\n  Update {number}: the figures in this story were corrected after review.\n"
    path.write_text(text.rstrip("\n") + "\n" + addition, encoding="utf-8")


def item_yaml(item: SyntheticItem) -> str:
    """Return the item as an items/*.yaml file."""
    lines = [f"title: {_scalar(item.title)}"]
    if item.kicker:
        lines.append(f"kicker: {_scalar(item.kicker)}")
    lines.append(f"date: {when(item.published)}")
    if item.summary:
        lines.append(f"summary: {_scalar(item.summary)}")
    if item.authors:
        lines.append(f"authors: [{', '.join(_scalar(a, flow=True) for a in item.authors)}]")
    if item.department:
        lines.append(f"department: {_scalar(item.department)}")
    if item.tags:
        lines.append(f"tags: [{', '.join(_scalar(t, flow=True) for t in item.tags)}]")
    if item.image:
        lines.append("image:")
        lines.extend(f"  {key}: {_scalar(value)}" for key, value in item.image.items())
    if item.link:
        lines.append(f"link: {item.link}")
    if item.event:
        lines.append("event:")
        lines.extend(f"  {key}: {_scalar(value)}" for key, value in item.event.items())
    if item.lang:
        lines.append(f"lang: {item.lang}")
    if item.draft:
        lines.append("draft: true")
    lines.append("body: |")
    lines.extend(f"  {line}" if line else "" for line in item.body.split("\n"))
    return "\n".join(lines) + "\n"


def _item(rng: random.Random, day: date, used: dict[str, int]) -> SyntheticItem:
    kind = rng.choices(["article", "award", "event", "people", "general"], [4, 1, 1, 1, 3])[0]
    person = _person(rng)
    norwegian = rng.random() < 0.05
    title, kicker = _title(rng, kind, person, day, norwegian)
    event = _event(rng, day, person) if kind == "event" else None
    published: date | datetime = day
    if rng.random() < 0.4:
        published = datetime(day.year, day.month, day.day, rng.randint(7, 16), rng.choice([0, 30]))
    tags = tuple(rng.sample(TAGS, rng.choice([1, 2, 2, 3, 3, 4])))
    return SyntheticItem(
        name=_unique(f"{day.isoformat()}-{_slug(title)[:50].strip('-')}", used),
        title=title,
        published=published,
        kicker=kicker,
        summary=_sentence(rng, 14, 24) if rng.random() < 0.6 else None,
        body=_body(rng, person, norwegian),
        authors=tuple(_person(rng) for _ in range(rng.choice([0, 1, 1, 2, 3]))),
        department=rng.choice(DEPARTMENTS) if rng.random() < 0.7 else None,
        tags=tags,
        image=_image(rng, day, person) if rng.random() < 0.7 else None,
        link=f"https://doi.org/10.1000/{rng.randrange(10**6):06d}" if kind == "article" else None,
        event=event,
        lang="nb" if norwegian else None,
        draft=rng.random() < 0.005,
    )


def _title(
    rng: random.Random, kind: str, person: str, day: date, norwegian: bool
) -> tuple[str, str | None]:
    if norwegian:
        return f"{person} får pris for forskning på {rng.choice(TAGS)}", "Nyhet"
    if kind == "article":
        return f"New article in {rng.choice(JOURNALS)} on {rng.choice(TOPICS)}", None
    if kind == "award":
        return f"{person} receives the {rng.choice(['King', 'Research', 'Young'])} award", "Award"
    if kind == "event":
        label = rng.choice(["Guest lecture", "PhD defence", "Seminar", "Workshop"])
        return f"{label}: {person} on {rng.choice(TOPICS)}", label
    if kind == "people":
        return f"Welcome to {person}, new group leader", "People"
    topic = rng.choice(TOPICS)
    return f"{topic[0].upper()}{topic[1:]}: news from the {day.year} retreat", None


def _event(rng: random.Random, day: date, host: str) -> dict[str, str]:
    start_day = day + timedelta(days=rng.randint(1, 40))
    if rng.random() < 0.15:
        return {"start": start_day.isoformat(), "location": rng.choice(PLACES)}
    # Daytime only, so no time falls in the hour the clocks skip in spring.
    start = datetime(start_day.year, start_day.month, start_day.day, rng.randint(9, 15))
    start += timedelta(minutes=rng.choice([0, 15, 30]))
    end = start + timedelta(minutes=rng.choice([45, 60, 90, 120, 180]))
    return {
        "start": when(start),
        "end": when(end),
        "location": rng.choice(PLACES),
        "host": host,
    }


def _image(rng: random.Random, day: date, person: str) -> dict[str, str | int]:
    width = rng.choice([600, 800, 1200])
    return {
        "src": f"https://images.example.org/{day.year}/{_slug(person)}-{rng.randrange(1000):03d}.jpg",
        "alt": f"{person} in the laboratory",
        "credit": f"Photo: {_person(rng)}",
        "width": width,
        "height": width * 2 // 3,
    }


def _body(rng: random.Random, person: str, norwegian: bool) -> str:
    lead = _sentence(rng, 8, 16)
    second = _sentence(rng, 6, 12)
    # The first paragraph is the default summary; keep it under the 300-character limit.
    blocks = [f"{lead} {second}" if len(lead) + len(second) < 280 else lead]
    if norwegian:
        blocks.append(f"Gratulerer til {person}! Les mer på [våre sider](https://example.org/nb).")
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        if roll < 0.15:
            blocks.append(f"## {rng.choice(HEADINGS)}")
        if roll < 0.3:
            points = [_sentence(rng, 4, 10).rstrip(".") for _ in range(rng.randint(2, 5))]
            blocks.append("\n".join(f"- {point}" for point in points))
        else:
            blocks.append(_paragraph(rng, person))
    return "\n\n".join(_wrap(block) for block in blocks)


def _paragraph(rng: random.Random, person: str) -> str:
    sentences = [_sentence(rng, 8, 24) for _ in range(rng.randint(2, 6))]
    pick = rng.randrange(len(sentences))
    sentences[pick] = f"*{sentences[pick].rstrip('.')}*."
    if rng.random() < 0.5:
        sentences.append(f"**{person}** leads the work.")
    if rng.random() < 0.5:
        url = rng.choice(["https://www.ous-research.no/", "https://example.org/report.pdf"])
        sentences.append(f"Read [the full report]({url}).")
    if rng.random() < 0.2:
        sentences.append(f"See also [an earlier story](news/{rng.randrange(10**4)}.html).")
    return " ".join(sentences)


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    words.insert(len(words) // 2, rng.choice(VERBS))
    return " ".join(words).capitalize() + "."


def _wrap(block: str, width: int = 88) -> str:
    """Break a paragraph into lines as an editor would; lists and headings stay as they are."""
    if block.startswith(("#", "- ")):
        return block
    lines: list[str] = []
    line = ""
    for word in block.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _unique(name: str, used: dict[str, int]) -> str:
    used[name] = used.get(name, 0) + 1
    return name if used[name] == 1 else f"{name}-{used[name]}"


def _slug(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def when(moment: date | datetime) -> str:
    """Write a date or a local time as an item file does: 2024-04-10 or 2024-04-10T10:30."""
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%dT%H:%M")
    return moment.isoformat()


_PLAIN = re.compile(r"^[^\W\d_][\w .,()\u2019\u2013/-]*[\w.)]$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d)?$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(value: str | int, *, flow: bool = False) -> str:
    """Write VALUE plainly where YAML reads it back as the same text, else double-quoted."""
    if isinstance(value, int):
        return str(value)
    if _DATE.match(value):
        return value  # dates and times stay unquoted, as people write them
    if _PLAIN.match(value) and value.lower() not in _RESERVED and not (flow and "," in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def main() -> None:
    """Write a synthetic project: python bench/synthetic.py DIR [--items N] [--seed S]."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("root", type=Path, help="folder to write newsletter.yaml and items/ into")
    parser.add_argument("--items", type=int, default=10_000, help="how many items (10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = parser.parse_args()
    generate_project(args.root, args.items, args.seed)
    print(f"Wrote {args.items} items to {args.root / 'items'}")


if __name__ == "__main__":
    main()
