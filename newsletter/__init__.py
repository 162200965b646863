"""Turn one YAML file per news item into feeds, web pages and a weekly email."""

__version__ = "0.1.0"
