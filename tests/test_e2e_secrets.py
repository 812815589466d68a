"""Secrets go to the API and nowhere else: not to output, the state, the journal, a backup or a saved plan."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from _e2e import TOKEN, Workspace, meeting_id

pytestmark = pytest.mark.e2e

SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIA-SECRET-7f3a9c1e",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-0b5d2e8f4a",
    "SFTP_PASSWORD": "sftp-password-91c4e7",
    "SFTP_PRIVATE_KEY": "-----BEGIN KEY----- private-key-3e8a61 -----END KEY-----",
    "STREAM_KEY": "stream-key-c2f9d05b",
}
ROTATED = "aws-secret-ROTATED-5a1c"

CONFIG = f"""
[meetings.allhands]
id = "{meeting_id(1)}"

[meetings.allhands.recordings.archive]
allow_multiple_recordings = true

[meetings.allhands.recordings.archive.storage_config]
type = "aws"
bucket = "recs"
region = "us-east-1"
access_key = "${{env:AWS_ACCESS_KEY_ID}}"
secret = "${{env:AWS_SECRET_ACCESS_KEY}}"

[meetings.allhands.recordings.live]
allow_multiple_recordings = true
rtmp_out_config = {{ rtmp_url = "rtmps://live.example.com:443/app/${{env:STREAM_KEY}}" }}

[meetings.support]
id = "{meeting_id(2)}"

