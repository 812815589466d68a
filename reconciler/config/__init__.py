"""The configuration file (design §3): TOML file or folder → validated models → the desired set."""

from __future__ import annotations

from reconciler.config._desired import (
    SENSITIVE_PATHS,
    Config,
    DesiredRecording,
    DesiredStatus,
    Moved,
    SourceLocation,
)

__all__ = ["SENSITIVE_PATHS", "Config", "DesiredRecording", "DesiredStatus", "Moved", "SourceLocation"]
# The helper building the loader adds: load_config, config_json_schema.
