"""Where the configuration lives: the `-c/--config` flag (the state's place is `_stores.py`'s business)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_CONFIG", "config_path"]

DEFAULT_CONFIG = "recordings.toml"


def config_path(flag: str | None) -> Path:
    """The `-c/--config` path, or `recordings.toml` in the working folder."""
    return Path(flag if flag is not None else DEFAULT_CONFIG)
