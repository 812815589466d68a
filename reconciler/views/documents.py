"""The machine-readable views: JSON documents of plans and applies, GitLab's Terraform report, and GitHub
Actions annotations of configuration problems. Pure: returns documents and lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from reconciler._outcome import ApplyResult
from reconciler._text import escape_controls
from reconciler.config import Problem
from reconciler.plan import Plan

__all__ = [
    "GITLAB_ACTIONS",
    "apply_summary_document",
    "github_annotations",
    "gitlab_report",
    "workflow_data",
    "workflow_property",
]

# How our actions count in GitLab's Terraform report (its merge-request widget): a start creates a recording,
# a stop or a forget takes one out of what is managed, a pause, a resume or a move changes one in place. A
# replacement counts once in `create` and once in `delete`, as Terraform's own replacements do.
GITLAB_ACTIONS = {
    "start": "create",
    "pause": "update",
    "resume": "update",
    "move": "update",
    "stop": "delete",
    "forget": "delete",
}


_NEWLINES = "\r\n"  # kept by `escape_controls`, then escaped by the workflow-command rules
_LOCATED = re.compile(r"(?P<file>[^:\n]+):(?P<line>[0-9]+|\?): (?P<message>.*)", re.DOTALL)  # "file:12: text"


def gitlab_report(plan: Plan) -> dict[str, int]:
    """`{"create": n, "update": n, "delete": n}`: the report `artifacts:reports:terraform` reads."""
    counts = Counter(
        GITLAB_ACTIONS[action] for change in plan.changes for action in change.actions if action in GITLAB_ACTIONS
    )
    return {key: counts.get(key, 0) for key in ("create", "update", "delete")}


def apply_summary_document(result: ApplyResult) -> dict[str, Any]:
    """The last line of `apply --json`."""
    done = Counter(outcome.action for outcome in result.outcomes if outcome.result == "ok")
    return {
        "type": "summary",
        **result.summary,
        "actions": dict(done),
        "interrupted": result.interrupted,
        "stopped_by": result.stopped_by or None,
        "warnings": list(result.warnings),
        "state": {"lineage": result.state.lineage, "serial": result.state.serial},
    }


def workflow_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub Actions requires (`%`, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A workflow command's property value: escaped like a message, plus `:` and `,` (which end a property)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(problems: Iterable[Problem], warnings: Iterable[str] = ()) -> Iterator[str]:
    """`::error file=…,line=…,col=…,title=…::message` for each problem, `::warning …` for each warning, so that
    they show on the pull request's diff."""
    for problem in problems:
        properties = [f"file={workflow_property(escape_controls(str(problem.file)))}"]
        if problem.line is not None:
            properties.append(f"line={problem.line}")
            if problem.column is not None:
                properties.append(f"col={problem.column}")
        title = problem.path or "configuration"
        properties.append(f"title={workflow_property(escape_controls(title))}")
        message = problem.summary or f"expected {problem.expected}, found {problem.found}"
        if problem.hint:
            message += f"; {problem.hint}"
        yield f"::error {','.join(properties)}::{workflow_data(escape_controls(message, keep=_NEWLINES))}"
    for warning in warnings:
        located = _LOCATED.fullmatch(warning)
        if located is None:
            yield f"::warning title=reconciler::{workflow_data(escape_controls(warning, keep=_NEWLINES))}"
            continue
        properties = [f"file={workflow_property(located['file'])}"]
        if located["line"] != "?":
            properties.append(f"line={located['line']}")
        message = escape_controls(located["message"], keep=_NEWLINES)
        yield f"::warning {','.join(properties)},title=reconciler::{workflow_data(message)}"
