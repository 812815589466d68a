"""Two and four applies started at once on one state: never two writers, never a duplicate recording."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest

from _e2e import Workspace, meetings

pytestmark = pytest.mark.e2e

MEETINGS = 6


def race(workspace: Workspace, runners: int, *extra: str) -> list[tuple[int, str]]:
    """Start `runners` applies at once; return (exit code, stderr) of each."""
    workspace.write_config(meetings(MEETINGS))
    workspace.inspect("PUT", "faults", {"latency": 0.4})  # a run lasts over a second: the others start meanwhile
    command = ("apply", "--auto-approve", "--rate", "200", "--parallelism", "2", *extra)
    processes = [workspace.spawn(*command, output=subprocess.PIPE) for _ in range(runners)]
    results = []
    try:
        for process in processes:
            _, stderr = process.communicate(timeout=120)
            results.append((process.returncode, stderr))
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=10)
    return results


def assert_one_recording_per_meeting(workspace: Workspace) -> None:
    per_meeting = Counter(r["meeting_id"] for r in workspace.recordings())
    assert len(per_meeting) == MEETINGS
    assert set(per_meeting.values()) == {1}
    assert workspace.counters()["requests"]["start"] == MEETINGS
    assert set(workspace.state_ids().values()) == {r["id"] for r in workspace.recordings()}


@pytest.mark.parametrize("runners", [2, 4])
def test_losers_fail_with_the_lock_message(workspace: Workspace, runners: int) -> None:
    results = race(workspace, runners)
    codes = sorted(code for code, _ in results)
    assert codes == [0] + [1] * (runners - 1)
    for code, stderr in results:
        if code == 1:
            assert "locked by" in stderr
            assert "force-unlock" in stderr
    assert_one_recording_per_meeting(workspace)


@pytest.mark.parametrize("runners", [2, 4])
def test_with_lock_timeout_they_take_turns(workspace: Workspace, runners: int) -> None:
    results = race(workspace, runners, "--lock-timeout", "60")
    assert [code for code, _ in results] == [0] * runners, results
    assert_one_recording_per_meeting(workspace)
