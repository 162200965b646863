"""The browser editor's configuration, made from the item schema: every field there,
with its widget, hint and requirement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsletter.engine.manifest import site_context
from newsletter.render.admin import render_published_editor
from newsletter.render.cms_config import cms_config, config_yaml, decap_locale, item_fields
from newsletter.render.i18n import shipped_languages
from newsletter.render.templates import Templates
from newsletter.sources.config import load_config
from newsletter.sources.model import item_json_schema

EXPECTED_WIDGETS = {
    "title": "string",
    "date": "datetime",
    "kicker": "string",
    "updated": "datetime",
    "id": "hidden",
    "summary": "text",
    "body": "markdown",
    "authors": "list",
    "department": "string",
    "tags": "list",
    "image": "object",
    "image.src": "image",
    "image.alt": "string",
    "image.credit": "string",
    "image.width": "number",
    "image.height": "number",
    "link": "string",
    "event": "object",
    "event.start": "datetime",
    "event.end": "datetime",
    "event.location": "string",
    "event.host": "string",
    "event.registration": "string",
    "featured": "boolean",
    "lang": "select",
    "draft": "boolean",
}


def flat(fields: list[dict[str, Any]], prefix: str = "") -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for field in fields:
        found[prefix + field["name"]] = field
        found.update(flat(field.get("fields", []), prefix + field["name"] + "."))
    return found


def schema_properties() -> dict[str, dict[str, Any]]:
    schema = item_json_schema()
    found = dict(schema["properties"])
    for name, prop in schema["properties"].items():
        ref = next((k["$ref"] for k in prop.get("anyOf", [prop]) if "$ref" in k), None)
        if ref:
            nested = schema["$defs"][ref.split("/")[-1]]
            found.update({f"{name}.{key}": value for key, value in nested["properties"].items()})
    return found


def test_every_field_of_the_item_schema_has_its_widget_and_hint() -> None:
    fields = flat(item_fields(["en", "nb"]))
    properties = schema_properties()
    assert list(fields) == list(EXPECTED_WIDGETS)
    assert set(fields) == set(properties)
    assert {path: field["widget"] for path, field in fields.items()} == EXPECTED_WIDGETS
    for path, field in fields.items():
        assert field["hint"] == " ".join(properties[path]["description"].split())


def test_what_the_schema_requires_the_form_requires() -> None:
    fields = flat(item_fields(["en", "nb"]))
    required = {path for path, field in fields.items() if field["required"]}
    assert required == {"title", "date"}  # image.alt and event.start: checked on saving


def test_dates_are_written_as_the_items_write_them() -> None:
    fields = flat(item_fields(["en"]))
    for path in ("date", "updated", "event.start", "event.end"):
        assert fields[path]["format"] == "YYYY-MM-DDTHH:mm"
    assert "default" not in fields["date"]
    assert fields["updated"]["default"] == ""  # an optional time is not "now" by default


def test_a_norwegian_site_labels_and_explains_every_field_in_norwegian() -> None:
    fields = flat(item_fields(["en", "nb"], "nb"))
    english = flat(item_fields(["en", "nb"], "en"))
    for path, field in fields.items():
        assert field["label"] != english[path]["label"] or path in ("id", "event.start"), path
        assert field["hint"] != english[path]["hint"], path


def test_an_items_language_is_chosen_among_those_shipped() -> None:
    assert shipped_languages() == ["en", "nb"]
    assert flat(item_fields(shipped_languages()))["lang"]["options"] == ["en", "nb"]


def test_the_collection_is_items_named_as_new_names_them_newest_first(tmp_path: Path) -> None:
    (tmp_path / "newsletter.yaml").write_text(
        "title: T\nbase_url: https://example.org/\nlanguage: nb\n", "utf-8"
    )
    config = load_config(tmp_path)
    backend = {"name": "proxy", "proxy_url": "http://127.0.0.1:1/api/v1"}
    settings = cms_config(config, ["en", "nb"], backend=backend, site_url="http://x/")
    assert yaml.safe_load(config_yaml(settings)) == settings
    assert settings["locale"] == "nb_no"
    assert settings["media_folder"] == "images"
    assert settings["slug"] == {
        "encoding": "ascii",
        "clean_accents": True,
        "sanitize_replacement": "-",
    }
    (collection,) = settings["collections"]
    assert collection["folder"] == "items"
    assert collection["create"] is True
    assert (collection["extension"], collection["format"]) == ("yaml", "yaml")
    assert collection["slug"] == "{{year}}-{{month}}-{{day}}-{{slug}}"
    assert collection["sortable_fields"][0] == {"field": "date", "default_sort": "desc"}
    assert flat(collection["fields"])["title"]["label"] == "Tittel"


@pytest.mark.parametrize(
    ("language", "decap"), [("nb", "nb_no"), ("nb-NO", "nb_no"), ("en", "en"), ("xx", "en")]
)
def test_the_editor_speaks_the_sites_language(language: str, decap: str) -> None:
    assert decap_locale(language) == decap


def test_a_build_publishes_the_editor_only_with_a_git_backend(tmp_path: Path) -> None:
    text = "title: T\nbase_url: https://example.org/news/\n"
    (tmp_path / "newsletter.yaml").write_text(text, "utf-8")
    config = load_config(tmp_path)
    assert render_published_editor(config, Templates(tmp_path, site_context(tmp_path))) == {}
    text += "cms:\n  backend: {name: github, repo: icr/news, branch: main}\n"
    (tmp_path / "newsletter.yaml").write_text(text, "utf-8")
    (tmp_path / "templates").mkdir()
    style = '{% extends "default:base.html" %}{% block style %}body{color:red}{% endblock %}'
    (tmp_path / "templates" / "base.html").write_text(style, "utf-8")
    config = load_config(tmp_path)
    files = render_published_editor(config, Templates(tmp_path, site_context(tmp_path)))
    assert sorted(files) == ["admin/config.yml", "admin/index.html"]
    settings = yaml.safe_load(files["admin/config.yml"])
    assert settings["backend"] == {"name": "github", "repo": "icr/news", "branch": "main"}
    assert "local_backend" not in settings
    page = files["admin/index.html"].decode()
    assert 'integrity="sha384-' in page and "body{color:red}" in page


def test_build_publishes_out_admin_only_where_a_git_host_is_named(project: Path) -> None:
    newsletter = Path(sys.executable).parent / "newsletter"

    def build() -> Path:
        run = subprocess.run([str(newsletter), "build"], cwd=project, capture_output=True)
        assert run.returncode == 0, run.stdout + run.stderr
        return project / "out" / "admin"

    assert not build().exists()
    with (project / "newsletter.yaml").open("a", encoding="utf-8") as settings:
        settings.write(
            "cms:\n  backend: {name: gitea, repo: icr/news, base_url: https://git.example.org}\n"
        )
    admin = build()
    assert sorted(path.name for path in admin.iterdir()) == ["config.yml", "index.html"]
    published = yaml.safe_load((admin / "config.yml").read_bytes())
    assert published["backend"] == {
        "name": "gitea",
        "repo": "icr/news",
        "branch": "main",
        "base_url": "https://git.example.org",
    }
    assert published["site_url"] == "https://news.example.org/test/"
