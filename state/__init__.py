"""The state: which recording stands behind each address, stored atomically, locked, and journaled.

Imports neither `reconciler` nor `providers`. `PostgresStateStore` is imported on first use: psycopg takes a while to
import, which commands on a state file should not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from state._codec import state_document
from state._errors import (
    JournalError,
    LockHolderAliveError,
    LockLostError,
    LockNotFoundError,
    StaleStateError,
    StateError,
    StateFileError,
    StateLockedError,
    StoreUnavailableError,
    UnsafePathError,
)
from state._file import FileStateStore
from state._locking import OnWait, hold_lock
from state._memory import MemoryStateStore
from state._model import (
    FINAL_STATUSES,
    FORMAT_VERSION,
    KNOWN_STATUSES,
    PRESENT_STATUSES,
    VANISHED,
    Binding,
    ClearRecord,
    IntentRecord,
    JournalRecord,
    PendingStart,
    PutRecord,
    RecordingEntry,
    State,
    SuspectStart,
    fold,
)
from state._protocol import (
    Journal,
    Locker,
    LockInfo,
    RateBudget,
    SharesRateBudget,
    StateReader,
    StateStore,
    StateWriter,
)

if TYPE_CHECKING:
    from state._postgres import PostgresStateStore

__all__ = [
    "FINAL_STATUSES",
    "FORMAT_VERSION",
    "KNOWN_STATUSES",
    "PRESENT_STATUSES",
    "VANISHED",
    "Binding",
    "ClearRecord",
    "FileStateStore",
    "IntentRecord",
    "Journal",
    "JournalError",
    "JournalRecord",
    "LockHolderAliveError",
    "LockInfo",
    "LockLostError",
    "LockNotFoundError",
    "Locker",
    "MemoryStateStore",
    "OnWait",
    "PendingStart",
    "PostgresStateStore",
    "PutRecord",
    "RateBudget",
    "RecordingEntry",
    "SharesRateBudget",
    "StaleStateError",
    "State",
    "StateError",
    "StateFileError",
    "StateLockedError",
    "StateReader",
    "StateStore",
    "StateWriter",
    "StoreUnavailableError",
    "SuspectStart",
    "UnsafePathError",
    "fold",
    "hold_lock",
    "state_document",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresStateStore":
        from state import _postgres

        return _postgres.PostgresStateStore
    raise AttributeError(f"module 'state' has no attribute {name!r}")
