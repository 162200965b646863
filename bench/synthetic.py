"""A deterministic synthetic project: newsletter.yaml and years of realistic news items.

The same seed and count always give the same bytes: every choice comes from one seeded
``random.Random``, nothing reads the clock, and no set or dict order depends on hashing.
The items are written as a person would write them (plain scalars where YAML allows,
the Markdown body as a literal block at the end).

The archive is an institute's: a quarter of the items are events (guest lectures, PhD
defences, seminars, workshops) with their times, place, host and sometimes a sign-up
link; bodies run to several paragraphs with headings, lists and links, some in
Norwegian; most pictures are files in the project's images/ folder, a portrait of one of
the institute's people used by several items, as an editor reuses them.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import PIL.Image
import PIL.ImageDraw

END = date(2024, 12, 31)
"""The newest item's day; the archive reaches back ten years from here."""
YEARS = 10
AS_OF = "2025-01-01"
"""A build moment after every item, so that all but the drafts are published."""
ITEMS_PER_PICTURE = 50
"""The items to each picture file of images/: portraits and group photos are reused."""
PICTURE_SIZE = (800, 533)
"""Every picture file's size: a photo as a web editor exports it."""

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
  # A synthetic week holds some twenty stories with long bodies, more than an issue
  # should: a budget that every week's email meets, so that the build is measured whole.
  size_budget_kb: 400
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
NORWEGIAN = [
    "forskning",
    "pasienter",
    "kreftceller",
    "behandling",
    "studien",
    "resultatene",
    "gruppen",
    "økt",
    "overlevelse",
    "påvirker",
    "nærmere",
    "også",
    "før",
    "første",
    "målrettet",
    "strålebehandling",
    "være",
    "både",
    "særlig",
    "utviklingen",
    "blærekreft",
    "tilførsel",
]
EVENT_KINDS = ["Guest lecture", "PhD defence", "Seminar", "Lunch seminar", "Workshop"]
INSTITUTIONS = [
    "CNIO, Madrid",
    "Karolinska Institutet",
    "the University of Bergen",
    "EMBL Heidelberg",
    "the Francis Crick Institute",
    "Universitetet i Tromsø",
    "Ludwig Cancer Research",
]
ROLES = ["First opponent", "Second opponent", "Third member of the committee"]


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


@dataclass(frozen=True)
class Portrait:
    """A picture file of images/, and who it shows."""

    src: str
    person: str


