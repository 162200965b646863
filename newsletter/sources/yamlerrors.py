"""Say what a YAML syntax error means to the person who wrote the file, and where.

The parser's own words ("mapping values are not allowed in this context") name
its state, not the writer's mistake. The usual mistakes are recognised from the
text around the error: a tab used to indent, a colon inside an unquoted value, a
quote never closed, text not indented under ``body: |``. Anything else keeps the
parser's words, always with the line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from newsletter.core.errors import ECHO_LIMIT, Problem

# A field name, its colon and the first character of its value: "  - title: x".
_KEY = re.compile(r"^(?P<indent>\s*(?:-\s+)?)(?P<key>[^\s:#'\"][^:#]*?):(?:\s+|$)")
_BLOCK = re.compile(r"^\s*(?:-\s+)?(?P<key>[^\s:#'\"][^:#]*?):\s*[|>][-+0-9]*\s*(?:#.*)?$")
_OPEN_QUOTE = re.compile(r"^\s*(?:-\s+)?[^\s:#'\"][^:#]*?:\s+(?P<quote>[\"'])")


@dataclass(frozen=True)
class _At:
    line: int  # 0-based, as the parser counts
    column: int


def explain(label: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """Return the problem a writer can act on for *exc*, raised while parsing *text*."""
    lines = text.splitlines() or [""]
    mark = exc.problem_mark or exc.context_mark
    at = _At(mark.line, mark.column) if mark else _At(0, 0)
    context = _At(exc.context_mark.line, exc.context_mark.column) if exc.context_mark else at
    for found in (
        _tab(lines, exc, at),
        _unclosed_quote(lines, exc, at, context),
        _unindented_block(lines, at, context),
        _colon_in_value(lines, exc, at),
    ):
        if found is not None:
            where, field, message = found
            return _problem(label, where, field, message)
    message = exc.problem or exc.context or "invalid YAML"
    if message == "exceeded maximum nesting depth":
        return _problem(label, at, "", "nested too deep; no field goes that deep")
    if exc.problem and exc.context and exc.context_mark and exc.context_mark is not mark:
        message += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return _problem(label, at, "", f"YAML syntax error: {message}")


Found = tuple[_At, str, str] | None


def _problem(label: str, at: _At, field: str, message: str) -> Problem:
    return Problem(label, at.line + 1, field, message, column=at.column + 1)


def _line(lines: list[str], number: int) -> str:
    return lines[number] if 0 <= number < len(lines) else ""


def _tab(lines: list[str], exc: yaml.MarkedYAMLError, at: _At) -> Found:
    line = _line(lines, at.line)
    if "tab" not in (exc.problem or "") and line[at.column : at.column + 1] != "\t":
        return None
    if "\t" not in line:
        return None
    where = _At(at.line, line.index("\t"))
    return where, "", "YAML indents with spaces, not tabs; replace the tab with spaces"


def _unclosed_quote(lines: list[str], exc: yaml.MarkedYAMLError, at: _At, context: _At) -> Found:
    opened: _At | None = context
    if exc.context != "while scanning a quoted scalar":
        # closed on a later line, where the parser then stumbled
        opened = next(
            (
                _At(n, m.start("quote"))
                for n in range(at.line - 1, max(at.line - 5, -1), -1)
                if (m := _OPEN_QUOTE.match(_line(lines, n))) and _is_open(_line(lines, n), m)
            ),
            None,
        )
    if opened is None:
        return None
    quote = _line(lines, opened.line)[opened.column : opened.column + 1] or '"'
    field = _key(_line(lines, opened.line))
    message = f"the quote ({quote}) opened here is never closed; end the value with {quote}"
    return opened, field, message


def _is_open(line: str, match: re.Match[str]) -> bool:
    """Tell whether the quoted value that *match* starts runs past the end of *line*."""
    rest = line[match.end() :]
    if match["quote"] == "'":
        return rest.replace("''", "").count("'") == 0
    return re.sub(r"\\.", "", rest).count('"') == 0


def _unindented_block(lines: list[str], at: _At, context: _At) -> Found:
    """Text under ``body: |`` that starts at or left of the field name's column."""
    for start in sorted({context.line, at.line}):
        line = _line(lines, start)
        indent = len(line) - len(line.lstrip())
        for n in range(start - 1, -1, -1):
            above = _line(lines, n)
            if not above.strip() or len(above) - len(above.lstrip()) > indent:
                continue
            if block := _BLOCK.match(above):
                key = block["key"].strip()
                message = (
                    f"every line of the text under '{key}: {above.split(':', 1)[1].strip()}'"
                    f" must be indented (by two spaces); line {start + 1} is not"
                )
                return _At(start, indent), key, message
            break
    return None


def _colon_in_value(lines: list[str], exc: yaml.MarkedYAMLError, at: _At) -> Found:
    if exc.problem != "mapping values are not allowed in this context":
        return None
    line = _line(lines, at.line)
    key = _KEY.match(line)
    if key is None or key.end() > at.column:  # this line's own colon: it continues the one above
        message = (
            "this line is indented deeper than the field above it; line up the field"
            " names, or put the text above in quotes"
        )
        return at, "", message
    name, value = key["key"].strip(), line[key.end() :].strip()
    if len(value) > ECHO_LIMIT:
        value = value[: ECHO_LIMIT - 1] + "…"
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    message = f'a colon and a space end a field name; put the {name} in quotes: {name}: "{quoted}"'
    return at, name, message


def _key(line: str) -> str:
    found = _KEY.match(line)
    return found["key"].strip() if found else ""
