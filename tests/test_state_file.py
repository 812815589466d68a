"""What only the file store does: files, modes, backups, atomic replacement, torn journals, damaged input."""

from __future__ import annotations

import itertools
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from state import (
    FileStateStore,
    IntentRecord,
    JournalError,
    PutRecord,
    RecordingEntry,
    StateError,
    StateFileError,
    StateLockedError,
    hold_lock,
)
from state._records import encode_record

MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"


def entry(recording_id: str, **fields: object) -> RecordingEntry:
    return RecordingEntry(
        MEETING, recording_id, "RECORDING", fields, None, "2025-01-01T00:00:00Z", "2025-01-01T00:00:01Z"
    )


@pytest.fixture
def store(tmp_path: Path) -> FileStateStore:
    return FileStateStore(tmp_path / "recordings.state.json", tool_version="9.9")


def put(store: FileStateStore, address: str, recording_id: str) -> None:
    state = store.read()
    store.write(state.with_recordings({**state.recordings, address: entry(recording_id)}), expected_serial=state.serial)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave files readable by all: the store must not rely on the user's umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_reading_creates_nothing(store: FileStateStore, tmp_path: Path) -> None:
    store.read()
    assert list(store.journal()) == []
    assert list(tmp_path.iterdir()) == []
    store.write(store.read(), expected_serial=0)  # an empty state is not worth a file
    assert not store.path.exists()


def test_a_missing_state_folder_is_made_by_the_first_write(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "states" / "prod" / "recordings.state.json")
    assert store.read().serial == 0
    assert list(tmp_path.iterdir()) == []
    with hold_lock(store, "apply"):
        put(store, "a.b", "rec-1")
    assert store.read().recordings["a.b"].recording_id == "rec-1"


@pytest.mark.usefixtures("open_umask")
def test_every_file_is_private(store: FileStateStore) -> None:
    put(store, "a.b", "rec-1")
    put(store, "a.c", "rec-2")
    store.append(PutRecord("a.d", entry("rec-3")))
    with hold_lock(store, "apply"):
        assert mode(store.lock_path) == 0o600
    for path in (store.path, store.backup_path, store.journal_path):
        assert mode(path) == 0o600, path


def test_the_backup_is_the_generation_before_the_last_write(store: FileStateStore) -> None:
    put(store, "a.b", "rec-1")
    assert not store.backup_path.exists()
    first = store.path.read_bytes()
    put(store, "a.c", "rec-2")
    assert store.backup_path.read_bytes() == first
    second = store.path.read_bytes()
    store.append(PutRecord("a.d", entry("rec-3")))
    store.fold()
    assert store.backup_path.read_bytes() == second


def test_a_failed_write_leaves_the_state_as_it_was(store: FileStateStore, tmp_path: Path) -> None:
    put(store, "a.b", "rec-1")
    before = snapshot(tmp_path)
    state = store.read()
    unstorable = state.with_recordings({"a.c": entry("rec-2", when=object())})
    with pytest.raises(TypeError, match="only JSON values"):
        store.write(unstorable, expected_serial=state.serial)
    assert snapshot(tmp_path) == before  # no temp file left either


def test_the_next_write_removes_the_temp_files_of_a_writer_killed_mid_write(
    store: FileStateStore, tmp_path: Path
) -> None:
    put(store, "a.b", "rec-1")
    debris = [tmp_path / f".{store.path.name}.{'ab' * 16}.tmp", tmp_path / f".{store.path.name}.backup.{'cd' * 16}.tmp"]
    unrelated = tmp_path / f".{store.path.name}.mine.tmp"
    for path in [*debris, unrelated]:
        path.write_bytes(b"half a state")
    put(store, "a.c", "rec-2")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [store.path.name, store.backup_path.name, store.journal_path.name, unrelated.name]
    )


def test_a_reader_never_sees_a_half_written_state(store: FileStateStore) -> None:
    put(store, "a.b", "rec-1")
    problems: list[BaseException] = []
    serials: list[int] = []
    done = threading.Event()

    def read_in_a_loop() -> None:
        reader = FileStateStore(store.path)
        while not done.is_set():
            try:
                serials.append(reader.read().serial)
            except BaseException as error:
                problems.append(error)
                return
            # Hand the GIL over: a reader that never lets go of it starves the writer's syscalls (1.5-25 s for
            # 60 writes); real readers are other processes. It still reads between every two writes.
            time.sleep(0)

    thread = threading.Thread(target=read_in_a_loop)
    thread.start()
    try:
        for n in range(60):
            state = store.read()
            padding = {f"pad.{i}": entry(f"rec-{n}-{i}", note="x" * 200) for i in range(20)}
            store.write(state.with_recordings({**state.recordings, **padding}), expected_serial=state.serial)
    finally:
        done.set()
        thread.join(10)
    assert problems == []
    assert len(set(serials)) > 1  # it read while the writes went on
    assert serials == sorted(serials)


