"""Every row of design §4's table, end to end: the real CLI against the emulator over HTTP.

Recordings are started by a first apply, moved to each status in the emulator, then the configuration declares
the wanted status; the plan must show the table's action, and apply must make exactly those calls.
"""

from __future__ import annotations

import pytest

from _e2e import Workspace, meeting_id

pytestmark = pytest.mark.e2e

# meeting number: (status forced in the emulator, or None for never started / "VANISH" for forgotten by the API,
#                  declared status, expected actions)
ROWS: dict[int, tuple[str | None, str, list[str]]] = {
    0: (None, "recording", ["start"]),
    1: ("ERRORED", "recording", ["start"]),
    2: ("VANISH", "recording", ["start"]),
    3: ("PAUSED", "recording", ["resume"]),
    4: ("RECORDING", "recording", ["no-op"]),
    5: ("INVOKED", "recording", ["no-op"]),
    6: ("UPLOADING", "recording", ["no-op"]),
    7: ("UPLOADED", "recording", ["no-op"]),
    8: ("RECORDING", "paused", ["pause"]),
    9: ("INVOKED", "paused", ["no-op"]),
    10: (None, "paused", ["no-op"]),
    11: ("PAUSED", "paused", ["no-op"]),
    12: ("UPLOADING", "paused", ["no-op"]),
    13: ("UPLOADED", "paused", ["no-op"]),
    14: ("INVOKED", "stopped", ["stop"]),
    15: ("RECORDING", "stopped", ["stop"]),
    16: ("PAUSED", "stopped", ["stop"]),
    17: (None, "stopped", ["no-op"]),
    18: ("UPLOADED", "stopped", ["no-op"]),
    19: ("ERRORED", "stopped", ["no-op"]),
    20: ("UPLOADING", "stopped", ["no-op"]),
    21: ("ERRORED", "paused", ["no-op"]),
}
UNDECLARED = 22  # recording, then removed from the file: forget, and it keeps running


def config(statuses: dict[int, str]) -> str:
    return "\n".join(
        f'[meetings.m{n}]\nid = "{meeting_id(n)}"\n[meetings.m{n}.recordings.main]\nstatus = "{status}"\n'
        for n, status in statuses.items()
    )


def test_every_row_of_the_decision_table(workspace: Workspace) -> None:
    started = [n for n, (forced, _, _) in ROWS.items() if forced is not None] + [UNDECLARED]
    workspace.write_config(config(dict.fromkeys(started, "recording")))
    first = workspace.run("apply", "--auto-approve", "--rate", "200")
    assert first.returncode == 0, first.stderr
    ids = {address.split(".")[0]: rid for address, rid in workspace.state_ids().items()}
    assert len(ids) == len(started)

    for n, (forced, _, _) in ROWS.items():
        if forced == "VANISH":
            workspace.inspect("DELETE", f"recordings/{ids[f'm{n}']}")
        elif forced is not None:
            workspace.set_status(ids[f"m{n}"], forced)
    workspace.set_status(ids[f"m{UNDECLARED}"], "RECORDING")
    workspace.write_config(config({n: declared for n, (_, declared, _) in ROWS.items()}))

    document = workspace.run_json("plan")
    actions = {change["address"]: change["actions"] for change in document["changes"]}
    expected = {f"m{n}.main": wanted for n, (_, _, wanted) in ROWS.items()} | {f"m{UNDECLARED}.main": ["forget"]}
    assert actions == expected
    assert all(change["reason"] for change in document["changes"])
    assert document["summary"]["start"] == 3
    assert document["summary"]["forget"] == 1

    before = workspace.counters()["requests"]
    applied = workspace.run("apply", "--auto-approve", "--rate", "200")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    after = workspace.counters()["requests"]
    assert after.get("start", 0) - before.get("start", 0) == 3
    assert after.get("control", 0) - before.get("control", 0) == 5  # 1 resume, 1 pause, 3 stops

    by_meeting = {r["meeting_id"]: r for r in workspace.recordings()}  # the newest recording of each meeting
    assert by_meeting[meeting_id(3)]["status"] == "RECORDING"
    assert by_meeting[meeting_id(8)]["status"] == "PAUSED"
    assert all(by_meeting[meeting_id(n)]["status"] in {"UPLOADING", "UPLOADED"} for n in (14, 15, 16))
    assert by_meeting[meeting_id(UNDECLARED)]["status"] == "RECORDING"  # forgetting never stops
    assert f"m{UNDECLARED}.main" not in workspace.state_ids()
    for n in (0, 1, 2):
        assert workspace.state_ids()[f"m{n}.main"] == by_meeting[meeting_id(n)]["id"]

    # A second apply right after a successful one sends no start, pause, resume or stop.
    again = workspace.run("apply", "--auto-approve", "--rate", "200")
    assert again.returncode == 0, again.stderr
    assert "No changes." in again.stdout
    final = workspace.counters()["requests"]
    assert final.get("start", 0) == after.get("start", 0)
    assert final.get("control", 0) == after.get("control", 0)


def test_plan_detailed_exitcode(workspace: Workspace) -> None:
    workspace.write_config(config({0: "recording"}))
    assert workspace.run("plan", "--detailed-exitcode").returncode == 2
    assert workspace.run("plan").returncode == 0
    assert workspace.run("apply", "--auto-approve", "--rate", "200").returncode == 0
    assert workspace.run("plan", "--detailed-exitcode").returncode == 0


def test_no_refresh_plans_without_calling_the_api(workspace: Workspace) -> None:
    workspace.write_config(config({0: "recording"}))
    assert workspace.run("apply", "--auto-approve", "--rate", "200").returncode == 0
    (recording,) = workspace.recordings()
    workspace.set_status(recording["id"], "ERRORED")
    before = workspace.counters()["requests"]
    assert workspace.plan_actions("--no-refresh") == {"m0.main": ["no-op"]}  # the state does not know yet
    assert workspace.counters()["requests"] == before
    assert workspace.plan_actions() == {"m0.main": ["start"]}  # a refresh learns it errored