def make_items(count: int, seed: int = 1) -> list[SyntheticItem]:
    """Return COUNT items spread over ten years up to END, oldest first."""
    rng = random.Random(seed)
    portraits = [_portrait(rng, n) for n in range(max(1, count // ITEMS_PER_PICTURE))]
    span = (END - date(END.year - YEARS, END.month, END.day)).days
    days = sorted(rng.randrange(span + 1) for _ in range(count))
    used: dict[str, int] = {}
    items = []
    for offset in days:
        day = END - timedelta(days=span - offset)
        items.append(_item(rng, day, used, portraits))
    return items


def write_project(root: Path, items: list[SyntheticItem]) -> None:
    """Write newsletter.yaml, items/*.yaml and their images/ under ROOT, replacing any
    earlier items and pictures."""
    for folder in ("items", "images"):
        shutil.rmtree(root / folder, ignore_errors=True)
    (root / "items").mkdir(parents=True)
    (root / "newsletter.yaml").write_text(CONFIG, encoding="utf-8")
    for item in items:
        path = root / "items" / f"{item.name}.yaml"
        path.write_text(item_yaml(item), encoding="utf-8")
    write_pictures(root, items)


def picture_files(items: list[SyntheticItem]) -> list[str]:
    """The picture files of the project the ITEMS show, by name (images/…)."""
    sources = {str(item.image["src"]) for item in items if item.image}
    return sorted(src for src in sources if not src.startswith("https:"))


def write_pictures(folder: Path, items: list[SyntheticItem]) -> None:
    """Write every picture file the ITEMS show under FOLDER (as images/…)."""
    for name in picture_files(items):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(draw_picture(name))


def draw_picture(name: str) -> bytes:
    """A JPEG of PICTURE_SIZE: figures before a coloured background, the same for a name."""
    rng = random.Random(name)
    width, height = PICTURE_SIZE
    colours = [tuple(rng.randrange(256) for _ in range(3)) for _ in range(2)]
    fade = PIL.Image.linear_gradient("L").resize(PICTURE_SIZE)
    image = PIL.Image.composite(*(PIL.Image.new("RGB", PICTURE_SIZE, c) for c in colours), fade)
    draw = PIL.ImageDraw.Draw(image)
    for _ in range(rng.randint(1, 6)):  # a head and shoulders
        x, r = rng.randrange(width), rng.randint(25, 70)
        y = rng.randint(height // 3, height - r)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - 3 * r, x + r, y - r), fill=colour)
        draw.rounded_rectangle((x - 2 * r, y - r // 2, x + 2 * r, height), r // 2, fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


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


def _item(
    rng: random.Random, day: date, used: dict[str, int], portraits: list[Portrait]
) -> SyntheticItem:
    kinds = ["article", "award", "event", "people", "general"]
    kind = rng.choices(kinds, [3, 1, 2.5, 1, 2.5])[0]  # a quarter of them events
    person = _person(rng)
    norwegian = rng.random() < 0.08
    label = rng.choice(EVENT_KINDS)
    title, kicker = _title(rng, kind, label, person, day, norwegian)
    event = _event(rng, day, label, person) if kind == "event" else None
    published: date | datetime = day
    if rng.random() < 0.4:
        published = datetime(day.year, day.month, day.day, rng.randint(7, 16), rng.choice([0, 30]))
    tags = tuple(rng.sample(TAGS, rng.choice([1, 2, 2, 3, 3, 4])))
    body = _event_body(rng, label, person, event) if event else _body(rng, person, norwegian)
    return SyntheticItem(
        name=_unique(f"{day.isoformat()}-{_slug(title)[:50].strip('-')}", used),
        title=title,
        published=published,
        kicker=kicker,
        summary=_sentence(rng, 14, 24) if rng.random() < 0.6 else None,
        body=body,
        authors=tuple(_person(rng) for _ in range(rng.choice([0, 1, 1, 2, 3]))),
        department=rng.choice(DEPARTMENTS) if rng.random() < 0.7 else None,
        tags=tags,
        image=_image(rng, day, person, portraits) if rng.random() < 0.7 else None,
        link=f"https://doi.org/10.1000/{rng.randrange(10**6):06d}" if kind == "article" else None,
        event=event,
        lang="nb" if norwegian else None,
        draft=rng.random() < 0.005,
    )


def _title(
    rng: random.Random, kind: str, label: str, person: str, day: date, norwegian: bool
) -> tuple[str, str | None]:
    if kind == "event":
        if label == "PhD defence":
            return f"{label}: {person} defends a thesis on {rng.choice(TOPICS)}", label
        return f"{label}: {person} on {rng.choice(TOPICS)}", label
    if norwegian:
        return f"{person} får pris for forskning på {rng.choice(TAGS)}", "Nyhet"
    if kind == "article":
        return f"New article in {rng.choice(JOURNALS)} on {rng.choice(TOPICS)}", None
    if kind == "award":
        return f"{person} receives the {rng.choice(['King', 'Research', 'Young'])} award", "Award"
    if kind == "people":
        return f"Welcome to {person}, new group leader", "People"
    topic = rng.choice(TOPICS)
    return f"{topic[0].upper()}{topic[1:]}: news from the {day.year} retreat", None


def _event(rng: random.Random, day: date, label: str, host: str) -> dict[str, str]:
    start_day = day + timedelta(days=rng.randint(1, 40))
    event: dict[str, str]
    if label == "Workshop" and rng.random() < 0.5:  # all day, some over two days
        last = start_day + timedelta(days=rng.choice([0, 1]))
        event = {"start": start_day.isoformat(), "end": last.isoformat()}
    else:
        # Daytime only, so no time falls in the hour the clocks skip in spring.
        start = datetime(start_day.year, start_day.month, start_day.day, rng.randint(9, 15))
        start += timedelta(minutes=rng.choice([0, 15, 30]))
        end = start + timedelta(minutes=rng.choice([45, 60, 90, 120, 180]))
        event = {"start": when(start), "end": when(end)}
    event["location"] = rng.choice(PLACES)
    if rng.random() < 0.9:
        event["host"] = host
    if rng.random() < 0.3:
        event["registration"] = f"https://nettskjema.no/a/{rng.randrange(10**6):06d}"
    return event


def _portrait(rng: random.Random, number: int) -> Portrait:
    person = _person(rng)
    return Portrait(f"images/{_slug(person)}-{number:03d}.jpg", person)


def _image(
    rng: random.Random, day: date, person: str, portraits: list[Portrait]
) -> dict[str, str | int]:
    if rng.random() < 0.8:  # a file of images/, measured by the build
        portrait = rng.choice(portraits)
        return {
            "src": portrait.src,
            "alt": f"{portrait.person} in the laboratory",
            "credit": f"Photo: {_person(rng)}",
        }
    width = rng.choice([600, 800, 1200])
    return {
        "src": f"https://images.example.org/{day.year}/{_slug(person)}-{rng.randrange(1000):03d}.jpg",
        "alt": f"{person} at the podium",
        "credit": f"Photo: {_person(rng)}",
        "width": width,
        "height": width * 2 // 3,
    }


def _body(rng: random.Random, person: str, norwegian: bool) -> str:
    """A news story: a lead, then paragraphs under headings, a list or two, links."""
    blocks = [_lead(rng)]
    if norwegian:
        blocks.append(f"Gratulerer til {person}! Les mer på [våre sider](https://example.org/nb).")
        blocks.append(_norwegian(rng))
    for heading in rng.sample(HEADINGS, rng.randint(1, 4)):
        blocks.append(f"## {heading}")
        blocks.extend(_paragraph(rng, person) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.4:
            points = [_sentence(rng, 4, 10).rstrip(".") for _ in range(rng.randint(2, 6))]
            blocks.append("\n".join(f"- {point}" for point in points))
    if rng.random() < 0.3:
        blocks.append(f"> {_sentence(rng, 10, 20)} says {person}.")
    if rng.random() < 0.5:
        journal = rng.choice(JOURNALS)
        doi = f"https://doi.org/10.1000/{rng.randrange(10**6):06d}"
        blocks.append(
            f"## Read more\n\n- [The article in *{journal}*]({doi})\n- {_contact(person)}"
        )
    return "\n\n".join(_wrap(block) for block in blocks)


def _event_body(rng: random.Random, label: str, person: str, event: dict[str, str]) -> str:
    """An announcement: who speaks on what, the abstract, the programme, how to come."""
    where = rng.choice(INSTITUTIONS)
    blocks = [f"{person} from {where} will give a {label.lower()} on {rng.choice(TOPICS)}."]
    blocks += ["## Abstract", *(_paragraph(rng, person) for _ in range(rng.randint(1, 3)))]
    if label == "PhD defence":
        committee = [f"{role}: {_person(rng)}, {rng.choice(INSTITUTIONS)}" for role in ROLES]
        blocks += ["## Trial lecture", _paragraph(rng, person)]
        blocks += ["## Adjudication committee", "\n".join(f"- {line}" for line in committee)]
        blocks.append(f"The defence is chaired by {_person(rng)}, head of department.")
    else:
        blocks += ["## About the speaker", _paragraph(rng, person)]
        host = event.get("host", "the department")
        programme = [
            f"Welcome by {host}",
            f"{label}: {_sentence(rng, 3, 6).rstrip('.')}",
            "Questions and discussion",
            "Coffee, tea and *vafler* in the foyer",
        ]
        blocks += ["## Programme", "\n".join(f"{n}. {p}" for n, p in enumerate(programme, 1))]
    sign_up = event.get("registration")
    if sign_up:
        blocks.append(f"Places are limited: [register here]({sign_up}) by the day before.")
    blocks.append(f"All are welcome. {_contact(person)}")
    return "\n\n".join(_wrap(block) for block in blocks)


def _lead(rng: random.Random) -> str:
    lead = _sentence(rng, 8, 16)
    second = _sentence(rng, 6, 12)
    # The first paragraph is the default summary; keep it under the 300-character limit.
    return f"{lead} {second}" if len(lead) + len(second) < 280 else lead


def _contact(person: str) -> str:
    address = _slug(person).replace("-", ".")
    return f"Questions? Write to [{person}](mailto:{address}@example.org)."


def _norwegian(rng: random.Random) -> str:
    words = [rng.choice(NORWEGIAN) for _ in range(rng.randint(20, 40))]
    return " ".join(words).capitalize() + "."


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
    if block.startswith(("#", "- ", "1. ", "> ")):
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
