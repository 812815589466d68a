"""The pipeline templates of `examples/ci/`: checked offline against the schemas check-jsonschema ships, the
hook manifest with pre-commit, and the GitHub workflow's own commands run in order (a pull request's plan and
comment, then the merge's apply of the reviewed plan) against the emulator, a PostgreSQL state and a stand-in
for GitHub's API on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from _e2e import ACCOUNT, APP, REPO, TOKEN, Workspace, meeting_id, meetings
from _postgres import PostgresServer

pytestmark = pytest.mark.e2e

CI = REPO / "examples" / "ci"
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


def tool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **OFFLINE}  # any fetch from the network would fail: the checks are offline
    binary = Path(sys.executable).parent / str(args[0])
    return subprocess.run(
        [str(binary), *map(str, args[1:])], capture_output=True, text=True, timeout=120, check=False, env=env
    )


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.github-workflows", CI / "github-actions.yml"), ("vendor.gitlab-ci", CI / "gitlab-ci.yml")],
)
def test_the_templates_match_their_vendored_schemas(schema: str, path: Path) -> None:
    result = tool("check-jsonschema", "--builtin-schema", schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_hook_manifest_is_valid() -> None:
    result = tool("pre-commit", "validate-manifest", REPO / ".pre-commit-hooks.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "reconciler-validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert re.search(hook["files"], "conf/recordings.toml")
    assert "commit" not in hook["stages"]
    assert "--allow-missing-env" in hook["entry"]


def test_no_workflow_script_splices_an_expression() -> None:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    for job in workflow["jobs"].values():
        assert job.get("concurrency", {}).get("cancel-in-progress", False) is False
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step  # outputs and secrets reach scripts through env: only
    assert workflow["jobs"]["apply"]["concurrency"]["group"] == "reconciler-apply-production"
    gitlab = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    assert gitlab["apply"]["resource_group"] == "reconciler-production"
    assert gitlab["plan"]["artifacts"]["reports"]["terraform"] == "plan.gitlab.json"


class FakeGitHub(BaseHTTPRequestHandler):
    """GitHub's REST API, as much as `examples/ci/github.py` uses, kept in `comments` and `calls`."""

    comments: dict[int, str]
    calls: list[str]

    def _answer(self, document: Any, status: int = 200) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return dict(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

    def do_GET(self) -> None:
        self.calls.append(f"GET {self.path}")
        assert self.headers["Authorization"] == "Bearer gh-token"
        if "/issues/7/comments" in self.path:
            self._answer([{"id": key, "body": body} for key, body in self.comments.items()])
        elif self.path == "/repos/o/r/commits/merge-sha/pulls":
            self._answer([{"number": 7, "merge_commit_sha": "merge-sha", "head": {"sha": "head-sha"}}])
        elif self.path.startswith("/repos/o/r/actions/workflows/recordings.yml/runs?"):
            assert "head_sha=head-sha" in self.path
            self._answer({"workflow_runs": [{"id": 4242}]})
        else:
            self._answer({"message": "Not Found"}, 404)

    def do_POST(self) -> None:
        self.calls.append(f"POST {self.path}")
        key = len(self.comments) + 100
        self.comments[key] = self._body()["body"]
        self._answer({"id": key}, 201)

    def do_PATCH(self) -> None:
        self.calls.append(f"PATCH {self.path}")
        self.comments[int(self.path.rsplit("/", 1)[1])] = self._body()["body"]
        self._answer({})

    def log_message(self, *args: object) -> None:
        del args


def fake_github() -> tuple[ThreadingHTTPServer, type[FakeGitHub]]:
    handler = type("Handler", (FakeGitHub,), {"comments": {}, "calls": []})
    return ThreadingHTTPServer(("127.0.0.1", 0), handler), handler


class Runner:
    """Runs a job's `run:` steps as GitHub would (bash -eo pipefail), expressions of `env:` filled in."""

    def __init__(self, workspace: Workspace, api: str, state_url: str) -> None:
        self.workspace = workspace
        root = workspace.root
        self.output, self.summary = root / "github-output", root / "step-summary.md"
        bin_dir = root / "bin"
        bin_dir.mkdir()
        (bin_dir / "reconciler").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
        (bin_dir / "reconciler").chmod(0o755)
        self.values = {
            "secrets.CLOUDFLARE_API_TOKEN": TOKEN,
            "secrets.RECONCILER_STATE_URL": state_url,
            "vars.CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
            "vars.REALTIMEKIT_APP_ID": APP,
            "github.token": "gh-token",
            "github.event.pull_request.number": "7",
        }
        self.env = {
            **workspace.base_env(),
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "GITHUB_API_URL": api,
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_SHA": "merge-sha",
        }
        self.workflow = yaml.safe_load((CI / "github-actions.yml").read_text())

    def expression(self, match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("steps."):
            key = name.split(".")[-1]
            found = re.findall(rf"^{re.escape(key)}=(.*)$", self.output.read_text(), flags=re.MULTILINE)
            return found[-1] if found else ""
        return self.values[name]

    def run_job(self, name: str) -> list[subprocess.CompletedProcess[str]]:
        job = self.workflow["jobs"][name]
        results = []
        for step in job["steps"]:
            if "run" not in step or step.get("id") == "install":
                continue  # actions (checkout, artifacts) are the test's to stand in for; the tool is installed
            env = {**self.env, **self.workflow.get("env", {})}
            for key, value in {**job.get("env", {}), **step.get("env", {})}.items():
                env[key] = re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", self.expression, str(value))
            result = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.workspace.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, (step, result.stdout, result.stderr)
            results.append(result)
        return results


@pytest.fixture
def github() -> Iterator[tuple[str, type[FakeGitHub]]]:
    server, handler = fake_github()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_the_github_workflow_comments_the_plan_and_applies_the_reviewed_one(
    workspace: Workspace, postgres: PostgresServer, github: tuple[str, type[FakeGitHub]]
) -> None:
    api, handler = github
    schema = postgres.fresh_schema()
    state = f'[state]\nurl = "${{env:RECONCILER_STATE_URL}}"\nworkspace = "production"\nschema = "{schema}"\n\n'
    workspace.write_config(state + meetings(3))
    scripts = workspace.root / ".github" / "reconciler"
    scripts.mkdir(parents=True)
    shutil.copy(CI / "github.py", scripts / "github.py")
    runner = Runner(workspace, api, postgres.url)

    # The pull request: validate, plan, comment.
    validate = runner.run_job("validate")
    assert "::error" not in validate[0].stdout
    runner.run_job("plan")
    body = (workspace.root / "plan.md").read_text()
    assert list(handler.comments.values()) == [body]
    assert body.startswith(
        "<!-- reconciler:plan workspace=production -->\n### reconciler plan (workspace `production`)"
    )
    assert "3 to start" in body.splitlines()[1]
    assert f'meeting_id = "{meeting_id(2)}"' in body
    assert "changes=true" in runner.output.read_text()
    shown = workspace.run("show", "plan.json", "--format", "markdown")
    assert shown.stdout == body  # the artifact shows what the comment says
    assert body in runner.summary.read_text()  # and so does the step summary

    # A second push to the pull request: the same comment is updated, not another added.
    runner.run_job("plan")
    assert len(handler.comments) == 1
    assert [call.split(" ")[0] for call in handler.calls if not call.startswith("GET")] == ["POST", "PATCH"]

    # The merge: the reviewed plan is found and applied (the artifact is downloaded: here it is already there).
    assert workspace.recordings() == []
    runner.run_job("apply")
    assert "run-id=4242" in runner.output.read_text()
    assert len(workspace.recordings()) == 3
    assert "<!-- reconciler:apply workspace=production -->" in runner.summary.read_text()
