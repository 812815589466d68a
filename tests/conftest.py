"""Fixtures shared by the end-to-end tests (see `tests/_e2e.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _postgres import PostgresServer, running_postgres

from _e2e import Workspace, emulated


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A scratch folder and an emulator whose statuses stand still unless a test moves them."""
    with emulated(tmp_path) as workspace:
        yield workspace


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session (see `tests/_postgres.py`); never a silent skip."""
    with running_postgres() as server:
        yield server
