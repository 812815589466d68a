"""How fast the file state store is on a 100,000-entry state, and what a journal record costs (issue 4).
Prints figures; not a test.

Figures (best of --runs; the machine may be shared, and the best run is the one least disturbed):
- write: a first write of the whole state (encode, temp file, fsync, rename, fsync the folder);
- read: `read()`, every entry checked;
- write, no change: `write()` of what was read (the compare-and-swap re-reads the file; nothing is written);
- fold: `fold()` of --records journal records into the state (one read, one write, journal emptied);
- journal: bytes per record and fsynced appends per second, measured on the large state; the state file must
  not be touched by appends (its inode and mtime are checked);
- for comparison, the same document read with pydantic (`TypeAdapter.validate_json`) instead of the hand-written
  checks, to show why the codec does not use it per entry.

Run: `.venv/bin/python benchmarks/bench_state.py [--entries N] [--records N] [--runs N]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from state import FileStateStore, PutRecord, RecordingEntry, State

from _common import best_of


def entries(count: int) -> dict[str, RecordingEntry]:
    """Entries shaped like real ones: a few nested start fields, a digest, times, ids."""
    made = {}
    for index in range(count):
        made[f"meeting-{index // 2:05d}.{'landscape' if index % 2 else 'portrait'}"] = RecordingEntry(
            meeting_id=str(uuid.UUID(int=index + 1, version=4)),
            recording_id=str(uuid.UUID(int=10**12 + index, version=4)),
            status="UPLOADED" if index % 3 else "RECORDING",
            fields={
                "allow_multiple_recordings": True,
                "max_seconds": 3600,
                "video_config": {"codec": "H264", "width": 1920, "height": 1080},
                "storage_config": {"type": "aws", "bucket": "recordings", "region": "us-east-1"},
            },
            sensitive_digest="c2FsdHNhbHRzYWx0$" + "0f" * 32,
            invoked_time="2025-01-01T10:00:00.000Z",
            updated_at="2025-01-01T10:05:00+00:00",
        )
    return made


def pydantic_read(path: Path) -> Callable[[], object]:
    from pydantic import TypeAdapter

    adapter = TypeAdapter(dict[str, RecordingEntry])
    data = path.read_bytes()
    start = data.index(b'"recordings":') + len(b'"recordings":')
    section = data[start : data.index(b"\n},\n", start) + 2]
    return lambda: adapter.validate_json(section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    recordings = entries(options.entries)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recordings.state.json"
        store = FileStateStore(path, tool_version="bench")
        lineage = store.read().lineage
        serial = 0

        def first_write() -> None:
            nonlocal serial
            path.unlink(missing_ok=True)
            serial = store.write(State(lineage=lineage, recordings=recordings), expected_serial=0).serial

        write_time = best_of(options.runs, first_write)
        read_time = best_of(options.runs, store.read)
        state = store.read()
        unchanged_time = best_of(options.runs, lambda: store.write(state, expected_serial=serial))

        before = path.stat()
        record = PutRecord("meeting-00000.landscape", next(iter(recordings.values())))
        started = time.perf_counter()
        for _ in range(options.records):
            store.append(record)
        append_time = time.perf_counter() - started
        journal_bytes = store.journal_path.stat().st_size
        after = path.stat()
        untouched = (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
        started = time.perf_counter()
        folded = store.fold()
        fold_time = time.perf_counter() - started
        assert folded.serial == serial + 1

        pydantic_time = best_of(options.runs, pydantic_read(path))

        print(f"state of {options.entries:,} entries: {path.stat().st_size / 1e6:.1f} MB")
        print(f"  write (first):        {write_time:6.2f} s")
        print(f"  read:                 {read_time:6.2f} s")
        print(f"  write, no change:     {unchanged_time:6.2f} s")
        print(f"  fold of {options.records:,} records: {fold_time:6.2f} s")
        print(f"  read with pydantic:   {pydantic_time:6.2f} s  (recordings only, for comparison)")
        print(f"journal: {journal_bytes / options.records:.0f} bytes per record, whatever the state's size")
        print(f"  appends (fsynced):    {options.records / append_time:6.0f} /s")
        print(f"  state file untouched by appends: {'yes' if untouched else 'NO'}")


if __name__ == "__main__":
    main()
