"""key_of(): equal values, equal keys; any difference a render could show, another key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from newsletter.core.fingerprints import key_of
from newsletter.engine.jobs import Job, Later


@dataclass(frozen=True)
class Card:
    title: str
    when: datetime
    tags: tuple[str, ...] = ()


OSLO = ZoneInfo("Europe/Oslo")
NOON = datetime(2024, 4, 16, 12, tzinfo=OSLO)


def test_equal_values_have_one_key() -> None:
    assert key_of(Card("A", NOON, ("x",))) == key_of(Card("A", NOON, ("x",)))
    assert key_of({"b": 1, "a": [1, 2]}) == key_of({"a": [1, 2], "b": 1})


@pytest.mark.parametrize(
    "other",
    [
        Card("B", NOON, ("x",)),
        Card("A", NOON.replace(hour=13), ("x",)),
        Card("A", NOON.astimezone(UTC), ("x",)),  # the same moment, shown otherwise
        Card("A", NOON, ("x", "y")),
        Card("A", NOON, ()),
    ],
)
def test_any_field_changed_is_another_key(other: Card) -> None:
    assert key_of(other) != key_of(Card("A", NOON, ("x",)))


class Carried:
    """A value that carries its key, of a type keyed for the first time below."""

    def __init__(self, key: str) -> None:
        self.key = key

    @property
    def value_key(self) -> str:
        return self.key


def test_a_list_has_one_key_whatever_was_keyed_before_in_the_process() -> None:
    # The digest command keys a list of items before any item alone; a build, after.
    first = key_of([Carried("a"), Carried("b")])
    key_of(Carried("c"))
    assert key_of([Carried("a"), Carried("b")]) == first
    assert key_of([Carried("a"), Carried("b"), 1]) != first


def test_values_of_other_types_or_shapes_never_share_a_key() -> None:
    keys = [key_of(v) for v in ("1", 1, 1.0, b"1", ("1",), ["1", ""], date(2024, 1, 1), None)]
    assert len(set(keys)) == len(keys)


def test_a_type_it_does_not_know_is_an_error_not_a_guess() -> None:
    with pytest.raises(TypeError, match="no key for a object"):
        key_of(object())


class Later42(Later):
    made = 0

    @property
    def value_key(self) -> str:
        return "the key of what 42 is made of"

    def value(self) -> int:
        Later42.made += 1
        return 42


def render(number: int) -> dict[str, bytes]:
    return {"n.txt": str(number).encode()}


def test_a_job_is_keyed_by_what_it_receives_and_made_only_when_it_runs() -> None:
    job = Job(render, (Later42(),))
    assert Later42.made == 0  # keyed before the value is made
    assert job.key == Job(render, (Later42(),)).key
    assert job.run() == {"n.txt": b"42"}
    assert job.key != Job(render, (42,)).key
