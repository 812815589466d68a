"""`JournalWriter`: order, durability before `wait` returns, batching, and what a failed write does."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from reconciler._journal_writer import JournalWriter
from state import ClearRecord, JournalRecord, MemoryStateStore


def clear(n: int) -> ClearRecord:
    return ClearRecord(f"m{n}.r", reason=str(n))


class GatedJournal:
    """A journal whose appends block until `gate` opens; records what each append carried."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.appends: list[tuple[JournalRecord, ...]] = []
        self.fail_with: BaseException | None = None

    def append(self, *records: JournalRecord) -> None:
        self.entered.set()
        assert self.gate.wait(5)
        if self.fail_with is not None:
            raise self.fail_with
        self.appends.append(records)

    def journal(self) -> Any:
        return iter([record for batch in self.appends for record in batch])


def test_records_reach_the_journal_in_the_order_they_were_written() -> None:
    store = MemoryStateStore()
    with JournalWriter(store) as writer:
        for n in range(50):
            writer.write(clear(n))
    assert list(store.journal()) == [clear(n) for n in range(50)]


def test_wait_returns_only_once_the_record_is_on_disk() -> None:
    journal = GatedJournal()
    writer = JournalWriter(journal)
    written = writer.write(clear(1))
    waited = threading.Event()
    waiter = threading.Thread(target=lambda: (written.wait(), waited.set()))
    waiter.start()
    assert journal.entered.wait(5)
    assert not waited.wait(0.1)  # the append is still in progress
    journal.gate.set()
    assert waited.wait(5)
    waiter.join()
    writer.close()
    assert journal.appends == [(clear(1),)]


def test_records_written_during_an_append_share_the_next_one() -> None:
    journal = GatedJournal()
    writer = JournalWriter(journal)
    writer.write(clear(0))
    assert journal.entered.wait(5)  # the first append is in progress: the next records queue behind it
    handles = [writer.write(clear(n)) for n in range(1, 11)]
    journal.gate.set()
    for handle in handles:
        handle.wait()
    writer.close()
    assert journal.appends == [(clear(0),), tuple(clear(n) for n in range(1, 11))]


def test_a_failed_write_reaches_every_waiter_later_writes_and_close() -> None:
    journal = GatedJournal()
    journal.fail_with = OSError(28, "No space left on device")
    writer = JournalWriter(journal)
    first, second = writer.write(clear(1)), writer.write(clear(2))
    journal.gate.set()
    for handle in (first, second):
        with pytest.raises(OSError, match="No space left"):
            handle.wait()
    with pytest.raises(OSError, match="No space left"):
        writer.write(clear(3))
    with pytest.raises(OSError, match="No space left"):
        writer.close()
    assert journal.appends == []


def test_close_writes_what_is_queued_and_can_be_called_again() -> None:
    store = MemoryStateStore()
    writer = JournalWriter(store)
    writer.write(clear(1))
    writer.close()
    writer.close()
    assert list(store.journal()) == [clear(1)]
    with pytest.raises(RuntimeError, match="closed"):
        writer.write(clear(2))


def test_leaving_on_an_error_still_writes_what_is_queued_and_keeps_that_error() -> None:
    store = MemoryStateStore()

    def run_into_a_bug() -> None:
        with JournalWriter(store) as writer:
            writer.write(clear(1))
            raise KeyError("a bug elsewhere")

    with pytest.raises(KeyError):
        run_into_a_bug()
    assert list(store.journal()) == [clear(1)]
