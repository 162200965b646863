"""Configuration: every setting documented, defaults sound, bad values located."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.core.errors import NewsletterError
from newsletter.sources.config import Config, describe_settings, load_config
from newsletter.sources.items import load_items

DOCS = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_every_setting_is_documented_on_the_configuration_page() -> None:
    rows = describe_settings()
    assert all(row.count("|") == 4 and not row.endswith("|  |") for row in rows)
    table = DOCS.read_text("utf-8").split("|---|---|---|\n")[1]
    assert table == "\n".join(rows) + "\n", "regenerate docs/configuration.md from the model"


def test_only_title_and_base_url_are_required(tmp_path: Path) -> None:
    (tmp_path / "newsletter.yaml").write_text("title: T\nbase_url: https://example.org/news\n")
    config = load_config(tmp_path)
    assert config.base_url == "https://example.org/news/"
    assert config.tag_prefix == "tag:example.org,2024:"
    assert config.sender == "T <news@example.org>"
    assert config.unsubscribe_url is None  # no page nobody built
    assert (config.timezone, config.language, config.feed.entries) == ("UTC", "en", 50)
    assert config.digest.period == "weekly"


def test_id_authority_may_carry_its_own_date(tmp_path: Path) -> None:
    text = "title: T\nbase_url: https://example.org/\nid_authority: icr.example.no,2019-05\n"
    (tmp_path / "newsletter.yaml").write_text(text)
    assert load_config(tmp_path).tag_prefix == "tag:icr.example.no,2019-05:"


def test_the_institute_configuration_is_valid() -> None:
    config = load_config(Path(__file__).parent.parent)
    assert isinstance(config, Config)
    assert config.timezone == "Europe/Oslo"


def test_a_subject_with_a_lone_brace_says_how_to_write_one(tmp_path: Path) -> None:
    (tmp_path / "newsletter.yaml").write_text(
        'title: X\nbase_url: https://news.example.org/\nemail: {subject: "{lead"}\n',
        encoding="utf-8",
    )
    with pytest.raises(NewsletterError) as raised:
        load_config(tmp_path)
    assert str(raised.value) == (
        "newsletter.yaml:3: email.subject: write a brace as {{ or }}, a field as {lead}"
    )


def test_base_url_is_made_a_url_every_program_reads(tmp_path: Path) -> None:
    def base(url: str) -> str:
        (tmp_path / "newsletter.yaml").write_text(f"title: T\nbase_url: '{url}'\n", "utf-8")
        try:
            return load_config(tmp_path).base_url
        except NewsletterError as exc:
            return str(exc)

    assert base("https://例え.jp/news") == "https://xn--r8jz45g.jp/news/"
    assert base("https://News.Example.ORG:8443/x/") == "https://news.example.org:8443/x/"
    assert base("https://user:secret@example.org/") == (
        "newsletter.yaml:2: base_url: must not hold a user name or password, got"
        " 'https://user:secret@example.org/'"
    )
    assert base("https://example.org:99999/") == (
        "newsletter.yaml:2: base_url: expected an absolute http(s) URL, got"
        " 'https://example.org:99999/'"
    )
    assert base("https://a..b/") == (
        "newsletter.yaml:2: base_url: the host name in 'https://a..b/' is not a valid one"
    )


def test_a_plain_http_base_url_is_a_warning_but_this_machine_is_fine(tmp_path: Path) -> None:
    (tmp_path / "items").mkdir()
    for url, warnings in [
        ("http://news.example.org/", 1),
        ("http://localhost:8000/", 0),
        ("http://127.0.0.1/", 0),
        ("https://news.example.org/", 0),
    ]:
        (tmp_path / "newsletter.yaml").write_text(f"title: T\nbase_url: {url}\n", "utf-8")
        found = load_items(tmp_path, load_config(tmp_path)).warnings
        assert [str(p) for p in found] == [
            "newsletter.yaml: warning: base_url: is http, not https: readers' browsers and"
            " mail programs will warn; use https"
        ][:warnings]
