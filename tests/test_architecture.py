"""docs/architecture.md names every module of the package, and only modules that exist;
its claims about files, the clock and commands hold; the layout of the code is the
formatter's."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from newsletter.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "newsletter"
NAMED = re.compile(r"`((?:[a-z_]+/)?[a-z_0-9]+\.py)`")


def _named() -> set[str]:
    names = NAMED.findall((ROOT / "docs" / "architecture.md").read_text())
    return {name for name in names if not name.startswith("tests/")}


def _modules() -> set[str]:
    found = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")}
    return {name for name in found if not name.endswith("__init__.py") and name != "__main__.py"}


def test_every_module_the_page_names_exists() -> None:
    assert sorted(_named() - _modules()) == []


def test_the_page_names_every_module() -> None:
    assert sorted(_modules() - _named()) == []


def test_the_formatter_has_the_last_word_on_layout() -> None:
    """Sizes are a reader's signal, never met by hiding code from the formatter."""
    held_back = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("newsletter", "tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if re.search(r"#\s*fmt:\s*(skip|off)", line)
    ]
    assert held_back == []


# What the page says about files, and what the code does.

FILE_ROW = re.compile(r"^\s*\| ((?:`[a-z]+/`(?:, )?)+) \| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)
NAMED_IN_CELL = re.compile(r"`([a-z]+/[a-z_0-9]+\.py)`")
LAYERS = {"cli", "commands", "engine", "render", "domain", "sources", "core"}
# Methods that look at or read a file (of Path, os.DirEntry, a file), and that change one.
READ_METHODS = {"read_text", "read_bytes", "iterdir", "glob", "rglob", "exists", "is_dir"}
READ_METHODS |= {"is_file", "is_symlink", "stat", "lstat", "readlink", "open"}
WRITE_METHODS = {"write_text", "write_bytes", "mkdir", "unlink", "rmdir", "rename", "touch"}
WRITE_METHODS |= {"symlink_to", "hardlink_to", "chmod"}
OS_READS = {"stat", "lstat", "scandir", "listdir", "walk", "readlink", "access", "open"}
OS_WRITES = {"replace", "rename", "unlink", "remove", "rmdir", "mkdir", "makedirs", "link"}
OS_WRITES |= {"symlink", "chmod", "utime", "truncate", "write"}
WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"}


def _file_rules() -> dict[str, tuple[set[str] | None, set[str] | None]]:
    """{layer: (the modules that may read files, those that may write; None: any)}."""

    def allowed(cell: str) -> set[str] | None:
        cell = cell.strip()
        if cell == "yes":
            return None
        assert cell == "no" or cell.startswith("only "), cell
        return set(NAMED_IN_CELL.findall(cell))

    page = (ROOT / "docs" / "architecture.md").read_text()
    rules = {}
    for layers, reads, writes in FILE_ROW.findall(page):
        for layer in re.findall(r"`([a-z]+)/`", layers):
            rules[layer] = (allowed(reads), allowed(writes))
    return rules


def _mode_writes(mode: ast.expr | None) -> bool:
    """Whether a call to open() with MODE may write (a mode not written out may)."""
    if mode is None:
        return False
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return any(letter in mode.value for letter in "wxa+")
    return True


def _file_use(call: ast.Call) -> str | None:
    """'read' or 'write' for a call that touches a file; None for any other call."""
    function = call.func
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    if isinstance(function, ast.Name) and function.id == "open":
        mode = call.args[1] if len(call.args) > 1 else keywords.get("mode")
        return "write" if _mode_writes(mode) else "read"
    if not isinstance(function, ast.Attribute):
        return None
    owner, name = ast.unparse(function.value), function.attr
    if owner in ("shutil", "sqlite3"):
        return "write"
    if owner == "os.path":
        return "read"
    if owner == "os" and name == "open":
        flags = {node.attr for node in ast.walk(call.args[1]) if isinstance(node, ast.Attribute)}
        return "write" if flags & WRITE_FLAGS else "read"
    if owner == "os":
        return "write" if name in OS_WRITES else "read" if name in OS_READS else None
    if name == "open":
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Call) and ast.unparse(first.func).endswith("BytesIO"):
            return None  # bytes in memory, opened as a file
        mode = call.args[0] if call.args else keywords.get("mode")
        return "write" if _mode_writes(mode) else "read"
    return "write" if name in WRITE_METHODS else "read" if name in READ_METHODS else None


def _file_users() -> dict[str, set[str]]:
    """{'read': modules that read files, 'write': those that write}, as layer/module.py."""
    found: dict[str, set[str]] = {"read": set(), "write": set()}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            use = _file_use(node) if isinstance(node, ast.Call) else None
            if use is not None:
                found[use].add(module)
    return found


def test_the_page_says_for_every_layer_whether_it_reads_and_writes_files() -> None:
    assert set(_file_rules()) == LAYERS


@pytest.mark.parametrize(("index", "use"), [(0, "read"), (1, "write")])
def test_only_the_modules_the_page_allows_touch_files(index: int, use: str) -> None:
    users = _file_users()[use]
    for layer, rules in sorted(_file_rules().items()):
        allowed = rules[index]
        if allowed is not None:
            in_layer = {module for module in users if module.startswith(layer + "/")}
            assert (layer, sorted(in_layer)) == (layer, sorted(allowed))


def test_the_clock_is_read_only_where_the_page_says() -> None:
    """cli/ for what outputs say; below it only to tell whether a file has settled."""
    reads = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                call = ast.unparse(node.func)
                if call in ("time.time", "time.time_ns", "datetime.now", "date.today"):
                    reads.add(path.relative_to(PACKAGE).as_posix())
    below = sorted(module for module in reads if not module.startswith("cli/"))
    assert below == ["engine/manifest.py", "sources/pictures.py"]


# Each command of the command line, and the module of commands/ that does it.

ANY_COMMAND_MAY_USE = ("newsletter.cli.", "newsletter.core.")
COMMAND_ROW = re.compile(r"^\| `(commands/[a-z_]+\.py)` \| `([a-z-]+)`:", re.MULTILINE)


def _command_modules() -> dict[str, str]:
    """{command: the module of commands/ the page names for it}."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    return {command: module for module, command in COMMAND_ROW.findall(page)}


def _imports(function: Any) -> set[str]:
    """The modules of the package that *function*'s own body imports from."""
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(function)))
    return {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("newsletter.")
    }


def test_the_page_names_the_module_of_every_command() -> None:
    assert sorted(_command_modules()) == sorted(cli.commands)


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_each_command_is_done_by_the_module_the_page_names(command: str) -> None:
    module = "newsletter." + _command_modules()[command].removesuffix(".py").replace("/", ".")
    imported = _imports(cli.commands[command].callback)
    below = {name for name in imported if not name.startswith(ANY_COMMAND_MAY_USE)}
    assert below == {module}
