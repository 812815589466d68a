"""Fixtures shared by the tests (see `tests/_e2e.py` for the end-to-end ones)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from _e2e import Workspace, emulated

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_of_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' servers are on 127.0.0.1: a proxy set in the machine's environment must not stand between (the
    tests of proxies set their own)."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A scratch folder and an emulator whose statuses stand still unless a test moves them."""
    with emulated(tmp_path) as workspace:
        yield workspace
