"""Docstring parsing: a tool's description and its per-parameter descriptions.

A model picks tools and fills arguments from their descriptions, so the text people already
write in docstrings is the best source. Three styles are understood, because real code bases
mix them: Google (``Args:``), numpy (``Parameters`` underlined with dashes) and Sphinx
(``:param name:``). The parser is deliberately forgiving: text it does not recognise stays in the
description instead of being dropped, and it never raises.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["Docstring", "parse_docstring"]

# Google section headers that hold parameter descriptions.
_GOOGLE_PARAM_SECTIONS = {
    "args",
    "arguments",
    "parameters",
    "params",
    "keyword args",
    "keyword arguments",
    "kwargs",
    "other parameters",
}
# Every header that ends the free-text description, in either Google or numpy style.
_KNOWN_SECTIONS = _GOOGLE_PARAM_SECTIONS | {
    "attributes",
    "example",
    "examples",
    "note",
    "notes",
    "raises",
    "references",
    "return",
    "returns",
    "see also",
    "todo",
    "warning",
    "warnings",
    "warns",
    "yield",
    "yields",
}
_NUMPY_PARAM_SECTIONS = {"parameters", "other parameters", "keyword arguments", "params"}

_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}([A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_NUMPY_ENTRY = re.compile(r"^\*{0,2}([A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::.*)?$")
_SPHINX_FIELD = re.compile(r"^:(\w+)(?:\s+([^:]*?))?:\s*(.*)$")
_SPHINX_PARAM_FIELDS = {"param", "parameter", "arg", "argument", "key", "keyword"}


@dataclass(slots=True)
class Docstring:
    """What a docstring says: the free text before any section, and one line per parameter."""

    description: str = ""
    params: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> Docstring:
    """Split a docstring into its description and parameter descriptions.

    The description is everything before the first recognised section (``Args:``, a numpy
    underlined header, or a ``:field:`` line), so a summary plus its explanatory paragraphs
    reach the model while ``Returns``/``Raises`` noise does not.
    """
    if not doc or not doc.strip():
        return Docstring()
    lines = inspect.cleandoc(doc).splitlines()
    result = Docstring()
    desc_end = len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if indent == 0 and _is_numpy_header(lines, i):
            desc_end = min(desc_end, i)
            name = stripped.lower()
            i = _parse_numpy_section(
                lines, i + 2, result.params if name in _NUMPY_PARAM_SECTIONS else None
            )
            continue
        header = _GOOGLE_HEADER.match(stripped) if indent == 0 else None
        if header and header.group(1).strip().lower() in _KNOWN_SECTIONS:
            desc_end = min(desc_end, i)
            name = header.group(1).strip().lower()
            target = result.params if name in _GOOGLE_PARAM_SECTIONS else None
            i = _parse_google_section(lines, i + 1, target)
            continue
        field_match = _SPHINX_FIELD.match(stripped) if indent == 0 else None
        if field_match:
            desc_end = min(desc_end, i)
            i = _parse_sphinx_field(lines, i, field_match, result.params)
            continue
        i += 1
    result.description = "\n".join(lines[:desc_end]).strip()
    return result


def _is_numpy_header(lines: list[str], i: int) -> bool:
    """A numpy header is a known section name directly underlined with dashes."""
    if i + 1 >= len(lines) or not _NUMPY_UNDERLINE.match(lines[i + 1]):
        return False
    return lines[i].strip().lower() in _KNOWN_SECTIONS


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _parse_google_section(lines: list[str], start: int, params: dict[str, str] | None) -> int:
    """Read an indented Google section; entries sit at the first line's indentation."""
    i = start
    entry_indent: int | None = None
    current: str | None = None
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        ind = _indent(line)
        if ind == 0:
            break
        if entry_indent is None:
            entry_indent = ind
        if ind <= entry_indent:
            match = _GOOGLE_ENTRY.match(line.strip())
            current = match.group(1) if match else None
            if current is not None and params is not None:
                params[current] = match.group(2).strip() if match else ""
        elif current is not None and params is not None:
            params[current] = _join(params[current], line.strip())
        i += 1
    return i


def _parse_numpy_section(lines: list[str], start: int, params: dict[str, str] | None) -> int:
    """Read a numpy section: ``name : type`` lines at column 0, indented text below them."""
    i = start
    current: list[str] = []
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if _indent(line) == 0:
            if _is_numpy_header(lines, i) or (
                (m := _GOOGLE_HEADER.match(line.strip())) and m.group(1).lower() in _KNOWN_SECTIONS
            ):
                break
            match = _NUMPY_ENTRY.match(line.strip())
            current = [n.strip().lstrip("*") for n in match.group(1).split(",")] if match else []
            if params is not None:
                for name in current:
                    params[name] = ""
        elif params is not None:
            for name in current:
                params[name] = _join(params[name], line.strip())
        i += 1
    return i


def _parse_sphinx_field(
    lines: list[str], i: int, match: re.Match[str], params: dict[str, str]
) -> int:
    """Read one ``:field arg: text`` entry plus its indented continuation lines."""
    kind, arg, text = match.group(1), (match.group(2) or "").strip(), match.group(3).strip()
    i += 1
    while i < len(lines) and lines[i].strip() and _indent(lines[i]) > 0:
        text = _join(text, lines[i].strip())
        i += 1
    if kind in _SPHINX_PARAM_FIELDS and arg:
        # ":param int count:" names the type first; the parameter is the last word.
        params[arg.split()[-1].lstrip("*")] = text
    return i


def _join(head: str, tail: str) -> str:
    return f"{head} {tail}" if head else tail
