"""Saved plans through the CLI: `show PLANFILE --format F` prints what `plan --out PLANFILE --format F` printed,
for every format; a saved plan survives statuses that moved on and another `plan`, and is refused (its
differences named) when its decisions changed, when it was edited, or when the configuration changed."""

from __future__ import annotations

import json

import pytest

from _e2e import Workspace, meeting_id, meetings

pytestmark = pytest.mark.e2e

FAST = ("--rate", "200")
SECRET = "stream-key-5e1d"


def noted_plan(workspace: Workspace) -> None:
    """A state and configuration whose plan has a start with a secret, drift, a note, a warning and a refresh event."""
    workspace.write_config(meetings(3))
    assert workspace.run("apply", "--auto-approve", "--target", "m0.*", "--target", "m1.*", *FAST).returncode == 0
    workspace.set_status(workspace.state_ids()["m0.main"], "RECORDING")  # a refresh event
    workspace.set_status(workspace.state_ids()["m1.main"], "RECORDING")  # to be paused
    text = meetings(3).replace("max_seconds = 3600", "max_seconds = 7200", 1)  # m0 drifts
    text = text.replace(
        '[meetings.m1.recordings.main]\nstatus = "recording"', '[meetings.m1.recordings.main]\nstatus = "paused"'
    )
    text += f'\n[meetings.m3]\nid = "{meeting_id(3)}"\n[meetings.m3.recordings.live]\nstatus = "paused"\n'
    text += 'rtmp_out_config = { rtmp_url = "rtmps://live.example.com/app/${env:STREAM_KEY}" }\n'
    text += f'[meetings.m4]\nid = "{meeting_id(4)}"\n[meetings.m4.recordings.live]\n'
    text += 'rtmp_out_config = { rtmp_url = "rtmps://live.example.com/app/${env:STREAM_KEY}" }\n'
    workspace.write_config(text)
    workspace.env["STREAM_KEY"] = SECRET


@pytest.mark.parametrize("output_format", ["text", "json", "markdown", "gitlab"])
def test_show_prints_what_plan_printed_in_every_format(workspace: Workspace, output_format: str) -> None:
    noted_plan(workspace)
    planned = workspace.run("plan", "--out", "plan.json", "--format", output_format, "--target", "m*", "--no-color")
    assert planned.returncode == 0, planned.stderr
    shown = workspace.run("show", "plan.json", "--format", output_format, "--no-color")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == planned.stdout
    assert SECRET not in planned.stdout + (workspace.root / "plan.json").read_text()
    if output_format == "text":
        assert ": INVOKED → RECORDING" in shown.stdout.splitlines()[1]  # the refresh event
        assert "max_seconds: 3600 → 7200" in shown.stdout  # the drift
        assert 'declared status = "paused", and a paused recording is never started' in shown.stdout  # the note
        assert "rtmp_out_config = { rtmp_url = (sensitive) }" in shown.stdout  # what the start sends
        assert "~ m1.main" in shown.stdout
    if output_format == "json":
        document = json.loads(shown.stdout)
        assert document["refresh"][0]["kind"] == "status"
        (m3,) = [c for c in document["changes"] if c["address"] == "m3.live"]
        assert m3["notable"] is True
        (m4,) = [c for c in document["changes"] if c["address"] == "m4.live"]
        assert m4["fields"] == {"rtmp_out_config": {}, "max_seconds": 3600} or m4["fields"] == {"rtmp_out_config": {}}
        assert m4["sensitive"] == ["rtmp_out_config.rtmp_url"]
    if output_format == "gitlab":
        assert json.loads(shown.stdout) == {"create": 2, "update": 1, "delete": 0}


def test_a_saved_plan_survives_another_plan_and_statuses_that_moved_on(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    assert workspace.run("apply", "--auto-approve", "--target", "m0.main", *FAST).returncode == 0
    assert workspace.run("plan", "--out", "plan.json").returncode == 0
    workspace.set_status(workspace.state_ids()["m0.main"], "RECORDING")
    serial = workspace.state()["serial"]
    assert workspace.run("plan").returncode == 0  # refreshes: INVOKED → RECORDING, the serial bumped
    assert workspace.state()["serial"] > serial
    applied = workspace.run("apply", "plan.json", *FAST)
    assert applied.returncode == 0, applied.stderr
    assert set(workspace.state_ids()) == {"m0.main", "m1.main"}
    assert len(workspace.recordings()) == 2


def test_a_saved_plan_whose_decisions_changed_is_refused_naming_them(workspace: Workspace) -> None:
    workspace.write_config(meetings(3))
    assert workspace.run("apply", "--auto-approve", "--target", "m0.main", *FAST).returncode == 0
    assert workspace.run("plan", "--out", "plan.json").returncode == 0
    workspace.set_status(workspace.state_ids()["m0.main"], "ERRORED")  # m0 would be started again now
    assert workspace.run("apply", "--auto-approve", "--target", "m1.main", *FAST).returncode == 0  # m1 started since
    before = workspace.counters()["requests"]
    refused = workspace.run("apply", "plan.json", *FAST)
    assert refused.returncode == 1
    assert (
        "saved plan plan.json is stale: planned again against the current state, its decisions differ" in refused.stderr
    )
    assert "  m0.main: the plan says no change, now start (recording" in refused.stderr
    assert "  m1.main: the plan says start, now no change (already INVOKED)" in refused.stderr
    assert "m2.main" not in refused.stderr
    assert workspace.counters()["requests"].get("start") == before.get("start")  # nothing was sent


def test_an_edited_saved_plan_and_a_changed_configuration_are_refused(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    assert workspace.run("plan", "--out", "plan.json").returncode == 0
    document = json.loads((workspace.root / "plan.json").read_text())
    document["plan"]["changes"][1]["actions"] = ["no-op"]
    (workspace.root / "plan.json").write_text(json.dumps(document))
    edited = workspace.run("apply", "plan.json")
    assert edited.returncode == 1
    assert "plan.json was changed after it was made (its digest does not match its content)" in edited.stderr

    assert workspace.run("plan", "--out", "plan.json").returncode == 0
    workspace.write_config(meetings(3))
    changed = workspace.run("apply", "plan.json")
    assert changed.returncode == 1
    assert "saved plan plan.json is stale: the configuration changed since it was made" in changed.stderr
    assert workspace.recordings() == []


def test_a_saved_plan_remembers_its_configuration(workspace: Workspace) -> None:
    (workspace.root / "conf").mkdir()
    (workspace.root / "conf" / "team.toml").write_text(meetings(2))
    assert workspace.run("plan", "-c", "conf", "--out", "plan.json").returncode == 0
    applied = workspace.run("apply", "plan.json", *FAST)  # no -c: the plan's own
    assert applied.returncode == 0, applied.stderr
    assert len(workspace.recordings()) == 2
    assert (workspace.root / "conf" / "recordings.state.json").exists()
