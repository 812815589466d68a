"""apply on a terminal (the "yes" prompt, through a pseudo-terminal) and under Ctrl-C."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from collections import Counter

import pytest

from _e2e import Workspace, meetings

FAST = ("--rate", "200", "--http-timeout", "2")


def run_on_terminal(workspace: Workspace, answer: str) -> tuple[int, str]:
    """Run `apply` with stdin and stdout on a pseudo-terminal; type `answer` at the prompt."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        workspace.command("apply", *FAST),
        cwd=workspace.root,
        env=workspace.base_env(),
        stdin=follower,
        stdout=follower,
        stderr=subprocess.PIPE,
    )
    os.close(follower)
    output = b""
    try:
        deadline = time.monotonic() + 30
        while b"Enter a value:" not in output and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.2)[0]:
                output += os.read(leader, 4096)
        os.write(leader, answer.encode() + b"\n")
        while time.monotonic() < deadline:
            if select.select([leader], [], [], 0.2)[0]:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the terminal closes when the process exits
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        return process.wait(timeout=30), output.decode(errors="replace")
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(leader)


def test_terminal_apply_asks_and_proceeds_on_yes(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    code, output = run_on_terminal(workspace, "yes")
    assert code == 0, output
    assert "Do you want to perform these actions?" in output
    assert len(workspace.recordings()) == 2


@pytest.mark.parametrize("answer", ["no", "y", ""])
def test_terminal_apply_cancels_on_anything_but_yes(workspace: Workspace, answer: str) -> None:
    workspace.write_config(meetings(2))
    code, output = run_on_terminal(workspace, answer)
    assert code == 1
    assert "Apply cancelled." in output
    assert workspace.recordings() == []


def start_slow_apply(workspace: Workspace, count: int) -> subprocess.Popen[str]:
    workspace.write_config(meetings(count))
    workspace.inspect("PUT", "faults", {"latency": 0.4})
    return workspace.spawn("apply", "--auto-approve", "--parallelism", "1", *FAST, output=subprocess.PIPE)


def wait_for_first_outcome(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if ": started " in line:
            return
    raise AssertionError("apply ended before any start")


def test_first_ctrl_c_finishes_in_flight_calls_and_saves(workspace: Workspace) -> None:
    process = start_slow_apply(workspace, 8)
    try:
        wait_for_first_outcome(process)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 1
    assert "Stopping" in stderr
    started = workspace.recordings()
    assert 1 <= len(started) < 8
    assert set(workspace.state_ids().values()) == {r["id"] for r in started}  # every started one is saved
    workspace.inspect("PUT", "faults", {"latency": 0.0})
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    assert Counter(r["meeting_id"] for r in workspace.recordings()).most_common(1)[0][1] == 1
    assert len(workspace.recordings()) == 8


def wait_for_second_start_in_flight(workspace: Workspace) -> None:
    """Until the second start has reached the emulator (which answers it 0.4 s later)."""
    deadline = time.monotonic() + 30
    while workspace.counters()["requests"].get("start", 0) < 2:
        assert time.monotonic() < deadline, "the second start never left"
        time.sleep(0.01)


def test_second_ctrl_c_exits_at_once_and_loses_nothing(workspace: Workspace) -> None:
    process = start_slow_apply(workspace, 8)
    try:
        wait_for_first_outcome(process)
        wait_for_second_start_in_flight(workspace)  # the first Ctrl-C lets it finish; the second does not wait
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 130
    workspace.wait_for_starts(2)  # the start in flight when the process left is carried out by the emulator
    # The third meeting's intent was journaled ahead, as its worker was about to take it, and the process left
    # before it could be cleared: that start is pending until the API can no longer be at work on it.
    workspace.advance(300)
    workspace.inspect("PUT", "faults", {"latency": 0.0})
    result = workspace.run("apply", "--auto-approve", *FAST)
    assert result.returncode == 0, result.stderr
    per_meeting = Counter(r["meeting_id"] for r in workspace.recordings())
    assert len(per_meeting) == 8
    assert set(per_meeting.values()) == {1}
    assert set(workspace.state_ids().values()) == {r["id"] for r in workspace.recordings()}
