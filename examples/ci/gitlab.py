#!/usr/bin/env python3
"""The GitLab side of `gitlab-ci.yml`, with nothing but Python's standard library.

    gitlab.py note BODY_FILE       create the merge request's plan note, or update the one that carries the same
                                   hidden marker (the first line of BODY_FILE: `<!-- reconciler:plan workspace=… -->`)
    gitlab.py reviewed-plan FILE   download the plan reviewed for the commit being applied (the `plan` job's
                                   plan.json of the merged merge request's last successful pipeline) into FILE

Environment: GITLAB_API_TOKEN (a project access token with the `api` scope, as a masked CI/CD variable);
CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and CI_COMMIT_SHA (set by GitLab). Copy it to
`.gitlab/reconciler/gitlab.py`.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

MARKER_PREFIX = "<!-- reconciler:"


def call(method: str, path: str, body: dict[str, Any] | None = None, *, raw: bool = False) -> Any:
    request = urllib.request.Request(
        f"{os.environ['CI_API_V4_URL'].rstrip('/')}/projects/{os.environ['CI_PROJECT_ID']}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"PRIVATE-TOKEN": os.environ["GITLAB_API_TOKEN"], "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        data = response.read()
    return data if raw else json.loads(data or b"null")


def note(body_file: str) -> int:
    body = Path(body_file).read_text(encoding="utf-8")
    marker = body.split("\n", 1)[0]
    if not marker.startswith(MARKER_PREFIX):
        print(f"{body_file} does not start with a reconciler marker", file=sys.stderr)
        return 1
    notes_path = f"/merge_requests/{os.environ['CI_MERGE_REQUEST_IID']}/notes"
    page = 1
    while True:
        notes = call("GET", f"{notes_path}?per_page=100&page={page}")
        for existing in notes:
            if str(existing.get("body", "")).split("\n", 1)[0] == marker:
                call("PUT", f"{notes_path}/{existing['id']}", {"body": body})
                print(f"updated note {existing['id']}")
                return 0
        if len(notes) < 100:
            break
        page += 1
    created = call("POST", notes_path, {"body": body})
    print(f"created note {created['id']}")
    return 0


def reviewed_plan(destination: str) -> int:
    sha = os.environ["CI_COMMIT_SHA"]
    merged = [
        request
        for request in call("GET", f"/repository/commits/{sha}/merge_requests")
        if sha in (request.get("merge_commit_sha"), request.get("squash_commit_sha"))
    ]
    if not merged:
        print(f"no merged merge request made commit {sha}: there is no reviewed plan to apply", file=sys.stderr)
        return 1
    iid = merged[0]["iid"]
    pipelines = [p for p in call("GET", f"/merge_requests/{iid}/pipelines") if p.get("status") == "success"]
    for pipeline in pipelines:  # newest first
        jobs = call("GET", f"/pipelines/{pipeline['id']}/jobs?scope[]=success")
        for job in jobs:
            if job.get("name") == "plan":
                with open(destination, "wb") as output:
                    output.write(call("GET", f"/jobs/{job['id']}/artifacts/plan.json", raw=True))
                print(f"the reviewed plan is job {job['id']}'s (merge request !{iid}, pipeline {pipeline['id']})")
                return 0
    print(f"no successful plan job in the pipelines of merge request !{iid}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["note"] and len(sys.argv) == 3:
        sys.exit(note(sys.argv[2]))
    if sys.argv[1:2] == ["reviewed-plan"] and len(sys.argv) == 3:
        sys.exit(reviewed_plan(sys.argv[2]))
    sys.exit(__doc__)
