# ruff: noqa: RUF001  (real text: Norwegian letters and en dashes)
"""The site in its language: catalogues complete, every interface string and date translated."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from newsletter.commands.build import build
from newsletter.sources.settingtypes import LOCALES

REPO = Path(__file__).parent.parent
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {f"**/templates/**.{kind}": {"extensions": "jinja2.ext.i18n"} for kind in ("html", "txt")}


def interface_strings() -> set[str | tuple[str, ...]]:
    """Every string the package marks for translation, as its code and templates say it."""
    found = extract_from_dir(REPO / "newsletter", METHODS, options_map=OPTIONS)
    return {message for _, _, message, _, _ in found}


@pytest.mark.parametrize("language", ["en", "nb"])
def test_each_catalogue_holds_every_interface_string(language: str) -> None:
    with (LOCALES / language / "LC_MESSAGES" / "newsletter.po").open("rb") as po:
        catalog = read_po(po)
    ids = {message.id for message in catalog if message.id}
    assert ids == interface_strings(), "update the catalogues (docs/languages.md)"
    if language != "en":
        assert all(message.string for message in catalog), "a string is left untranslated"
        assert not any(message.fuzzy for message in catalog if message.id)


@pytest.fixture(scope="module")
def norsk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site built in Norwegian, with the newsletter command, from its folder."""
    root = tmp_path_factory.mktemp("nb") / "site"
    subprocess.run(["cp", "-r", str(REPO / "tests" / "site"), str(root)], check=True)
    config = root / "newsletter.yaml"
    config.write_text(config.read_text("utf-8").replace("language: en", "language: nb"), "utf-8")
    with (root / "items/lecture.yaml").open("a", encoding="utf-8") as lecture:
        lecture.write("lang: en\n")
    seminar = "title: Seminar\ndate: 2024-04-05\nbody: Snart.\n"
    seminar += "event: {start: 2024-04-19T10:30, end: 2024-04-19T11:30}\n"
    (root / "items/seminar.yaml").write_text(seminar, "utf-8")  # upcoming in week 15
    build(root, root / "out", date(2024, 4, 30))
    return root / "out"


def test_a_norwegian_email_speaks_norwegian(norsk: Path) -> None:
    html = (norsk / "digests/2024-W15/email.html").read_text("utf-8")
    text = (norsk / "digests/2024-W15/email.txt").read_text("utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="nb"')
    for shown in ("Vis i nettleseren", "Uke 15, 2024", "8.–14. april 2024", "Les mer"):
        assert shown in html
    assert "fredag 19. april 2024, 10:30–11:30" in html
    assert "Les det i nettleseren:" in text and "Meld deg av: " in text
    for english in ("Read more", "View in your browser", "Unsubscribe", "Upcoming", "Friday"):
        assert english not in html and english not in text
    assert 'lang="en"' in html  # the English items, each on its own block


def test_an_item_in_another_language_is_marked_on_its_block_only(norsk: Path) -> None:
    page = (norsk / "news/lecture.html").read_text("utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="nb">')
    assert '<article lang="en">' in page
    assert "<strong>Når:</strong> fredag 19. april 2024, 10:30–11:30" in page
    index = (norsk / "index.html").read_text("utf-8")
    assert '<li lang="en">' in index and "<li>\n" in index  # the Norwegian item needs none
    archive = (norsk / "digests/index.html").read_text("utf-8")
    assert "1 sak, 1 kommende arrangement" in archive and "2 saker" in archive
