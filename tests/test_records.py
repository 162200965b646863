"""Records made and copied without their __init__ are the records __init__ makes."""

from __future__ import annotations

import dataclasses
from functools import cached_property

import pytest

from newsletter.core.records import made, replaced


@dataclasses.dataclass(frozen=True)
class Story:
    title: str
    tags: tuple[str, ...]
    card: str = ""

    @cached_property
    def shouted(self) -> str:
        return self.title.upper()


def test_a_copy_is_what_dataclasses_replace_makes() -> None:
    story = Story("Telomeres", ("dna",), "a")
    copy = replaced(story, title="Liquid biopsies", card="b")
    assert copy == dataclasses.replace(story, title="Liquid biopsies", card="b")
    assert vars(copy) == {"title": "Liquid biopsies", "tags": ("dna",), "card": "b"}
    assert story == Story("Telomeres", ("dna",), "a")  # the original is left as it was


def test_a_copy_works_out_its_cached_properties_again() -> None:
    story = Story("Telomeres", ())
    assert story.shouted == "TELOMERES"
    copy = replaced(story, title="Liquid biopsies")
    assert "shouted" not in vars(copy)
    assert copy.shouted == "LIQUID BIOPSIES"


def test_a_copy_with_a_field_the_record_has_not_is_refused() -> None:
    with pytest.raises(TypeError, match="Story has no field colour"):
        replaced(Story("Telomeres", ()), colour="red")


def test_a_record_is_made_from_exactly_its_fields() -> None:
    story = made(Story, {"title": "Telomeres", "tags": ("dna",), "card": "a"})
    assert story == Story("Telomeres", ("dna",), "a")
    with pytest.raises(KeyError, match="a stored Story has other fields"):
        made(Story, {"title": "Telomeres", "tags": ()})
    with pytest.raises(dataclasses.FrozenInstanceError):
        story.title = "changed"  # type: ignore[misc]
