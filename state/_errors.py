"""The errors a state store raises, as one tree.

    StateError                   anything wrong with the state; `str(error)` says what is wrong and what happened
    ├── StateFileError           the stored state cannot be read: not JSON, truncated, wrong shape, unknown
    │                            format_version, a database schema it does not know. Nothing was changed
    ├── UnsafePathError          a file beside the state is a symbolic link (the store never makes one): refused
    ├── StaleStateError          compare-and-swap lost: another writer changed the state since it was read, or
    │                            the stored state belongs to another lineage. Nothing was written
    ├── StateLockedError         someone else holds the lock; carries the holder's `LockInfo`
    ├── LockLostError            this run's lock was removed (force-unlock) while it ran: it must stop sending
    ├── LockNotFoundError        force-unlock of an id that is not the current lock's (or of no lock at all)
    ├── LockHolderAliveError     force-unlock of a lock whose holder still runs on this host (without force)
    ├── JournalError             the journal has a damaged record other than a torn last one
    └── StoreUnavailableError    the store cannot be reached or used (a database down, a role without rights)

Messages name where (`location`: a path, or a database URL without its password) and what happened; they say
nothing of commands or flags. What to do next is the CLI's to add (`reconciler.cli._errors`), from the attributes.
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
    "StoreUnavailableError",
    "UnsafePathError",
]


class StateError(Exception):
    """Anything wrong with the state. `str(error)` is the whole message."""


class StateFileError(StateError):
    """The stored state at `location` cannot be read. `newer` when it was written by a newer version; `backup`
    names where the generation before the last write is, when the store keeps one and it exists."""

    def __init__(self, message: str, *, location: str, newer: bool = False, backup: str | None = None) -> None:
        super().__init__(message)
        self.location = location
        self.newer = newer
        self.backup = backup


class UnsafePathError(StateError):
    """A file the store would open is a symbolic link it did not create; `location` names it. Nothing was opened."""

    def __init__(self, location: str, *, dangling: bool = False) -> None:
        if dangling:
            message = (
                f"the state path {location} is a symbolic link that leads to no file; following it would create a "
                "state somewhere else"
            )
        else:
            message = (
                f"refusing to open {location}: it is a symbolic link, and reconciler never makes one beside the state "
                "(a link committed to a repository could make it read or write a file elsewhere)"
            )
        super().__init__(message)
        self.location = location
        self.dangling = dangling


class StaleStateError(StateError):
    """Compare-and-swap lost, or the lineage differs. Nothing was written."""


class StateLockedError(StateError):
    """The lock of the state at `location` is held by someone else: `holder`, or None when the holder left no
    owner information (`lock_location` then names where it would be)."""

    def __init__(self, holder: LockInfo | None, *, location: str, lock_location: str) -> None:
        if holder is None:
            message = f"the state {location} is locked by a process that left no owner information in {lock_location}"
        else:
            message = (
                f"the state {location} is locked by {holder.who}@{holder.host} (pid {holder.pid}, operation "
                f"{holder.operation}) since {holder.created}, lock ID {holder.id}"
            )
        super().__init__(message)
        self.holder = holder
        self.location = location
        self.lock_location = lock_location


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
            f"{holder.who}, operation {holder.operation}, since {holder.created}); nothing was changed"
        )
        self.holder = holder


class LockNotFoundError(StateError):
    """force-unlock was given an id that is not the current lock's, or there is no lock."""


class JournalError(StateError):
    """A journal record other than a torn last one is damaged: `location` and `line` (1-based) say where."""

    def __init__(self, message: str, *, location: str, line: int) -> None:
        super().__init__(message)
        self.location = location
        self.line = line


class StoreUnavailableError(StateError):
    """The store cannot be reached or used: a database that does not answer, a role without the rights it needs.
    `sql` is what an administrator must run, when that is the remedy."""

    def __init__(self, message: str, *, location: str, sql: str | None = None) -> None:
        super().__init__(message)
        self.location = location
        self.sql = sql
