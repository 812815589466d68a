"""The errors a state store raises, as one tree.

    StateError                   anything wrong with the state; `str(error)` is the whole message, ready to print
    ├── StateFileError           the state file cannot be read: not JSON, truncated, wrong shape, unknown
    │                            format_version. Names the file; nothing was changed
    ├── UnsafePathError          a file beside the state is a symbolic link (the tool never makes one): refused
    ├── StaleStateError          compare-and-swap lost: another writer changed the state since it was read, or
    │                            the stored state belongs to another lineage. Nothing was written
    ├── StateLockedError         someone else holds the lock; carries the holder's `LockInfo`
    ├── LockLostError            this run's lock was removed (force-unlock) while it ran: it must stop sending
    ├── LockNotFoundError        force-unlock of an id that is not the current lock's (or of no lock at all)
    ├── LockHolderAliveError     force-unlock of a lock whose holder still runs on this host (without --force)
    └── JournalError             the journal has a damaged line other than a torn last one. Names file and line

Every message says what to do next.
"""

from __future__ import annotations

from state._protocol import LockInfo

__all__ = [
    "JournalError",
    "LockHolderAliveError",
    "LockLostError",
    "LockNotFoundError",
    "StaleStateError",
    "StateError",
    "StateFileError",
    "StateLockedError",
    "UnsafePathError",
]


class StateError(Exception):
    """Anything wrong with the state. `str(error)` is the whole message."""


class StateFileError(StateError):
    """The state file cannot be read; `path` names it."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class UnsafePathError(StateError):
    """A file the store would open is a symbolic link it did not create; `path` names it. Nothing was opened."""

    def __init__(self, path: str, *, dangling: bool = False) -> None:
        if dangling:
            message = (
                f"the state path {path} is a symbolic link that leads to no file; following it would create a state "
                "somewhere else. Point --state or [state] path at the real file"
            )
        else:
            message = (
                f"refusing to open {path}: it is a symbolic link, and reconciler never makes one beside the state (a "
                "link committed to a repository could make it read or write a file elsewhere). Remove the link; to "
                "keep the state elsewhere, point --state or [state] path at it"
            )
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


class LockLostError(StateError):
    """This run's lock is no longer held: someone ran force-unlock while it ran. It must not send anything more."""

    def __init__(self, lock_id: str) -> None:
        super().__init__(
            f"this run's state lock (ID {lock_id}) was removed while it ran (force-unlock), so another run may be "
            "working on the same state: this run stopped sending requests. What it did is in the journal; the next "
            "run folds it in and resolves any start left open"
        )
        self.lock_id = lock_id


class LockHolderAliveError(StateError):
    """force-unlock was asked for a lock whose holder is still running on this host."""

    def __init__(self, holder: LockInfo) -> None:
        super().__init__(
            f"lock {holder.id} is held by a process that is still running on this host (pid {holder.pid}, "
            f"{holder.who}, operation {holder.operation}, since {holder.created}); nothing was changed. Wait for it, "
            f"or stop it; to remove the lock anyway (that run will stop at its next request), run "
            f"`reconciler force-unlock --force {holder.id}`"
        )
        self.holder = holder


class LockNotFoundError(StateError):
    """force-unlock was given an id that is not the current lock's, or there is no lock."""


class JournalError(StateError):
    """A journal line other than a torn last one is damaged; `path` and `line` (1-based) say where."""

    def __init__(self, message: str, *, path: str, line: int) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
