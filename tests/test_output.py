"""Putting out/ in place: a link to a whole build, switched in one step."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest
from conftest import newsletter_here

from newsletter.core.errors import NewsletterError
from newsletter.engine.cache import CACHE_FILE, Cache
from newsletter.engine.manifest import BUILD, out_files
from newsletter.engine.output import Staging, write_outputs

NEWSLETTER = Path(sys.executable).parent / "newsletter"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def put(out: Path, files: dict[str, bytes], *, adopt: bool = False) -> None:
    """Build *files* into OUT the way a build does."""
    with Staging(out, adopt=adopt) as staging:
        staging.claim(files)
        for path, data in files.items():
            staging.writer.write(path, data)
        staging.commit()


def builds(out: Path) -> list[str]:
    return sorted(p.name for p in (out.parent / f".{out.name}.builds").iterdir())


def test_out_is_a_link_to_the_last_build_and_the_one_before_stays_until_the_next(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    put(out, {"index.html": b"one", "news/a.html": b"a"})
    assert os.readlink(out) == ".out.builds/1"
    put(out, {"index.html": b"two", "news/a.html": b"a"})
    assert os.readlink(out) == ".out.builds/2"
    assert snapshot(out) == {"index.html": b"two", "news/a.html": b"a"}
    assert snapshot(tmp_path / ".out.builds" / "1")["index.html"] == b"one"  # for its readers
    put(out, {"index.html": b"three"})
    assert snapshot(out) == {"index.html": b"three"}
    assert builds(out) == [".lock", "2", "3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.builds", "out"]


def test_an_unchanged_file_is_linked_from_the_last_build_not_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    put(out, {"same.html": b"same", "changed.html": b"before"})
    same, changed = (out / "same.html").stat(), (out / "changed.html").stat()
    with Staging(out) as staging:
        assert not staging.writer.write("same.html", b"same")
        assert staging.writer.write("changed.html", b"after")
        assert staging.writer.link("gone.html") is False
        staging.commit()
    assert (out / "same.html").stat().st_ino == same.st_ino
    assert (out / "changed.html").stat().st_ino != changed.st_ino
    assert (tmp_path / ".out.builds" / "1" / "changed.html").read_bytes() == b"before"


def test_kept_files_are_linked_elsewhere_and_those_no_output_claims_removed(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    kept = {f"tags/t{n}/page/{n}.html": str(n).encode() for n in range(1200)}
    put(out, kept | {"index.html": b"one", "tags/gone/index.html": b"x"})
    with Staging(out) as staging, ThreadPoolExecutor(2) as elsewhere:
        staging.writer.link_kept([*sorted(kept), "tags/gone/index.html"], elsewhere.submit)
        assert staging.writer.linked() == set()
        staging.claim([*kept, "index.html"])
        staging.writer.write("index.html", b"two")
        staging.commit()
    assert snapshot(out) == kept | {"index.html": b"two"}
    assert (out / "tags/t7/page/7.html").stat().st_nlink == 2  # the same file, linked
    assert not (out / "tags" / "gone").exists()  # no folder left empty


def test_a_file_gone_from_the_last_build_is_not_linked_and_said_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    put(out, {"index.html": b"one", "news/a.html": b"a"})
    (tmp_path / ".out.builds" / "1" / "news" / "a.html").unlink()  # by another hand
    with Staging(out) as staging:
        staging.writer.link_kept(["index.html", "news/a.html", "../escaped.html"])
        assert staging.writer.linked() == {"news/a.html", "../escaped.html"}
        staging.claim(["index.html", "news/a.html"])
        staging.writer.write("news/a.html", b"a")  # rendered again
        staging.commit()
    assert snapshot(out) == {"index.html": b"one", "news/a.html": b"a"}


def test_a_build_that_fails_leaves_out_as_it_was_and_no_folder_of_its_own(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    put(out, {"index.html": b"old"})
    with pytest.raises(NewsletterError), Staging(out) as staging:
        staging.writer.write("index.html", b"new")
        staging.claim(["index.html", "index.html"])
    assert snapshot(out) == {"index.html": b"old"}
    assert builds(out) == [".lock", "1"]


def test_two_outputs_for_one_path_are_refused(tmp_path: Path) -> None:
    with Staging(tmp_path / "out") as staging, pytest.raises(NewsletterError) as caught:
        staging.claim(["feed.atom", "news/a.html", "feed.atom"])
    assert str(caught.value) == "feed.atom: two outputs would be written to the same path"


def test_no_output_leaves_out(tmp_path: Path) -> None:
    with Staging(tmp_path / "out") as staging, pytest.raises(NewsletterError) as caught:
        staging.writer.write("news/../../escaped.html", b"x")
    assert str(caught.value) == (
        "news/../../escaped.html: an output must stay inside the out/ folder"
    )
    assert not staging.writer.link("../escaped.html")


def test_what_stopped_builds_left_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    put(out, {"index.html": b"old"})
    area = tmp_path / ".out.builds"
    (area / "7" / "news").mkdir(parents=True)  # a build killed while writing
    (area / "7" / "news" / "a.html").write_bytes(b"half")
    (area / "7" / "news").chmod(0o500)  # even a folder made read-only
    os.symlink(".out.builds/7", area / ".link-7")  # killed before its switch
    (tmp_path / ".out.new-x1y2").mkdir()  # what earlier versions left
    (tmp_path / ".out.old-z3").mkdir()
    put(out, {"index.html": b"new"})
    assert builds(out) == [".lock", "1", "8"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.builds", "out"]
    assert snapshot(out) == {"index.html": b"new"}


def test_a_link_that_lost_its_build_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    os.symlink(".out.builds/4", out)
    put(out, {"index.html": b"new"})
    assert snapshot(out) == {"index.html": b"new"}


@pytest.mark.parametrize("kind", ["files", "a file", "another link"])
def test_out_not_made_by_a_build_is_refused(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "public"
    if kind == "files":
        out.mkdir()
        (out / "mine.txt").write_text("keep me")
    elif kind == "a file":
        out.write_text("keep me")
    else:
        (tmp_path / "elsewhere").mkdir()
        os.symlink("elsewhere", out)
    with pytest.raises(NewsletterError) as caught:
        Staging(out)
    assert str(caught.value) == (
        f"--out {out}: was not made by newsletter build; remove it or pick another folder"
    )
    assert not (tmp_path / ".public.builds").exists()


def test_an_empty_folder_or_one_holding_only_digests_becomes_a_link(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "digests" / "2024-W16").mkdir(parents=True)  # what `digest` writes alone
    (out / "digests" / "2024-W16" / "email.html").write_bytes(b"mail")
    put(out, {"digests/2024-W16/email.html": b"mail", "index.html": b"new"})
    assert out.is_symlink()
    assert snapshot(out) == {"digests/2024-W16/email.html": b"mail", "index.html": b"new"}
    empty = tmp_path / "empty"
    empty.mkdir()
    put(empty, {"index.html": b"new"})
    assert empty.is_symlink()


def test_a_folder_an_earlier_build_made_is_taken_over_in_one_step(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_bytes(b"made by a version that wrote out/ itself")
    (out / "kept.html").write_bytes(b"kept")
    inode = (out / "kept.html").stat().st_ino
    put(out, {"index.html": b"new", "kept.html": b"kept"}, adopt=True)
    assert out.is_symlink()
    assert snapshot(out) == {"index.html": b"new", "kept.html": b"kept"}
    assert (out / "kept.html").stat().st_ino == inode
    put(out, {"index.html": b"newer"})
    assert builds(out) == [".lock", "1", "2"]  # the old folder is gone


def test_one_build_at_a_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Staging(out), pytest.raises(NewsletterError) as caught:
        Staging(out)
    assert str(caught.value) == (
        f"{out}: another build is writing it; run this one when it has finished"
    )
    put(out, {"index.html": b"after"})  # the lock went with the first


def test_a_build_area_that_cannot_be_made_is_one_located_line(tmp_path: Path) -> None:
    (tmp_path / ".out.builds").write_text("in the way")
    with pytest.raises(NewsletterError) as caught:
        Staging(tmp_path / "out")
    assert str(caught.value) == (
        f"{tmp_path / 'out'}: cannot be put in place: File exists: {tmp_path / '.out.builds'}"
    )


def test_out_must_name_a_folder() -> None:
    with pytest.raises(NewsletterError) as caught:
        Staging(Path("/"))
    assert str(caught.value) == "--out /: a build cannot be written there"


def test_write_outputs_replaces_a_folder_whole(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "digests" / "2024-W16"
    write_outputs(folder, {"email.html": b"old", "old.txt": b"gone soon"})
    (folder.parent / ".2024-W16.new-stopped").mkdir()  # left by a stopped writer
    assert write_outputs(folder, {"email.html": b"old", "email.txt": b"new"}) == (1, 1)
    assert snapshot(folder) == {"email.html": b"old", "email.txt": b"new"}
    assert sorted(p.name for p in folder.parent.iterdir()) == ["2024-W16"]


def test_a_stop_after_the_switch_keeps_the_new_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    put(out, {"index.html": b"old"})
    with pytest.raises(KeyboardInterrupt), Staging(out) as staging:
        staging.writer.write("index.html", b"new")
        staging.commit()
        raise KeyboardInterrupt  # Ctrl-C as the build ends
    assert snapshot(out) == {"index.html": b"new"}


def as_an_earlier_version_left_it(project: Path) -> dict[str, bytes]:
    """Build the project, then make its out/ a plain folder of the same files, as a
    version of newsletter that wrote out/ itself left it; return its files."""
    assert run(project, "build").returncode == 0
    files = snapshot(project / "out")
    (project / "out").unlink()
    shutil.rmtree(project / ".out.builds")
    for path, data in files.items():
        (project / "out" / path).parent.mkdir(parents=True, exist_ok=True)
        (project / "out" / path).write_bytes(data)
    return files


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return newsletter_here(project, *args, "--as-of", "2024-04-30")


def test_an_out_folder_an_earlier_version_built_is_replaced_by_a_link(project: Path) -> None:
    files = as_an_earlier_version_left_it(project)
    (project / "out" / "news" / "gone.html").write_bytes(b"an item since deleted")
    done = run(project, "build")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == (
        "Replaced out, a folder an earlier version of newsletter built, with a link to the new"
        " build (.out.builds/1); publish through it (rsync -L, tar -h)."
    )
    assert os.readlink(project / "out") == ".out.builds/1"
    assert snapshot(project / "out") == files
    with Cache(project / ".newsletter" / CACHE_FILE) as cache:  # its files as they stay
        assert orjson.loads(cache.read("state", BUILD) or b"")["files"] == out_files(
            project / "out"
        )
    again = run(project, "build")
    assert "Replaced" not in again.stdout


@pytest.mark.parametrize(
    "extra",
    ["mine.html", "news/report.docx", "images/link.jpg", "notes/todo.txt", "tags/pipe.rss"],
)
def test_an_out_folder_holding_what_a_build_never_writes_is_refused(
    project: Path, extra: str
) -> None:
    as_an_earlier_version_left_it(project)
    path = project / "out" / extra
    path.parent.mkdir(parents=True, exist_ok=True)
    if extra.endswith("link.jpg"):
        path.symlink_to(project / "newsletter.yaml")
    elif extra.endswith("pipe.rss"):
        os.mkfifo(path)
    else:
        path.write_bytes(b"mine")
    before = sorted(p.relative_to(project).as_posix() for p in (project / "out").rglob("*"))
    done = run(project, "build")
    assert (done.returncode, done.stderr) == (
        1,
        "Error: --out out: was not made by newsletter build; remove it or pick another folder\n",
    )
    after = sorted(p.relative_to(project).as_posix() for p in (project / "out").rglob("*"))
    assert after == before and not (project / "out").is_symlink()
