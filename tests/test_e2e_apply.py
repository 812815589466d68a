"""plan, apply, refresh and import end to end: replace, moved, target, saved plans, refusals, partial failure."""

from __future__ import annotations

import json

import pytest

from _e2e import Workspace, meeting_id, meetings

pytestmark = pytest.mark.e2e

FAST = ("--rate", "200")


def apply(workspace: Workspace, *args: str) -> None:
    result = workspace.run("apply", "--auto-approve", *FAST, *args)
    assert result.returncode == 0, result.stdout + result.stderr


def test_replace_stops_and_starts_again(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    apply(workspace)
    old = workspace.state_ids()["m0.main"]
    workspace.set_status(old, "RECORDING")
    assert workspace.plan_actions("--replace", "m0.main") == {"m0.main": ["stop", "start"]}
    apply(workspace, "--replace", "m0.main")
    new = workspace.state_ids()["m0.main"]
    assert new != old
    statuses = {r["id"]: r["status"] for r in workspace.recordings()}
    assert statuses[old] in {"UPLOADING", "UPLOADED"}
    assert statuses[new] == "INVOKED"


def test_moved_keeps_the_recording_and_sends_nothing(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    apply(workspace)
    recording_id = workspace.state_ids()["m0.main"]
    renamed = meetings(1).replace("recordings.main]", "recordings.landscape]")
    workspace.write_config(renamed + '\n[[moved]]\nfrom = "m0.main"\nto = "m0.landscape"\n')
    document = workspace.run_json("plan")
    (change,) = document["changes"]
    assert change["actions"] == ["move"]
    assert change["address"] == "m0.landscape"
    assert change["recording_id"] == recording_id
    before = workspace.counters()["requests"]
    apply(workspace)
    assert workspace.state_ids() == {"m0.landscape": recording_id}
    after = workspace.counters()["requests"]
    assert after.get("start", 0) == before.get("start", 0)
    assert after.get("control", 0) == before.get("control", 0)


def test_target_limits_plan_and_apply(workspace: Workspace) -> None:
    workspace.write_config(meetings(3))
    assert workspace.plan_actions("--target", "m1.*") == {"m1.main": ["start"]}
    apply(workspace, "--target", "m1.main")
    assert list(workspace.state_ids()) == ["m1.main"]
    assert len(workspace.recordings()) == 1


def test_import_adopts_an_existing_recording(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    client_args = {"meeting_id": meeting_id(0)}
    # a recording started outside the tool, through the API itself
    import httpx

    from _e2e import ACCOUNT, APP, TOKEN

    response = httpx.post(
        f"{workspace.server.url}/accounts/{ACCOUNT}/realtime/kit/{APP}/recordings",
        json=client_args,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    recording_id = response.json()["data"]["id"]
    result = workspace.run("import", "m0.main", recording_id)
    assert result.returncode == 0, result.stderr
    assert workspace.state_ids() == {"m0.main": recording_id}
    assert workspace.plan_actions() == {"m0.main": ["no-op"], "m1.main": ["start"]}

    wrong_meeting = workspace.run("import", "m1.main", recording_id)
    assert wrong_meeting.returncode == 1
    assert "already in state as m0.main" in wrong_meeting.stderr
    unknown = workspace.run("import", "m1.main", "00000000-0000-4000-8000-000000000000")
    assert unknown.returncode == 1
    assert "not found" in unknown.stderr
    undeclared = workspace.run("import", "nope.main", recording_id)
    assert undeclared.returncode == 1
    assert "declare it" in undeclared.stderr
    assert "Traceback" not in unknown.stderr + undeclared.stderr + wrong_meeting.stderr


def test_apply_without_terminal_or_auto_approve_fails_at_once(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    result = workspace.run("apply")
    assert result.returncode == 1
    assert "--auto-approve" in result.stderr
    assert workspace.counters()["requests"] == {}
    assert not workspace.state_file.exists()


def test_partial_failure_keeps_successes_and_exits_1(workspace: Workspace) -> None:
    workspace.write_config(meetings(3))
    apply(workspace, "--target", "m1.main")
    workspace.run("state", "rm", "m1.main")  # the tool forgets it; the API still has it active: the start gets 409
    result = workspace.run("apply", "--auto-approve", *FAST)
    assert result.returncode == 1
    assert "m1.main: start FAILED" in result.stdout
    assert set(workspace.state_ids()) == {"m0.main", "m2.main"}
    assert "1 failed" in result.stdout


def test_apply_json_is_one_object_per_line(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    result = workspace.run("apply", "--auto-approve", "--json", *FAST)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["type"] for line in lines] == ["outcome", "outcome", "summary"]
    assert {line["result"] for line in lines[:2]} == {"ok"}
    assert lines[-1]["ok"] == 2


def test_refresh_updates_statuses_only(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    apply(workspace)
    recording_id = workspace.state_ids()["m0.main"]
    workspace.set_status(recording_id, "ERRORED")
    before = workspace.counters()["requests"]
    result = workspace.run("refresh")
    assert result.returncode == 0, result.stderr
    assert "INVOKED → ERRORED" in result.stdout
    assert workspace.state()["recordings"]["m0.main"]["status"] == "ERRORED"
    after = workspace.counters()["requests"]
    assert after.get("start", 0) == before.get("start", 0)


def test_missing_token_is_a_clear_error(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    workspace.env["CLOUDFLARE_API_TOKEN"] = ""
    result = workspace.run("plan")
    assert result.returncode == 1
    assert "CLOUDFLARE_API_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_token_stops_the_run_with_a_clear_error(workspace: Workspace) -> None:
    workspace.write_config(meetings(3))
    workspace.env["CLOUDFLARE_API_TOKEN"] = "not-the-token"
    result = workspace.run("apply", "--auto-approve", "--parallelism", "1")
    assert result.returncode == 1
    assert result.stdout == ""  # refused by the first call, before anything is planned or started
    assert "Authentication error (HTTP 401). Check CLOUDFLARE_API_TOKEN." in result.stderr
    assert workspace.counters()["responses"] == {"401": 1}
    assert "not-the-token" not in result.stderr + result.stdout
    assert workspace.recordings() == []
