"""`LockFile`: the run lock of the file store, an `flock` on `<state>.lock` that names its holder.

The OS releases an `flock` when its holder dies, so a crash never leaves the state locked. Whoever takes the
lock writes its `LockInfo` into the file; whoever is refused reads it from there. Release removes the file.

A taker checks, once it has the `flock`, that the file it locked is still the one at the path (it may have been
released and removed between the taker's `open` and its `flock`) and starts again when it is not: two holders
never hold the file at the path.

`force_unlock(lock_id)` removes the file when it names `lock_id`. It does not stop the holder: a process that
still runs keeps its `flock` on the removed file, and the next taker makes a new one. A holder releasing a file
that is no longer at the path leaves the path alone.
"""

from __future__ import annotations

import fcntl
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from state._errors import LockNotFoundError, StateLockedError
from state._fs import MODE, read_all
from state._owner import new_lock_info
from state._protocol import LockInfo
from state._records import decode_lock_info, encode_lock_info

__all__ = ["LockFile"]

_FIRST_BACKOFF = 0.01  # seconds before the second try; doubled after each try
_MAX_BACKOFF = 0.5
_GRACE_TRIES = 3  # extra tries, at the deadline, for a holder that has not written its name yet


class LockFile:
    """The lock file at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def hold(self, operation: str, *, timeout: float) -> Iterator[LockInfo]:
        """Hold the lock for the `with` block, trying with backoff for up to `timeout` seconds."""
        fd, info = self._acquire(operation, timeout)
        try:
            yield info
        finally:
            try:
                if _same_file(fd, self.path):  # not when force-unlocked and taken by someone else since
                    self.path.unlink()
            finally:
                os.close(fd)

    def force_unlock(self, lock_id: str) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise LockNotFoundError(f"the state is not locked (there is no {self.path}); nothing to unlock") from None
        try:
            holder = decode_lock_info(read_all(fd))
            if holder is None or holder.id != lock_id:
                current = "names no lock ID" if holder is None else f"holds lock ID {holder.id}"
                raise LockNotFoundError(
                    f"lock ID {lock_id} is not the state's lock: {self.path} {current}; nothing was changed"
                )
            if _same_file(fd, self.path):
                self.path.unlink()
        finally:
            os.close(fd)

    def _acquire(self, operation: str, timeout: float) -> tuple[int, LockInfo]:
        deadline = time.monotonic() + timeout
        delay, grace = _FIRST_BACKOFF, _GRACE_TRIES
        while True:
            fd, holder = self._try()
            if fd is not None:
                info = new_lock_info(operation)
                try:
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, encode_lock_info(info), 0)
                except BaseException:
                    os.close(fd)
                    raise
                return fd, info
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if holder is not None or grace == 0:
                    raise StateLockedError(holder, lock_file=str(self.path))
                grace -= 1
                time.sleep(0.02)
            else:
                time.sleep(min(delay * random.uniform(0.5, 1.0), remaining))
                delay = min(delay * 2, _MAX_BACKOFF)

    def _try(self) -> tuple[int | None, LockInfo | None]:
        """One try: the locked file's descriptor, or None and who holds it (None when it does not say)."""
        # A configuration kept in git may name a state folder that git does not keep while it is empty.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, MODE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = decode_lock_info(read_all(fd))
                os.close(fd)
                return None, holder
            if _same_file(fd, self.path):
                return fd, None
            os.close(fd)  # released and removed between our open and our flock: try the file there now


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_path = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_path.st_dev, on_path.st_ino)
