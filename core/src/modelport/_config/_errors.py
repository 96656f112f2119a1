"""A bad ``modelport.toml``: a ``ConfigurationError`` that names the file and the line."""

from __future__ import annotations

from pathlib import Path

from .._errors import ConfigurationError

__all__ = ["ConfigFileError"]


class ConfigFileError(ConfigurationError):
    """``<file>:<line>: <what is wrong>``; ``path``, ``line`` (and ``column``) as attributes."""

    def __init__(
        self, path: Path, line: int | None, message: str, *, column: int | None = None
    ) -> None:
        where = str(path)
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.column = column
