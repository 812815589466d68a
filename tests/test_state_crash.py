"""The file store across processes: `kill -9` at random points, and processes racing for the lock."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from state import FileStateStore, RecordingEntry, fold

pytestmark = pytest.mark.e2e

# A writer that journals outcomes and folds or rewrites the state in a loop, until it is killed. It prints the
# number of each record once `append` has returned, that is once the record is fsynced: the acknowledgement an
# applier acts on. Records reuse 40 addresses so that the state stays small; each record's recording id is
# its number, so a later record of an address supersedes an earlier one.
WRITER = textwrap.dedent(
    """
    import random, sys
    from pathlib import Path
    from state import FileStateStore, IntentRecord, PutRecord, RecordingEntry

    path, seed, first = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    store = FileStateStore(path, tool_version="crash-test")
    print("ready", flush=True)
    number = first
    while True:
        roll = rng.random()
        if roll < 0.75:
            address = f"m{number % 4}.r{number % 40}"
            entry = RecordingEntry("m", str(number), "RECORDING", {"pad": "x" * rng.randint(0, 400)})
            if rng.random() < 0.3:
                store.append(IntentRecord(address, "m", "2026-11-01T10:00:00.000Z"))
            store.append(PutRecord(address, entry))
            print(number, flush=True)
            number += 1
        elif roll < 0.9:
            store.fold()
        else:
            state = store.read()
            beat = RecordingEntry("m", f"beat-{rng.randrange(10**9)}", "RECORDING", {"pad": "y" * 2000})
            store.write(state.with_recordings({**state.recordings, "heart.beat": beat}), expected_serial=state.serial)
    """
)


def acknowledged(output: str) -> list[int]:
    """The record numbers printed in full before the kill (a line cut by the kill has no newline)."""
    lines = output.split("\n")[:-1]
    return [int(line) for line in lines if line.isdigit()]


@pytest.mark.chaos
def test_kill_9_at_random_points_never_loses_an_acknowledged_record_or_breaks_the_state(tmp_path: Path) -> None:
    path = tmp_path / "recordings.state.json"
    rng = random.Random(20250101)
    latest: dict[str, int] = {}  # address -> the highest acknowledged record number
    next_number = 0
    rounds = 40
    for round_number in range(rounds):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(rng.randrange(1 << 30)), str(next_number)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n", child.stderr.read() if child.stderr else ""
            time.sleep(rng.uniform(0.01, 0.2))  # the behaviour under test: a kill -9 at a random point of the work
            child.send_signal(signal.SIGKILL)
            output, errors = child.communicate(timeout=30)
        finally:
            child.kill()
            child.wait(30)
        assert child.returncode == -signal.SIGKILL, errors
        numbers = acknowledged(output)
        for number in numbers:
            latest[f"m{number % 4}.r{number % 40}"] = number
        next_number = (numbers[-1] if numbers else next_number) + 100_000  # past any unacknowledged append

        store = FileStateStore(path)
        known = fold(store.read(), list(store.journal()))  # both must read: no unreadable state, ever
        for address, number in latest.items():
            assert address in known.recordings, f"round {round_number}: record {number} of {address} was lost"
            assert int(known.recordings[address].recording_id) >= number, f"round {round_number}: {address}"
    assert len(latest) == 40  # the rounds did write
    final = FileStateStore(path).fold()
    assert all(int(final.recordings[address].recording_id) >= number for address, number in latest.items())
    assert list(FileStateStore(path).journal()) == []
    # Writers killed mid-write left temp files behind; the next write clears them.
    store = FileStateStore(path)
    store.write(
        final.with_recordings({**final.recordings, "after.all": RecordingEntry("m", "r", "S")}),
        expected_serial=final.serial,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (path, store.backup_path, store.journal_path)
    )


# A worker that takes the lock, checks that no one else is inside, and adds one entry by read-modify-write.
RACER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from state import FileStateStore, RecordingEntry, hold_lock

    path, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    inside = path.with_name("inside")
    store = FileStateStore(path)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.001)
    for n in range(10):
        with hold_lock(store, f"racer {name}", timeout=60):
            try:
                marker = os.open(inside, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                print("two holders at once", flush=True)
                sys.exit(3)
            state = store.read()
            time.sleep(0.002)  # the behaviour under test: hold the lock a while, so that a second holder would show
            entry = RecordingEntry("m", f"{name}-{n}", "RECORDING")
            recordings = {**state.recordings, f"{name}.r{n}": entry}
            store.write(state.with_recordings(recordings), expected_serial=state.serial)
            os.close(marker)
            os.unlink(inside)
    """
)


def test_processes_racing_for_the_lock_never_write_at_once(tmp_path: Path) -> None:
    path, go = tmp_path / "recordings.state.json", tmp_path / "go"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(path), f"p{n}", str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    try:
        for racer in racers:  # each one is started and waits for the signal
            assert racer.stdout is not None
            assert racer.stdout.readline() == "ready\n", racer.stderr.read() if racer.stderr else ""
        go.touch()
        outcomes = [racer.communicate(timeout=120) for racer in racers]
    finally:
        for racer in racers:
            racer.kill()
            racer.wait(30)
    assert [racer.returncode for racer in racers] == [0, 0, 0], outcomes
    final = FileStateStore(path).read()
    assert (len(final.recordings), final.serial) == (30, 30)
