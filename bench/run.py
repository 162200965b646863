"""Benchmark newsletter on a synthetic archive, side by side with Hugo where it is installed.

Run from the repository with its virtual environment:

    .venv/bin/python bench/run.py [--items 10000] [--runs 3] [--work bench/work] [--json FILE]

It writes a synthetic project (and the same items as a Hugo site) into the work folder,
times each command as a separate process of the installed ``newsletter`` script, and
prints a Markdown table of medians, ratios to Hugo's cold build, and the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from hugo import write_hugo_site
from measure import CommandFailed, Sample, run_measured
from synthetic import AS_OF, END, SyntheticItem, edit_item, generate_project

BENCH = Path(__file__).resolve().parent
NEWSLETTER = Path(sys.executable).parent / "newsletter"
MIB = 1024 * 1024
BASE_URL = "https://news.example.org/icr/"
MEMORY_TARGET_MIB = 300
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass
class Measure:
    """The runs of one measured command, and what the benchmark expects of it."""

    name: str
    samples: list[Sample] = field(default_factory=list)
    hugo_ratio_target: float | None = None
    note: str = ""
    is_build: bool = False

    @property
    def median(self) -> float | None:
        """The median wall time in seconds, if the command ran."""
        return statistics.median(s.seconds for s in self.samples) if self.samples else None


def measure_cold(project: Path, site: Path, runs: int) -> tuple[Measure, Measure | None]:
    """Time cold builds of PROJECT, and Hugo's of SITE where hugo is installed, in turns.

    Deleting the last output slows whatever writes files next, and this machine's
    speed drifts from minute to minute: taking turns, each tool builds as often first
    as second and in the same minutes as the other, and each starts once the deletion
    is on disk.
    """
    cold = Measure("cold full build", is_build=True, hugo_ratio_target=1.5)
    hugo = shutil.which("hugo")
    theirs = Measure("hugo cold build") if hugo else None
    build: list[str | Path] = [NEWSLETTER, "build", "--as-of", AS_OF]
    generated = ("public", "resources", ".hugo_build.lock")
    for run in range(runs):
        turns: list[tuple[Measure, Path, list[str | Path], tuple[str, ...]]]
        # out/ is a link into .out.builds/, which holds the build it points to.
        turns = [(cold, project, build, ("out", ".out.builds", ".newsletter"))]
        if hugo and theirs:
            turns.insert(run % 2, (theirs, site, [hugo, "--quiet"], generated))
        for measure, folder, command, outputs in turns:
            _clear(folder, outputs)
            measure.samples.append(run_measured(command, folder, watch_tree=True))
    return cold, theirs


def compile_package() -> None:
    """Byte-compile the package the newsletter script runs, as pip leaves an installed
    package and as Python leaves any module on its first import. Where
    PYTHONDONTWRITEBYTECODE is set, as in some containers, an editable install would
    otherwise compile every module again on every run (some 0.08 s a command)."""
    script = "import compileall, newsletter as n; compileall.compile_dir(n.__path__[0], quiet=1)"
    subprocess.run([NEWSLETTER.parent / "python", "-c", script], check=True)


def _clear(folder: Path, generated: Sequence[str]) -> None:
    """Remove what a build made, so that the next build starts from nothing."""
    for name in generated:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    os.sync()


def measure_newsletter(project: Path, items: list[SyntheticItem], runs: int) -> list[Measure]:
    """Time rebuilds, one-item edits, a digest and check on PROJECT, built already."""
    build: list[str | Path] = [NEWSLETTER, "build", "--as-of", AS_OF]
    unchanged = Measure("rebuild, nothing changed", is_build=True, hugo_ratio_target=0.1)
    for _ in range(runs):
        unchanged.samples.append(run_measured(build, project, watch_tree=True))
    edited = Measure("rebuild after one edited item", is_build=True, hugo_ratio_target=0.2)
    for number, path in enumerate(_items_to_edit(project, items, runs), start=1):
        edit_item(path, number)
        edited.samples.append(run_measured(build, project, watch_tree=True))
    return [unchanged, edited, _measure_digest(project, runs), _measure_check(project, runs)]


def _items_to_edit(project: Path, items: list[SyntheticItem], runs: int) -> list[Path]:
    """Pick a different published item per run, spread from the newest back in time."""
    published = [item for item in reversed(items) if not item.draft]
    step = max(1, len(published) // (runs + 1))
    chosen = [published[(i * step) % len(published)] for i in range(runs)]
    return [project / "items" / f"{item.name}.yaml" for item in chosen]


def _measure_digest(project: Path, runs: int) -> Measure:
    period = digest_period()
    digest = Measure(f"digest of one week ({period})", hugo_ratio_target=0.1)
    usage = _help(["digest"], project)
    if usage is None:
        digest.note = "n/a (command not available)"
        return digest
    command: list[str | Path] = [NEWSLETTER, "digest", period]
    if "--as-of" in usage:
        command += ["--as-of", AS_OF]
    for _ in range(runs):
        digest.samples.append(run_measured(command, project))
    return digest


def _measure_check(project: Path, runs: int) -> Measure:
    check = Measure("check of every item", hugo_ratio_target=0.5)
    for _ in range(runs):
        check.samples.append(run_measured([NEWSLETTER, "check"], project))
    return check


def digest_period() -> str:
    """The ISO week, a few weeks before the newest item, whose digest is timed."""
    year, week, _ = (END - timedelta(weeks=6)).isocalendar()
    return f"{year}-W{week:02d}"


def _help(command: list[str], cwd: Path) -> str | None:
    """Return the --help text of a newsletter command, or None if there is no such command."""
    result = subprocess.run(
        [NEWSLETTER, *command, "--help"], cwd=cwd, capture_output=True, text=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


def _version(args: Sequence[str | Path]) -> str:
    try:
        result = subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError:
        return "not available"
    return result.stdout.strip().splitlines()[0] if result.stdout.strip() else "unknown"


def machine_info(items: int, runs: int) -> dict[str, str | int]:
    """Describe what the figures were measured on."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "items": items,
        "runs": runs,
        "cores": usable or 0,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "newsletter": _version([NEWSLETTER, "--version"]),
        "hugo": _version(["hugo", "version"]).split(" BuildDate")[0]
        if shutil.which("hugo")
        else "not installed",
    }


