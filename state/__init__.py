"""The state: which recording stands behind each address, stored atomically, locked, and journaled.

Imports neither `reconciler` nor `providers`.
"""

from __future__ import annotations

from state._model import (
    FORMAT_VERSION,
    PRESENT_STATUSES,
    ClearRecord,
    ForgetRecord,
    IntentRecord,
    JournalRecord,
    PendingStart,
    PutRecord,
    RecordingEntry,
    State,
    fold,
)
from state._protocol import Journal, Locker, LockInfo, StateReader, StateStore, StateWriter

__all__ = [
    "FORMAT_VERSION",
    "PRESENT_STATUSES",
    "ClearRecord",
    "ForgetRecord",
    "IntentRecord",
    "Journal",
    "JournalRecord",
    "LockInfo",
    "Locker",
    "PendingStart",
    "PutRecord",
    "RecordingEntry",
    "State",
    "StateReader",
    "StateStore",
    "StateWriter",
    "fold",
]
# The helper building the store adds: StateError and its tree, FileStateStore, MemoryStateStore.
