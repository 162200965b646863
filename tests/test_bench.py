"""The benchmark's synthetic project: always valid, always the same bytes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).parent.parent / "bench"
NEWSLETTER = Path(sys.executable).parent / "newsletter"


def _load(name: str) -> ModuleType:
    # bench/ is a folder of scripts, not a package; load its modules by path.
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_synthetic_items_pass_a_strict_check(tmp_path: Path) -> None:
    synthetic = _load("synthetic")
    synthetic.generate_project(tmp_path, 30)
    synthetic.edit_item(sorted((tmp_path / "items").iterdir())[-1], 1)
    result = subprocess.run(
        [NEWSLETTER, "check", "--strict"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "30 items" in result.stdout


def test_generation_is_deterministic(tmp_path: Path) -> None:
    synthetic, hugo = _load("synthetic"), _load("hugo")
    for name in ("a", "b"):
        items = synthetic.generate_project(tmp_path / name, 30)
        hugo.write_hugo_site(tmp_path / name / "hugo", items, "https://news.example.org/")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    pictures = synthetic.picture_files(items)
    assert pictures  # each written twice: for newsletter, and for Hugo as a static file
    assert len(first) == 1 + 30 + 30 + len(hugo.HUGO_FILES) + 2 * len(pictures)
    assert first == second


def test_synthetic_items_have_what_the_benchmark_promises() -> None:
    items = _load("synthetic").make_items(400)
    text = "".join(item.title + item.body + "".join(item.tags) for item in items)
    assert {item.published.year for item in items} == set(range(2015, 2025))
    assert all(letter in text for letter in "æøå")
    assert all(marker in text for marker in ("## ", "\n- ", "\n1. ", "*", "](", "> "))
    assert sum(len(item.body) for item in items) / len(items) > 2000
    events = [item.event for item in items if item.event]
    assert 0.2 < len(events) / len(items) < 0.3
    assert all("location" in event for event in events)
    assert sum("end" in event and "host" in event for event in events) / len(events) > 0.5
    assert 0.1 < sum("registration" in event for event in events) / len(events) < 0.5
    assert any("T" not in event["start"] for event in events)  # some all day
    sources = [str(item.image["src"]) for item in items if item.image]
    assert 0.5 < sum(src.startswith("images/") for src in sources) / len(sources) < 1
