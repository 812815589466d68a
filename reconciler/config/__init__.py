"""The configuration file (design §3): TOML file or folder → validated models → the desired set.

`load_config(path, env)` returns a `Config` or raises `reconciler.errors.ConfigError` listing every problem
(each also as a structured `Problem` in `error.details`); `config_json_schema()` is the file's JSON Schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.config._desired import (
    SENSITIVE_PATHS,
    Config,
    DesiredRecording,
    DesiredStatus,
    Moved,
    SourceLocation,
    StateTable,
)

if TYPE_CHECKING:
    from reconciler.config._load import load_config
    from reconciler.config._problems import Problem
    from reconciler.config._schema import config_json_schema
    from reconciler.config._state_table import read_state_table

__all__ = [
    "SENSITIVE_PATHS",
    "Config",
    "DesiredRecording",
    "DesiredStatus",
    "Moved",
    "Problem",
    "SourceLocation",
    "StateTable",
    "config_json_schema",
    "load_config",
    "read_state_table",
]

# The loader imports pydantic (a tenth of a second): only load it for the commands that read a configuration.
_LAZY = {
    "load_config": "reconciler.config._load",
    "Problem": "reconciler.config._problems",
    "config_json_schema": "reconciler.config._schema",
    "read_state_table": "reconciler.config._state_table",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
