"""Reading ``modelport.toml`` once per path and modification: cached by (mtime, size)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import ConfigurationError
from ._errors import ConfigFileError
from ._paths import config_path

if TYPE_CHECKING:
    from ._schema import Config

__all__ = ["clear_cache", "load_config"]

_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, int], Config]] = {}


def load_config() -> Config:
    """The configuration at ``config_path()``; no file at the default path is an empty one,
    a ``MODELPORT_CONFIG`` naming no file is a ``ConfigurationError``."""
    from ._schema import Config, parse  # tomllib and the checks only when a file is read

    path, source = config_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        if source == "MODELPORT_CONFIG":
            raise ConfigurationError(
                f"MODELPORT_CONFIG names {path}, which does not exist"
            ) from None
        return Config(path, source)
    except OSError as exc:
        raise ConfigFileError(path, None, f"cannot read the config file: {exc}") from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == stamp and cached[1].source == source:
            return cached[1]
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigFileError(path, None, f"not UTF-8 text: {exc}") from None
    except OSError as exc:
        raise ConfigFileError(path, None, f"cannot read the config file: {exc}") from None
    config = parse(text, path, source)
    with _lock:
        _cache[path] = (stamp, config)
    return config


def clear_cache() -> None:
    with _lock:
        _cache.clear()
