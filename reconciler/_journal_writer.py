"""`JournalWriter`: apply's journal records, written by one background thread, as many to an fsync as are waiting.

Why: at hundreds of starts a second, a worker that waited for its own fsync before each start and again after each
answer spent 3-4 ms of every 26 ms start queued for the disk (`benchmarks/README.md`). Here a worker hands a record
over and goes on. It waits only where the exactly-once rule says it must (design §5): for a start's intent to be on
disk before the start is sent; and `apply` journals each intent ahead of its start, so that wait is usually over
before it begins.

    writer = JournalWriter(store)
    written = writer.write(record)   # queued; returns at once
    written.wait()                   # returns once the record is on disk, or raises why it never will be
    writer.close()                   # writes what is queued, stops the thread, raises the first failure

Records reach the journal in the order `write` was called. After a failed write nothing more is written: every
later `write` and `wait` raises that failure, so a run whose journal broke stops sending starts.
"""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType

from state import Journal, JournalRecord

__all__ = ["JournalWriter", "Written"]


class Written:
    """A record handed to a `JournalWriter`; `wait()` returns once it is durable."""

    __slots__ = ("_number", "_writer")

    def __init__(self, writer: JournalWriter, number: int) -> None:
        self._writer = writer
        self._number = number

    def wait(self) -> None:
        """Block until the record is on disk; raise the error of the write that failed to put it there."""
        self._writer._wait_for(self._number)


class JournalWriter:
    """Appends to `journal` from its own thread; thread-safe. A context manager that closes on exit."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        lock = threading.Lock()
        self._has_work = threading.Condition(lock)  # the writer thread waits on this
        self._progress = threading.Condition(lock)  # callers of `wait` wait on this
        self._queued: list[JournalRecord] = []
        self._issued = 0  # records handed over so far; a record's number is its place in that order
        self._durable = 0  # records 1.._durable are on disk
        self._failure: BaseException | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if error is None:
            self.close()
        else:  # the error on its way out says more than the journal's own; still, write what can be written
            with contextlib.suppress(Exception):
                self.close()

    def write(self, record: JournalRecord) -> Written:
        """Queue `record` for the journal and return at once."""
        with self._has_work:
            if self._failure is not None:
                raise self._failure
            if self._closing:
                raise RuntimeError("the journal writer is closed")
            self._queued.append(record)
            self._issued += 1
            self._has_work.notify()
            return Written(self, self._issued)

    def close(self) -> None:
        """Write everything queued, then stop; raise the first failure any write met. Safe to call twice."""
        with self._has_work:
            self._closing = True
            self._has_work.notify()
        self._thread.join()
        if self._failure is not None:
            raise self._failure

    def _wait_for(self, number: int) -> None:
        with self._progress:
            while self._durable < number and self._failure is None:
                self._progress.wait()
            if self._durable < number and self._failure is not None:
                raise self._failure

    def _run(self) -> None:
        while True:
            with self._has_work:
                while not self._queued and not self._closing:
                    self._has_work.wait()
                if not self._queued:
                    return
                batch, self._queued = self._queued, []
            try:
                self._journal.append(*batch)
            except BaseException as error:  # handed to every waiter, and raised by close()
                with self._progress:
                    self._failure = error
                    self._progress.notify_all()
                return
            with self._progress:
                self._durable += len(batch)
                self._progress.notify_all()
