"""`MemoryStateStore`: the file store's behaviour without the files, for unit tests of the applier.

It keeps the same bytes the file store would write (so a value the file store cannot store fails here too),
takes its commit mutex and its run lock between threads, and applies the same compare-and-swap and fold rules
(`state._generation`). What it cannot do is survive its process: that is the file store's job.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from state._errors import LockHolderAliveError, LockLostError, LockNotFoundError, StateLockedError
from state._generation import folded_generation, next_generation, stored_state
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
        self._stored: bytes | None = None
        self._journal: list[bytes] = []  # encoded records; a list, as `bytes +=` would copy them all each time
        self._lock_changed = threading.Condition()
        self._holder: LockInfo | None = None

    @property
    def location(self) -> str:
        return _NAME

    def read(self) -> State:
        return stored_state(self._stored, tool_version=self._tool_version, source=_NAME)

    def write(self, state: State, *, expected_serial: int) -> State:
        with self._commit:
            result, data = next_generation(
                self._stored, state, expected_serial=expected_serial, tool_version=self._tool_version, source=_NAME
            )
            if data is not None:
                self._stored = data
            return result

    def fold(self, *, expected_serial: int | None = None) -> State:
        with self._commit:
            result, data = folded_generation(
                self._stored,
                b"".join(self._journal),
                tool_version=self._tool_version,
                source=_NAME,
                journal_source=_NAME,
                expected_serial=expected_serial,
            )
            if data is not None:
                self._stored = data
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

    @contextmanager
    def lock(self, operation: str, *, timeout: float = 0.0) -> Iterator[LockInfo]:
        deadline = time.monotonic() + timeout
        with self._lock_changed:
            while self._holder is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StateLockedError(self._holder, lock_file=_NAME)
                self._lock_changed.wait(remaining)
            info = self._holder = new_lock_info(operation)
        try:
            yield info
        finally:
            with self._lock_changed:
                if self._holder is info:  # not when force-unlocked and taken by someone else since
                    self._holder = None
                    self._lock_changed.notify_all()

    def check_lock(self, lock_id: str) -> None:
        with self._lock_changed:
            if self._holder is None or self._holder.id != lock_id:
                raise LockLostError(lock_id)

    def force_unlock(self, lock_id: str, *, force: bool = False) -> None:
        with self._lock_changed:
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
            self._lock_changed.notify_all()
