"""`show`, `state list|show|rm|mv` and `force-unlock`, run as the real CLI over real state files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from state import FileStateStore, IntentRecord, RecordingEntry, hold_lock, state_document

pytestmark = pytest.mark.e2e

ALLHANDS = "97440c6a-140b-40a9-9499-b23fd7a3868a"
STANDUP = "5c0a4b4e-3f8e-4a55-9d4b-0c7f3b2a9e11"
LANDSCAPE = RecordingEntry(
    meeting_id=ALLHANDS,
    recording_id="rec-landscape",
    status="RECORDING",
    fields={"video_config": {"width": 1920, "height": 1080}, "max_seconds": 3600},
    sensitive_digest="c2FsdA$0123abcd",
    invoked_time="2025-01-01T10:00:00Z",
    updated_at="2025-01-01T10:00:05Z",
)
STANDUP_DEFAULT = RecordingEntry(STANDUP, "rec-standup", "ERRORED", {}, None, None, "2025-01-01T09:00:00Z")


def reconciler(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # No API settings at all: these commands must not need them.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLOUDFLARE_", "REALTIMEKIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=env | {"NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.fixture
def store(tmp_path: Path) -> FileStateStore:
    """A state with two recordings, and a journal of an unfinished run: a start whose outcome is unknown."""
    store = FileStateStore(tmp_path / "recordings.state.json", tool_version="0.0.1")
    state = store.read()
    store.write(
        state.with_recordings({"allhands.landscape": LANDSCAPE, "standup.default": STANDUP_DEFAULT}), expected_serial=0
    )
    store.append(IntentRecord("allhands.portrait", ALLHANDS, "2025-01-02T00:00:00Z", {"max_seconds": 60}))
    return store


# --- reading ---------------------------------------------------------------------------------------------------


def test_state_list_shows_every_address_with_the_journal_applied_and_writes_nothing(
    store: FileStateStore, tmp_path: Path
) -> None:
    before = snapshot(tmp_path)
    listed = reconciler("state", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {
            "address": "allhands.landscape",
            "meeting_id": ALLHANDS,
            "recording_id": "rec-landscape",
            "status": "RECORDING",
        },
        {"address": "allhands.portrait", "meeting_id": ALLHANDS, "recording_id": None, "status": "PENDING"},
        {"address": "standup.default", "meeting_id": STANDUP, "recording_id": "rec-standup", "status": "ERRORED"},
    ]
    table = reconciler("state", "list", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines() == [
        "ADDRESS             MEETING                               RECORDING      STATUS",
        f"allhands.landscape  {ALLHANDS}  rec-landscape  RECORDING",
        f"allhands.portrait   {ALLHANDS}  -              PENDING",
        f"standup.default     {STANDUP}  rec-standup    ERRORED",
    ]
    assert snapshot(tmp_path) == before


def test_reading_commands_on_a_missing_state_say_so_and_create_nothing(tmp_path: Path) -> None:
    assert reconciler("state", "list", "--json", cwd=tmp_path).stdout == "[]\n"
    assert reconciler("state", "list", cwd=tmp_path).stdout == "The state has no recordings.\n"
    assert reconciler("show", cwd=tmp_path).stdout == "No state.\n"
    assert list(tmp_path.iterdir()) == []


def test_state_show_prints_every_stored_field(store: FileStateStore, tmp_path: Path) -> None:
    shown = reconciler("state", "show", "allhands.landscape", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "# allhands.landscape:",
        f'    meeting_id       = "{ALLHANDS}"',
        '    recording_id     = "rec-landscape"',
        '    status           = "RECORDING"',
        "    fields           = {",
        '        "max_seconds": 3600,',
        '        "video_config": {',
        '            "height": 1080,',
        '            "width": 1920',
        "        }",
        "    }",
        '    sensitive_digest = "c2FsdA$0123abcd"',
        '    invoked_time     = "2025-01-01T10:00:00Z"',
        '    updated_at       = "2025-01-01T10:00:05Z"',
    ]
    document = json.loads(reconciler("state", "show", "allhands.portrait", "--json", cwd=tmp_path).stdout)
    assert document == {
        "address": "allhands.portrait",
        "recording": None,
        "pending": {
            "meeting_id": ALLHANDS,
            "time": "2025-01-02T00:00:00Z",
            "fields": {"max_seconds": 60},
            "sensitive_digest": None,
            "api_time": None,
        },
    }
    pending = reconciler("state", "show", "allhands.portrait", cwd=tmp_path).stdout
    assert "a start sent at 2025-01-02T00:00:00Z has no known outcome yet" in pending


def test_an_unknown_address_is_refused_with_a_hint(store: FileStateStore, tmp_path: Path) -> None:
    shown = reconciler("state", "show", "allhands.landscap", cwd=tmp_path)
    assert shown.returncode == 1
    assert shown.stdout == ""
    assert shown.stderr == (
        f"Error: allhands.landscap is not in the state {store.path.name}; did you mean allhands.landscape?\n"
    )
    far = reconciler("state", "show", "zzz.qqq", cwd=tmp_path)
    assert "run `reconciler state list` to see its addresses" in far.stderr


def test_show_prints_the_whole_state(store: FileStateStore, tmp_path: Path) -> None:
    document = json.loads(reconciler("show", "--json", cwd=tmp_path).stdout)
    known = FileStateStore(store.path).read()
    assert document == state_document(known) | {
        "pending": {
            "allhands.portrait": {
                "meeting_id": ALLHANDS,
                "time": "2025-01-02T00:00:00Z",
                "fields": {"max_seconds": 60},
                "sensitive_digest": None,
                "api_time": None,
            }
        }
    }
    human = reconciler("show", cwd=tmp_path).stdout
    assert human.startswith(f"# state {store.path.name}: serial 1, lineage {known.lineage}\n")
    for address in ("# allhands.landscape:", "# allhands.portrait:", "# standup.default:"):
        assert address in human


def test_the_state_is_found_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "recordings.toml").write_text('[state]\npath = "states/prod.json"\n')
    (tmp_path / "states").mkdir()
    store = FileStateStore(tmp_path / "states" / "prod.json")
    store.write(store.read().with_recordings({"allhands.landscape": LANDSCAPE}), expected_serial=0)
    listed = reconciler("state", "list", "--json", "-c", "recordings.toml", cwd=tmp_path)
    assert [row["address"] for row in json.loads(listed.stdout)] == ["allhands.landscape"]


@pytest.mark.parametrize("with_backup", [True, False])
def test_a_damaged_state_is_an_error_not_a_traceback(store: FileStateStore, tmp_path: Path, with_backup: bool) -> None:
    if with_backup:
        store.fold()  # a second generation: the first one is kept as the backup
    store.path.write_bytes(store.path.read_bytes()[:50])
    before = snapshot(tmp_path)
    for command in (["state", "list"], ["show"], ["state", "rm", "allhands.landscape"]):
        result = reconciler(*command, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.startswith(f"Error: the state {store.path.name} is damaged: it stops in the middle")
        restore = f"restore the previous generation from {store.path.name}.backup"
        assert (restore in result.stderr) == with_backup  # never advice to restore a backup that is not there
        assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


# --- editing ---------------------------------------------------------------------------------------------------


def test_state_rm_folds_the_journal_keeps_a_backup_and_removes(store: FileStateStore, tmp_path: Path) -> None:
    removed = reconciler("state", "rm", "standup.default", "--json", cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout) == {
        "removed": ["standup.default"],
        "serial": 3,
        "backup": str(store.backup_path.name),
    }
    after = store.read()
    assert sorted(after.recordings) == ["allhands.landscape"]
    assert sorted(after.pending) == ["allhands.portrait"]  # the journal was folded in first
    assert list(store.journal()) == []
    backup = FileStateStore(store.backup_path).read()  # the generation just before the edit: journal folded
    assert (backup.serial, sorted(backup.recordings), sorted(backup.pending)) == (
        2,
        ["allhands.landscape", "standup.default"],
        ["allhands.portrait"],
    )


def test_state_rm_of_a_start_in_flight_warns_that_its_recording_may_be_untracked(
    store: FileStateStore, tmp_path: Path
) -> None:
    removed = reconciler("state", "rm", "allhands.portrait", "allhands.landscape", cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines() == [
        "Removed allhands.portrait",
        "Removed allhands.landscape",
        f"Removed 2 addresses from the state (serial 3; the previous generation is in {store.backup_path.name}). "
        "No API call was made: recordings keep running.",
    ]
    assert "Warning: allhands.portrait had a start in flight" in removed.stderr
    assert "`reconciler import allhands.portrait RECORDING_ID`" in removed.stderr
    assert sorted(store.read().recordings) == ["standup.default"]


def test_state_rm_with_one_unknown_address_changes_nothing(store: FileStateStore, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    removed = reconciler("state", "rm", "standup.default", "allhands.landscap", cwd=tmp_path)
    assert removed.returncode == 1
    assert "allhands.landscap is not in the state" in removed.stderr
    assert "did you mean allhands.landscape?" in removed.stderr
    assert snapshot(tmp_path) == before


def test_state_mv_renames_an_address(store: FileStateStore, tmp_path: Path) -> None:
    moved = reconciler("state", "mv", "allhands.landscape", "allhands.wide", cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout == (
        f"Moved allhands.landscape to allhands.wide (serial 3; the previous generation is in "
        f"{store.backup_path.name}).\n"
    )
    after = store.read()
    assert after.recordings["allhands.wide"] == LANDSCAPE
    assert "allhands.landscape" not in after.recordings
    pending = reconciler("state", "mv", "allhands.portrait", "allhands.tall", "--json", cwd=tmp_path)
    assert json.loads(pending.stdout)["moved"] == {"from": "allhands.portrait", "to": "allhands.tall"}
    assert store.read().pending["allhands.tall"].fields == {"max_seconds": 60}


@pytest.mark.parametrize(
    ("source", "destination", "says"),
    [
        ("allhands.landscape", "standup.default", "standup.default is already in the state"),
        ("allhands.landscape", "allhands.portrait", "allhands.portrait is already in the state"),
        ("allhands.nothing", "allhands.other", "allhands.nothing is not in the state"),
        ("allhands.landscape", "no-dot", "'no-dot' is not an address: expected MEETING.RECORDING"),
        ("allhands.landscape", "a.b.c", "'a.b.c' is not an address"),
        ("allhands.landscape", "allhands.landscape", "cannot be moved to itself"),
    ],
    ids=["taken", "taken-by-a-start-in-flight", "unknown-source", "not-an-address", "too-many-dots", "itself"],
)
def test_state_mv_refusals_change_nothing(
    store: FileStateStore, tmp_path: Path, source: str, destination: str, says: str
) -> None:
    before = snapshot(tmp_path)
    moved = reconciler("state", "mv", source, destination, cwd=tmp_path)
    assert moved.returncode == 1
    assert says in moved.stderr
    assert snapshot(tmp_path) == before


def test_edits_wait_for_the_lock_then_name_its_holder(store: FileStateStore, tmp_path: Path) -> None:
    with hold_lock(FileStateStore(store.path), "apply") as holder:
        before = snapshot(tmp_path)
        removed = reconciler("state", "rm", "standup.default", "--lock-timeout", "0.2", cwd=tmp_path)
        assert snapshot(tmp_path) == before
    assert removed.returncode == 1
    waiting, refused = removed.stderr.splitlines()
    assert waiting.startswith(
        f"Waiting for the state lock held by {holder.who}@{holder.host} (pid {holder.pid}, operation apply, since "
        f"{holder.created}, lock ID {holder.id}), for state rm, until "
    )
    assert refused == (
        f"Error: the state {store.path.name} is locked by {holder.who}@{holder.host} (pid {holder.pid}, operation "
        f"apply) since {holder.created}, lock ID {holder.id}; wait for it with --lock-timeout SECONDS, or, if that "
        f"process is gone or stuck, run `reconciler force-unlock {holder.id}`"
    )


def test_force_unlock_frees_a_stuck_lock_given_its_id(store: FileStateStore, tmp_path: Path) -> None:
    assert reconciler("force-unlock", "whatever", cwd=tmp_path).stderr == (
        f"Error: the state {store.path.name} is not locked; nothing to unlock\n"
    )
    with hold_lock(FileStateStore(store.path), "apply") as stuck:
        wrong = reconciler("force-unlock", "not-the-id", cwd=tmp_path)
        assert wrong.returncode == 1
        assert (
            f"lock ID not-the-id is not the lock of the state {store.path.name}: it is locked with lock ID {stuck.id}"
            in (wrong.stderr)
        )
        assert store.lock_path.exists()
        alive = reconciler("force-unlock", stuck.id, cwd=tmp_path)  # its holder, this test, is running here
        assert alive.returncode == 1
        assert f"pid {os.getpid()}" in alive.stderr
        assert f"`reconciler force-unlock --force {stuck.id}`" in alive.stderr
        assert store.lock_path.exists()
        unlocked = reconciler("force-unlock", "--force", stuck.id, cwd=tmp_path)
        assert unlocked.returncode == 0, unlocked.stderr
        assert unlocked.stdout.startswith(f"Lock {stuck.id} removed: the state {store.path.name} is unlocked.")
        assert not store.lock_path.exists()
        removed = reconciler("state", "rm", "standup.default", cwd=tmp_path)  # while the stuck holder lives on
        assert removed.returncode == 0, removed.stderr
    assert "standup.default" not in store.read().recordings
