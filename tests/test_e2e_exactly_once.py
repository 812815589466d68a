"""Design §5 end to end: a start whose answer is lost never leads to a second recording, whatever follows."""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from _e2e import Workspace, meeting_id, meetings, wait_for

pytestmark = pytest.mark.e2e

# A short answer timeout keeps the wait before trusting "nothing was created" (timeout + 2 s) short.
FAST = ("--rate", "200", "--http-timeout", "2")


def one_recording_per_address(workspace: Workspace) -> None:
    per_meeting = Counter(r["meeting_id"] for r in workspace.recordings())
    assert all(count == 1 for count in per_meeting.values()), per_meeting
    assert set(workspace.state_ids().values()) == {r["id"] for r in workspace.recordings()}


@pytest.mark.parametrize("fault", ["drop-after", "5xx-after"])
def test_start_that_was_carried_out_but_not_answered_is_adopted(workspace: Workspace, fault: str) -> None:
    workspace.write_config(meetings(2))
    workspace.script("start", fault)
    first = workspace.run("apply", "--auto-approve", *FAST)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "confirmed from the API after an uncertain answer" in first.stdout
    second = workspace.run("apply", "--auto-approve", *FAST)
    assert second.returncode == 0, second.stderr
    assert workspace.counters()["requests"]["start"] == 2
    one_recording_per_address(workspace)
    assert len(workspace.recordings()) == 2


def test_a_start_answered_5xx_stays_pending_until_the_bound_then_is_started_once(workspace: Workspace) -> None:
    """A 502 may come from a gateway after the API did the work: "nothing was created" waits for the bound."""
    workspace.write_config(meetings(1))
    workspace.script("start", "5xx-before")
    first = workspace.run("apply", "--auto-approve", *FAST)
    assert first.returncode == 1
    assert "start outcome UNKNOWN" in first.stdout
    assert "the API may still act on it until" in first.stdout
    held = workspace.run("apply", "--auto-approve", *FAST)
    assert held.returncode == 0, held.stderr
    assert "held back until" in held.stdout
    assert workspace.counters()["requests"]["start"] == 1  # not started again within the bound
    workspace.inspect("POST", "advance", {"seconds": 125})  # the API's clock passes the bound
    third = workspace.run("apply", "--auto-approve", *FAST)
    assert third.returncode == 0, third.stderr
    assert "created nothing" in third.stdout
    one_recording_per_address(workspace)
    assert len(workspace.recordings()) == 1


def test_start_that_timed_out_is_resolved_once_its_recording_appears(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    workspace.inspect("PUT", "faults", {"spike_latency": 1.5})
    workspace.script("start", "latency-spike")  # the emulator creates the recording after the client gave up
    first = workspace.run("apply", "--auto-approve", *FAST, "--http-timeout", "0.5")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "start outcome UNKNOWN" in first.stdout
    workspace.wait_for_starts(1)
    second = workspace.run("apply", "--auto-approve", *FAST)
    assert second.returncode == 0, second.stderr
    assert "an uncertain start created recording" in second.stdout
    one_recording_per_address(workspace)
    assert workspace.counters()["requests"]["start"] == 1


def test_kill_during_a_start_is_resolved_by_the_next_run(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    # The emulator holds the start 3 s before carrying it out, so the run is killed while its start is in flight.
    workspace.inspect("PUT", "faults", {"spike_latency": 3})
    workspace.script("start", "latency-spike")
    process = workspace.spawn("apply", "--auto-approve", *FAST)
    try:
        # Kill once the start has reached the API (the intent was journaled before it was sent) and is not carried
        # out yet: the killed run never hears its answer.
        wait_for(lambda: workspace.starts_in_flight() == 1, "the start to reach the emulator")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert b'"intent"' in (workspace.root / "recordings.state.json.journal").read_bytes()
    wait_for(lambda: workspace.counters()["starts"] == 1, "the emulator to carry out the start the killed run sent")
    plan = workspace.run_json("plan", "--http-timeout", "2")
    assert plan["changes"][0]["actions"] == ["no-op"]  # adopted by refresh, not started again
    assert [event["kind"] for event in plan["refresh"]] == ["adopted"]
    again = workspace.run("apply", "--auto-approve", *FAST)
    assert again.returncode == 0, again.stderr
    one_recording_per_address(workspace)
    assert workspace.counters()["requests"]["start"] == 1
    assert workspace.state_ids()["m0.main"] == workspace.recordings()[0]["id"]


def test_no_refresh_holds_back_an_unresolved_start(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    workspace.state_file.with_name("recordings.state.json.journal").write_text(
        '{"kind":"intent","op":"start","address":"m0.main","meeting_id":"'
        + meeting_id(0)
        + '","time":"2026-01-01T00:00:00.000Z","fields":{},"sensitive_digest":null}\n'
    )
    document = workspace.run_json("plan", "--no-refresh")
    (change,) = document["changes"]
    assert change["actions"] == ["no-op"]
    assert "--no-refresh" in change["reason"]
    result = workspace.run("apply", "--auto-approve", "--no-refresh", *FAST)
    assert result.returncode == 0
    assert workspace.recordings() == []  # never started while the earlier start is unresolved
    assert workspace.plan_actions() == {"m0.main": ["start"]}  # resolved: nothing was created
