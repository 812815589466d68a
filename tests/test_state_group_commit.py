"""`GroupCommit`: every line written exactly once and in queue order, flushes shared, failures reported."""

from __future__ import annotations

import threading
import time

import pytest

from state._group_commit import GroupCommit


def test_concurrent_appends_share_flushes_and_keep_each_threads_order() -> None:
    written: list[bytes] = []
    flushes = [0]

    def flush(data: bytes) -> None:
        time.sleep(0.002)  # an fsync's worth: appenders pile up meanwhile
        written.append(data)
        flushes[0] += 1

    journal = GroupCommit(flush)

    def appender(thread: int) -> None:
        for index in range(50):
            journal.append(f"{thread}:{index}\n".encode())

    threads = [threading.Thread(target=appender, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = b"".join(written).decode().splitlines()
    assert sorted(lines) == sorted(f"{t}:{i}" for t in range(8) for i in range(50))
    for thread in range(8):
        mine = [int(line.split(":")[1]) for line in lines if line.startswith(f"{thread}:")]
        assert mine == list(range(50))
    assert flushes[0] < 400  # shared: far fewer flushes than lines


def test_append_returns_only_after_its_line_is_flushed() -> None:
    flushed: list[bytes] = []
    journal = GroupCommit(flushed.append)
    journal.append(b"one\n")
    assert flushed == [b"one\n"]


def test_a_failed_flush_fails_every_appender_of_its_batch_and_not_later_ones() -> None:
    attempts = [0]

    def flush(data: bytes) -> None:
        attempts[0] += 1
        if attempts[0] == 1:
            raise OSError("disk full")

    journal = GroupCommit(flush)
    with pytest.raises(OSError, match="disk full"):
        journal.append(b"lost\n")
    journal.append(b"kept\n")  # a new batch: written
    assert attempts[0] == 2
