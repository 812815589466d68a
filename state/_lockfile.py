"""`LockFile`: the run lock of the file store, an `flock` on `<state>.lock` that names its holder.

The OS releases an `flock` when its holder dies, so a crash never leaves the state locked. Whoever takes the
lock writes its `LockInfo` into the file; whoever is refused reads it from there. Release removes the file.

A taker checks, once it has the `flock`, that the file it locked is still the one at the path (it may have been
released and removed between the taker's `open` and its `flock`) and starts again when it is not: two holders
never hold the file at the path.

`force_unlock(lock_id)` removes the file when it names `lock_id`, unless its holder still runs on this host (then
only with `force`). It cannot stop the holder: a process that still runs keeps its `flock` on the removed file,
and the next taker makes a new one. The holder learns it at its next `check`, which compares the file it holds
with the one at the path; a holder releasing a file that is no longer at the path leaves the path alone.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
from pathlib import Path

from state._errors import LockHolderAliveError, LockLostError, LockNotFoundError, StateLockedError
from state._fs import open_file, read_all
from state._owner import new_lock_info
from state._protocol import LockInfo
from state._records import decode_lock_info, encode_lock_info

__all__ = ["LockFile", "running_here"]


class LockFile:
    """The lock file at `path`, of the state at `location` (for messages)."""

    def __init__(self, path: Path, *, location: str) -> None:
        self.path = path
        self._location = location
        self._held: dict[str, int] = {}  # lock id → descriptor of the file this process holds
        self._held_lock = threading.Lock()

    def take(self, operation: str) -> LockInfo:
        """Take the lock now, or raise `StateLockedError` naming the holder."""
        fd = self._try()
        info = new_lock_info(operation)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, encode_lock_info(info), 0)
        except BaseException:
            os.close(fd)
            raise
        with self._held_lock:
            self._held[info.id] = fd
        return info

    def release(self, lock_id: str) -> None:
        with self._held_lock:
            fd = self._held.pop(lock_id, None)
        if fd is None:
            return
        try:
            if _same_file(fd, self.path):  # not when force-unlocked and taken by someone else since
                self.path.unlink()
        finally:
            os.close(fd)

    def check(self, lock_id: str) -> None:
        """Raise `LockLostError` unless this process still holds `lock_id` and its file is the one at the path."""
        with self._held_lock:
            fd = self._held.get(lock_id)
            if fd is None or not _same_file(fd, self.path):
                raise LockLostError(lock_id)

    def force_unlock(self, lock_id: str, *, force: bool) -> None:
        try:
            fd = open_file(self.path, os.O_RDONLY)  # never through a link: it would name another file's content
        except FileNotFoundError:
            raise LockNotFoundError(f"the state {self._location} is not locked; nothing to unlock") from None
        try:
            holder = decode_lock_info(read_all(fd))
            if holder is None or holder.id != lock_id:
                current = "whose holder left no lock ID" if holder is None else f"with lock ID {holder.id}"
                raise LockNotFoundError(
                    f"lock ID {lock_id} is not the lock of the state {self._location}: it is locked {current}; "
                    "nothing was changed"
                )
            if not force and running_here(holder):
                raise LockHolderAliveError(holder)
            if _same_file(fd, self.path):
                self.path.unlink()
        finally:
            os.close(fd)

    def _try(self) -> int:
        """One try: the locked file's descriptor, or `StateLockedError` naming who holds it."""
        # A configuration kept in git may name a state folder that git does not keep while it is empty.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            # Never through a link: a committed `<state>.lock` link would have the owner written over its target.
            fd = open_file(self.path, os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = decode_lock_info(read_all(fd))
                os.close(fd)
                raise StateLockedError(holder, location=self._location, lock_location=str(self.path)) from None
            if _same_file(fd, self.path):
                return fd
            os.close(fd)  # released and removed between our open and our flock: try the file there now


def running_here(holder: LockInfo) -> bool:
    """Whether the lock's holder is a process still running on this host."""
    if holder.host != socket.gethostname() or holder.pid <= 0:
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_path = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_path.st_dev, on_path.st_ino)
