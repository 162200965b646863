"""sources/items.py: what reading the items refuses, warns about and accepts, at what cost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from conftest import newsletter_here

from newsletter.core.errors import NewsletterError
from newsletter.sources.config import load_config
from newsletter.sources.itemfiles import Found
from newsletter.sources.items import Memo, load_items

NEWSLETTER = Path(sys.executable).parent / "newsletter"


def newsletter(project: Path, *args: str, timeout: float | None = None) -> tuple[int, str, str]:
    """Run the command from inside the project, as a person does: the installed one under
    a time-out where one is given (a guard against a hang), else in this process."""
    if timeout is None:
        done = newsletter_here(project, *args)
    else:
        command = [str(NEWSLETTER), *args]
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


def problems(project: Path, text: str | bytes, name: str = "new.yaml") -> list[str]:
    """The problems of the sample project once ITEMS/NAME holds TEXT (lecture.yaml's
    pasted HTML left aside)."""
    path = project / "items" / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    try:
        catalog = load_items(project, load_config(project))
    except NewsletterError as exc:
        found = exc.problems
    else:
        found = catalog.warnings
    return [str(p) for p in found if not p.path.endswith("lecture.yaml")]


ITEM = "title: T\ndate: 2024-04-10\n"


@pytest.mark.parametrize("make", [os.mkfifo, lambda path: os.symlink("/dev/zero", path)])
def test_a_pipe_or_a_device_in_items_is_named_and_nothing_hangs(project: Path, make) -> None:  # type: ignore[no-untyped-def]
    make(project / "items" / "odd.yaml")
    for command in ("check", "build"):
        code, _, err = newsletter(project, command, timeout=30)
        assert code == 1
        assert (
            "\nitems/odd.yaml: cannot be read: not a plain file (a device, pipe or socket);"
            " only plain files are read\n1 error, 1 warning.\n"
        ) in err


def test_a_file_over_a_megabyte_is_refused_unread(project: Path) -> None:
    text = ITEM + "body: |\n" + "  word word word word word word word word\n" * 30_000
    assert problems(project, text) == [
        "items/new.yaml: is over 1 MB; put long documents on a web page"
    ]


def test_a_body_over_100_kb_is_refused(project: Path) -> None:
    text = ITEM + "body: |\n" + "  word word word word word word word word\n" * 3_000
    assert problems(project, text) == [
        "items/new.yaml:3: body: is 119 kB; keep it under 100 kB (put a long document on a web"
        " page and link to it)"
    ]


def test_more_than_a_thousand_link_definitions_are_refused(project: Path) -> None:
    text = ITEM + "body: |\n  See [r1].\n\n" + "".join(f"  [r{n}]: /a\n" for n in range(1001))
    assert problems(project, text) == [
        "items/new.yaml:3: body: has 1,001 link definitions ([label]: url); at most 1,000"
    ]
    allowed = ITEM + "body: |\n  See [r1].\n\n" + "".join(f"  [r{n}]: /a\n" for n in range(1000))
    assert problems(project, allowed) == []


def test_a_long_bad_value_is_cut_when_echoed(project: Path) -> None:
    text = "title: T\ndate: " + "2024-04-10x" * 50_000 + "\nbody: B.\n"
    [message] = problems(project, text)
    assert message.startswith("items/new.yaml:2: date: expected a date like 2024-04-10")
    assert message.endswith("got '2024-04-10x2024-04-10x2024-04-10x2024-04-10x2024-04-10x2024…'")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[a](data:text/html,x)", "link 'data:text/html,x' is not http(s) or mailto"),
        ("![a](&#100;ata:image/png,x)", "link '&#100;ata:image/png,x' is not http(s) or mailto"),
        ("[a](javascript:alert(1))", "link 'javascript:alert(1' is not http(s) or mailto"),
    ],
)
def test_unsafe_links_are_refused(project: Path, body: str, expected: str) -> None:
    assert problems(project, f"{ITEM}body: '{body}'\n") == [f"items/new.yaml:3: body: {expected}"]


def test_summaries_too_long_for_a_list_are_warned_about(project: Path) -> None:
    long = "word " * 70
    assert problems(project, f"{ITEM}body: {long}\n") == [
        "items/new.yaml:3: warning: body: its first paragraph, the default summary, is 349"
        " characters; add a summary under 300"
    ]
    assert problems(project, f"{ITEM}summary: {long}\nbody: B.\n") == [
        "items/new.yaml:3: warning: summary: is 349 characters; keep it under 300"
    ]
    assert problems(project, f"{ITEM}body: '# Only a heading'\n") == [
        "items/new.yaml:3: body: an item needs a body or a summary"
    ]


def test_topics_in_any_script_get_a_feed_of_their_own(project: Path) -> None:
    text = f"{ITEM}body: B.\ntags: [עברית, 日本語, Telomerer]\ndepartment: 細胞生物学\n"
    assert problems(project, text) == []
    assert problems(project, f"{ITEM}body: B.\ntags: ['—', '!!']\n") == [
        "items/new.yaml:4: tags: '—' has no letter or digit to name its feed by; add a word",
        "items/new.yaml:4: tags: '!!' has no letter or digit to name its feed by; add a word",
    ]
    (project / "items" / "new.yaml").write_text(text, "utf-8")
    code, _, err = newsletter(project, "build", "--as-of", "2024-04-30")
    assert code == 0, err
    feeds = sorted(p.name for p in (project / "out" / "tags").glob("t-*.atom"))
    assert len(feeds) == 3
    for name in feeds:
        parsed = feedparser.parse((project / "out" / "tags" / name).read_bytes())
        assert parsed.bozo == 0 and [e.title for e in parsed.entries] == ["T"]


def test_what_is_not_an_item_is_said(project: Path) -> None:
    (project / "items" / "notes.txt").write_text("notes", "utf-8")
    (project / "items" / ".hidden.yaml").write_text("not: read", "utf-8")
    assert problems(project, f"{ITEM}body: B.\n") == [
        "items/notes.txt: warning: not an item (items end in .yaml); move it out of items/"
    ]
    (project / "items" / "notes.txt").unlink()
    assert problems(project, "- a list\n") == [
        "items/new.yaml:1: expected a mapping of fields (title: ..., date: ...), got a list"
    ]
    assert problems(project, "just text\n") == [
        "items/new.yaml:1: expected a mapping of fields (title: ..., date: ...), got a single value"
    ]


def test_an_id_is_unique_whatever_its_case(project: Path) -> None:
    assert problems(project, f"{ITEM}id: LECTURE\nbody: B.\n") == [
        "items/new.yaml:1: id: 'LECTURE' is also the id of items/lecture.yaml; give one of"
        " them another id"
    ]


def test_an_id_from_a_file_name_must_be_one(project: Path) -> None:
    assert problems(project, f"{ITEM}body: B.\n", name="my story.yaml") == [
        "items/my story.yaml:1: id: the file name 'my story' cannot be an id; rename the file"
        " or set id"
    ]


def test_a_missing_items_folder_is_said(project: Path) -> None:
    for path in (project / "items").iterdir():
        path.unlink()
    (project / "items").rmdir()
    with pytest.raises(NewsletterError) as caught:
        load_items(project, load_config(project))
    assert [str(p) for p in caught.value.problems] == [
        "items: folder not found; create it for the items"
    ]


def test_quotes_and_lists_nested_past_the_parser_are_refused(project: Path) -> None:
    deep = ITEM + "body: |\n  Intro.\n\n  " + "> - " * 60 + "a\n"
    assert problems(project, deep) == [
        "items/new.yaml:6: body: nests 120 quotes or lists in one line; at most 100"
    ]
    assert problems(project, ITEM + "body: |\n  Intro.\n\n  " + "> " * 100 + "a\n") == []
    emphasis = ITEM + "body: '" + "*" * 5000 + "a" + "*" * 5000 + "'\n"
    assert problems(project, emphasis) == []


def test_ids_and_topics_that_name_files_stay_short_enough(project: Path) -> None:
    long_id = "a" * 101
    assert problems(project, f"{ITEM}id: {long_id}\nbody: B.\n") == [
        "items/new.yaml:3: id: use at most 100 letters, digits, '-', '_' and '.', got"
        f" '{'a' * 59}…'"
    ]
    (project / "items" / "new.yaml").unlink()
    assert problems(project, f"{ITEM}body: B.\n", name="b" * 101 + ".yaml") == [
        f"items/{'b' * 101}.yaml:1: id: the file name '{'b' * 59}…' cannot be an id; rename"
        " the file or set id"
    ]
    (project / "items" / f"{'b' * 101}.yaml").unlink()
    tag = "telomere " * 40
    (project / "items" / "new.yaml").write_text(f"{ITEM}body: B.\ntags: ['{tag}']\n", "utf-8")
    code, _, err = newsletter(project, "build", "--as-of", "2024-04-30")
    assert code == 0, err
    [feed] = (project / "out" / "tags").glob("telomere-telomere-*.atom")
    assert len(feed.stem) == 80  # the slug cut, then a hash of the whole topic


def test_the_catalog_holds_the_body_of_each_item_read_from_its_file(project: Path) -> None:
    catalog = load_items(project, load_config(project))
    (item,) = [i for i in catalog.items if i.source == "items/older.yaml"]
    assert set(catalog.bodies) == set(catalog.prints.values())
    assert catalog.bodies[catalog.prints[item.id]] == (
        "Two of our researchers were announced as honorary members.\n\n"
        "A second paragraph with a link to <https://example.org/nbs>."
    )
    assert not hasattr(item, "body")  # the item sent to every feed's job goes without it


def test_an_items_key_covers_every_field_and_never_its_body(project: Path) -> None:
    def card(text: str) -> str:
        (project / "items" / "older.yaml").write_text(text, "utf-8")
        (item,) = [i for i in load_items(project, config).items if i.id == "older"]
        return item.card

    config = load_config(project)
    text = (project / "items" / "older.yaml").read_text("utf-8")
    first = card(text)
    assert card(text.replace("A second", "Another second")) == first  # the body alone
    assert card(text.replace("Two of our", "Two of the")) != first  # its summary
    assert card(text.replace("tags: [awards]", "tags: [prizes]")) != first
    assert card(text + "kicker: Prize\n") != first


def test_a_file_known_by_its_print_is_not_read_again(project: Path) -> None:
    config = load_config(project)
    memo: Memo = {}
    first = load_items(project, config, memo=memo)
    prints = {item.source: first.prints[item.id] for item in first.items}
    path = project / "items" / "older.yaml"
    path.write_text(path.read_text("utf-8").replace("Honorary", "Edited"), "utf-8")
    again = load_items(project, config, memo=memo, found=Found(None, prints))
    assert again == first  # the print says unchanged: what was read before is used
    fresh = load_items(project, config, memo=memo)
    assert "Edited members of the bioscience society" in [i.title for i in fresh.items]
