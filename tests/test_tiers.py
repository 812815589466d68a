"""The guard of the fast tier (`tests/conftest.py`): outside `e2e` and `chaos` tests, starting a process fails.

Each way of starting a process is tried from a fast-tier test and must be refused before any child exists; should
the guard let one through, the child exits at once and is waited for, so nothing is left running.
"""

from __future__ import annotations

import multiprocessing
import os
import pty
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

HARMLESS = [sys.executable, "-c", "pass"]


def with_subprocess_run() -> None:
    subprocess.run(HARMLESS, check=False, timeout=30)


def with_popen() -> None:
    with subprocess.Popen(HARMLESS) as child:
        child.wait(30)


def with_os_system() -> None:
    os.system("true")


def with_os_popen() -> None:
    os.popen("true").close()


def with_os_fork() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def with_pty_fork() -> None:
    pid, descriptor = pty.fork()
    if pid == 0:
        os._exit(0)
    os.close(descriptor)
    os.waitpid(pid, 0)


def with_posix_spawn() -> None:
    pid = os.posix_spawn(sys.executable, HARMLESS, dict(os.environ))
    os.waitpid(pid, 0)


def with_multiprocessing_spawn() -> None:
    child = multiprocessing.get_context("spawn").Process(target=int)
    child.start()
    child.join(30)


WAYS: list[Callable[[], None]] = [
    with_subprocess_run,
    with_popen,
    with_os_system,
    with_os_popen,
    with_os_fork,
    with_pty_fork,
    with_posix_spawn,
    with_multiprocessing_spawn,
]


@pytest.mark.parametrize("start", WAYS, ids=[way.__name__ for way in WAYS])
def test_a_fast_tier_test_cannot_start_a_process(start: Callable[[], None], request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.fail.Exception) as refused:
        start()
    message = str(refused.value)
    assert request.node.nodeid in message  # names the test
    assert "mark it `@pytest.mark.e2e`" in message  # and says what to do


def test_the_refusal_gets_past_code_that_catches_every_exception() -> None:
    """A library that catches `Exception` around its subprocess (as the Cloudflare SDK does around `platform`) does
    not hide the refusal: it is a test failure, not an exception."""
    try:
        subprocess.run(HARMLESS, check=False, timeout=30)
    except Exception:  # what such a library does
        pytest.fail("the refusal was caught as an ordinary exception")
    except pytest.fail.Exception:
        pass
    else:
        pytest.fail("the process was started")


@pytest.mark.e2e
def test_an_e2e_test_may_start_a_process() -> None:
    command = [sys.executable, "-c", "print('started')"]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "started\n")


def test_ctrl_c_is_not_ignored_while_the_tests_run() -> None:
    """Even under a shell that started pytest with SIGINT ignored: the processes tests start must not inherit that."""
    assert signal.getsignal(signal.SIGINT) != signal.SIG_IGN
