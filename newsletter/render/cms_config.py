"""The browser editor's configuration (Decap CMS's config.yml), made from the item's JSON
Schema: a field added to the item model is in the editor with nothing else to do.

Each property of the schema becomes a Decap field: its widget follows from its type
(text, a date or time, a list, yes or no, an object of fields), its hint is the field's
documentation, and it is required where the schema requires it. The few fields whose
type does not say how a person writes them are named in _WIDGETS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from newsletter.core.layout import IMAGES_DIR, ITEMS_DIR
from newsletter.render.cms_words import FIELD_HINTS, FIELD_LABELS
from newsletter.sources.config import Config
from newsletter.sources.model import item_json_schema

COLLECTION = "items"
# The date and time format of the items: 2024-04-19T10:30, as `newsletter new` writes it.
DATETIME_FORMAT = "YYYY-MM-DDTHH:mm"
# Files named as `newsletter new` names them: <date>-<ASCII slug of the title>.yaml.
SLUG = "{{year}}-{{month}}-{{day}}-{{slug}}"
_WHEN = r"^\d{4}-\d{2}-\d{2}("  # the start of the schema's pattern of a date or time
# Fields whose type alone does not tell the widget: the story, a plain summary, the
# picture file, the language, and the identity, which nobody edits.
_WIDGETS: dict[str, dict[str, Any]] = {
    "body": {
        "widget": "markdown",
        "buttons": [
            "bold",
            "italic",
            "link",
            "heading-two",
            "heading-three",
            "quote",
            "bulleted-list",
            "numbered-list",
        ],
        "editor_components": [],
        "modes": ["rich_text", "raw"],
    },
    "summary": {"widget": "text"},
    "image.src": {"widget": "image", "choose_url": True},
    "id": {"widget": "hidden"},
    "lang": {"widget": "select"},
}
# Decap's own catalogues, by the site's language where the names differ.
_DECAP_LOCALES = {"nb": "nb_no", "no": "nb_no", "nn": "nn_no", "el": "gr", "zh": "zh_Hans"}
_DECAP_SHIPPED = frozenset(
    [
        "bg",
        "ca",
        "cs",
        "da",
        "de",
        "en",
        "es",
        "fa",
        "fr",
        "gr",
        "he",
        "hr",
        "hu",
        "it",
        "ja",
        "ko",
        "lt",
        "mk",
        "nb_no",
        "nl",
        "nn_no",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "sr_Cyrl",
        "sv",
        "th",
        "tr",
        "ua",
        "uk",
        "vi",
        "zh_Hans",
        "zh_Hant",
    ]
)
_PATTERN_HINT = "expected an http(s) URL"  # the one kind of pattern items have besides dates
_BOUNDS = {"minimum": "min", "maximum": "max"}
_LABELS = {
    "en": ("News", "News item"),
    "nb": ("Nyheter", "Nyhet"),
}


class UnknownField(ValueError):
    """The item schema has a field of a type the editor has no widget for."""


def decap_locale(language: str) -> str:
    """The Decap interface language for the site's LANGUAGE: nb gives nb_no."""
    primary = language.replace("_", "-").split("-")[0].lower()
    name = _DECAP_LOCALES.get(primary, primary)
    return name if name in _DECAP_SHIPPED else "en"


def cms_config(
    config: Config,
    languages: Sequence[str],
    *,
    backend: dict[str, Any],
    site_url: str,
    local_backend: str | None = None,
) -> dict[str, Any]:
    """Decap's configuration for the project: BACKEND ({name: ...}), the site at SITE_URL,
    LANGUAGES for an item's lang; with LOCAL_BACKEND, the URL of the file API that a
    browser on this machine uses instead of the Git host."""
    plural, singular = _LABELS.get(config.language.split("-")[0], _LABELS["en"])
    collection = {
        "name": COLLECTION,
        "label": plural,
        "label_singular": singular,
        "folder": ITEMS_DIR,
        "extension": "yaml",
        "format": "yaml",
        "create": True,
        "slug": SLUG,
        "identifier_field": "title",
        "summary": "{{title}} ({{date | date('YYYY-MM-DD')}})",
        "sortable_fields": [{"field": "date", "default_sort": "desc"}, "title"],
        "fields": item_fields(languages, config.language),
    }
    settings: dict[str, Any] = {
        "backend": backend,
        "publish_mode": "simple",
        "locale": decap_locale(config.language),
        "site_url": site_url,
        "display_url": site_url,
        "media_folder": IMAGES_DIR,
        "public_folder": IMAGES_DIR,
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
        "collections": [collection],
    }
    if local_backend is not None:
        settings["local_backend"] = {"url": local_backend}
    return settings


