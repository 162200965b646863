"""A digest's folder as two render jobs, the same for a build and the digest command:
its email (the web page of a build links to the digests around it, that of the digest
command to none, and the email shows neither), and its web page."""

from __future__ import annotations

from pathlib import Path

from newsletter.domain.digests import Digest
from newsletter.engine.cache import Cache
from newsletter.engine.entries import encode
from newsletter.engine.jobs import Files, Job
from newsletter.render.digest_pages import Around, render_web_version
from newsletter.render.emails import render_email
from newsletter.render.templates import Templates, cached_environment
from newsletter.sources.config import Config
from newsletter.sources.templatefiles import templates_fingerprint


def site_templates(root: Path, config: Config) -> Templates:
    """The templates of the project at ROOT, keyed by their files, in its language."""
    return Templates(root, templates_fingerprint(root), config.language)


def rendered_digest(digest: Digest, config: Config, templates: Templates, cache: Cache) -> Files:
    """The files of *digest*'s folder, named within it, written on its own: its email as
    a build made it, from the cache where a build or this left it, else rendered now and
    stored there; its web page linking to no other digest, which one period's items
    cannot name. *templates* as site_templates() makes them."""
    files: Files = {}
    for job in (
        Job(render_digest_email, (digest, config, templates)),
        Job(render_digest_page, (digest, config, templates)),
    ):
        made = cache.get(job.key)
        if made is None:
            made = job.run()
            cache.put_blob(job.key, encode(job.key, made))
        files.update(made)
    return {path.removeprefix(digest.folder): data for path, data in files.items()}


def render_digest_email(digest: Digest, config: Config, templates: Templates) -> Files:
    """Render one digest's email.html, email.txt and email.eml, their paths relative to
    out/: the same files for a build and for the digest command, which finds a build's
    in the cache (the email is most of a digest's time, its CSS inlined)."""
    files = render_email(digest, config, cached_environment(templates))
    return {digest.folder + name: data for name, data in files.items()}


def render_digest_page(
    digest: Digest, config: Config, templates: Templates, around: Around = (None, None)
) -> Files:
    """Render one digest's web page, its path relative to out/; *around* are the digests
    before and after it, which it links to (a digest written on its own, by the digest
    command, links to none)."""
    page = render_web_version(digest, config, cached_environment(templates), around)
    return {digest.folder + "index.html": page}
