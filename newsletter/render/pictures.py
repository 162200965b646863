"""A picture's published copies: upright, in sRGB, without metadata, at the sizes the
pages and the email show them. The same picture always gives the same bytes."""

from __future__ import annotations

import io

import PIL.Image
import PIL.ImageCms
import PIL.ImageOps

from newsletter.sources.pictures import Picture

_QUALITY = 85
_KEPT = ("transparency",)  # of what Pillow read from the file, all that is not metadata


def render_picture(picture: Picture, data: bytes) -> dict[str, bytes]:
    """Return the copies of *picture*, whose file holds *data*: {out/ path: bytes}."""
    with PIL.Image.open(io.BytesIO(data)) as opened:
        opened.seek(0)  # an animated picture shows its first frame
        image = _upright(opened)
    email_format = "PNG" if picture.email.endswith(".png") else "JPEG"
    return {
        picture.page: _encode(image, picture.page_size, picture.format),
        picture.email: _encode(image, picture.email_size, email_format),
        picture.thumb: _encode(image, picture.thumb_size, email_format),
    }


def _upright(opened: PIL.Image.Image) -> PIL.Image.Image:
    """The picture turned as its EXIF orientation says, in sRGB, its metadata dropped."""
    image = PIL.ImageOps.exif_transpose(opened)
    image.load()
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = PIL.ImageCms.ImageCmsProfile(io.BytesIO(profile))
            srgb = PIL.ImageCms.createProfile("sRGB")
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            image = PIL.ImageCms.profileToProfile(image, source, srgb, outputMode=mode) or image
        except (PIL.ImageCms.PyCMSError, OSError, ValueError):
            pass  # a damaged profile: the colours as they are
    image.info = {key: value for key, value in image.info.items() if key in _KEPT}
    return image


def _encode(image: PIL.Image.Image, size: tuple[int, int], kind: str) -> bytes:
    """SIZE of *image*, as a file of the format KIND."""
    if image.size != size or kind == "JPEG":
        image = _flat(image, keep_alpha=kind != "JPEG")
    if image.size != size:
        image = image.resize(size, PIL.Image.Resampling.LANCZOS)
        image.info = {}
    out = io.BytesIO()
    if kind == "JPEG":
        image.save(out, "JPEG", quality=_QUALITY, optimize=True)
    elif kind == "PNG":
        image.save(out, "PNG", optimize=True)
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=_QUALITY, method=4)
    else:
        image.save(out, kind)
    return out.getvalue()


def _flat(image: PIL.Image.Image, *, keep_alpha: bool) -> PIL.Image.Image:
    """The picture in a mode that can be resized and saved: RGB, or RGBA with KEEP_ALPHA;
    transparent parts become white where they cannot stay."""
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode in ("RGB", "L") or (image.mode == "RGBA" and keep_alpha):
        return image
    if alpha and keep_alpha:
        return image.convert("RGBA")
    if alpha:
        rgba = image.convert("RGBA")
        white = PIL.Image.new("RGBA", rgba.size, "white")
        return PIL.Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")
