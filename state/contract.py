"""The contract every `StateStore` keeps, as pytest tests that any store's test module imports and runs.

    from state.contract import *  # noqa: F403  (the tests, and the helpers they use)

    @pytest.fixture(params=["file", "memory", "postgresql"])
    def handles(request) -> Callable[[], StateStore]:
        ...  # a function that opens a new handle on one and the same (empty) state each time it is called

Every test takes that `handles` fixture (or `store`, one handle). What is asserted is what the planner and the
applier rely on: compare-and-swap, serials, folds, the journal's order, the lock and force-unlock. Nothing here
names a command or a flag: the messages a store gives are its own.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

import pytest

from state._errors import LockHolderAliveError, LockLostError, LockNotFoundError, StaleStateError, StateLockedError
from state._locking import hold_lock
from state._model import (
    ClearRecord,
    IntentRecord,
    JournalRecord,
    PendingStart,
    PutRecord,
    RecordingEntry,
    State,
    fold,
)
from state._protocol import LockInfo, StateStore

MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"


def entry(recording_id: str, status: str = "RECORDING", **fields: object) -> RecordingEntry:
    return RecordingEntry(
        meeting_id=MEETING,
        recording_id=recording_id,
        status=status,
        fields=fields,
        sensitive_digest=None,
        invoked_time="2025-01-01T00:00:00Z",
        updated_at="2025-01-01T00:00:01Z",
    )


@pytest.fixture
def store(handles: Callable[[], StateStore]) -> StateStore:
    return handles()


def announced_by(announced: list[tuple[LockInfo | None, float]]) -> Callable[[LockInfo | None, float], None]:
    return lambda holder, seconds: announced.append((holder, seconds))


def seeded(store: StateStore, **recordings: RecordingEntry) -> State:
    return store.write(store.read().with_recordings(recordings), expected_serial=0)


# --- read and write --------------------------------------------------------------------------------------------


def test_a_missing_state_reads_as_new_and_empty(store: StateStore) -> None:
    state = store.read()
    assert (state.serial, dict(state.recordings), dict(state.pending)) == (0, {}, {})
    assert uuid.UUID(state.lineage).version == 4


def test_write_then_read_gives_back_the_same_state(store: StateStore) -> None:
    nested = entry("rec-1", max_seconds=3600, video_config={"codec": "H264", "watermark": {"size": {"width": 5}}})
    state = store.read()
    state = State(
        lineage=state.lineage,
        recordings={"allhands.landscape": nested, "standup.default": entry("rec-2", "ERRORED")},
        pending={"allhands.portrait": PendingStart(MEETING, "2025-01-02T00:00:00Z", {"max_seconds": 60}, "s$d")},
    )
    written = store.write(state, expected_serial=0)
    read = store.read()
    assert read == written
    assert (read.serial, read.tool_version, read.lineage) == (1, "9.9", state.lineage)
    assert read.same_content(state)


def test_serial_bumps_by_one_only_when_the_content_changes(store: StateStore) -> None:
    first = seeded(store, **{"a.b": entry("rec-1")})
    assert first.serial == 1
    same = store.write(State(lineage=first.lineage, recordings={"a.b": entry("rec-1")}), expected_serial=1)
    assert same.serial == 1
    assert store.read().serial == 1
    changed = store.write(first.with_recordings({"a.b": entry("rec-1", "UPLOADED")}), expected_serial=1)
    assert changed.serial == 2
    assert store.read().recordings["a.b"].status == "UPLOADED"


def test_an_empty_state_is_not_worth_writing(store: StateStore) -> None:
    state = store.read()
    assert store.write(state, expected_serial=0).serial == 0
    assert store.read().serial == 0


def test_the_first_fold_stores_the_state_so_its_lineage_is_fixed(handles: Callable[[], StateStore]) -> None:
    first = handles().fold()
    assert (first.serial, dict(first.recordings)) == (0, {})
    assert handles().read().lineage == first.lineage == handles().fold().lineage


def test_a_stale_compare_and_swap_is_refused(handles: Callable[[], StateStore]) -> None:
    seeded(handles(), **{"a.b": entry("rec-1")})
    first, second = handles(), handles()
    mine, theirs = first.read(), second.read()
    first.write(mine.with_recordings({**mine.recordings, "a.c": entry("rec-2")}), expected_serial=mine.serial)
    with pytest.raises(StaleStateError, match="changed by another run"):
        second.write(theirs.with_recordings({**theirs.recordings, "a.d": entry("rec-3")}), expected_serial=1)
    now = second.read()
    assert (now.serial, sorted(now.recordings)) == (2, ["a.b", "a.c"])


def test_a_state_of_another_lineage_is_refused(store: StateStore) -> None:
    seeded(store, **{"a.b": entry("rec-1")})
    stranger = State(lineage=str(uuid.uuid4()), recordings={"x.y": entry("rec-9")})
    with pytest.raises(StaleStateError, match="another lineage"):
        store.write(stranger, expected_serial=1)
    assert sorted(store.read().recordings) == ["a.b"]


def test_expecting_a_serial_of_a_state_that_does_not_exist_is_refused(store: StateStore) -> None:
    with pytest.raises(StaleStateError, match="no longer exists"):
        store.write(State(lineage=str(uuid.uuid4()), recordings={"a.b": entry("rec-1")}), expected_serial=3)
    assert store.read().serial == 0


# --- journal and fold ------------------------------------------------------------------------------------------

RECORDS: list[JournalRecord] = [
    IntentRecord("a.b", MEETING, "2025-01-02T00:00:00Z", {"max_seconds": 60}, "salt$digest"),
    PutRecord("a.b", entry("rec-1", max_seconds=60)),
    IntentRecord("a.c", MEETING, "2025-01-02T00:00:01Z"),
    ClearRecord("a.c", "the API refused the start"),
    PutRecord("a.d", entry("rec-2")),
    IntentRecord("a.e", MEETING, "2025-01-02T00:00:02Z"),
]


def test_the_journal_gives_back_every_record_in_order(store: StateStore) -> None:
    assert list(store.journal()) == []
    for record in RECORDS:
        store.append(record)
    assert list(store.journal()) == RECORDS


def test_records_appended_together_come_back_in_order_and_nothing_is_a_no_op(store: StateStore) -> None:
    store.append()
    assert list(store.journal()) == []
    store.append(*RECORDS[:2])
    store.append(*RECORDS[2:])
    assert list(store.journal()) == RECORDS


def test_fold_applies_the_journal_writes_once_and_empties_it(store: StateStore) -> None:
    base = seeded(store, **{"old.one": entry("rec-0")})
    for record in RECORDS:
        store.append(record)
    folded = store.fold()
    assert folded.same_content(fold(base, RECORDS))
    assert sorted(folded.recordings) == ["a.b", "a.d", "old.one"]
    assert sorted(folded.pending) == ["a.e"]
    assert (folded.serial, folded.lineage) == (2, base.lineage)
    assert store.read() == folded
    assert list(store.journal()) == []


def test_fold_of_an_empty_journal_changes_nothing(store: StateStore) -> None:
    base = seeded(store, **{"a.b": entry("rec-1")})
    assert store.fold() == base
    assert store.read().serial == 1


def test_fold_creates_the_state_when_there_was_none(store: StateStore) -> None:
    store.append(PutRecord("a.b", entry("rec-1")))
    folded = store.fold()
    assert (folded.serial, sorted(folded.recordings)) == (1, ["a.b"])
    assert store.read() == folded


def test_fold_again_after_a_crash_between_write_and_truncate_is_harmless(store: StateStore) -> None:
    seeded(store, **{"old.one": entry("rec-0")})
    for record in RECORDS:
        store.append(record)
    # A fold that died after writing the state and before emptying the journal: the records are in both.
    before = store.read()
    crashed = store.write(fold(before, list(store.journal())), expected_serial=before.serial)
    assert list(store.journal()) == RECORDS
    store.append(PutRecord("a.f", entry("rec-3")))  # the next run journals more before it folds
    refolded = store.fold()
    assert refolded.same_content(fold(crashed, [PutRecord("a.f", entry("rec-3"))]))
    assert refolded.serial == crashed.serial + 1
    assert store.fold().serial == refolded.serial  # and once more: nothing left to change


# --- lock ------------------------------------------------------------------------------------------------------


def test_the_lock_names_its_owner(store: StateStore) -> None:
    with hold_lock(store, "apply") as info:
        assert (info.operation, info.pid) == ("apply", os.getpid())
        assert uuid.UUID(info.id)
        assert info.who
        assert info.host
        assert datetime.fromisoformat(info.created).tzinfo is not None


def test_a_second_locker_is_refused_with_the_holders_name(handles: Callable[[], StateStore]) -> None:
    holder, other = handles(), handles()
    with hold_lock(holder, "apply") as info, pytest.raises(StateLockedError) as refused:
        other.try_lock("plan")
    assert refused.value.holder == info
    message = str(refused.value)
    assert f"(pid {info.pid}, operation apply) since {info.created}, lock ID {info.id}" in message
    assert "reconciler" not in message.replace(f"{info.who}@", "")  # the store names no command
    with hold_lock(other, "plan"):  # released at the end of the block
        pass


def test_the_lock_is_released_when_the_block_raises(store: StateStore) -> None:
    with pytest.raises(RuntimeError), hold_lock(store, "apply"):
        raise RuntimeError("boom")
    with hold_lock(store, "apply"):
        pass


def test_a_waiter_gives_up_after_its_timeout(handles: Callable[[], StateStore]) -> None:
    holder, other = handles(), handles()
    announced: list[tuple[LockInfo | None, float]] = []
    with hold_lock(holder, "apply") as info:
        started = time.monotonic()
        with (
            pytest.raises(StateLockedError),
            hold_lock(other, "plan", timeout=0.3, on_wait=lambda *a: announced.append(a)),
        ):
            pass
        waited = time.monotonic() - started
    assert 0.3 <= waited < 3
    assert len(announced) == 1  # said once, before waiting: who holds it, and for how long the wait may last
    assert announced[0][0] == info
    assert 0 < announced[0][1] <= 0.3


def test_a_waiter_gets_the_lock_when_the_holder_lets_go_in_time(handles: Callable[[], StateStore]) -> None:
    holder, other = handles(), handles()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with hold_lock(holder, "apply"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(10)
        threading.Timer(0.2, release.set).start()
        started = time.monotonic()
        with hold_lock(other, "plan", timeout=10) as info:
            assert info.operation == "plan"
        assert time.monotonic() - started >= 0.15
    finally:
        release.set()
        thread.join(10)


def test_threads_taking_turns_under_the_lock_lose_no_update(handles: Callable[[], StateStore]) -> None:
    failures: list[BaseException] = []

    def worker(name: str) -> None:
        store = handles()
        try:
            for n in range(10):
                with hold_lock(store, f"worker {name}", timeout=20):
                    state = store.read()
                    recordings = {**state.recordings, f"{name}.r{n}": entry(f"{name}-{n}")}
                    store.write(state.with_recordings(recordings), expected_serial=state.serial)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    final = handles().read()
    assert (len(final.recordings), final.serial) == (30, 30)


def test_force_unlock_needs_the_current_lock_id(handles: Callable[[], StateStore]) -> None:
    holder, rescuer, next_run = handles(), handles(), handles()
    with pytest.raises(LockNotFoundError, match="not locked"):
        rescuer.force_unlock("no-such-lock")
    with hold_lock(holder, "apply") as stuck:
        with pytest.raises(LockNotFoundError, match=f"lock ID wrong-id is not .*{stuck.id}"):
            rescuer.force_unlock("wrong-id")
        with pytest.raises(StateLockedError):  # the wrong id changed nothing
            next_run.try_lock("plan")
        with pytest.raises(LockHolderAliveError, match=f"lock {stuck.id} is held by a process that is still running"):
            rescuer.force_unlock(stuck.id)  # its holder (this process) is running: refused, nothing changed
        holder.check_lock(stuck.id)
        rescuer.force_unlock(stuck.id, force=True)
        with pytest.raises(LockLostError, match=stuck.id):
            holder.check_lock(stuck.id)  # the stuck run learns it before its next request
        taken = next_run.try_lock("plan")
    holder.unlock(stuck.id)  # the stuck holder ends while the next run holds the lock: that lock must still hold
    try:
        with pytest.raises(StateLockedError) as refused:
            handles().try_lock("refresh")
        assert refused.value.holder == taken
    finally:
        next_run.unlock(taken.id)
    with hold_lock(handles(), "refresh"):
        pass


def test_a_run_that_lost_its_lock_cannot_fold_over_the_next_runs_state(handles: Callable[[], StateStore]) -> None:
    """The final fold of a run is compare-and-swap: after another run wrote, its records stay in the journal."""
    first, second = handles(), handles()
    with hold_lock(first, "apply") as held:
        read = first.fold()
        first.append(PutRecord("a.b", entry("rec-1")))
        first.force_unlock(held.id, force=True)
        with hold_lock(second, "apply"):
            after = second.fold()  # the next run folds the journal so far, and writes
            second.append(PutRecord("a.c", entry("rec-2")))
        with pytest.raises(StaleStateError):
            first.fold(expected_serial=read.serial)
    assert [record.address for record in second.journal()] == ["a.c"]  # left for the next fold
    assert set(second.fold(expected_serial=after.serial).recordings) == {"a.b", "a.c"}
