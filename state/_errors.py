"""The errors a state store raises, as one tree.

    StateError                   anything wrong with the state; `str(error)` is the whole message, ready to print
    ├── StateFileError           the state file cannot be read: not JSON, truncated, wrong shape, unknown
    │                            format_version. Names the file; nothing was changed
    ├── StaleStateError          compare-and-swap lost: another writer changed the state since it was read, or
    │                            the stored state belongs to another lineage. Nothing was written
    ├── StateLockedError         someone else holds the lock; carries the holder's `LockInfo`
    ├── LockNotFoundError        force-unlock of an id that is not the current lock's (or of no lock at all)
    └── JournalError             the journal has a damaged line other than a torn last one. Names file and line

Every message says what to do next.
"""

from __future__ import annotations

from state._protocol import LockInfo

__all__ = [
    "JournalError",
    "LockNotFoundError",
    "StaleStateError",
    "StateError",
    "StateFileError",
    "StateLockedError",
]


class StateError(Exception):
    """Anything wrong with the state. `str(error)` is the whole message."""


class StateFileError(StateError):
    """The state file cannot be read; `path` names it."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class StaleStateError(StateError):
    """Compare-and-swap lost, or the lineage differs. Nothing was written."""


class StateLockedError(StateError):
    """The lock is held by someone else. `holder` is who, or None when the lock file names no one."""

    def __init__(self, holder: LockInfo | None, *, lock_file: str) -> None:
        if holder is None:
            message = (
                f"state locked by another process that left no owner information in {lock_file}; "
                f"if that process is gone, delete {lock_file}"
            )
        else:
            message = (
                f"state locked by {holder.who}@{holder.host} (pid {holder.pid}, operation {holder.operation}) "
                f"since {holder.created}, lock ID {holder.id}; wait for it with --lock-timeout SECONDS, or, if that "
                f"process is gone, run `reconciler force-unlock {holder.id}`"
            )
        super().__init__(message)
        self.holder = holder


class LockNotFoundError(StateError):
    """force-unlock was given an id that is not the current lock's, or there is no lock."""


class JournalError(StateError):
    """A journal line other than a torn last one is damaged; `path` and `line` (1-based) say where."""

    def __init__(self, message: str, *, path: str, line: int) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