def item_fields(languages: Sequence[str], site_language: str = "en") -> list[dict[str, Any]]:
    """Decap's fields for every property of the item schema, in the schema's order:
    LANGUAGES are those an item's lang may name, SITE_LANGUAGE the labels'."""
    schema = item_json_schema()
    language = site_language.split("-")[0]
    labels = FIELD_LABELS.get(language, FIELD_LABELS["en"])
    hints = FIELD_HINTS.get(language, {})
    return _Form(schema, tuple(languages), labels, hints).fields(schema, "")


@dataclass(frozen=True)
class _Form:
    """What every field of the form is made with."""

    schema: dict[str, Any]
    languages: tuple[str, ...]
    labels: dict[str, str]
    hints: dict[str, str]  # in the site's language; else the model's own documentation

    def fields(self, node: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
        required = set(node.get("required", ()))
        return [
            self.field(prefix + name, prop, name in required)
            for name, prop in node["properties"].items()
        ]

    def field(self, path: str, prop: dict[str, Any], required: bool) -> dict[str, Any]:
        name = path.rsplit(".", 1)[-1]
        label = self.labels.get(path) or prop.get("title") or name.capitalize()
        field: dict[str, Any] = {"name": name, "label": label, "required": required}
        if prop.get("description"):
            field["hint"] = self.hints.get(path) or " ".join(prop["description"].split())
        field.update(self.widget(path, _kind(prop), required))
        return field

    def widget(self, path: str, kind: dict[str, Any], required: bool) -> dict[str, Any]:
        """The widget of the field at PATH, of type KIND, and its settings."""
        if "$ref" in kind:
            nested = self.schema["$defs"][kind["$ref"].split("/")[-1]]
            # An optional group's fields are optional in the form: an empty group is left
            # out, and a half-filled one is refused with the item's own message on saving.
            inner = self.fields(nested, path + ".")
            for child in inner if not required else ():
                child["required"] = False
            return {"widget": "object", "collapsed": False, "fields": inner}
        if path in _WIDGETS:
            widget = dict(_WIDGETS[path])
            if widget["widget"] == "select":
                widget["options"] = list(self.languages)
            return widget
        kind_name = kind.get("type")
        if kind_name == "string" and kind.get("pattern", "").startswith(_WHEN):
            widget = {
                "widget": "datetime",
                "format": DATETIME_FORMAT,
                "date_format": "YYYY-MM-DD",
                "time_format": "HH:mm",
                "picker_utc": False,
            }
            if path != "date":
                widget["default"] = ""  # not now: a time nobody chose
            return widget
        if kind_name == "string":
            pattern = kind.get("pattern")
            return {"widget": "string"} | ({"pattern": [pattern, _PATTERN_HINT]} if pattern else {})
        if kind_name == "boolean":
            return {"widget": "boolean", "default": False}
        if kind_name == "integer":
            bounds = {decap: kind[key] for key, decap in _BOUNDS.items() if key in kind}
            return {"widget": "number", "value_type": "int"} | bounds
        if kind_name == "array" and kind.get("items", {}).get("type") == "string":
            return {"widget": "list", "allow_add": True, "default": []}
        raise UnknownField(f"no editor widget for the item field {path}: {kind}")


def _kind(prop: dict[str, Any]) -> dict[str, Any]:
    """The type of a property, an optional one's (anyOf [T, null]) taken as T's."""
    kinds: list[dict[str, Any]] = [k for k in prop.get("anyOf", [prop]) if k.get("type") != "null"]
    if len(kinds) != 1:
        raise UnknownField(f"no editor widget for a field of several types: {prop}")
    return kinds[0]


def config_yaml(settings: dict[str, Any]) -> bytes:
    """SETTINGS as the text of config.yml."""
    text = yaml.safe_dump(settings, allow_unicode=True, sort_keys=False, width=100)
    return ("# Made by newsletter from the item model; do not edit.\n" + text).encode()
