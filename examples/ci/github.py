#!/usr/bin/env python3
"""The GitHub side of `github-actions.yml`, with nothing but Python's standard library.

    github.py comment BODY_FILE   create the pull request's plan comment, or update the one that carries the same
                                  hidden marker (the first line of BODY_FILE: `<!-- reconciler:plan workspace=… -->`)
    github.py reviewed-run        find the pull-request run whose plan was reviewed for the commit being applied
                                  (the merged pull request's last head commit) and write `run-id=…` to $GITHUB_OUTPUT

Environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL (set by Actions); PR_NUMBER for `comment`;
GITHUB_SHA and WORKFLOW (this workflow's file name) for `reviewed-run`. Copy it to `.github/reconciler/github.py`.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

MARKER_PREFIX = "<!-- reconciler:"


def api(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    request = urllib.request.Request(
        f"{base}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def comment(body_file: str) -> int:
    body = Path(body_file).read_text(encoding="utf-8")
    marker = body.split("\n", 1)[0]
    if not marker.startswith(MARKER_PREFIX):
        print(f"{body_file} does not start with a reconciler marker", file=sys.stderr)
        return 1
    repo, number = os.environ["GITHUB_REPOSITORY"], os.environ["PR_NUMBER"]
    page = 1
    while True:
        comments = api("GET", f"/repos/{repo}/issues/{number}/comments?per_page=100&page={page}")
        for existing in comments:
            if str(existing.get("body", "")).split("\n", 1)[0] == marker:
                api("PATCH", f"/repos/{repo}/issues/comments/{existing['id']}", {"body": body})
                print(f"updated comment {existing['id']}")
                return 0
        if len(comments) < 100:
            break
        page += 1
    created = api("POST", f"/repos/{repo}/issues/{number}/comments", {"body": body})
    print(f"created comment {created['id']}")
    return 0


def reviewed_run() -> int:
    repo, sha, workflow = os.environ["GITHUB_REPOSITORY"], os.environ["GITHUB_SHA"], os.environ["WORKFLOW"]
    pulls = [pull for pull in api("GET", f"/repos/{repo}/commits/{sha}/pulls") if pull.get("merge_commit_sha") == sha]
    if not pulls:
        print(f"no merged pull request made commit {sha}: there is no reviewed plan to apply", file=sys.stderr)
        return 1
    head = pulls[0]["head"]["sha"]
    query = urllib.parse.urlencode({"event": "pull_request", "head_sha": head, "status": "success"})
    runs = api("GET", f"/repos/{repo}/actions/workflows/{workflow}/runs?{query}")["workflow_runs"]
    if not runs:
        print(f"no successful plan run for the pull request's last commit {head}", file=sys.stderr)
        return 1
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
        output.write(f"run-id={runs[0]['id']}\n")
    print(f"the reviewed plan is in run {runs[0]['id']} (pull request #{pulls[0]['number']}, commit {head})")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["comment"] and len(sys.argv) == 3:
        sys.exit(comment(sys.argv[2]))
    if sys.argv[1:] == ["reviewed-run"]:
        sys.exit(reviewed_run())
    sys.exit(__doc__)