def peak_memory(sample: Sample) -> int | None:
    """The larger of a build's own high-water mark and its sampled process-tree total."""
    known = [v for v in (sample.max_rss, sample.tree_rss) if v is not None]
    return max(known) if known else None


def render_table(measures: list[Measure], hugo: Measure | None) -> str:
    """Return the results as a Markdown table with ratios to Hugo's cold build and verdicts."""
    hugo_time = hugo.median if hugo else None
    rows = [_row("measure", "newsletter", "hugo", "ratio", "target", "result"), _row(*["---"] * 6)]
    for measure in measures:
        rows.append(_time_row(measure, hugo_time))
    builds = [s for m in measures if m.is_build for s in m.samples]
    ours = max((peak_memory(s) or 0 for s in builds), default=0)
    theirs = max((peak_memory(s) or 0 for s in hugo.samples), default=0) if hugo else 0
    verdict = "PASS" if ours and ours <= MEMORY_TARGET_MIB * MIB else "MISS" if ours else "—"
    goal = f"≤ {MEMORY_TARGET_MIB} MiB"
    rows.append(
        _row(
            "peak memory of a build", _mib(ours), _mib(theirs), _ratio(ours, theirs), goal, verdict
        )
    )
    return "\n".join(rows)


def _time_row(measure: Measure, hugo_time: float | None) -> str:
    ours, target = measure.median, measure.hugo_ratio_target
    if ours is None:
        return _row(measure.name, measure.note or "n/a", "", "", "", "")
    if target is None:
        return _row(measure.name, f"{ours:.2f} s", "", "", "—", "—")
    goal = f"≤ {target:g} {TIMES} hugo"
    if not hugo_time:
        return _row(measure.name, f"{ours:.2f} s", "", "", goal, "n/a (no hugo)")
    ratio = ours / hugo_time
    verdict = "PASS" if ratio <= target else "MISS"
    return _row(
        measure.name, f"{ours:.2f} s", f"{hugo_time:.2f} s", f"{ratio:.2f} {TIMES}", goal, verdict
    )


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _mib(value: int) -> str:
    return f"{value / MIB:.0f} MiB" if value else ""