def test_a_lock_file_left_by_a_dead_process_does_not_lock(store: FileStateStore) -> None:
    # flock is released by the OS when its holder dies; the file and its owner's name may stay behind.
    store.lock_path.write_text('{"id":"old","operation":"apply","who":"x","host":"y","pid":1,"created":"t"}')
    with hold_lock(store, "plan", timeout=0) as info:
        assert info.operation == "plan"
    assert not store.lock_path.exists()


def test_force_unlock_hands_the_lock_to_the_next_run(store: FileStateStore) -> None:
    with hold_lock(store, "apply") as stuck:
        store.force_unlock(stuck.id, force=True)
        assert not store.lock_path.exists()
        next_run = FileStateStore(store.path)
        with hold_lock(next_run, "plan") as taken:
            pass
        with hold_lock(next_run, "refresh") as current:
            assert current.id != taken.id
            held = store.lock_path.read_bytes()
    assert b"refresh" in held


def test_a_lock_file_with_no_owner_is_reported_as_such(store: FileStateStore) -> None:
    with hold_lock(store, "apply"):
        store.lock_path.write_bytes(b"")  # as if the holder died between taking the lock and naming itself
        with pytest.raises(StateLockedError, match="left no owner information") as refused:
            hold_lock(FileStateStore(store.path), "plan", timeout=0).__enter__()
    assert refused.value.holder is None


# --- the journal -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entries", [10, 3000], ids=["small-state", "large-state"])
def test_the_journal_costs_the_same_bytes_per_record_whatever_the_states_size(
    store: FileStateStore, entries: int
) -> None:
    state = store.read()
    store.write(state.with_recordings({f"m.r{i}": entry(f"rec-{i}") for i in range(entries)}), expected_serial=0)
    before = store.path.stat()
    sizes = [0]
    for n in range(50):
        store.append(PutRecord(f"m.r{n % 7}", entry(f"new-{n:04d}")))
        sizes.append(store.journal_path.stat().st_size)
    growth = {later - earlier for earlier, later in itertools.pairwise(sizes)}
    assert growth == {len(encode_record(PutRecord("m.r0", entry("new-0000"))))}
    assert max(growth) < 1024
    after = store.path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)


def test_a_torn_last_line_is_skipped_and_cut_before_the_next_append(store: FileStateStore) -> None:
    first, second, third = (PutRecord(f"a.r{n}", entry(f"rec-{n}")) for n in range(3))
    store.append(first)
    store.append(second)
    with store.journal_path.open("ab") as journal:
        journal.write(encode_record(third)[:25])  # a crash in the middle of an append
    torn = store.journal_path.read_bytes()
    assert list(store.journal()) == [first, second]
    assert store.journal_path.read_bytes() == torn  # reading repairs nothing
    store.append(third)
    assert list(store.journal()) == [first, second, third]
    assert store.journal_path.read_bytes() == b"".join(encode_record(r) for r in (first, second, third))
    assert sorted(store.fold().recordings) == ["a.r0", "a.r1", "a.r2"]


BAD_JOURNALS: dict[str, Callable[[bytes, bytes], bytes]] = {
    "garbage": lambda good, other: good + b"#!~ not a record\n" + other,
    "truncated-record": lambda good, other: good + other[:30] + b"\n" + other,
    "blank-line": lambda good, other: good + b"\n" + other,
    "unknown-kind": lambda good, other: good + b'{"kind":"stop","address":"a.b"}\n' + other,
}


@pytest.mark.parametrize("make", BAD_JOURNALS.values(), ids=BAD_JOURNALS.keys())
def test_a_damaged_journal_line_is_refused_and_nothing_changes(
    store: FileStateStore, tmp_path: Path, make: Callable[[bytes, bytes], bytes]
) -> None:
    put(store, "a.b", "rec-1")
    good = encode_record(PutRecord("a.c", entry("rec-2")))
    other = encode_record(IntentRecord("a.d", MEETING, "2025-01-02T00:00:00Z"))
    store.journal_path.write_bytes(make(good, other))
    before = snapshot(tmp_path)
    for attempt in (lambda: list(store.journal()), store.fold):
        with pytest.raises(JournalError) as refused:
            attempt()
        assert refused.value.line == 2
        assert f"the journal {store.journal_path} is damaged at record 2" in str(refused.value)
    assert snapshot(tmp_path) == before


# --- a damaged state file --------------------------------------------------------------------------------------

