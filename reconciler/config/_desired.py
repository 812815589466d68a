"""What the configuration resolves to: the desired set of recordings keyed by address.

This is the only part of the configuration the planner and applier see. Values are resolved (defaults merged,
`${env:NAME}` substituted) and secrets are still inside `body`, because the start request needs them; use
`public_fields()` for anything that is shown or stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "SENSITIVE_PATHS",
    "Config",
    "DesiredRecording",
    "DesiredStatus",
    "Moved",
    "SourceLocation",
    "StateTable",
]

DesiredStatus = Literal["recording", "paused", "stopped"]

# Dotted paths of start fields whose values are secrets (design §3.4).
SENSITIVE_PATHS: frozenset[str] = frozenset(
    {
        "storage_config.access_key",
        "storage_config.secret",
        "storage_config.password",
        "storage_config.private_key",
        "rtmp_out_config.rtmp_url",
    }
)

# The same paths, by the table that holds them.
_SENSITIVE_KEYS: dict[str, frozenset[str]] = {
    section: frozenset(path.partition(".")[2] for path in SENSITIVE_PATHS if path.startswith(f"{section}."))
    for section in sorted({path.partition(".")[0] for path in SENSITIVE_PATHS})
}


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where something was declared, for messages: `recordings.toml:12`."""

    file: Path
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)


@dataclass(frozen=True, slots=True, repr=False)
class DesiredRecording:
    """One declared recording.

    `body` is exactly the start request's fields as declared with `[defaults]` merged under them, without
    `meeting_id` and without the tool's own `status`: the applier sends `{"meeting_id": ..., **body}`. Its `repr`
    shows the public fields only, so that no print, log line or traceback can show a secret.
    """

    address: str
    meeting_key: str
    recording_key: str
    meeting_id: str
    status: DesiredStatus
    body: Mapping[str, Any]
    location: SourceLocation

    def __repr__(self) -> str:
        hidden = len(self.sensitive_values())
        return (
            f"DesiredRecording(address={self.address!r}, meeting_id={self.meeting_id!r}, status={self.status!r}, "
            f"fields={self.public_fields()!r}, secrets=<{hidden} hidden>)"
        )

    def public_fields(self) -> dict[str, Any]:
        """`body` without its sensitive values: safe to show, store and compare."""
        public = dict(self.body)
        for section, keys in _SENSITIVE_KEYS.items():
            table = public.get(section)
            if table is not None and not keys.isdisjoint(table):
                public[section] = {key: value for key, value in table.items() if key not in keys}
        return public

    def sensitive_values(self) -> dict[str, str]:
        """The sensitive values of `body` by dotted path (empty when there are none)."""
        found: dict[str, str] = {}
        for section, keys in _SENSITIVE_KEYS.items():
            table = self.body.get(section)
            if table is not None:
                found.update((f"{section}.{key}", str(table[key])) for key in sorted(keys) if key in table)
        return found


@dataclass(frozen=True, slots=True)
class Moved:
    """A `[[moved]]` entry: the state address `from_address` is now `to_address`."""

    from_address: str
    to_address: str
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class StateTable:
    """What the configuration's `[state]` tables say (`_state_table.py` reads them): a file `path` (relative to the
    working folder: the file's own folder joined in), or a PostgreSQL `url` with its `workspace` and `schema`; None
    where no file sets it. The URL may hold a password: it is never shown (`repr` included)."""

    path: Path | None = None
    url: str | None = field(default=None, repr=False)
    workspace: str | None = None
    schema: str | None = None


@dataclass(frozen=True, slots=True, repr=False)
class Config:
    """A validated configuration: one file, or every `*.toml` of a folder merged. Its `repr` names the files and
    counts the recordings (each of which would show only its public fields)."""

    files: tuple[Path, ...]
    recordings: Mapping[str, DesiredRecording]
    meeting_count: int
    account_id: str | None = None
    app_id: str | None = None
    state: StateTable = field(default_factory=StateTable)
    moved: tuple[Moved, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    missing_env: tuple[str, ...] = ()  # variables not set, allowed by `validate --allow-missing-env`

    def __repr__(self) -> str:
        return (
            f"Config(files={[str(file) for file in self.files]!r}, account_id={self.account_id!r}, "
            f"app_id={self.app_id!r}, meetings={self.meeting_count}, recordings=<{len(self.recordings)}>)"
        )
