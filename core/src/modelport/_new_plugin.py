"""``modelport new-plugin NAME``: write a provider plugin package to start from.

The package is not a stub. It is a complete translator for one real wire protocol (Anthropic's
Messages API, which llama.cpp serves too) with real recorded traffic and passing tests, so an
author changes something that works, one passing test at a time, instead of filling in blanks
whose contract they have not read yet. The templates live in ``_scaffold/`` (package data):
files ending in ``.tmpl`` have ``{{name}}``-style markers replaced, everything else (the
recordings) is copied byte for byte.

An existing folder is never touched: the target is created with ``mkdir`` (which fails if it
exists, even between a check and the write), and removed again if writing fails half-way.
"""

from __future__ import annotations

import re
import shutil
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from ._errors import ConfigurationError

__all__ = ["create_plugin", "names_for", "run"]

_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_MAX_NAME = 40
_TEMPLATE = ".tmpl"


def names_for(name: str) -> dict[str, str]:
    """The names a plugin called ``name`` uses (the markers the templates contain).

    ``name`` is the provider's name, the prefix of its model specs (``acme`` in ``acme:model``):
    lower case letters, digits and single hyphens, starting with a letter, so that it is also a
    valid distribution, entry-point, package and class name.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > _MAX_NAME:
        raise ConfigurationError(
            f"plugin name {name!r}: use lower-case letters, digits and single hyphens, starting "
            f"with a letter, at most {_MAX_NAME} characters (e.g. 'acme' or 'acme-chat')"
        )
    if name == "modelport" or name.startswith("modelport-"):
        raise ConfigurationError(
            f"plugin name {name!r}: give the provider's own name (e.g. 'acme'); the package is "
            "called modelport-<name> for you"
        )
    return {
        "name": name,
        "dist": f"modelport-{name}",
        "package": "modelport_" + name.replace("-", "_"),
        "Class": "".join(part.capitalize() for part in name.split("-")),
        "ENV": name.upper().replace("-", "_"),
    }


def _render(text: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _walk(
    folder: Traversable, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Traversable]]:
    out: list[tuple[tuple[str, ...], Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            out += _walk(entry, (*prefix, entry.name))
        elif not entry.name.endswith((".pyc", ".pyo")):
            out.append(((*prefix, entry.name), entry))
    return out


def _destination(parts: tuple[str, ...], names: dict[str, str]) -> Path:
    if parts[0] == "package":  # the import package lives under src/
        parts = ("src", names["package"], *parts[1:])
    path = Path(*parts)
    return path.with_name(path.name.removesuffix(_TEMPLATE))


def create_plugin(name: str, directory: str | Path | None = None) -> Path:
    """Write the package for provider ``name`` into ``directory`` (default
    ``./modelport-<name>``), which must not exist yet; returns its path."""
    names = names_for(name)
    target = Path(directory) if directory is not None else Path.cwd() / names["dist"]
    if target.exists():
        raise ConfigurationError(
            f"{target} already exists; new-plugin never overwrites a folder: pass another "
            "--dir, or move that one away"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.mkdir()
    except FileExistsError:
        raise ConfigurationError(f"{target} already exists; new-plugin never overwrites a folder")
    except OSError as exc:
        raise ConfigurationError(f"cannot create {target}: {exc}") from None
    try:
        for parts, entry in _walk(files("modelport").joinpath("_scaffold")):
            out = target / _destination(parts, names)
            out.parent.mkdir(parents=True, exist_ok=True)
            if entry.name.endswith(_TEMPLATE):
                out.write_text(_render(entry.read_text(encoding="utf-8"), names), encoding="utf-8")
            else:
                out.write_bytes(entry.read_bytes())
        (target / "src" / names["package"] / "py.typed").write_bytes(b"")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # never leave half a package behind
        raise
    return target


def run(name: str, directory: str | None) -> int:
    """The command: create the package and say what to do next."""
    target = create_plugin(name, directory)
    print(f"created {names_for(name)['dist']} in {target}")
    print(f"next: cd {target} && pip install -e '.[test]' && pytest")
    return 0
