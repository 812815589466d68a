"""The StateStore contract (`state.contract`), run against every store: memory, file and PostgreSQL (a real server,
`tests/_postgres.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from state import FileStateStore, MemoryStateStore, StateStore
from state._postgres import PostgresStateStore
from state.contract import *  # noqa: F403  # the contract's tests, run here over each store

from _postgres import PostgresServer


# The PostgreSQL store's run needs a server, started as a process: it is in `make test`, not in the fast tier.
@pytest.fixture(params=["file", "memory", pytest.param("postgresql", marks=pytest.mark.e2e)])
def handles(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], StateStore]]:
    """Opens a handle on one state: a new FileStateStore on the same file, or a new PostgresStateStore on the same
    schema and workspace, each time; or the one memory store."""
    if request.param == "file":
        yield lambda: FileStateStore(tmp_path / "recordings.state.json", tool_version="9.9")
    elif request.param == "memory":
        memory = MemoryStateStore(tool_version="9.9")
        yield lambda: memory
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        schema, opened = server.fresh_schema(), []

        def handle() -> StateStore:
            opened.append(PostgresStateStore(server.url, schema=schema, workspace="w", tool_version="9.9"))
            return opened[-1]

        try:
            yield handle
        finally:
            for store in opened:
                store.close()
