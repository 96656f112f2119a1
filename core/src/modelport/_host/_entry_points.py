"""The entry points of one group, read from the installed distributions' own files.

``importlib.metadata.entry_points(group=...)`` gives the same list, but importing it costs
10-20 ms (it loads ``email``, ``zipfile``, ``csv``, ``pathlib``), which a program that sends
its calls with aiohttp or the standard library never pays otherwise, and it builds an object
for every entry point of every distribution before it picks a group. Here each folder on
``sys.path`` is listed once, and only a distribution whose ``entry_points.txt`` names the group
is parsed. The order and the winner among same-named distributions are ``importlib.metadata``'s:
``sys.path`` order, the first of each normalized name. What this reader does not handle, a zip
or an ``.egg`` on ``sys.path`` and an import finder that lists distributions of its own, is
asked of ``importlib.metadata``, so every environment gets the same answer.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from .._slotted import Slotted

if TYPE_CHECKING:
    from importlib.metadata import Distribution

__all__ = ["FoundEntryPoint", "group_entry_points"]

_SEPARATORS = re.compile(r"[-_.]+")
_INFO = (".dist-info", ".egg-info")


class FoundEntryPoint(Slotted):
    """One entry point: ``load()`` imports its target; ``version()`` reads its distribution's."""

    _fields = ("name", "value", "group")
    __slots__ = (*_fields, "_version")

    def __init__(self, name: str, value: str, group: str, version: Callable[[], str | None]):
        self.name = name
        self.value = value
        self.group = group
        self._version = version

    def load(self) -> Any:
        """``module`` or ``module:attr.attr``, as ``importlib.metadata.EntryPoint.load``."""
        target = self.value.partition("[")[0]  # extras name what to install, not what to load
        module, _, attrs = target.partition(":")
        obj: Any = import_module(module.strip())
        for attr in attrs.strip().split("."):
            if attr:
                obj = getattr(obj, attr)
        return obj

    def version(self) -> str | None:
        return self._version()


def group_entry_points(group: str) -> list[FoundEntryPoint]:
    if _other_finders():
        return _from_importlib(group, None)
    seen: set[str] = set()
    found: list[FoundEntryPoint] = []
    for root in sys.path:
        children = _children(root)
        if children is None:
            found.extend(_from_importlib(group, root, seen))
            continue
        for child in children:
            low = child.lower()
            if not low.endswith(_INFO):
                continue
            name = _normalized(low.rpartition(".")[0].partition("-")[0])
            if name in seen:
                continue
            seen.add(name)
            info = os.path.join(root, child)
            text = _read(os.path.join(info, "entry_points.txt"))
            if text and group in text:  # a superset test; the parse decides
                version = _version_reader(info)
                found.extend(
                    FoundEntryPoint(ep_name, value, group, version)
                    for ep_name, value in _parse(text, group)
                )
    return found


def _children(root: str) -> list[str] | None:
    """The names in a folder of the path; ``None`` for an ``.egg`` or a zip file, whose
    distributions only ``importlib.metadata`` reads; none for a folder that is missing or
    unreadable (``importlib.metadata`` skips it too)."""
    if os.path.basename(root).lower().endswith(".egg"):
        return None
    try:
        return os.listdir(root or ".")
    except NotADirectoryError:  # a zip file
        return None
    except OSError:
        return []


def _normalized(name: str) -> str:
    return _SEPARATORS.sub("_", name).lower()


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):  # absent or unreadable: no entry points
        return None


def _parse(text: str, group: str) -> Iterable[tuple[str, str]]:
    """``name = value`` lines of the ``[group]`` section (``#`` starts a comment line)."""
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
        elif section == group and "=" in line:
            name, _, value = line.partition("=")
            yield name.strip(), value.strip()


def _version_reader(info: str) -> Callable[[], str | None]:
    def version() -> str | None:
        for filename in ("METADATA", "PKG-INFO"):
            text = _read(os.path.join(info, filename))
            if text is None:
                continue
            for line in text.splitlines():
                if not line:
                    break  # the headers end at the first blank line
                if line.lower().startswith("version:"):
                    return line.partition(":")[2].strip()
        return None

    return version


def _other_finders() -> bool:
    """Whether an import finder besides the standard path finder lists distributions."""
    from importlib.machinery import PathFinder

    return any(
        finder is not PathFinder and getattr(finder, "find_distributions", None) is not None
        for finder in sys.meta_path
    )


def _from_importlib(
    group: str, root: str | None, seen: set[str] | None = None
) -> list[FoundEntryPoint]:
    """``importlib.metadata``'s distributions (of ``root`` only, when given)."""
    from importlib.metadata import distributions

    seen = set() if seen is None else seen
    found: list[FoundEntryPoint] = []
    for dist in distributions() if root is None else distributions(path=[root]):
        name = _normalized(str(dist.metadata["Name"] or ""))
        if name in seen:
            continue
        seen.add(name)
        version = _dist_version(dist)
        found.extend(
            FoundEntryPoint(ep.name, ep.value, group, version)
            for ep in dist.entry_points
            if ep.group == group
        )
    return found


def _dist_version(dist: Distribution) -> Callable[[], str | None]:
    return lambda: dist.version
