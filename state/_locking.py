"""`hold_lock`: hold a store's lock for a `with` block, waiting for it the same way whatever the store.

    with hold_lock(store, "apply", timeout=30, on_wait=announce) as info:
        ...

The store's `try_lock` is tried at once, then with jittered backoff (10 ms, doubling, at most 0.5 s) until
`timeout` seconds have passed; `on_wait(holder, seconds)` is called once, before the first wait, with who holds the
lock and how long the wait may last, so that a wait is never silent. A holder that has taken the lock but not yet
written its name gets a few more tries at the deadline. The lock is released when the block ends, however it ends.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from state._errors import StateLockedError
from state._protocol import Locker, LockInfo

__all__ = ["hold_lock"]

_FIRST_BACKOFF = 0.01  # seconds before the second try; doubled after each try
_MAX_BACKOFF = 0.5
_GRACE_TRIES = 3  # extra tries, at the deadline, for a holder that has not written its name yet

OnWait = Callable[[LockInfo | None, float], None]


@contextmanager
def hold_lock(
    locker: Locker,
    operation: str,
    *,
    timeout: float = 0.0,
    on_wait: OnWait | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LockInfo]:
    """Hold `locker`'s lock for the `with` block; raise `StateLockedError` when it cannot be had in `timeout`."""
    info = _acquire(locker, operation, timeout, on_wait, sleep)
    try:
        yield info
    finally:
        locker.unlock(info.id)


def _acquire(
    locker: Locker, operation: str, timeout: float, on_wait: OnWait | None, sleep: Callable[[float], None]
) -> LockInfo:
    deadline = time.monotonic() + timeout
    delay, grace, announced = _FIRST_BACKOFF, _GRACE_TRIES, False
    while True:
        try:
            return locker.try_lock(operation)
        except StateLockedError as refused:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if refused.holder is not None or grace == 0:
                    raise
                grace -= 1
                sleep(0.02)
                continue
            if not announced and on_wait is not None:
                on_wait(refused.holder, remaining)
                announced = True
            sleep(min(delay * random.uniform(0.5, 1.0), remaining))
            delay = min(delay * 2, _MAX_BACKOFF)
