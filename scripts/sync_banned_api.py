"""Rewrite the TID251 ban list in pyproject.toml from the core's private modules.

ruff's banned-api takes no wildcard, so ``modelport._*`` is spelled out module by module;
tests/core/test_public_api.py fails when a private module is missing, and this fixes it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MESSAGE = "private to the core: import from modelport, modelport.provider or modelport.testing"
HEADER = "[tool.ruff.lint.flake8-tidy-imports.banned-api]\n"


def private_modules() -> list[str]:
    """The first private component of every module path under the public packages (ruff's
    ban on a module covers its submodules)."""
    names = []

    def walk(package: str, folder: Path) -> None:
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("__") or entry.suffix not in ("", ".py"):
                continue
            name = entry.name.removesuffix(".py")
            if name.startswith("_"):
                names.append(f"{package}.{name}")
            elif entry.is_dir() and (entry / "__init__.py").exists():
                walk(f"{package}.{name}", entry)

    walk("modelport", ROOT / "core/src/modelport")
    return names


def main() -> None:
    path = ROOT / "pyproject.toml"
    text = path.read_text()
    start = text.index(HEADER) + len(HEADER)
    end = re.search(r"\n(?=\[)", text[start:])
    stop = start + end.start() + 1 if end else len(text)
    lines = "".join(f'"{name}".msg = "{MESSAGE}"\n' for name in private_modules())
    rest = text[stop:].lstrip("\n")
    path.write_text(text[:start] + lines + ("\n" + rest if rest else ""))


if __name__ == "__main__":
    main()
