"""`MemoryStateStore`: the file store's behaviour without the files, for unit tests of the applier.

It applies the same compare-and-swap and fold rules (`state._generation`), takes its commit mutex and its lock
between threads, and keeps each record as the journal's bytes (so a value the file store cannot store fails here
too). What it cannot do is survive its process: that is the other stores' job.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from state._codec import encode_state
from state._errors import LockHolderAliveError, LockLostError, LockNotFoundError, StateLockedError
from state._generation import empty_state, folded_generation, next_generation
from state._model import JournalRecord, State
from state._owner import new_lock_info
from state._protocol import LockInfo
from state._records import decode_journal, encode_record

__all__ = ["MemoryStateStore"]

_NAME = "<memory>"


class MemoryStateStore:
    """A state store in memory; `tool_version` is recorded in every generation it writes."""

    def __init__(self, *, tool_version: str = "") -> None:
        self._tool_version = tool_version
        self._commit = threading.Lock()
        self._stored: State | None = None
        self._journal: list[bytes] = []  # encoded records; a list, as `bytes +=` would copy them all each time
        self._holder: LockInfo | None = None
        self._holder_lock = threading.Lock()

    @property
    def location(self) -> str:
        return _NAME

    @property
    def backup_location(self) -> str | None:
        return None

    def read(self) -> State:
        with self._commit:
            return empty_state(self._tool_version) if self._stored is None else self._stored

    def write(self, state: State, *, expected_serial: int) -> State:
        with self._commit:
            new = next_generation(
                self._stored, state, expected_serial=expected_serial, tool_version=self._tool_version, location=_NAME
            )
            if new is None:
                return state if self._stored is None else self._stored
            encode_state(new)  # what the file store could not store fails here too
            self._stored = new
            return new

    def fold(self, *, expected_serial: int | None = None) -> State:
        with self._commit:
            records = decode_journal(b"".join(self._journal), source=_NAME)
            result, new = folded_generation(
                self._stored, records, tool_version=self._tool_version, location=_NAME, expected_serial=expected_serial
            )
            if new is not None:
                encode_state(new)
                self._stored = new
            self._journal.clear()
            return result

    def append(self, *records: JournalRecord) -> None:
        lines = [encode_record(record) for record in records]
        with self._commit:
            self._journal.extend(lines)

    def journal(self) -> Iterator[JournalRecord]:
        with self._commit:
            data = b"".join(self._journal)
        return iter(decode_journal(data, source=_NAME))

    def try_lock(self, operation: str) -> LockInfo:
        with self._holder_lock:
            if self._holder is not None:
                raise StateLockedError(self._holder, location=_NAME, lock_location=_NAME)
            self._holder = new_lock_info(operation)
            return self._holder

    def unlock(self, lock_id: str) -> None:
        with self._holder_lock:
            if self._holder is not None and self._holder.id == lock_id:  # not when force-unlocked and taken since
                self._holder = None

    def check_lock(self, lock_id: str) -> None:
        with self._holder_lock:
            if self._holder is None or self._holder.id != lock_id:
                raise LockLostError(lock_id)

    def force_unlock(self, lock_id: str, *, force: bool = False) -> None:
        with self._holder_lock:
            if self._holder is None:
                raise LockNotFoundError("the state is not locked; nothing to unlock")
            if self._holder.id != lock_id:
                raise LockNotFoundError(
                    f"lock ID {lock_id} is not the state's lock: it is locked with lock ID {self._holder.id}; "
                    "nothing was changed"
                )
            if not force:  # the holder is in this very process, so it is running
                raise LockHolderAliveError(self._holder)
            self._holder = None
