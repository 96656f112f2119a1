"""Profiles as the ``modelport models`` command prints them: a table, a block, or JSON.

``-`` marks a field nobody knows (``None``: the core sends what the caller asked and lets the
provider decide); ``sampling_params`` of ``None`` reads "all" (no restriction known).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from .._contract import ModelProfile

__all__ = ["profile_block", "profile_json", "profile_table"]

_COLUMNS = (
    ("CONTEXT", "context_window"),
    ("MAX_OUT", "max_output_tokens"),
    ("THINKING", "thinking"),
    ("TOOLS", "tools"),
    ("IMAGES", "images"),
    ("STRUCTURED", "structured_output"),
    ("THINK+FORCED", "thinking_with_forced_tools"),
    ("SAMPLING", "sampling_params"),
)


def _cell(name: str, value: Any) -> str:
    if name == "sampling_params":
        return "all" if value is None else (",".join(sorted(value)) or "none")
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def profile_json(profile: ModelProfile) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(profile):
        value = getattr(profile, f.name)
        out[f.name] = sorted(value) if isinstance(value, frozenset) else value
    return out


def profile_block(spec: str, profile: ModelProfile) -> str:
    """One model: its spec, then one ``field  value`` line per profile field."""
    names = [f.name for f in fields(profile)]
    width = max(len(n) for n in names)
    lines = [spec]
    lines += [f"  {n.ljust(width)}  {_cell(n, getattr(profile, n))}" for n in names]
    return "\n".join(lines)


def profile_table(rows: list[tuple[str, ModelProfile]]) -> str:
    """Many models: a header, then one line per model starting with its spec."""
    header = ["MODEL", *(title for title, _ in _COLUMNS)]
    cells = [[spec, *(_cell(n, getattr(p, n)) for _, n in _COLUMNS)] for spec, p in rows]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *cells]
    )
