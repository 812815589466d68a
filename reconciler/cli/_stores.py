"""The state store a command works on: found from `--state` and the configuration's `[state]` table, built by
`open_store` (the one place that chooses a concrete store), and waited for with a word on stderr.

The commands that only read or edit the state find it without validating the configuration
(`read_state_table`), so that they work where the secrets are not set.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.cli._paths import config_path
from reconciler.config import StateTable
from reconciler.errors import UsageError

if TYPE_CHECKING:
    from state import LockInfo, OnWait, StateStore

__all__ = ["DEFAULT_STATE_NAME", "announce_lock_wait", "open_store", "state_at", "state_table"]

DEFAULT_STATE_NAME = "recordings.state.json"


def state_table(state_flag: str | None, config_flag: str | None, loaded: StateTable | None = None) -> StateTable:
    """Where the state is: `--state` if given (a file, or a `postgresql://` URL, whose workspace and schema come
    from the configuration); else the configuration's `[state]` table (`loaded` when the configuration is loaded
    already, else read alone); else `recordings.state.json` beside the configuration."""
    config = config_path(config_flag)
    table = loaded
    if table is None and (state_flag is None or _is_url(state_flag)):
        from reconciler.config._load import config_files
        from reconciler.config._state_table import read_state_table

        files = config_files(config)
        if not files and config_flag is not None:
            raise UsageError(f"configuration {config} not found (pass --state to name the state directly)")
        table = read_state_table(files, os.environ)
    if state_flag is not None:
        if not _is_url(state_flag):
            return StateTable(path=Path(state_flag))
        assert table is not None
        return StateTable(url=state_flag, workspace=table.workspace, schema=table.schema)
    assert table is not None
    if table.path is not None or table.url is not None:
        return table
    return StateTable(path=(config if config.is_dir() else config.parent) / DEFAULT_STATE_NAME)


def state_at(where: str, config_flag: str | None, *, workspace: str | None, schema: str | None) -> StateTable:
    """The state at `where` (a file, or a `postgresql://` URL), the workspace and schema of a database taken from
    the flags, else from the configuration's `[state]` table when there is one."""
    if not _is_url(where):
        return StateTable(path=Path(where))
    configured = StateTable()
    config = config_path(config_flag)
    from reconciler.config._load import config_files

    files = config_files(config)
    if files:
        from reconciler.config._state_table import read_state_table

        configured = read_state_table(files, os.environ)
    return StateTable(url=where, workspace=workspace or configured.workspace, schema=schema or configured.schema)


def open_store(table: StateTable) -> StateStore:
    """The store `table` names: a file, or a workspace of a PostgreSQL database."""
    if table.url is not None:
        from state import PostgresStateStore

        return PostgresStateStore(
            table.url,
            workspace=table.workspace or "default",
            schema=table.schema or "reconciler",
            tool_version=__version__,
        )
    from state import FileStateStore

    assert table.path is not None  # `state_table` always names one or the other
    return FileStateStore(table.path, tool_version=__version__)


def _is_url(flag: str) -> bool:
    return flag.startswith(("postgresql://", "postgres://"))


def announce_lock_wait(operation: str) -> OnWait:
    """What a command says on stderr before it waits for the state lock: who holds it, and until when it waits. The
    holder's name comes from the lock's owner information, so it is written like any outside text (escaped)."""
    from reconciler.cli._console import Console

    def on_wait(holder: LockInfo | None, seconds: float) -> None:
        until = (datetime.now(UTC) + timedelta(seconds=seconds)).astimezone().strftime("%H:%M:%S")
        who = (
            f"{holder.who}@{holder.host} (pid {holder.pid}, operation {holder.operation}, since {holder.created}, "
            f"lock ID {holder.id})"
            if holder is not None
            else "a process that has not named itself yet"
        )
        Console.from_args().message(
            f"Waiting for the state lock held by {who}, for {operation}, until {until} (--lock-timeout)."
        )

    return on_wait
