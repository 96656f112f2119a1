"""Where the built-in L1 cache lives and how large it may grow, as the environment says.

Kept apart from the cache itself so that the built-in cache plugin can read the configuration
(to key its shared instance) without touching SQLite, and so that the platform rules for the
cache directory can be tested on their own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .._errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_MB",
    "ENV_DIR",
    "ENV_MAX_MB",
    "FILENAME",
    "default_cache_dir",
    "default_cache_path",
    "max_bytes_from_env",
]

DEFAULT_MAX_MB = 512.0
FILENAME = "cache.sqlite3"
ENV_DIR = "MODELPORT_CACHE_DIR"
ENV_MAX_MB = "MODELPORT_CACHE_MAX_MB"


def default_cache_dir() -> Path:
    """``$MODELPORT_CACHE_DIR``, else the platform's per-user cache directory + ``modelport``.

    Linux and other Unixes follow the XDG base-directory spec (a relative ``XDG_CACHE_HOME`` is
    invalid there and ignored); macOS uses ``~/Library/Caches``; Windows ``%LOCALAPPDATA%``.
    """
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    base: Path
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "modelport"


def default_cache_path() -> Path:
    """The file the built-in L1 cache uses: ``default_cache_dir() / "cache.sqlite3"``."""
    return default_cache_dir() / FILENAME


def max_bytes_from_env() -> int:
    """``$MODELPORT_CACHE_MAX_MB`` (default 512) in bytes; ``0`` means no size bound."""
    raw = os.environ.get(ENV_MAX_MB, "").strip()
    if not raw:
        return int(DEFAULT_MAX_MB * 1024 * 1024)
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not mb >= 0 or mb == float("inf"):  # also rejects NaN
        raise ConfigurationError(
            f"{ENV_MAX_MB}={raw!r}: expected a size in megabytes (a number >= 0; 0 = no bound)"
        )
    return int(mb * 1024 * 1024)
