"""Where the configuration and the state live, from the flags and the `[state]` table.

The state path is found without validating the configuration (only `[state] path` needs its `${env:...}`), so
that `state list`, `show` and `force-unlock` work where the secrets are not set.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.config._env import substitute_env
from reconciler.errors import UsageError

__all__ = ["DEFAULT_CONFIG", "DEFAULT_STATE_NAME", "config_path", "default_state_path", "state_path"]

DEFAULT_CONFIG = "recordings.toml"
DEFAULT_STATE_NAME = "recordings.state.json"


def config_path(flag: str | None) -> Path:
    """The `-c/--config` path, or `recordings.toml` in the working folder."""
    return Path(flag if flag is not None else DEFAULT_CONFIG)


def state_path(state_flag: str | None, config_flag: str | None) -> Path:
    """`--state` if given; else `[state] path` of the configuration (relative to its file); else
    `recordings.state.json` beside the configuration (in the working folder when there is none)."""
    if state_flag is not None:
        return Path(state_flag)
    config = config_path(config_flag)
    if config.is_dir():
        files = sorted(config.glob("*.toml"))
    elif config.is_file():
        files = [config]
    else:
        if config_flag is not None:
            raise UsageError(f"configuration {config} not found (pass --state to name the state file directly)")
        return Path(DEFAULT_STATE_NAME)
    for file in files:
        declared = _declared_state_path(file)
        if declared is not None:
            return file.parent / declared
    return default_state_path(config)


def default_state_path(config: Path) -> Path:
    """`recordings.state.json` beside the configuration file, or in the configuration folder."""
    return (config if config.is_dir() else config.parent) / DEFAULT_STATE_NAME


def _declared_state_path(file: Path) -> str | None:
    import tomli

    try:
        document = tomli.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError) as error:
        raise UsageError(
            f"cannot read the [state] table of {file}: {error} (run `reconciler validate`, or pass --state)"
        ) from None
    table = document.get("state")
    if not isinstance(table, dict) or "path" not in table:
        return None
    path = table["path"]
    if not isinstance(path, str) or not path:
        raise UsageError(f"{file}: state.path must be a non-empty string (run `reconciler validate`)")
    # The same `${env:NAME}` substitution as the full load, so that every command finds the same file.
    resolved = {"path": path}
    if substitute_env(resolved, os.environ).problems:
        raise UsageError(f"{file}: state.path {path!r} names an unset environment variable (or pass --state)")
    return str(resolved["path"])
