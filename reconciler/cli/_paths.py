"""Where the configuration and the state live, from the flags and the configuration's `[state]` table.

The state path is found without validating the configuration (only `[state]` is read, `read_state_table`), so
that `state list`, `show` and `force-unlock` work where the secrets are not set.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.config import StateTable
from reconciler.errors import UsageError

__all__ = ["DEFAULT_CONFIG", "DEFAULT_STATE_NAME", "config_path", "state_path"]

DEFAULT_CONFIG = "recordings.toml"
DEFAULT_STATE_NAME = "recordings.state.json"


def config_path(flag: str | None) -> Path:
    """The `-c/--config` path, or `recordings.toml` in the working folder."""
    return Path(flag if flag is not None else DEFAULT_CONFIG)


def state_path(state_flag: str | None, config_flag: str | None, table: StateTable | None = None) -> Path:
    """`--state` if given; else `[state] path` of the configuration (`table` when it is loaded already, else read
    alone); else `recordings.state.json` beside the configuration (in the working folder when there is none)."""
    if state_flag is not None:
        return Path(state_flag)
    config = config_path(config_flag)
    if table is None:
        from reconciler.config._load import config_files
        from reconciler.config._state_table import read_state_table

        files = config_files(config)
        if not files and config_flag is not None:
            raise UsageError(f"configuration {config} not found (pass --state to name the state file directly)")
        table = read_state_table(files, os.environ)
    if table.path is not None:
        return table.path
    return (config if config.is_dir() else config.parent) / DEFAULT_STATE_NAME
