"""The step summary (appended in GitHub Actions, or not with --no-summary), and `validate --allow-missing-env`,
the offline check a pre-commit hook runs; the output of refresh and import in each format."""

from __future__ import annotations

import json

import pytest

from _e2e import Workspace, meeting_id, meetings

pytestmark = pytest.mark.e2e


def test_plan_appends_to_the_step_summary_unless_told_not_to(workspace: Workspace) -> None:
    summary = workspace.root / "summary.md"
    summary.write_text("# earlier steps\n")
    workspace.env["GITHUB_STEP_SUMMARY"] = str(summary)
    workspace.write_config(meetings(2))
    assert workspace.run("plan", "--no-summary").returncode == 0
    assert summary.read_text() == "# earlier steps\n"
    text = workspace.run("plan")
    assert text.returncode == 0
    markdown = workspace.run("plan", "--format", "markdown", "--no-summary").stdout
    assert summary.read_text() == "# earlier steps\n" + markdown + "\n"  # appended, the text output unchanged
    assert "<!--" not in text.stdout


def test_validate_allows_missing_variables_only_when_asked(workspace: Workspace) -> None:
    secret = (
        'storage_config = { type = "aws", bucket = "b", region = "r", access_key = "${env:AWS_KEY}", '
        'secret = "${env:AWS_SECRET}" }\n'
    )
    workspace.write_config(meetings(1, extra=secret))
    strict = workspace.run("validate", "--format", "github")
    assert strict.returncode == 1
    assert strict.stdout.startswith("::error file=recordings.toml,line=")
    assert "environment variable AWS_KEY is not set" in strict.stdout
    offline = workspace.run("validate", "--allow-missing-env")
    assert offline.returncode == 0, offline.stderr
    assert "Valid: 1 meeting, 1 recording." in offline.stdout
    assert "Not checked: the values that use AWS_KEY, AWS_SECRET (not set; --allow-missing-env)." in offline.stderr
    text = meetings(1, extra="video_config = { width = 4000 }\n").replace(
        "max_seconds = 3600", 'max_seconds = "${env:X}"'
    )
    workspace.write_config(text)
    broken = workspace.run("validate", "--allow-missing-env")
    assert broken.returncode == 1  # what can be checked still is
    assert "video_config.width" in broken.stderr


def test_refresh_and_import_print_one_json_document_or_text(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    assert workspace.run("apply", "--auto-approve").returncode == 0, "apply"
    workspace.write_config(meetings(2))
    theirs = workspace.start_elsewhere(meeting_id(1))
    assert f"Imported recording {theirs} " in workspace.run("import", "m1.main", theirs).stdout
    assert workspace.run("state", "rm", "m1.main").returncode == 0
    imported = workspace.run("import", "m1.main", theirs, "--json")
    assert imported.returncode == 0, imported.stderr
    document = json.loads(imported.stdout)
    assert document["address"] == "m1.main"
    assert document["recording_id"] == theirs
    assert isinstance(document["serial"], int)
    refreshed = workspace.run("refresh", "--json")
    assert refreshed.returncode == 0, refreshed.stderr
    assert json.loads(refreshed.stdout)["state"]["serial"] >= document["serial"]
    text = workspace.run("refresh")
    assert text.stdout.splitlines()[-1].startswith("Refreshed 2 recordings: ")
