"""The site's pictures of itself, made with Pillow from the project's templates/logo.png:
the logo published for the email's masthead, the favicons (PNG and ICO), the
apple-touch-icon and the share image pages show when no picture of their own.

The icons are the logo's mark: the square at the left of what it draws (a project's
templates/icon.png, square, replaces it). Without a logo the icons are the built-in
mark and there is no logo to publish. The same bytes in give the same bytes out.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import PIL.Image
import PIL.ImageChops
import PIL.ImageDraw

LOGO_FILE = "logo.png"  # in templates/, and published under this name in out/
ICON_FILE = "icon.png"  # in templates/: the icons' square, where the logo's left is not
SHARE_FILE = "share.png"
LOGO_WIDTH = 200  # CSS px the email shows the logo at, at most; its file is sharper
_SHARE_SIZE = (1200, 630)  # what link previews (Open Graph) show best
_ICON_SIZES = ((16, 16), (32, 32), (48, 48))
_BUILT_IN_MARK = "#333333"


@dataclass(frozen=True)
class Logo:
    """The logo as the email shows it: its file in out/ and its size in CSS px."""

    file: str
    width: int
    height: int


def logo_shown(data: bytes) -> Logo:
    """The logo of these PNG bytes, LOGO_WIDTH wide at most, its proportions kept."""
    with PIL.Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    shown = min(width, LOGO_WIDTH)
    return Logo(LOGO_FILE, shown, max(1, round(height * shown / width)))


def render_icons(logo: bytes | None, icon: bytes | None) -> dict[str, bytes]:
    """Return logo.png (with a logo), favicon.png, favicon.ico, apple-touch-icon.png
    and share.png, from the project's logo and icon files (PNG bytes, or None)."""
    return dict(_icons(logo, icon))


@functools.lru_cache(maxsize=2)
def _icons(logo: bytes | None, icon: bytes | None) -> dict[str, bytes]:
    """The icons, drawn once a process for the same files: the preview draws them again
    after every change of a template, which changes the key of their job, and drawing
    them was 80 ms of every build of the sample project once its code was warm."""
    files: dict[str, bytes] = {}
    if logo is not None:
        files[LOGO_FILE] = logo
    square = _square(icon, logo)
    files["favicon.png"] = _png(square.resize((192, 192), PIL.Image.Resampling.LANCZOS))
    ico = io.BytesIO()
    square.resize((48, 48), PIL.Image.Resampling.LANCZOS).save(ico, "ICO", sizes=_ICON_SIZES)
    files["favicon.ico"] = ico.getvalue()
    # iOS draws a transparent corner black: the touch icon is opaque.
    touch = PIL.Image.new("RGB", (180, 180), "white")
    mark = square.resize((180, 180), PIL.Image.Resampling.LANCZOS)
    touch.paste(mark, (0, 0), mark)
    files["apple-touch-icon.png"] = _png(touch)
    files[SHARE_FILE] = _png(_share(logo, square))
    return files


def _square(icon: bytes | None, logo: bytes | None) -> PIL.Image.Image:
    """The icons' mark, RGBA: the icon file, else the logo's leftmost square."""
    if icon is not None:
        return _opened(icon)
    if logo is None:
        return _built_in_mark()
    image = _opened(logo)
    left, top, right, bottom = _drawn(image)
    side = min(bottom - top, right - left)
    return image.crop((left, top, left + side, top + side))


def _drawn(image: PIL.Image.Image) -> tuple[int, int, int, int]:
    """The box of what the picture draws: what differs from its top-left pixel."""
    background = PIL.Image.new("RGBA", image.size, image.getpixel((0, 0)))
    return PIL.ImageChops.difference(image, background).getbbox() or (0, 0, *image.size)


def _share(logo: bytes | None, square: PIL.Image.Image) -> PIL.Image.Image:
    """The share image: the logo (or the mark) centred on white, 1200 x 630."""
    canvas = PIL.Image.new("RGB", _SHARE_SIZE, "white")
    picture = _opened(logo) if logo is not None else square
    picture = picture.crop(_drawn(picture))
    scale = min(1000 / picture.width, 400 / picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    picture = picture.resize(size, PIL.Image.Resampling.LANCZOS)
    where = ((_SHARE_SIZE[0] - size[0]) // 2, (_SHARE_SIZE[1] - size[1]) // 2)
    canvas.paste(picture, where, picture)
    return canvas


def _built_in_mark() -> PIL.Image.Image:
    """A rounded square with three lines of text: the built-in favicon.svg, drawn."""
    mark = PIL.Image.new("RGBA", (192, 192), (0, 0, 0, 0))
    draw = PIL.ImageDraw.Draw(mark)
    draw.rounded_rectangle((0, 0, 191, 191), radius=36, fill=_BUILT_IN_MARK)
    for y, end in ((54, 144), (84, 144), (114, 108), (144, 120)):
        draw.line((48, y, end, y), fill="white", width=15)
    return mark


def _opened(data: bytes) -> PIL.Image.Image:
    with PIL.Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA")


def _png(image: PIL.Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
