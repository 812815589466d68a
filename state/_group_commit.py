"""`GroupCommit`: durable appends from many threads at the cost of few fsyncs.

Threads that append while a write is in progress queue their lines; the next thread to get the write lock writes
every queued line in one `flush` (one write, one fsync) and the others find their line already durable. At ten
parallel starts this removes the queue of threads behind the journal's mutex, each waiting for its own fsync.
`append` still returns only once its line is on disk, and lines reach the file in the order they were queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["GroupCommit"]


class GroupCommit:
    """`append(line)` returns once `flush` has made `line` durable, sharing flushes between threads."""

    def __init__(self, flush: Callable[[bytes], None]) -> None:
        self._flush = flush
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._queued: list[bytes] = []
        self._issued = 0  # lines queued so far, which numbers them
        self._settled = 0  # lines 1.._settled were written, or lost in the failed batch
        self._failed: list[tuple[int, int, BaseException]] = []  # batches lost: lines (first, last], the error

    def append(self, line: bytes) -> None:
        """Return once `line`, and every line queued before it, is on disk."""
        with self._queue_lock:
            self._queued.append(line)
            self._issued += 1
            number = self._issued
        with self._write_lock:
            for first, last, error in self._failed:
                if first < number <= last:
                    raise error  # the batch that carried it failed
            if number <= self._settled:
                return  # carried by a batch another thread wrote
            with self._queue_lock:
                batch, self._queued = self._queued, []
                first, last = self._settled, self._issued
            try:
                self._flush(b"".join(batch))
            except BaseException as error:
                self._failed.append((first, last, error))  # every appender of the batch gets the error
                raise
            finally:
                self._settled = last
