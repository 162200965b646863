"""Pictures end to end: found and measured by check, published and resized by build."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import PIL.Image
import pytest
from conftest import REPO, newsletter_here

from newsletter.core import stamps
from newsletter.core.errors import NewsletterError
from newsletter.core.fingerprints import fingerprint
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.itemcache import PICTURES, items_context, read_measured
from newsletter.engine.pictures import publish_picture
from newsletter.render.emails import THUMB
from newsletter.render.pictures import render_picture
from newsletter.sources.pictures import (
    EMAIL_COLUMN,
    EMAIL_WIDTH,
    PAGE_WIDTH,
    NotPlain,
    PictureError,
    find_picture,
    read_picture,
)

NEWSLETTER = Path(sys.executable).parent / "newsletter"
BASE = "https://news.example.org/icr/"


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the command from inside the project folder, as a person does."""
    return newsletter_here(root, *args)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the repository's own project: its config, items and pictures."""
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copy(REPO / "newsletter.yaml", root)
    shutil.copytree(REPO / "items", root / "items")
    shutil.copytree(REPO / "images", root / "images")
    return root


def save(path: Path, size: tuple[int, int], kind: str = "JPEG", **options: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = PIL.Image.new("RGB", size, "#5a8f8a")
    image.paste((179, 38, 45), (0, 0, size[0] // 4, size[1] // 4))  # a red corner, top left
    image.save(path, kind, **options)


def add_item(root: Path, name: str, src: str, folder: str = "items") -> None:
    item = root / folder / f"{name}.yaml"
    item.parent.mkdir(parents=True, exist_ok=True)
    item.write_text(
        f"title: {name}\ndate: 2024-04-12\nbody: Text.\nimage:\n  src: {src}\n"
        "  alt: A picture\n  credit: 'Illustration: the institute'\n",
        encoding="utf-8",
    )


def pictures_shown(out: Path) -> list[tuple[str, lxml.html.HtmlElement]]:
    """Every <img> in every HTML file of OUT, with the file's name."""
    found = []
    for page in sorted(out.rglob("*.html")):
        for img in lxml.html.fromstring(page.read_bytes()).iter("img"):
            found.append((page.relative_to(out).as_posix(), img))
    return found


def test_every_picture_in_out_is_a_file_there_of_the_size_its_tag_says(sample: Path) -> None:
    save(sample / "images" / "Blåbær i lab.png", (700, 500), "PNG")
    add_item(sample, "blabaer", "images/Blåbær i lab.png")
    result = run(sample, "build", "--as-of", "2024-04-30")
    assert result.returncode == 0, result.stderr
    out = sample / "out"
    shown = pictures_shown(out)
    assert len({page for page, _ in shown}) >= 8  # item pages, digests and their emails
    for page, img in shown:
        src = img.get("src")
        assert src.startswith(BASE), (page, src)
        with PIL.Image.open(out / unquote(src.removeprefix(BASE))) as picture:
            width, height = picture.size
        shown_width = int(img.get("width"))
        thumb = "/images/thumb/" in src  # a compact story's, in a digest or its email
        if page.endswith("email.html"):
            assert ("/images/thumb/" if img.get("class") == "thumb" else "/images/email/") in src
        if thumb or page.endswith("email.html"):  # a copy, twice as sharp, in its column
            column = THUMB if thumb else EMAIL_COLUMN
            assert width <= 2 * column
            assert shown_width == min(width, column)
            assert int(img.get("height")) == round(height * shown_width / width)
        else:
            assert (shown_width, int(img.get("height"))) == (width, height), (page, src)
        assert img.get("alt")
        assert " " not in src and "å" not in src


def test_the_sample_pictures_are_small_jpegs_with_credits() -> None:
    pictures = sorted((REPO / "images").iterdir())
    items = "".join(p.read_text("utf-8") for p in (REPO / "items").glob("*.yaml"))
    assert len(pictures) == items.count("image:") == 6
    for path in pictures:
        assert path.stat().st_size < 150_000
        with PIL.Image.open(path) as picture:
            assert picture.format == "JPEG"
        assert f"src: images/{path.name}" in items
    assert items.count('credit: "Illustration: Institute for Cancer Research"') == 6


def test_the_repository_passes_a_strict_check() -> None:
    result = run(REPO, "check", "--strict")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Checked 6 items: 0 errors.\n"


def test_exif_orientation_is_applied_and_metadata_dropped(sample: Path) -> None:
    exif = PIL.Image.Exif()
    exif[0x0112] = 6  # stored on its side: turn 90° clockwise to show it
    exif[0x013B] = "Secret Photographer"  # Artist
    path = sample / "images" / "turned.jpg"
    save(path, (300, 200), exif=exif.tobytes(), comment=b"private note")
    add_item(sample, "turned", "images/turned.jpg")
    assert run(sample, "build", "--as-of", "2024-04-30").returncode == 0
    for copy in ("images/turned.jpg", "images/email/turned.jpg"):
        data = (sample / "out" / copy).read_bytes()
        assert b"Secret Photographer" not in data and b"private note" not in data
        with PIL.Image.open(io.BytesIO(data)) as picture:
            assert picture.size == (200, 300)
            assert not picture.getexif()
            assert "comment" not in picture.info and "exif" not in picture.info
            red, green, _ = picture.convert("RGB").getpixel((190, 10))
            assert red > 150 and green < 100  # the red corner, turned to the top right
    page = (sample / "out" / "news" / "turned.html").read_text("utf-8")
    assert 'src="https://news.example.org/icr/images/turned.jpg"' in page
    assert 'width="200" height="300"' in page


def test_copies_are_the_same_bytes_every_time(tmp_path: Path) -> None:
    path = tmp_path / "images" / "wide.png"
    save(path, (3000, 1000), "PNG")
    picture = find_picture(tmp_path, "items/a.yaml", "images/wide.png")
    assert picture.page_size == (PAGE_WIDTH, 533) and picture.email_size == (EMAIL_WIDTH, 373)
    first = render_picture(picture, path.read_bytes())
    assert first == render_picture(picture, path.read_bytes())
    for name, size in [(picture.page, picture.page_size), (picture.email, picture.email_size)]:
        with PIL.Image.open(io.BytesIO(first[name])) as copy:
            assert (copy.format, copy.size) == ("PNG", size)


@pytest.mark.parametrize(
    ("kind", "mode", "email"),
    [("WEBP", "RGB", "JPEG"), ("WEBP", "RGBA", "PNG"), ("GIF", "P", "PNG"), ("PNG", "LA", "PNG")],
)
def test_email_copies_are_jpeg_or_png(tmp_path: Path, kind: str, mode: str, email: str) -> None:
    path = tmp_path / "images" / f"a.{kind.lower()}"
    path.parent.mkdir()
    PIL.Image.new("RGBA", (800, 600), (0, 80, 158, 128)).convert(mode).save(path, kind)
    picture = find_picture(tmp_path, "items/a.yaml", f"images/a.{kind.lower()}")
    copies = render_picture(picture, path.read_bytes())
    with PIL.Image.open(io.BytesIO(copies[picture.email])) as copy:
        assert (copy.format, copy.size) == (email, (800, 600))
    with PIL.Image.open(io.BytesIO(copies[picture.page])) as copy:
        assert copy.format == kind


def test_replacing_a_picture_rebuilds_its_copies_and_pages(sample: Path) -> None:
    assert run(sample, "build", "--as-of", "2024-04-30").returncode == 0
    out = sample / "out"
    before = (out / "images" / "email" / "maria-a-blasco.jpg").read_bytes()
    save(sample / "images" / "maria-a-blasco.jpg", (900, 300))
    result = run(sample, "build", "--as-of", "2024-04-30")
    assert result.returncode == 0, result.stderr
    assert (out / "images" / "email" / "maria-a-blasco.jpg").read_bytes() != before
    with PIL.Image.open(out / "images" / "maria-a-blasco.jpg") as picture:
        assert picture.size == (900, 300)
    page = (out / "news" / "blasco-guest-lecture.html").read_text("utf-8")
    assert 'width="900" height="300"' in page
    email = (out / "digests" / "2024-W15" / "email.html").read_text("utf-8")
    assert 'width="560" height="187"' in email


def test_a_picture_beside_its_item_is_published(sample: Path) -> None:
    save(sample / "items" / "2024" / "beside.png", (400, 300), "PNG")
    add_item(sample, "beside", "beside.png", folder="items/2024")
    result = run(sample, "build", "--as-of", "2024-04-30")
    assert result.returncode == 0, result.stderr
    assert "not an item" not in result.stderr
    with PIL.Image.open(sample / "out" / "images" / "items" / "2024" / "beside.png") as picture:
        assert picture.size == (400, 300)
    page = (sample / "out" / "news" / "beside.html").read_text("utf-8")
    assert 'src="https://news.example.org/icr/images/items/2024/beside.png"' in page
    again = run(sample, "build", "--as-of", "2024-04-30")
    assert (again.returncode, again.stderr) == (0, "")
    assert ", 0 files written," in again.stdout
    save(sample / "items" / "2024" / "beside.png", (500, 300), "PNG")
    assert run(sample, "build", "--as-of", "2024-04-30").returncode == 0
    page = (sample / "out" / "news" / "beside.html").read_text("utf-8")
    assert 'width="500" height="300"' in page


def test_a_missing_picture_is_reported_where_the_item_names_it(sample: Path) -> None:
    add_item(sample, "gone", "images/gone.jpg")
    for command in ("check", "build"):
        result = run(sample, command)
        assert result.returncode == 1
        assert result.stderr.startswith(
            "items/gone.yaml:5: image.src: no file images/gone.jpg "
            "(pictures go in images/ or next to the item file)\n"
        )


def test_a_link_out_of_the_project_is_refused(sample: Path, tmp_path: Path) -> None:
    save(tmp_path / "secret.jpg", (10, 10))
    (sample / "images" / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    add_item(sample, "link", "images/link.jpg")
    result = run(sample, "check")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "items/link.yaml:5: image.src: images/link.jpg links to a file outside images/ and "
        "items/; pictures go in images/ or next to the item file\n"
    )


def test_a_picture_cut_short_is_the_items_error_in_check_and_build(sample: Path) -> None:
    data = (REPO / "images" / "maria-a-blasco.jpg").read_bytes()
    (sample / "images" / "cut.jpg").write_bytes(data[: len(data) // 2])
    add_item(sample, "cut", "images/cut.jpg")
    for command in (["check"], ["build", "--as-of", "2024-04-30"]):
        result = run(sample, *command)
        assert result.returncode == 1
        assert result.stderr.startswith(
            "items/cut.yaml:5: image.src: images/cut.jpg is damaged or cut short (image file is"
            " truncated"
        )
        assert "save or copy it again\n" in result.stderr
    assert not (sample / "out").exists()


@pytest.mark.parametrize("kind", ["pipe", "socket", "folder"])
def test_a_picture_that_is_not_a_plain_file_is_refused_at_once(sample: Path, kind: str) -> None:
    path = sample / "images" / "odd.jpg"
    if kind == "pipe":
        os.mkfifo(path)
    elif kind == "socket":
        listening = socket.socket(socket.AF_UNIX)
        listening.bind(str(path))
    else:
        path.mkdir()
    add_item(sample, "odd", "images/odd.jpg")
    for command in (["check"], ["build", "--as-of", "2024-04-30"]):
        result = subprocess.run(
            [NEWSLETTER, *command], cwd=sample, capture_output=True, text=True, timeout=60
        )
        assert (result.returncode, result.stderr) == (
            1,
            "items/odd.yaml:5: image.src: images/odd.jpg is not a plain file (a folder, device,"
            " pipe or socket); put the picture there\n1 error.\n",
        )


def test_a_device_is_never_opened_as_a_picture(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    os.symlink("/dev/zero", tmp_path / "images" / "zero.jpg")
    with pytest.raises(PictureError, match="links to a file outside"):
        find_picture(tmp_path, "items/a.yaml", "images/zero.jpg")
    with pytest.raises(NotPlain):
        read_picture("/dev/zero")


def test_a_site_root_path_means_the_projects_images_folder(sample: Path) -> None:
    save(sample / "images" / "2025" / "x.jpg", (40, 30))
    add_item(sample, "rooted", "/images/2025/x.jpg", folder="items/2025")
    assert run(sample, "check").returncode == 0
    assert run(sample, "build", "--as-of", "2024-04-30").returncode == 0
    assert (sample / "out" / "images" / "2025" / "x.jpg").is_file()
    add_item(sample, "elsewhere", "/etc/x.jpg")
    result = run(sample, "check")
    assert result.stderr.startswith(
        "items/elsewhere.yaml:5: image.src: '/etc/x.jpg' leads outside the project;"
    )


def test_an_http_picture_on_an_https_site_is_named_by_check(sample: Path) -> None:
    add_item(sample, "plain", "http://example.org/lab.jpg")
    result = run(sample, "check")
    assert (result.returncode, result.stderr) == (
        1,
        "items/plain.yaml:5: image.src: is http:// on an https site: browsers block or flag a"
        " picture sent in the clear on a secure page (mixed content); use https://\n1 error.\n",
    )


def test_a_picture_changed_or_gone_while_building_is_named(tmp_path: Path) -> None:
    path = tmp_path / "images" / "a.jpg"
    save(path, (40, 30))
    picture = find_picture(tmp_path, "items/a.yaml", "images/a.jpg")
    save(path, (40, 31))
    with pytest.raises(NewsletterError, match=r"images/a\.jpg: changed while the build ran"):
        publish_picture(picture)
    path.unlink()
    with pytest.raises(NewsletterError, match=r"images/a\.jpg: cannot be read: No such file"):
        publish_picture(picture)


def test_a_picture_that_became_a_pipe_or_undecodable_while_building_is_named(
    tmp_path: Path,
) -> None:
    path = tmp_path / "images" / "a.jpg"
    save(path, (40, 30))
    picture = find_picture(tmp_path, "items/a.yaml", "images/a.jpg")
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(NewsletterError) as caught:
        publish_picture(picture)
    assert str(caught.value) == "images/a.jpg: is not a plain file (a device, pipe or socket)"
    path.unlink()
    cut = b"\xff\xd8\xff" + b"\0" * 64  # a JPEG's start, and nothing a decoder can use
    path.write_bytes(cut)
    same = dataclasses.replace(picture, fingerprint=fingerprint("images/a.jpg", cut))
    with pytest.raises(NewsletterError) as caught:
        publish_picture(same)
    message = str(caught.value)
    assert message.startswith("images/a.jpg: cannot be made into a picture for the web (")
    assert message.endswith("); save it again as a JPEG")


def test_a_picture_measured_once_is_not_read_again_until_it_changes(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamps, "SETTLED_NS", 0)  # files changed a moment ago count as settled
    assert run(sample, "check").returncode == 0
    with Cache(sample / ".newsletter" / CACHE_FILE) as cache:
        context = items_context(sample)
        measured = read_measured(cache, context)
        assert sorted(measured) == sorted(f"images/{p.name}" for p in (REPO / "images").iterdir())
        entry = measured["images/maria-a-blasco.jpg"]
        assert entry[5:] == ["JPEG", 1200, 800, False]
        entry[6:8] = [1500, 1000]  # what a file of the same size, inode and times was
        cache.write("state", {PICTURES: json.dumps(measured).encode()}, seal=context)
    assert run(sample, "build", "--as-of", "2024-04-30").returncode == 0
    page = (sample / "out" / "news" / "blasco-guest-lecture.html").read_text("utf-8")
    assert 'width="1500" height="1000"' in page
    save(sample / "images" / "maria-a-blasco.jpg", (900, 300))
    assert run(sample, "build", "--as-of", "2024-04-30").returncode == 0
    page = (sample / "out" / "news" / "blasco-guest-lecture.html").read_text("utf-8")
    assert 'width="900" height="300"' in page


def test_a_link_to_a_folder_in_images_is_not_walked(sample: Path) -> None:
    (sample / "images" / "everything").symlink_to("/")
    result = subprocess.run(
        [NEWSLETTER, "build", "--as-of", "2024-04-30"],
        cwd=sample,
        capture_output=True,
        text=True,
        timeout=120,  # a guard: walking / would take far longer
    )
    assert result.returncode == 0, result.stderr
