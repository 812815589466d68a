"""Messages that read right (issue 14, item 8), each through the real CLI."""

from __future__ import annotations

import json

import pytest

from state import FileStateStore, RecordingEntry, State

from _e2e import Workspace, meeting_id, meetings

pytestmark = pytest.mark.e2e

FAST = ("--rate", "200")


def snapshot(workspace: Workspace) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(workspace.root.iterdir()) if path.is_file()}


def test_config_flag_given_twice_or_empty_is_refused(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    twice = workspace.run("validate", "-c", "recordings.toml", "-c", "other.toml")
    assert twice.returncode == 1
    assert "-c given twice (recordings.toml and other.toml): give it once" in twice.stderr
    empty = workspace.run("validate", "-c", "")
    assert empty.returncode == 1
    assert "-c needs a path, found an empty one" in empty.stderr


def test_plan_out_naming_a_folder_names_that_folder(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    (workspace.root / "plans").mkdir()
    result = workspace.run("plan", "--out", "plans")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: --out plans is a folder: name a file, such as plans/plan.json")
    assert ".tmp" not in result.stderr
    assert list((workspace.root / "plans").iterdir()) == []


def test_a_state_entry_with_an_unknown_status_is_refused(workspace: Workspace) -> None:
    store = FileStateStore(workspace.state_file)
    store.write(
        State(store.read().lineage, recordings={"m0.main": RecordingEntry(meeting_id(0), "rec-0", "RECORDING")}),
        expected_serial=0,
    )
    document = workspace.state()
    document["recordings"]["m0.main"]["status"] = "WEIRD\x1b[2J"
    workspace.state_file.write_text(json.dumps(document))
    for command in (("state", "list"), ("show",), ("plan", "--no-refresh")):
        workspace.write_config(meetings(1))
        result = workspace.run(*command)
        assert result.returncode == 1, command
        assert 'recordings["m0.main"].status: expected a recording status (ERRORED, INVOKED, PAUSED' in result.stderr
        assert 'found "WEIRD\\u001b[2J"' in result.stderr
        assert "\x1b" not in result.stderr


def test_a_meeting_key_as_target_gets_a_hint(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    document = workspace.run_json("plan", "--target", "m1")
    assert document["warnings"] == [
        "--target m1 matches no declared or recorded address; addresses are MEETING.RECORDING: did you mean "
        "--target 'm1.*'?"
    ]


def test_a_key_renamed_without_moved_is_pointed_out(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    recording = workspace.state_ids()["m0.main"]
    workspace.write_config(meetings(1).replace("recordings.main]", "recordings.landscape]"))
    result = workspace.run("plan")
    assert result.returncode == 0
    assert (
        f"Warning: m0.landscape starts a recording of meeting {meeting_id(0)}, while m0.main (no longer declared) "
        f"is dropped from the state with recording {recording} (INVOKED) of the same meeting. If m0.main was "
        'renamed, add [[moved]] from = "m0.main" to = "m0.landscape" to keep that recording'
    ) in result.stdout


def test_plan_without_refresh_writes_nothing_and_takes_no_lock(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    assert workspace.run("apply", "--auto-approve", "--target", "m0.main", *FAST).returncode == 0
    before = snapshot(workspace)
    requests = workspace.counters()["requests"]
    result = workspace.run("plan", "--no-refresh")
    assert result.returncode == 0, result.stderr
    assert "Plan: 1 to start" in result.stdout
    assert snapshot(workspace) == before  # no lock file made, nothing folded or written: a read-only folder will do
    assert workspace.counters()["requests"] == requests


def test_no_suggestion_of_an_address_given_in_the_same_command(workspace: Workspace) -> None:
    store = FileStateStore(workspace.state_file)
    entries = {f"{key}.default": RecordingEntry(meeting_id(n), f"rec-{n}", "UPLOADED") for n, key in enumerate("ab")}
    store.write(State(store.read().lineage, recordings=entries), expected_serial=0)
    result = workspace.run("state", "rm", "b.defaul", "b.default")
    assert result.returncode == 1
    assert "b.defaul is not in the state" in result.stderr
    assert "did you mean b.default?" not in result.stderr


def test_a_move_is_told_once_and_no_changes_after_drift_says_so(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    renamed = meetings(1).replace("recordings.main]", "recordings.landscape]")
    workspace.write_config(renamed + '\n[[moved]]\nfrom = "m0.main"\nto = "m0.landscape"\n')
    moved = workspace.run("apply", "--auto-approve", *FAST)
    assert "m0.landscape: moved from m0.main" in moved.stdout
    assert "moved: moved" not in moved.stdout
    workspace.write_config(renamed.replace("max_seconds = 3600", "max_seconds = 7200"))
    drifted = workspace.run("plan")
    assert "max_seconds: 3600 → 7200" in drifted.stdout
    assert "No changes. 0 declared recordings match the state; 1 is unchanged with a note (above)." in drifted.stdout


def test_one_plan_writes_statuses_in_one_case(workspace: Workspace) -> None:
    workspace.write_config(meetings(2, status="paused"))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    result = workspace.run("plan")
    assert 'declared status = "paused", and a paused recording is never started' in result.stdout
    assert "declared paused" not in result.stdout
