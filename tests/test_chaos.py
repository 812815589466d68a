"""Chaos: many rounds of apply under mixed faults and `kill -9`, each followed by a fault-free apply.

After every round the two promises must hold: no meeting has two recordings (every configuration here declares
one per meeting), and every recording the API created is in the state. The state must stay readable throughout.

Seeded and reproducible as far as the machine's timing allows (the kill instants and fault draws are seeded; which
request a fault lands on depends on thread scheduling). Runs in CI with the defaults; a longer soak:

    RECONCILER_CHAOS_ROUNDS=200 RECONCILER_CHAOS_SEED=7 .venv/bin/pytest -m chaos -s tests/test_chaos.py
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from providers.emulator import EmulatorServer

from _e2e import TOKEN, Workspace, meeting_id

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]

ROUNDS = int(os.environ.get("RECONCILER_CHAOS_ROUNDS", "12"))
SEED = int(os.environ.get("RECONCILER_CHAOS_SEED", "20261126"))
MEETINGS_PER_ROUND = 4
FAULTS = {"429": 0.08, "5xx-before": 0.06, "5xx-after": 0.06, "drop-after": 0.06, "latency-spike": 0.04}
# Client answers time out after 0.5 s; a spike lasts 1 s, so every spike on a start makes it uncertain.
CLIENT = ("--http-timeout", "0.5", "--rate", "200", "--parallelism", "4")


def configuration(meetings: int, stopped: set[int]) -> str:
    return "\n".join(
        f'[meetings.m{n}]\nid = "{meeting_id(n)}"\n[meetings.m{n}.recordings.main]\n'
        f'status = "{"stopped" if n in stopped else "recording"}"\n'
        for n in range(meetings)
    )


def test_no_duplicate_and_no_lost_recording_under_faults_and_kills(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    figures: Counter[str] = Counter()
    with EmulatorServer(token=TOKEN, speed=0.0001, seed=SEED) as server:
        workspace = Workspace(tmp_path, server)
        stopped: set[int] = set()
        for round_number in range(ROUNDS):
            meetings = MEETINGS_PER_ROUND * (round_number + 1)
            # Some meetings of earlier rounds are declared stopped, so stops meet faults too.
            stopped |= {n for n in range(meetings - MEETINGS_PER_ROUND) if rng.random() < 0.1}
            workspace.write_config(configuration(meetings, stopped))
            workspace.inspect("PUT", "faults", {"rates": FAULTS, "spike_latency": 1.0, "retry_after": 0.2})

            figures["kills"] += run_and_maybe_kill(workspace, rng)
            figures["rounds"] += 1

            workspace.inspect("PUT", "faults", {"rates": {}})
            listed = workspace.run("state", "list", "--json")
            if listed.returncode != 0:
                figures["unreadable states"] += 1
            settle = workspace.run("apply", "--auto-approve", *CLIENT)
            assert settle.returncode == 0, f"round {round_number}: {settle.stdout}{settle.stderr}"
            check_promises(workspace, figures)

        figures["faults injected"] = sum(workspace.counters()["faults"].values())
        figures["starts sent"] = workspace.counters()["requests"].get("start", 0)

    report(figures)
    assert figures["duplicate recordings"] == 0
    assert figures["recording ids missing from state"] == 0
    assert figures["unreadable states"] == 0
    assert figures["faults injected"] > 0
    assert figures["kills"] > 0


def run_and_maybe_kill(workspace: Workspace, rng: random.Random) -> int:
    """Run a faulty apply; in about half the rounds `kill -9` it at a random instant. Returns 1 if killed."""
    kill_after = rng.uniform(0.3, 2.5) if rng.random() < 0.5 else None
    process = workspace.spawn("apply", "--auto-approve", *CLIENT)
    try:
        process.wait(timeout=kill_after if kill_after is not None else 120)
        return 0
    except subprocess.TimeoutExpired:
        process.kill()
        return 1
    finally:
        process.kill()
        process.wait(timeout=10)


def check_promises(workspace: Workspace, figures: Counter[str]) -> None:
    created = workspace.recordings()
    per_meeting = Counter(recording["meeting_id"] for recording in created)
    figures["duplicate recordings"] = sum(count - 1 for count in per_meeting.values())
    state = json.loads(workspace.state_file.read_text())
    in_state = {entry["recording_id"] for entry in state["recordings"].values()}
    figures["recording ids missing from state"] = len({r["id"] for r in created} - in_state)
    figures["recordings"] = len(created)


def report(figures: Counter[str]) -> None:
    time.sleep(0)  # keep the figures together in the output
    lines = [f"chaos (seed {SEED}):"] + [f"  {name:<34} {value}" for name, value in sorted(figures.items())]
    print("\n" + "\n".join(lines))
