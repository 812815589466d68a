"""Fixtures shared by the end-to-end tests (see `tests/_e2e.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.emulator import EmulatorServer

from _e2e import TOKEN, Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A scratch folder and an emulator whose statuses stand still unless a test moves them."""
    with EmulatorServer(token=TOKEN, speed=0.0001, seed=1) as server:
        yield Workspace(tmp_path, server)
