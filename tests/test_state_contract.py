"""The StateStore contract (`state.contract`), run against every store: memory and file here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from state import FileStateStore, MemoryStateStore, StateStore
from state.contract import *  # noqa: F403  # the contract's tests, run here over each store


@pytest.fixture(params=["file", "memory"])
def handles(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], StateStore]:
    """Opens a handle on one state: a new FileStateStore on the same file each time, or the one memory store."""
    if request.param == "file":
        return lambda: FileStateStore(tmp_path / "recordings.state.json", tool_version="9.9")
    memory = MemoryStateStore(tool_version="9.9")
    return lambda: memory
