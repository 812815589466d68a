"""Issue 11, end to end: the ways a start whose outcome is unknown could still lead to a second recording or a lost
recording ID, each with the exact outcome (one recording per address, every recording of ours in state or reported
with the command that stops it). The real CLI against the emulator over HTTP."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from _e2e import ACCOUNT, APP, TOKEN, Workspace, emulated, meeting_id, meetings

pytestmark = pytest.mark.e2e

FAST = ("--rate", "200")
MULTIPLE = "allow_multiple_recordings = true\n"


def ours(workspace: Workspace) -> list[dict[str, object]]:
    """The recordings the emulator holds that a token started (not a person in the meeting, not record-on-start)."""
    return [
        r for r in workspace.recordings() if r["started_by"] == {"reason": "API_CALL", "caller_type": "ORGANIZATION"}
    ]


def assert_one_per_address(workspace: Workspace) -> None:
    per_meeting = Counter(r["meeting_id"] for r in ours(workspace))
    assert set(per_meeting.values()) <= {1}, per_meeting
    assert set(workspace.state_ids().values()) == {r["id"] for r in ours(workspace)}


# --- 1. a start slower than the client's timeout ------------------------------------------------------------------


def test_a_start_slower_than_the_timeout_is_pending_never_restarted_then_adopted(workspace: Workspace) -> None:
    workspace.write_config(meetings(1, extra=MULTIPLE))
    workspace.inspect("PUT", "faults", {"spike_latency": 6})
    workspace.script("start", "latency-spike")  # the API carries the start out 6 s later, after the client gave up
    first = workspace.run("apply", "--auto-approve", *FAST, "--http-timeout", "1")
    assert first.returncode == 1
    assert "start outcome UNKNOWN" in first.stdout
    assert "the API may still act on it until" in first.stdout
    held = workspace.run("apply", "--auto-approve", *FAST, "--http-timeout", "1")  # while the API is still at work
    assert held.returncode == 0, held.stderr
    assert "held back until" in held.stdout
    assert workspace.counters()["requests"]["start"] == 1
    workspace.wait_for_starts(1)
    adopted = workspace.run("apply", "--auto-approve", *FAST)
    assert adopted.returncode == 0, adopted.stderr
    assert "an uncertain start created recording" in adopted.stdout
    assert workspace.counters()["requests"]["start"] == 1
    assert_one_per_address(workspace)
    assert len(workspace.recordings()) == 1


def late_start(workspace: Workspace) -> None:
    """A start the API carries out 6 s late, then the API's clock moved past the bound: the next refresh
    concludes that it created nothing, and its recording appears afterwards."""
    workspace.write_config(meetings(1, extra=MULTIPLE))
    workspace.inspect("PUT", "faults", {"spike_latency": 6})
    workspace.script("start", "latency-spike")
    assert workspace.run("apply", "--auto-approve", *FAST, "--http-timeout", "1").returncode == 1
    workspace.advance(125)
    concluded = workspace.run_json("plan", "--http-timeout", "1")
    assert [event["kind"] for event in concluded["refresh"]] == ["none-created"]
    assert workspace.state()["suspects"][0]["address"] == "m0.main"


def test_a_recording_created_after_the_bound_is_adopted_when_its_address_has_none(workspace: Workspace) -> None:
    late_start(workspace)
    workspace.wait_for_starts(1)
    plan = workspace.run_json("plan")
    assert [event["kind"] for event in plan["refresh"]] == ["late-adopted"]
    assert plan["changes"][0]["actions"] == ["no-op"]
    assert_one_per_address(workspace)


def test_a_recording_created_after_the_bound_beside_a_new_one_is_reported_with_its_stop_command(
    workspace: Workspace,
) -> None:
    late_start(workspace)
    again = workspace.run("apply", "--auto-approve", *FAST)  # "nothing was created": started again, as it may be
    assert again.returncode == 0, again.stderr
    workspace.wait_for_starts(2)
    [late] = [r["id"] for r in workspace.recordings() if r["id"] not in workspace.state_ids().values()]
    reported = workspace.run("plan")
    assert reported.returncode == 0, reported.stderr
    assert f"recording {late} of meeting {meeting_id(0)} is not tracked by any address" in reported.stdout
    command = re.search(r"curl -X PUT '([^']+)'", reported.stdout)
    assert command is not None, reported.stdout
    assert command[1] == f"{workspace.server.url}/accounts/{ACCOUNT}/realtime/kit/{APP}/recordings/{late}"
    stopped = httpx.put(command[1], json={"action": "stop"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert stopped.json()["data"]["status"] == "UPLOADING"  # the command does what it says


# --- 2. the API's clock is not the local one ------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-180, -600, 600])
def test_a_lost_answer_is_resolved_on_the_apis_clock(tmp_path: Path, offset: float) -> None:
    with emulated(tmp_path, clock_offset=offset) as workspace:
        workspace.write_config(meetings(1, extra=MULTIPLE))
        workspace.script("start", "drop-after")
        result = workspace.run("apply", "--auto-approve", *FAST)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "confirmed from the API after an uncertain answer" in result.stdout
        again = workspace.run("apply", "--auto-approve", *FAST)
        assert again.returncode == 0, again.stderr
        assert workspace.counters()["requests"]["start"] == 1
        assert_one_per_address(workspace)


# --- 4. someone else's recording of the same meeting --------------------------------------------------------------


def test_a_recording_started_in_the_meetings_ui_is_never_taken_for_ours(workspace: Workspace) -> None:
    workspace.write_config(meetings(1, extra=MULTIPLE))
    theirs = workspace.start_elsewhere(meeting_id(0))  # the host presses "record" in the meeting
    workspace.script("start", "drop-after")
    result = workspace.run("apply", "--auto-approve", *FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert workspace.state_ids()["m0.main"] != theirs
    workspace.write_config(meetings(1, status="stopped", extra=MULTIPLE))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    statuses = {r["id"]: r["status"] for r in workspace.recordings()}
    assert statuses[theirs] == "INVOKED"  # theirs keeps going (statuses stand still in this emulator)
    assert statuses[workspace.state_ids()["m0.main"]] == "UPLOADING"  # ours was stopped


def test_two_candidates_adopt_neither_until_the_user_says_which_with_import(workspace: Workspace) -> None:
    workspace.write_config(meetings(1, extra=MULTIPLE))
    other_script = workspace.start_elsewhere(meeting_id(0), caller="ORGANIZATION")  # another team's token
    workspace.script("start", "drop-after")
    result = workspace.run("apply", "--auto-approve", *FAST)
    assert result.returncode == 1
    assert "none is adopted" in result.stdout
    assert "reconciler import m0.main RECORDING_ID" in result.stdout
    assert workspace.state_ids() == {}
    plan = workspace.run_json("plan")
    [event] = plan["refresh"]
    assert event["kind"] == "ambiguous"
    [mine] = [r["id"] for r in workspace.recordings() if r["id"] != other_script]
    assert other_script in event["message"]
    assert mine in event["message"]
    assert plan["changes"][0]["actions"] == ["no-op"]  # nothing started meanwhile
    imported = workspace.run("import", "m0.main", mine)
    assert imported.returncode == 0, imported.stderr
    assert workspace.state_ids() == {"m0.main": mine}
    assert workspace.state()["pending"] == {}
    assert workspace.plan_actions() == {"m0.main": ["no-op"]}
    assert workspace.counters()["requests"]["start"] == 1


def test_a_list_answer_with_another_meetings_recording_is_not_trusted(workspace: Workspace) -> None:
    workspace.write_config(meetings(2, extra=MULTIPLE))
    assert workspace.run("apply", "--auto-approve", *FAST, "--target", "m1.main").returncode == 0
    workspace.script("start", "5xx-before")  # nothing created for m0 ...
    workspace.script("list", "unfiltered")  # ... and the list that should tell also shows m1's recording
    result = workspace.run("apply", "--auto-approve", *FAST, "--target", "m0.main")
    assert result.returncode == 1
    assert "start outcome UNKNOWN" in result.stdout
    assert "m0.main" not in workspace.state_ids()


# --- 7. nothing to wait for -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["drop-after", "5xx-after"])
def test_a_recording_found_is_adopted_at_once_without_waiting_for_the_timeout(workspace: Workspace, fault: str) -> None:
    workspace.write_config(meetings(1))
    workspace.script("start", fault)
    began = time.monotonic()
    result = workspace.run("apply", "--auto-approve", *FAST)  # the default --http-timeout: 30 s
    elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    assert "confirmed from the API after an uncertain answer" in result.stdout
    assert elapsed < 10, f"apply took {elapsed:.1f} s: it waited for nothing"


# --- 9. the first Ctrl-C ----------------------------------------------------------------------------------------


def test_after_the_first_ctrl_c_nothing_that_had_not_left_is_sent(workspace: Workspace) -> None:
    workspace.write_config(meetings(20))
    process = workspace.spawn("apply", "--auto-approve", "--rate", "2", output=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while workspace.counters()["requests"].get("start", 0) < 3:
            assert time.monotonic() < deadline, "apply sent no start"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        at_interrupt = workspace.counters()["requests"]["start"]
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 1
    assert "Stopping" in stderr
    sent = workspace.counters()["requests"]["start"]
    assert sent <= at_interrupt + 1, f"{sent - at_interrupt} starts left after the first Ctrl-C"
    assert set(workspace.state_ids().values()) == {r["id"] for r in workspace.recordings()}


# --- 10. a recording id the API knows under another meeting ------------------------------------------------------


def test_a_state_recording_id_that_the_api_reports_under_another_meeting_is_not_counted_present(
    workspace: Workspace,
) -> None:
    workspace.write_config(meetings(2))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    state = workspace.state()
    m0, m1 = state["recordings"]["m0.main"], state["recordings"]["m1.main"]
    m0["recording_id"] = m1["recording_id"]  # as a restarted API that handed out the same ids would have it
    workspace.state_file.write_text(__import__("json").dumps(state))
    plan = workspace.run_json("plan")
    kinds = {event["address"]: event["kind"] for event in plan["refresh"]}
    assert kinds == {"m0.main": "foreign"}
    assert {change["address"]: change["actions"] for change in plan["changes"]} == {
        "m0.main": ["start"],
        "m1.main": ["no-op"],
    }
