"""The schema command: the JSON Schema of an item file, for editors' YAML support."""

from __future__ import annotations

import json

from newsletter.sources.model import item_json_schema


def schema_document() -> str:
    """The JSON Schema of an item file, as text: indented, non-ASCII kept."""
    return json.dumps(item_json_schema(), indent=2, ensure_ascii=False)