def _ratio(ours: int, theirs: int) -> str:
    return f"{ours / theirs:.2f} {TIMES}" if ours and theirs else ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        description="Benchmark newsletter on a synthetic archive, against Hugo if installed.",
        epilog="Example: .venv/bin/python bench/run.py --items 500 --runs 1",
    )
    parser.add_argument("--items", type=int, default=10_000, help="synthetic items (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; median (3)")
    parser.add_argument(
        "--work", type=Path, default=BENCH / "work", help="scratch folder (bench/work)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic items (1)")
    parser.add_argument("--json", type=Path, help="also save the figures as JSON to this file")
    args = parser.parse_args(argv)
    if args.items < 1 or args.runs < 1:
        parser.error("--items and --runs must be at least 1")
    return args


def _step(message: str) -> Callable[[], None]:
    """Say on stderr what is happening; the returned function adds how long it took."""
    print(message, end="", file=sys.stderr, flush=True)
    start = time.perf_counter()
    return lambda: print(f" {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Generate, measure, print."""
    args = parse_args(argv)
    if not NEWSLETTER.exists():
        sys.exit(f"error: {NEWSLETTER} not found; run pip install -e . in this environment")
    project, site = args.work / "project", args.work / "hugo"
    done = _step(f"Writing {args.items} synthetic items to {args.work} ...")
    items = generate_project(project, args.items, args.seed)
    if shutil.which("hugo"):
        write_hugo_site(site, items, BASE_URL)
    done()
    compile_package()
    turns = ", in turns with hugo" if shutil.which("hugo") else ""
    done = _step(f"Measuring cold builds{turns} ...")
    try:
        cold, hugo = measure_cold(project, site, args.runs)
        done()
        done = _step("Measuring rebuilds, digest and check ...")
        measures = [cold, *measure_newsletter(project, items, args.runs)]
    except CommandFailed as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    done()
    info = machine_info(args.items, args.runs)
    print(_report(info, measures, hugo))
    if args.json:
        _save_json(args.json, info, measures, hugo)
    return 0


def _report(info: dict[str, str | int], measures: list[Measure], hugo: Measure | None) -> str:
    lines = [
        f"newsletter benchmark: {info['items']} items, median of {info['runs']} runs, "
        f"{info['cores']} cores, Python {info['python']}",
        f"{info['newsletter']}; hugo: {info['hugo']}; {info['platform']}",
        "",
        render_table(measures, hugo),
    ]
    lines += [
        "",
        "Times are medians; ratios divide by Hugo's cold build. Peak memory is the larger of",
        "a build's own high-water mark and the sampled PSS total of its process tree.",
    ]
    if hugo is None:
        lines.append(
            "hugo is not installed, so there is no Hugo column (Debian: apt-get install hugo)."
        )
    return "\n".join(lines)


def _save_json(
    path: Path, info: dict[str, str | int], measures: list[Measure], hugo: Measure | None
) -> None:
    figures = {
        "machine": info,
        "measures": [asdict(m) | {"median_seconds": m.median} for m in measures],
        "hugo": asdict(hugo) | {"median_seconds": hugo.median} if hugo else None,
        "as_of": AS_OF,
        "generated_on": date.today().isoformat(),
    }
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
