"""The pictures' jobs: each picture file the published items show, published once.

A job's key is the picture's bytes and the sizes it is published at (and the code):
replacing a picture file renders its copies again, and nothing else does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.fingerprints import fingerprint
from newsletter.engine.jobs import Files, Job
from newsletter.engine.versions import code_fingerprint
from newsletter.render.pictures import render_picture
from newsletter.sources.items import Item
from newsletter.sources.pictures import Picture


def picture_jobs(items: Sequence[Item]) -> list[Job]:
    """A job for each picture file that *items* show, in the order of their names."""
    found = {i.image.picture.file: i.image.picture for i in items if i.image and i.image.picture}
    code = code_fingerprint()
    return [_picture_job(found[name], code) for name in sorted(found)]


def _picture_job(picture: Picture, code: str) -> Job:
    sizes = repr([picture.page_size, picture.email_size, picture.thumb_size])
    paths = (picture.page, picture.email, picture.thumb)
    key = fingerprint(code, "picture", picture.fingerprint, *paths, sizes)
    return Job(key, lambda: (publish_picture, (picture,)))


def publish_picture(picture: Picture) -> Files:
    """Read a picture file, as it was when the items were read, and render its copies."""
    try:
        data = Path(picture.path).read_bytes()
    except OSError as exc:
        problem = Problem(picture.file, 0, "", f"cannot be read: {exc.strerror}")
        raise NewsletterError([problem]) from None
    if fingerprint(picture.file, data) != picture.fingerprint:
        message = "changed while the build ran; build again"
        raise NewsletterError([Problem(picture.file, 0, "", message)])
    try:
        return render_picture(picture, data)
    except (OSError, ValueError) as exc:
        message = f"cannot be made into a picture for the web ({exc}); save it again as a JPEG"
        raise NewsletterError([Problem(picture.file, 0, "", message)]) from None
