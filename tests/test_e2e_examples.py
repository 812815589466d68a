"""Every example is planned and applied against the emulator: the API accepts exactly what the file declares."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from _e2e import EXAMPLE_CASES, Workspace, needed_env

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("example", EXAMPLE_CASES)
def test_example_plans_applies_and_converges(workspace: Workspace, example: Path) -> None:
    if example.is_dir():
        shutil.copytree(example, workspace.root / "conf")
        config = ("-c", "conf")
    else:
        shutil.copy(example, workspace.config)
        config = ()
    secrets = {
        name: value for name, value in needed_env(example).items() if not name.startswith(("CLOUDFLARE", "REALTIMEKIT"))
    }
    workspace.env.update(secrets)

    plan = workspace.run_json("plan", *config)
    starts = [change for change in plan["changes"] if change["actions"] == ["start"]]
    assert starts, "every example starts something"

    applied = workspace.run("apply", "--auto-approve", "--rate", "200", *config)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert len(workspace.recordings()) == len(starts)
    for recording in workspace.recordings():
        assert "meeting_id" in recording["body"]
        assert "status" not in recording["body"]  # the tool's own field is never sent

    again = workspace.run("plan", "--detailed-exitcode", *config)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    written = "".join(path.read_text() for path in workspace.root.glob("**/recordings.state.json*"))
    assert not [value for value in secrets.values() if value in written]  # secrets reach the API and nothing else
    sent = repr([recording["body"] for recording in workspace.recordings()])
    assert all(value in sent for value in secrets.values())
