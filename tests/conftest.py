"""Fixtures shared by the tests: the end-to-end workspace (see `tests/_e2e.py`) and the guard of the fast tier.

Two tiers (README, "Testing"): `make check` runs the tests not marked `e2e` or `chaos`, with no subprocess, in
seconds; `make test` runs them all. The autouse `_no_subprocess_in_the_fast_tier` keeps the fast tier fast: a test
not marked `e2e` or `chaos` that starts a process fails at once, telling its author to mark it.
"""

from __future__ import annotations

import _posixsubprocess  # where every `subprocess` and `multiprocessing` child forks
import os
import platform
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from _e2e import Workspace, emulated
from _postgres import PostgresServer, running_postgres

TIER_MARKERS = ("e2e", "chaos")

# The standard library's `platform` runs `uname -p` the first time anyone asks for the processor, and caches the
# answer for the process. Libraries ask on their first request (the Cloudflare SDK in its headers): ask once here,
# before any test, so that no fast-tier test starts a process through them.
platform.processor()

# Every way a test could start a process: `subprocess` (and `os.popen`, asyncio) through `Popen`, `multiprocessing`
# and `Popen` underneath through `_posixsubprocess.fork_exec`, `pty.fork` through `os.forkpty`/`os.fork`, and the
# `os` calls that spawn. Guarding the lowest level too means no wrapper can slip past.
_GUARDED: list[tuple[Any, str]] = [
    (subprocess.Popen, "__init__"),
    (_posixsubprocess, "fork_exec"),
    (os, "fork"),
    (os, "forkpty"),
    (os, "posix_spawn"),
    (os, "posix_spawnp"),
    (os, "system"),
]


def _refusal(test_id: str, what: str) -> Callable[..., NoReturn]:
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        del args, kwargs
        pytest.fail(
            f"{test_id} started a process ({what}) but is in the fast tier (`make check`, no subprocess): "
            "mark it `@pytest.mark.e2e` (or the module with `pytestmark = pytest.mark.e2e`), or test it in-process.",
            pytrace=False,
        )

    return refuse


@pytest.fixture(autouse=True)
def _no_subprocess_in_the_fast_tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the `e2e` and `chaos` tests, starting a process fails the test at once with what to do."""
    if any(request.node.get_closest_marker(marker) for marker in TIER_MARKERS):
        return
    for owner, name in _GUARDED:
        if hasattr(owner, name):
            where = owner.__name__ if hasattr(owner, "__name__") else repr(owner)
            monkeypatch.setattr(owner, name, _refusal(request.node.nodeid, f"{where}.{name}"))


@pytest.fixture(autouse=True, scope="session")
def _ctrl_c_reaches_the_processes_tests_start() -> Iterator[None]:
    """Tests send SIGINT to the processes they start, and expect Python's Ctrl-C there. A shell starts background
    jobs with SIGINT ignored (`pytest &` in a script), children inherit that, and Python then leaves it ignored;
    a signal with a handler is back to the default in a child. So pytest handles it while the tests run."""
    previous = signal.getsignal(signal.SIGINT)
    if previous != signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session (see `tests/_postgres.py`); never a silent skip."""
    with running_postgres() as server:
        yield server
