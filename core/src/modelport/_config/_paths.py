"""Where ``modelport.toml`` lives: ``MODELPORT_CONFIG``, else the user config dir (stdlib only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["FILENAME", "config_path", "user_config_dir"]

FILENAME = "modelport.toml"


def user_config_dir() -> Path:
    """``$XDG_CONFIG_HOME`` when set (on any platform), else the platform's own folder:
    ``%APPDATA%`` on Windows, ``~/Library/Application Support`` on macOS, ``~/.config``."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        return Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path.home() / ".config"


def config_path() -> tuple[Path, str]:
    """(the file, where its name came from: ``"MODELPORT_CONFIG"`` or ``"user config dir"``)."""
    named = os.environ.get("MODELPORT_CONFIG")
    if named:
        return Path(named).expanduser(), "MODELPORT_CONFIG"
    return user_config_dir() / "modelport" / FILENAME, "user config dir"
