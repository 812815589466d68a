"""`reconciler validate` and `reconciler schema` end to end: the real CLI as a subprocess over real files.

Every example validates with exactly the environment variables its opening comment names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from _e2e import EXAMPLE_CASES, EXAMPLES, needed_env

MEETING_ID = "97440c6a-140b-40a9-9499-b23fd7a3868a"
SECRET = "hunter2-do-not-print"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ.get("PATH", ""), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.e2e
@pytest.mark.parametrize("example", EXAMPLE_CASES)
def test_every_example_is_valid_with_the_variables_it_names(example: Path, tmp_path: Path) -> None:
    done = run("validate", "-c", str(example), cwd=tmp_path, env=needed_env(example))

    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"Valid: \d+ meetings?, \d+ recordings?\.\n", done.stdout)
    assert "Warning" not in done.stderr  # no literal secret in an example


def test_the_examples_cover_what_issue_2_asks_for() -> None:
    names = {path.name for path in EXAMPLES.glob("*.toml")}
    storage = {f"storage-{kind}.toml" for kind in ("aws", "azure", "digitalocean", "gcs", "sftp")}

    assert {"minimal.toml", "multi-recording.toml", "lifecycle.toml", "rtmp-out.toml", *storage} <= names
    lifecycle = (EXAMPLES / "lifecycle.toml").read_text(encoding="utf-8")
    assert "[[moved]]" in lifecycle
    assert 'status = "paused"' in lifecycle
    assert 'status = "stopped"' in lifecycle


@pytest.mark.e2e
def test_an_invalid_configuration_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "recordings.toml").write_text(
        f'[defaults]\nmax_seconds = 5\n[meetings.a]\nid = "{MEETING_ID}"\n[meetings.a.recordings.r]\n'
        'video_config = { widht = 10 }\nstorage_config = { type = "aws", secret = "${env:MISSING}" }\n',
        encoding="utf-8",
    )

    done = run("validate", cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert (
        lines[0] == "Error: recordings.toml:2: defaults.max_seconds: expected a whole number from 60 to 86400, found 5"
    )
    assert "did you mean 'width'?" in lines[1]
    assert any("environment variable MISSING is not set" in line for line in lines)
    assert any("storage_config.access_key" in line for line in lines)
    assert lines[-1] == f"Invalid: {len(lines) - 1} problems found."
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_a_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[meetings.a]\nid = = 3\n", encoding="utf-8")

    done = run("validate", "-c", "bad.toml", cwd=tmp_path)

    assert done.returncode == 1
    assert done.stderr.startswith("Error: bad.toml:2:6: TOML syntax error: Invalid value")
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_a_missing_configuration_says_how_to_name_one(tmp_path: Path) -> None:
    done = run("validate", cwd=tmp_path)

    assert done.returncode == 1
    assert "configuration recordings.toml not found; pass -c PATH" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_json_output_of_a_valid_configuration(tmp_path: Path) -> None:
    (tmp_path / "recordings.toml").write_text(
        f'[meetings.a]\nid = "{MEETING_ID}"\n[meetings.a.recordings.r]\n'
        f'storage_config = {{ type = "gcs", secret = "{SECRET}" }}\n',
        encoding="utf-8",
    )

    done = run("validate", "--json", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["valid"] is True
    assert (document["meetings"], document["recordings"]) == (1, 1)
    [warning] = document["warnings"]
    assert "meetings.a.recordings.r.storage_config.secret" in warning
    assert SECRET not in done.stdout + done.stderr


@pytest.mark.e2e
def test_json_output_of_an_invalid_configuration(tmp_path: Path) -> None:
    (tmp_path / "recordings.toml").write_text(
        f'[meetings.a]\nid = "{MEETING_ID}"\n[meetings.a.recordings.r]\nmax_seconds = 99999\n', encoding="utf-8"
    )

    done = run("validate", "--json", cwd=tmp_path)

    assert done.returncode == 1
    [problem] = json.loads(done.stdout)["problems"]
    assert {key: problem[key] for key in ("file", "path", "line", "expected", "found")} == {
        "file": "recordings.toml",
        "path": "meetings.a.recordings.r.max_seconds",
        "line": 4,
        "expected": "a whole number from 60 to 86400",
        "found": "99999",
    }
    assert problem["message"].startswith("recordings.toml:4: ")


@pytest.mark.e2e
def test_a_literal_secret_is_a_warning_on_stderr_without_the_value(tmp_path: Path) -> None:
    (tmp_path / "recordings.toml").write_text(
        f'[meetings.a]\nid = "{MEETING_ID}"\n[meetings.a.recordings.r]\n'
        f'rtmp_out_config = {{ rtmp_url = "rtmp://live.example.com/app/{SECRET}" }}\n',
        encoding="utf-8",
    )

    done = run("validate", "--no-color", cwd=tmp_path)

    assert done.returncode == 0
    assert done.stdout == "Valid: 1 meeting, 1 recording.\n"
    assert done.stderr.startswith("Warning: recordings.toml:4: meetings.a.recordings.r.rtmp_out_config.rtmp_url")
    assert SECRET not in done.stdout + done.stderr
    assert "\x1b[" not in done.stdout + done.stderr


@pytest.mark.e2e
def test_schema_prints_a_json_schema(tmp_path: Path) -> None:
    done = run("schema", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    Draft202012Validator.check_schema(schema)
    assert "meetings" in schema["properties"]
