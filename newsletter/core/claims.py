"""Output paths, each claimed by one output: two outputs to one path are refused."""

from __future__ import annotations

from collections.abc import Iterable

from newsletter.core.errors import NewsletterError


def claim(claimed: set[str], paths: Iterable[str]) -> None:
    """Add *paths* to *claimed*; raise NewsletterError for a path claimed before."""
    for path in paths:
        if path in claimed:
            raise NewsletterError(f"{path}: two outputs would be written to the same path")
        claimed.add(path)
