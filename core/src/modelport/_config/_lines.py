"""The line of a key in TOML text, for schema errors (tomllib keeps no positions).

A light scan, not a parser: it follows ``[table]`` / ``[[array]]`` headers and ``key = value``
lines (dotted and quoted keys included), skips comments and multi-line strings, and answers the
line whose key path is the closest match for the one asked about.
"""

from __future__ import annotations

import re

__all__ = ["find_line"]

_BARE_KEY = re.compile(r"""^[A-Za-z0-9_\-.\s"']+$""")
_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")  # a quoted key part may hold any character


def _split_key(key: str) -> tuple[str, ...]:
    """``a."b.c".d`` -> ("a", "b.c", "d")."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for ch in key:
        if quote:
            if ch == quote:
                quote = ""
            else:
                current.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return tuple(parts)


def _key_part(line: str) -> str | None:
    """The key before the first ``=`` outside quotes, or None when the line is no key line."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            key = line[:i].strip()
            return key if key and _BARE_KEY.match(_QUOTED.sub("q", key)) else None
    return None


def _candidates(text: str) -> list[tuple[tuple[str, ...], int]]:
    found: list[tuple[tuple[str, ...], int]] = []
    table: tuple[str, ...] = ()
    in_string = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = ""
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            header = line.lstrip("[").split("]", 1)[0]
            table = _split_key(header)
            found.append((table, number))
            continue
        key = _key_part(line)
        if key is not None:
            found.append((table + _split_key(key), number))
        for delim in ('"""', "'''"):
            if line.count(delim) % 2 == 1:
                in_string = delim
    return found


def find_line(text: str, path: tuple[str, ...]) -> int | None:
    """The 1-based line that defines ``path`` (or its nearest enclosing key), if any."""
    best: tuple[float, int] | None = None
    for keys, number in _candidates(text):
        if keys == path:
            return number
        if path[: len(keys)] == keys:
            score = float(len(keys))
        elif keys[: len(path)] == path:
            score = len(path) - 0.5
        else:
            continue
        if score > 0 and (best is None or score > best[0]):
            best = (score, number)
    return best[1] if best else None