VALID = (
    b'{"format_version":1,"lineage":"8f4fe2a1-214e-4297-8810-73c43cfc3948","serial":3,"tool_version":"0.1.0",\n'
    b'"recordings":{\n"a.b":{"fields":{"max_seconds":60},"invoked_time":null,"meeting_id":"m","recording_id":"r",'
    b'"sensitive_digest":null,"status":"RECORDING","updated_at":"t"}\n},\n'
    b'"pending":{\n"a.c":{"fields":{},"meeting_id":"m","sensitive_digest":null,"time":"2026-11-01T10:00:00.000Z"}\n}}\n'
)

BAD_STATES: dict[str, tuple[bytes, str]] = {
    "not-json": (b"{this is not json}", "not valid JSON (line 1 column 2"),
    "truncated": (VALID[: len(VALID) // 2], "stops in the middle of the document, at line 3 (truncated?)"),
    "truncated-after-a-key": (VALID[: VALID.index(b'"serial"') + 9], "at line 1 (truncated?)"),
    "empty": (b"", "is damaged: empty"),
    "not-utf8": (b'{"format_version":1,"lineage":"\xff"}', "not UTF-8 text (byte 31)"),
    "not-an-object": (b"[1, 2]", "the document: expected an object, found an array"),
    "no-format-version": (b'{"serial": 1}', "no format_version"),
    "newer-format-version": (
        VALID.replace(b'"format_version":1', b'"format_version":3'),
        "newer than this reconciler reads",
    ),
    "format-version-text": (
        VALID.replace(b'"format_version":1', b'"format_version":"1"'),
        "format_version: expected 1",
    ),
    "serial-text": (VALID.replace(b'"serial":3', b'"serial":"3"'), "serial: expected a whole number"),
    "serial-negative": (VALID.replace(b'"serial":3', b'"serial":-1'), "serial: expected a whole number"),
    "lineage-empty": (VALID.replace(b'"lineage":"8f4fe2a1-214e-4297-8810-73c43cfc3948"', b'"lineage":""'), "lineage"),
    "unknown-top-key": (VALID.replace(b'"serial":3', b'"serial":3,"extra":1'), "the document: unknown extra"),
    "recordings-list": (VALID.replace(b'"recordings":{\n"a.b"', b'"recordings":[],"x":{\n"a.b"'), "unknown x"),
    "status-number": (VALID.replace(b'"status":"RECORDING"', b'"status":7'), 'recordings["a.b"].status: expected a'),
    "fields-list": (VALID.replace(b'"fields":{"max_seconds":60}', b'"fields":[]'), 'recordings["a.b"].fields'),
    "entry-missing-key": (VALID.replace(b'"recording_id":"r",', b""), 'recordings["a.b"]: missing recording_id'),
    "entry-unknown-key": (VALID.replace(b'"status":"RECORDING"', b'"status":"RECORDING","x":1'), "unknown x"),
    "digest-number": (VALID.replace(b'"invoked_time":null', b'"invoked_time":5'), "an ISO 8601 time"),
    "invoked-time-not-a-time": (
        VALID.replace(b'"invoked_time":null', b'"invoked_time":"yesterday"'),
        'expected an ISO 8601 time, found "yesterday"',
    ),
    "pending-missing-time": (VALID.replace(b',"time":"2026-11-01T10:00:00.000Z"', b""), 'pending["a.c"]: missing time'),
}


@pytest.mark.parametrize(("data", "says"), BAD_STATES.values(), ids=BAD_STATES.keys())
def test_a_damaged_state_is_refused_naming_the_file_and_nothing_changes(
    store: FileStateStore, tmp_path: Path, data: bytes, says: str
) -> None:
    store.path.write_bytes(data)
    store.journal_path.write_bytes(encode_record(PutRecord("a.z", entry("rec-9"))))
    before = snapshot(tmp_path)
    for attempt in (store.read, store.fold, lambda: put(store, "a.y", "rec-8")):
        with pytest.raises(StateFileError) as refused:
            attempt()
        message = str(refused.value)
        assert str(store.path) in message
        assert says in message
        assert "Nothing was changed" in message
    assert snapshot(tmp_path) == before


def test_a_write_over_a_state_damaged_since_it_was_read_is_refused(store: FileStateStore, tmp_path: Path) -> None:
    put(store, "a.b", "rec-1")
    state = store.read()
    store.path.write_bytes(store.path.read_bytes()[:40])
    before = snapshot(tmp_path)
    with pytest.raises(StateError, match="truncated"):
        store.write(state.with_recordings({"a.c": entry("rec-2")}), expected_serial=state.serial)
    assert snapshot(tmp_path) == before
