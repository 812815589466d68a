"""Issue 11, end to end: a run pointed at the wrong account, app or API is refused before any request; a run whose
lock was force-unlocked stops; links beside the state are never followed; ids that could change a URL are
refused; a wrong token or app fails `plan` instead of going green. The real CLI against the emulator over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from _e2e import ACCOUNT, APP, Workspace, emulated, meetings

pytestmark = pytest.mark.e2e

FAST = ("--rate", "200")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def requests_sent(workspace: Workspace) -> int:
    return sum(workspace.counters()["requests"].values())


# --- 3. the state is bound to its account, app and API ----------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "differs"),
    [("REALTIMEKIT_APP_ID", "leftover-app", "the app differ"), ("CLOUDFLARE_ACCOUNT_ID", "0" * 32, "the account")],
)
def test_a_run_pointed_at_another_app_or_account_is_refused_before_any_request(
    workspace: Workspace, variable: str, value: str, differs: str
) -> None:
    workspace.write_config(meetings(2))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    before, sent = snapshot(workspace.root), requests_sent(workspace)
    workspace.env[variable] = value
    for command in (("plan",), ("apply", "--auto-approve"), ("refresh",), ("import", "m0.main", "x1")):
        refused = workspace.run(*command)
        assert refused.returncode == 1, command
        assert f"belongs to account {ACCOUNT}, app {APP} at {workspace.server.url}" in refused.stderr
        assert f"but this run points at account {workspace.env.get('CLOUDFLARE_ACCOUNT_ID', ACCOUNT)}" in refused.stderr
        assert differs in refused.stderr
        assert "reconciler state rebind" in refused.stderr
    assert snapshot(workspace.root) == before
    assert requests_sent(workspace) == sent
    del workspace.env[variable]
    assert workspace.plan_actions() == {"m0.main": ["no-op"], "m1.main": ["no-op"]}


def test_a_run_pointed_at_another_api_sends_it_nothing_and_a_rebind_moves_the_state(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.write_config(meetings(2))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    before = snapshot(workspace.root)
    with emulated(tmp_path / "other") as other:
        workspace.env["CLOUDFLARE_BASE_URL"] = other.server.url  # left over from an emulator session
        refused = workspace.run("plan")
        assert refused.returncode == 1
        assert "the API differ" in refused.stderr
        assert requests_sent(other) == 0
        assert snapshot(workspace.root) == before
        shown = workspace.run("show")
        assert f"# bound to account {ACCOUNT}, app {APP} at {workspace.server.url}" in shown.stdout
        rebound = workspace.run("state", "rebind")
        assert rebound.returncode == 0, rebound.stderr
        assert f"to account {ACCOUNT}, app {APP} at {other.server.url}" in rebound.stdout
        assert workspace.state()["binding"]["api"] == other.server.url
        # The new API knows none of them: nothing is taken as gone, and nothing is started twice.
        plan = workspace.run_json("plan")
        assert {event["kind"] for event in plan["refresh"]} == {"unverified"}
        assert {change["actions"][0] for change in plan["changes"]} == {"no-op"}


def test_every_recording_unknown_to_the_api_is_never_taken_as_vanished(workspace: Workspace) -> None:
    workspace.write_config(meetings(3))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    for recording in workspace.recordings():
        workspace.inspect("DELETE", f"recordings/{recording['id']}")
    plan = workspace.run_json("plan")
    assert [event["kind"] for event in plan["refresh"]] == ["unverified"] * 3
    assert {status for status in (e["status"] for e in workspace.state()["recordings"].values())} == {"INVOKED"}
    assert workspace.counters()["requests"]["start"] == 3


# --- 5. force-unlock of a live run ----------------------------------------------------------------------------


def test_a_run_whose_lock_is_force_unlocked_stops_and_nothing_is_recorded_twice(workspace: Workspace) -> None:
    workspace.write_config(meetings(10, extra="allow_multiple_recordings = true\n"))
    first = workspace.spawn("apply", "--auto-approve", "--rate", "1", "--parallelism", "1", output=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while workspace.counters()["starts"] < 2:
            assert time.monotonic() < deadline, "the first apply started nothing"
            time.sleep(0.05)
        lock_id = json.loads((workspace.root / "recordings.state.json.lock").read_text())["id"]
        refused = workspace.run("force-unlock", lock_id)
        assert refused.returncode == 1
        assert f"pid {first.pid}" in refused.stderr  # its holder is alive on this host
        assert workspace.run("force-unlock", "--force", lock_id).returncode == 0
        second = workspace.run("apply", "--auto-approve", *FAST)
        _, err = first.communicate(timeout=60)
    finally:
        first.kill()
        first.wait(timeout=10)
    assert first.returncode == 1
    assert f"this run's state lock (ID {lock_id}) was removed" in err
    assert second.returncode in (0, 1), second.stderr
    final = workspace.run("apply", "--auto-approve", *FAST)  # folds what the first run left and settles the rest
    assert final.returncode == 0, final.stdout + final.stderr
    per_meeting = Counter(r["meeting_id"] for r in workspace.recordings())
    assert len(per_meeting) == 10
    assert set(per_meeting.values()) == {1}
    assert set(workspace.state_ids().values()) == {r["id"] for r in workspace.recordings()}


# --- 6. symbolic links ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["recordings.state.json.journal", "recordings.state.json.lock", ".plan.json.tmp"])
def test_a_committed_link_beside_the_state_never_touches_its_target(workspace: Workspace, name: str) -> None:
    workspace.write_config(meetings(1))
    victim = workspace.root.parent / f"{workspace.root.name}-precious.txt"
    victim.write_text("do not touch\n")
    (workspace.root / name).symlink_to(victim)
    workspace.run("plan", "--out", "plan.json")
    workspace.run("apply", "--auto-approve", *FAST)
    assert victim.read_text() == "do not touch\n"


def test_a_linked_state_is_one_state_whichever_path_a_run_takes(workspace: Workspace, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    workspace.write_config(meetings(2))
    assert workspace.run("apply", "--auto-approve", *FAST, "--state", str(shared / "s.json")).returncode == 0
    (workspace.root / "recordings.state.json").symlink_to(shared / "s.json")
    assert workspace.plan_actions() == {"m0.main": ["no-op"], "m1.main": ["no-op"]}
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    assert (workspace.root / "recordings.state.json").is_symlink()  # not replaced by a copy
    assert not (workspace.root / "recordings.state.json.lock").exists()
    assert len(workspace.recordings()) == 2


# --- 8. identifiers that would change a URL ----------------------------------------------------------------------


def test_an_app_id_or_a_recording_id_that_is_not_a_plain_identifier_is_refused(workspace: Workspace) -> None:
    workspace.write_config(f'[provider]\napp_id = ".."\n\n{meetings(1)}')
    refused = workspace.run("validate")
    assert refused.returncode == 1
    assert "provider.app_id" in refused.stderr
    workspace.write_config(meetings(1))
    workspace.env["REALTIMEKIT_APP_ID"] = ".."
    assert workspace.run("plan").returncode == 1
    del workspace.env["REALTIMEKIT_APP_ID"]
    imported = workspace.run("import", "m0.main", "..")
    assert imported.returncode == 1
    assert "'..' is not a recording id" in imported.stderr
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    state = workspace.state()
    state["recordings"]["m0.main"]["recording_id"] = ".."
    workspace.state_file.write_text(json.dumps(state))
    damaged = workspace.run("plan")
    assert damaged.returncode == 1
    assert 'recording_id: expected an id of letters, digits, - and _, found ".."' in damaged.stderr
    assert workspace.counters()["requests"].get("control", 0) == 0


# --- 11. a wrong token, app or API never goes green ------------------------------------------------------------


def test_plan_of_an_empty_state_checks_the_token(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    workspace.env["CLOUDFLARE_API_TOKEN"] = "expired-token"
    result = workspace.run("plan", "--detailed-exitcode")
    assert result.returncode == 1
    assert "Authentication error (HTTP 401)" in result.stderr


def test_plan_of_an_empty_state_checks_that_the_app_exists(tmp_path: Path) -> None:
    with emulated(tmp_path, apps=[APP]) as workspace:
        workspace.write_config(meetings(1))
        workspace.env["REALTIMEKIT_APP_ID"] = "no-such-app"
        result = workspace.run("plan", "--detailed-exitcode")
        assert result.returncode == 1
        assert "App no-such-app not found (HTTP 404)" in result.stderr


def test_plan_of_an_empty_state_fails_when_the_api_cannot_be_reached(workspace: Workspace) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workspace.write_config(meetings(1))
    workspace.env["CLOUDFLARE_BASE_URL"] = f"http://127.0.0.1:{port}/client/v4"
    result = workspace.run("plan", "--detailed-exitcode")
    assert result.returncode == 1
    assert "cannot reach" in result.stderr
    offline = workspace.run_json("plan", "--no-refresh")  # a plan that sends nothing still works
    assert [change["actions"] for change in offline["changes"]] == [["start"]]
