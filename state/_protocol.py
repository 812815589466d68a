"""The storage interface, as small pieces composed as needed (after Terraform's statemgr).

    StateReader   location · read()
    StateWriter   write(state, expected_serial)                compare-and-swap on serial and lineage
    Locker        try_lock(operation) · unlock(lock_id) · check_lock(lock_id) · force_unlock(lock_id, force)
    Journal       append(*records) · journal()
    StateStore    all of the above, plus fold(expected_serial) and backup_location

Waiting for a lock is not a store's business: `state.hold_lock(store, operation, timeout=...)` tries `try_lock`
with backoff, the same way for every store. `FileStateStore`, `MemoryStateStore` and `PostgresStateStore`
implement `StateStore`; one contract suite (`state.contract`) runs against each. Errors are those of
`state._errors` (`StateError` and its tree).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from state._model import JournalRecord, State

__all__ = [
    "Journal",
    "LockInfo",
    "Locker",
    "RateBudget",
    "SharesRateBudget",
    "StateReader",
    "StateStore",
    "StateWriter",
]


@dataclass(frozen=True, slots=True)
class LockInfo:
    """Who holds a lock: shown to whoever waits for it, and the `id` is what `force-unlock` takes."""

    id: str
    operation: str
    who: str
    host: str
    pid: int
    created: str  # ISO 8601 UTC


class StateReader(Protocol):
    @property
    def location(self) -> str:
        """Where the state is, for messages: a path, or a database URL without its password (and the workspace)."""
        ...

    def read(self) -> State:
        """The current state; a new empty one (fresh lineage, serial 0) when none exists yet.

        Raises `StateFileError` naming the location when it cannot be read or has an unknown format_version.
        """
        ...


class StateWriter(Protocol):
    def write(self, state: State, *, expected_serial: int) -> State:
        """Persist `state` if the stored serial is still `expected_serial`; return what was stored.

        The stored serial becomes `expected_serial + 1` when the content changed, and stays when it did not
        (nothing is written then). Raises `StaleStateError` when another writer got there first, or when the
        lineage differs. Records still in the journal are applied again by the next `fold()`: fold first.
        """
        ...


class Locker(Protocol):
    def try_lock(self, operation: str) -> LockInfo:
        """Take the state's lock now, for `operation`; raise `StateLockedError` (naming the holder) when someone
        else holds it. The lock is released by `unlock`, or when the holder dies (its process or its session)."""
        ...

    def unlock(self, lock_id: str) -> None:
        """Release the lock `lock_id` taken by this store; a lock that is no longer held (force-unlocked and taken
        by someone else since) is left alone."""
        ...

    def check_lock(self, lock_id: str) -> None:
        """Raise `LockLostError` unless the lock `lock_id`, taken by this store, is still held (it was not
        force-unlocked). Cheap: a run calls it before each request that changes a recording."""
        ...

    def force_unlock(self, lock_id: str, *, force: bool = False) -> None:
        """Remove a lock left behind. Raises `LockNotFoundError` when `lock_id` is not the current lock's id, and
        `LockHolderAliveError` when its holder is still running on this host, unless `force`.

        A holder that still runs learns it at its next `check_lock` and stops; compare-and-swap refuses its
        writes if another run wrote first. Meant for a holder that is gone or stuck.
        """
        ...


class Journal(Protocol):
    def append(self, *records: JournalRecord) -> None:
        """Durably append the records, in order, in one write (on disk or committed before returning): O(1) per
        record, whatever the state's size. Nothing to append is a no-op."""
        ...

    def journal(self) -> Iterator[JournalRecord]:
        """The records appended since the last fold, in order. A torn last record (a crash mid-write) is
        skipped; any other damage raises `JournalError` naming the location."""
        ...


class StateStore(StateReader, StateWriter, Locker, Journal, Protocol):
    @property
    def backup_location(self) -> str | None:
        """Where the generation before the last write is kept, or None when this store keeps none."""
        ...

    def fold(self, *, expected_serial: int | None = None) -> State:
        """Fold the journal into the state, write it and empty the journal; return it. A store with no state yet
        stores its first (empty) generation here, so that its lineage is fixed from then on.

        With `expected_serial`, compare-and-swap: `StaleStateError` when the stored serial is another (a run
        that lost its lock, folding after another run wrote); the journal is then left as it is, for the run
        that holds the lock. Crash-safe in any order: a record is never lost, and folding the same record twice
        is harmless.
        """
        ...


class RateBudget(Protocol):
    """A request budget shared with other processes (structurally a `providers.SharedBudget`)."""

    def reserve(self, interval: float) -> float:
        """Take the next slot of one request every `interval` seconds; return how many seconds from now it is."""
        ...


@runtime_checkable
class SharesRateBudget(Protocol):
    """A store whose runs share the API's request budget, per token (the PostgreSQL store)."""

    def rate_budget(self, token: str) -> RateBudget:
        """The budget every run of this store shares with `token`; only a salted digest of the token is kept."""
        ...
