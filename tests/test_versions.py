"""The key of the code: every file of the package and every library's version."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

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
    monkeypatch: pytest.MonkeyPatch, fresh_key: None, tmp_path: Path
) -> None:
    before = code_fingerprint()
    (tmp_path / "MarkupSafe-99.0.dist-info").mkdir()  # installed where Python looks first
    monkeypatch.syspath_prepend(tmp_path)
    code_fingerprint.cache_clear()
    assert "markupsafe==99.0" in library_versions()
    assert code_fingerprint() != before


def test_the_folder_a_command_runs_in_is_no_library(
    monkeypatch: pytest.MonkeyPatch, fresh_key: None, tmp_path: Path
) -> None:
    before = code_fingerprint()
    (tmp_path / "Stray-1.0.dist-info").mkdir()  # a project folder may hold anything
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["", str(tmp_path), *sys.path])  # as run, or with -m
    code_fingerprint.cache_clear()
    assert code_fingerprint() == before
