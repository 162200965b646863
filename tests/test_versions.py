"""The key of the code: every file of the package and every library's version."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator

import pytest

from newsletter.engine.versions import code_fingerprint, library_versions


@pytest.fixture
def fresh_key() -> Iterator[None]:
    """Let code_fingerprint() compute the key again, here and after the test."""
    code_fingerprint.cache_clear()
    yield
    code_fingerprint.cache_clear()


def test_the_libraries_that_shape_output_are_listed_with_their_versions() -> None:
    names = {entry.split("==")[0].lower() for entry in library_versions()}
    assert {"jinja2", "markupsafe", "feedgen", "premailer", "pydantic"} <= names
    assert all(entry.count("==") == 1 for entry in library_versions())
    assert "newsletter" not in names


def test_another_version_of_a_library_is_another_key(
    monkeypatch: pytest.MonkeyPatch, fresh_key: None
) -> None:
    before = code_fingerprint()
    real = importlib.metadata.version

    def upgraded(name: str) -> str:
        return "99.0" if name.lower() == "markupsafe" else real(name)

    monkeypatch.setattr(importlib.metadata, "version", upgraded)
    code_fingerprint.cache_clear()
    assert "markupsafe==99.0" in [entry.lower() for entry in library_versions()]
    assert code_fingerprint() != before