[meetings.support.recordings.main.storage_config]
type = "sftp"
host = "sftp.example.com"
username = "rec"
auth_method = "KEY"
private_key = "${{env:SFTP_PRIVATE_KEY}}"
password = "${{env:SFTP_PASSWORD}}"
"""


def test_no_secret_and_no_token_anywhere_but_the_api(workspace: Workspace) -> None:
    workspace.write_config(CONFIG)
    workspace.env.update(SECRETS)
    workspace.env["GITHUB_STEP_SUMMARY"] = str(workspace.root / "step-summary.md")  # plan and apply append to it
    outputs: list[str] = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = workspace.run(*args)
        outputs.append(result.stdout + result.stderr)
        return result

    assert run("validate").returncode == 0
    assert run("validate", "--format", "github").returncode == 0
    assert run("plan").returncode == 0
    assert run("plan", "--json").returncode == 0
    assert run("plan", "--format", "markdown").returncode == 0
    assert run("plan", "--format", "gitlab").returncode == 0
    assert run("plan", "--out", "saved.plan").returncode == 0
    for output_format in ("text", "json", "markdown", "gitlab"):
        assert run("show", "--format", output_format, "saved.plan").returncode == 0
    assert run("apply", "saved.plan", "--rate", "200", "--format", "markdown").returncode == 0
    assert run("apply", "--auto-approve", "--json").returncode == 0
    assert run("refresh").returncode == 0
    assert run("show").returncode == 0
    assert run("show", "--json").returncode == 0
    assert run("state", "list").returncode == 0
    assert run("state", "list", "--json").returncode == 0
    assert run("state", "show", "allhands.archive").returncode == 0
    assert run("state", "show", "--json", "allhands.archive").returncode == 0
    for output_format in ("markdown", "json"):
        assert run("state", "list", "--format", output_format).returncode == 0
        assert run("state", "show", "--format", output_format, "allhands.archive").returncode == 0
        assert run("show", "--format", output_format).returncode == 0

    # A rotated secret is noticed through its digest, and shown only as "(sensitive value changed)".
    workspace.env["AWS_SECRET_ACCESS_KEY"] = ROTATED
    drifted = run("plan", "--json")
    (archive,) = [c for c in json.loads(drifted.stdout)["changes"] if c["address"] == "allhands.archive"]
    assert archive["drift"] == [{"path": "storage_config.secret", "sensitive": True}]  # the one that changed
    assert run("plan").returncode == 0
    assert run("plan", "--format", "markdown", "--out", "drifted.plan").returncode == 0
    assert run("apply", "--auto-approve", "--replace", "allhands.archive", "--rate", "200").returncode == 0
    # An error path, with the debug flag: still nothing.
    workspace.env["CLOUDFLARE_BASE_URL"] = "http://127.0.0.1:9/client/v4"
    assert run("plan", "--debug", "--http-timeout", "1").returncode == 1

    forbidden = [*SECRETS.values(), ROTATED, TOKEN]
    for text in outputs:
        assert not [secret for secret in forbidden if secret in text], text
    written = [path for path in workspace.root.rglob("*") if path.is_file() and path != workspace.config]
    assert {path.name for path in written} >= {
        "recordings.state.json",
        "recordings.state.json.backup",
        "recordings.state.json.journal",
        "saved.plan",
        "drifted.plan",
        "step-summary.md",
    }
    for path in written:
        content = path.read_bytes()
        assert not [s for s in forbidden if s.encode() in content], path
    # ...while the API did receive them (the test would prove nothing otherwise).
    bodies = json.dumps([r["body"] for r in workspace.recordings()])
    assert all(value in bodies for value in SECRETS.values())
    assert ROTATED in bodies


def test_literal_secret_warns_without_showing_it(workspace: Workspace, tmp_path: Path) -> None:
    literal = "literal-secret-6d2b9e"
    workspace.write_config(
        f'[meetings.a]\nid = "{meeting_id(1)}"\n[meetings.a.recordings.main]\n'
        f'storage_config = {{ type = "aws", bucket = "b", region = "r", access_key = "AKIA", secret = "{literal}" }}\n'
    )
    result = workspace.run("validate")
    assert result.returncode == 0
    assert "Warning" in result.stderr
    assert literal not in result.stdout + result.stderr


SECRET = "ZZSTREAMKEY-4b7e19d2"  # what the environment gives, resolved into the configuration
LITERAL_NUMBER = "987654321987"


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("table", "path"),
    [
        ('rtmp_out_config = "rtmps://live.example.com/app/${env:S_KEY}"', "rtmp_out_config"),
        ('storage_config = "${env:S_KEY}"', "storage_config"),
        ('storage_config = ["${env:S_KEY}"]', "storage_config"),
        ('rtmp_out_config = { rtmp_url = "http://live.example.com/app/${env:S_KEY}" }', "rtmp_out_config.rtmp_url"),
        (
            'storage_config = { type = "aws", bucket = "b", region = "r", access_key = "${env:S_KEY}", '
            'port = "${env:S_KEY}" }',
            "storage_config.port",
        ),
        ('storage_config = { type = "${env:S_KEY}", access_key = "a", region = "r" }', "storage_config.type"),
        (f'storage_config = {{ type = "aws", access_key = "a", region = "r", secret = {LITERAL_NUMBER} }}', "secret"),
    ],
    ids=["rtmp-as-string", "storage-as-string", "storage-as-array", "bad-rtmp-url", "port", "type", "number"],
)
@pytest.mark.parametrize("where", ["recording", "defaults"])
def test_a_secret_in_an_invalid_sensitive_table_is_never_printed(
    workspace: Workspace, table: str, path: str, where: str
) -> None:
    recording = f'[meetings.a]\nid = "{meeting_id(1)}"\n[meetings.a.recordings.main]\nmax_seconds = 3600\n'
    if where == "defaults":
        workspace.write_config(f"[defaults]\n{table}\n\n{recording}")
    else:
        workspace.write_config(f"{recording}{table}\n")
    workspace.env["S_KEY"] = SECRET
    for command in (("validate",), ("validate", "--json"), ("plan",), ("plan", "--json"), ("apply", "--auto-approve")):
        result = workspace.run(*command)
        assert result.returncode == 1, (command, result.stderr)
        shown = result.stdout + result.stderr
        assert SECRET not in shown, (command, shown)
        assert LITERAL_NUMBER not in shown, (command, shown)
        assert path in shown  # the problem is still named
        assert "value hidden: it is sensitive" in shown or "found a table" in shown or "found an array" in shown
    assert workspace.recordings() == []
