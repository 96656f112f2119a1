"""Recordings folders: which recorded bodies a provider is checked against, and what each is.

A folder lists its recordings in the shared corpus's ``index.json`` format when it has one,
else by file-name convention; an optional ``cases.json`` then annotates, adds or skips entries.
Several folders can be combined so that a plugin points at a corpus it does not own and keeps
its own annotations (twins, expected errors, skips) in a folder of its own. The layout is
documented in the package docstring; errors in it fail collection with the file named.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from ._config import CAPABILITIES

__all__ = ["IGNORABLE", "Case", "RecordingsError", "load_cases"]

Kind = Literal["stream", "response", "error", "stream_error", "models", "profile"]
Format = Literal["sse", "eventstream", "json", "raw"]

INDEX = "index.json"
MANIFEST = "cases.json"
_KINDS = ("stream", "response", "error", "stream_error", "models", "profile", "skip")
_FORMATS = ("sse", "eventstream", "json", "raw")
_SUFFIX_FORMAT: dict[str, Format] = {".sse": "sse", ".bin": "eventstream", ".json": "json"}
IGNORABLE = frozenset({"ids", "usage", "model", "metadata", "reasoning", "raw_stop_reason"})
_KEYS = frozenset(
    {
        "file",
        "kind",
        "format",
        "status",
        "headers",
        "twin",
        "ignore",
        "error",
        "stop_reason",
        "options",
        "requires",
        "content_type",
        "xfail",
        "note",
    }
)
_ERROR_NAME = re.compile(r"(?:^|[-_./])error[-_.]?(\d{3})(?!\d)")
_CONTEXT_NAME = re.compile(r"context[-_](?:length|window)")


class RecordingsError(ValueError):
    """A recordings folder or manifest that cannot be read as documented."""


@dataclass(frozen=True, eq=False)
class Case:
    """One recording and what the suite should expect of it.

    ``name`` is the path relative to its folder (the test id). ``twin`` is the non-streamed
    recording of the same answer, for a stream; ``ignore`` names fields that legitimately differ
    between the two. ``error`` is the expected error class name; ``stop_reason`` the expected
    normalized stop reason when ``stop_given``. ``xfail`` maps a check to the known bug that
    makes it fail on this recording (a strict xfail: fixing the bug makes the run say so).
    """

    name: str
    path: Path
    kind: Kind
    format: Format
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    twin: Path | None = None
    ignore: frozenset[str] = frozenset()
    error: str | None = None
    stop_reason: str | None = None
    stop_given: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    requires: frozenset[str] = frozenset()
    content_type: str | None = None
    xfail: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return self.path.read_bytes()

    def __repr__(self) -> str:
        return f"Case({self.name!r}, kind={self.kind!r})"


def _fail(where: Path, message: str) -> RecordingsError:
    return RecordingsError(f"{where}: {message}")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(path, f"cannot be read as JSON ({exc})") from None


def _index_entries(folder: Path) -> list[dict[str, Any]]:
    """Entries of the corpus format: ``{"files": [{"file", "http": {"status",
    "response_headers": {name: [values]}}}]}``."""
    path = folder / INDEX
    data = _read_json(path)
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        raise _fail(path, 'expected {"files": [...]}')
    out: list[dict[str, Any]] = []
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise _fail(path, f"entry without a file name: {entry!r}")
        raw: dict[str, Any] = {"file": entry["file"]}
        http = entry.get("http")
        if isinstance(http, dict):
            if isinstance(http.get("status"), int):
                raw["status"] = http["status"]
            headers = http.get("response_headers")
            if isinstance(headers, dict):
                raw["headers"] = {
                    str(k): str(v[0] if isinstance(v, list) and v else v)
                    for k, v in headers.items()
                    if not isinstance(v, list) or v
                }
        out.append(raw)
    return out


def _scanned_entries(folder: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or any(p.startswith((".", "_")) for p in rel.parts):
            continue
        if rel.as_posix() in (INDEX, MANIFEST) or path.suffix.lower() not in _SUFFIX_FORMAT:
            continue
        out.append({"file": rel.as_posix()})
    return out


def _manifest_entries(folder: Path) -> list[dict[str, Any]]:
    path = folder / MANIFEST
    data = _read_json(path)
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise _fail(path, 'expected {"cases": [...]}')
    for entry in cases:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise _fail(path, f"entry without a file name: {entry!r}")
        unknown = set(entry) - _KEYS
        if unknown:
            raise _fail(path, f"{entry['file']}: unknown keys {sorted(unknown)}")
    return [dict(e) for e in cases]


def _is_error_class(name: object) -> bool:
    from ... import provider as sdk

    found = getattr(sdk, name, None) if isinstance(name, str) else None
    return isinstance(found, type) and issubclass(found, sdk.LLMError)


def _inferred_kind(name: str, fmt: Format | None, status: int | None) -> str | None:
    lowered = name.lower()
    if fmt in ("sse", "eventstream", "raw"):
        return "stream_error" if "error" in Path(lowered).name else "stream"
    if fmt != "json":
        return None
    if status is not None and status >= 400:
        return "error"
    if Path(lowered).stem.endswith("models"):
        return "models"
    return "response"


def _status(name: str, raw: Mapping[str, Any]) -> int | None:
    if isinstance(raw.get("status"), int):
        return int(raw["status"])
    match = _ERROR_NAME.search(Path(name).name.lower())
    return int(match.group(1)) if match else None


def _build(
    name: str, raw: Mapping[str, Any], paths: Mapping[str, Path], where: Path
) -> Case | None:
    path = paths[name]
    fmt = raw.get("format") or _SUFFIX_FORMAT.get(path.suffix.lower())
    if fmt is not None and fmt not in _FORMATS:
        raise _fail(where, f"{name}: format must be one of {list(_FORMATS)}, not {fmt!r}")
    status = _status(name, raw)
    kind = raw.get("kind") or _inferred_kind(name, fmt, status)
    if kind is None or kind == "skip":
        return None
    if kind not in _KINDS:
        raise _fail(where, f"{name}: kind must be one of {list(_KINDS)}, not {kind!r}")
    if fmt is None:
        raise _fail(where, f'{name}: cannot tell its format from the suffix; give "format"')
    if kind == "error" and (status is None or status < 400):
        raise _fail(where, f'{name}: an error recording needs "status" (>= 400)')
    ignore = frozenset(raw.get("ignore") or ())
    if ignore - IGNORABLE:
        raise _fail(where, f"{name}: ignore may name only {sorted(IGNORABLE)}")
    requires = frozenset(raw.get("requires") or ())
    if requires - set(CAPABILITIES):
        raise _fail(where, f"{name}: requires may name only {sorted(CAPABILITIES)}")
    error = raw.get("error")
    if error is None and kind in ("error", "stream_error") and _CONTEXT_NAME.search(name.lower()):
        error = "ContextWindowExceededError"
    if error is not None and not _is_error_class(error):
        raise _fail(where, f"{name}: error {error!r} is not an error class of modelport.provider")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict):
        raise _fail(where, f"{name}: headers must be an object of strings")
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise _fail(where, f"{name}: options must be an object")
    xfail = raw.get("xfail") or {}
    if not isinstance(xfail, dict) or not all(
        isinstance(k, str) and k.startswith("test_") and isinstance(v, str) and v
        for k, v in xfail.items()
    ):
        raise _fail(where, f'{name}: xfail must map check names ("test_...") to reasons')
    twin = raw.get("twin")
    twin_path: Path | None = None
    if twin is not None:
        twin_path = paths.get(twin) or (where.parent / twin)
        if not twin_path.is_file():
            raise _fail(where, f"{name}: twin {twin!r} not found")
    elif kind == "stream":
        same_stem = path.with_suffix(".json")
        twin_path = same_stem if same_stem.is_file() else None
    if not path.is_file():
        raise _fail(where, f"recording {name!r} not found at {path}")
    return Case(
        name=name,
        path=path,
        kind=cast(Kind, kind),
        format=cast(Format, fmt),
        status=status if status is not None else 200,
        headers=tuple((str(k), str(v)) for k, v in headers.items()),
        twin=twin_path,
        ignore=ignore,
        error=str(error) if error is not None else None,
        stop_reason=raw.get("stop_reason"),
        stop_given="stop_reason" in raw,
        options=dict(options),
        requires=requires,
        content_type=raw.get("content_type"),
        xfail=dict(xfail),
    )


def _layers(given: Path) -> list[tuple[Path, list[dict[str, Any]]]]:
    """A folder's entries (index or scan, then its manifest), or one recording file's entry
    (with what its folder's ``index.json`` records about it, if anything)."""
    if given.is_file():
        entry: dict[str, Any] = {"file": given.name}
        index = given.parent / INDEX
        if index.is_file():
            entry = next(
                (e for e in _index_entries(given.parent) if e["file"] == given.name), entry
            )
        return [(index, [entry])]
    if not given.is_dir():
        raise RecordingsError(f"recordings folder {given} does not exist")
    listed = _index_entries(given) if (given / INDEX).is_file() else _scanned_entries(given)
    layers = [(given / INDEX, listed)]
    if (given / MANIFEST).is_file():
        layers.append((given / MANIFEST, _manifest_entries(given)))
    return layers


def load_cases(folders: Sequence[Path]) -> list[Case]:
    """Every case of ``folders`` (folders or single recording files), in order; a later
    folder's entry for a name already seen updates that case (a ``cases.json`` annotating a
    corpus it cannot edit)."""
    if not folders:
        raise RecordingsError("no recordings folder given")
    merged: dict[str, dict[str, Any]] = {}
    paths: dict[str, Path] = {}
    declared_in: dict[str, Path] = {}
    for given in folders:
        layers = _layers(given)
        folder = given.parent if given.is_file() else given
        for where, entries in layers:
            for entry in entries:
                name = entry["file"]
                local = folder / name
                if local.is_file() or name not in paths:
                    paths[name] = local
                merged.setdefault(name, {}).update(entry)
                declared_in[name] = where
    cases = [_build(name, raw, paths, declared_in[name]) for name, raw in merged.items()]
    return [c for c in cases if c is not None]
