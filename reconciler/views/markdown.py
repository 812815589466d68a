"""The Markdown view (design §7.1): a plan, or what an apply did, as a pull-request comment or a step summary.

Deterministic (no time, no colour, no ANSI: the same plan gives the same bytes), at most `LIMIT` characters (the
head and the tail kept, what was left out counted), with a hidden marker first so that a pipeline updates one
comment per workspace instead of adding one per push. Everything that came from outside is shown through
`_md.code`, `_md.fence` or `_md.plain`, so it renders as itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from reconciler._outcome import ApplyResult, Outcome
from reconciler._toml import toml_key, toml_value, with_sensitive
from reconciler.plan import Change, Plan
from reconciler.views._md import LIMIT, code, fence, fit, plain
from reconciler.views.text import apply_summary_line, plan_summary_line

__all__ = ["LIMIT", "apply_markdown", "marker", "plan_markdown"]

_FOLD = 10  # a list longer than this goes inside <details>
_UNSAFE_IN_MARKER = re.compile(r"[^A-Za-z0-9_.-]")
_SECTIONS = (
    ("replace", "Replace (stop, then start)"),
    ("stop", "Stop"),
    ("start", "Start"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("move", "Move"),
    ("forget", "Forget (dropped from the state; no API call)"),
    ("noted", "Unchanged, with a note"),
)


def marker(kind: str, workspace: str) -> str:
    """The hidden first line a pipeline finds its comment by: `<!-- reconciler:plan workspace=production -->`."""
    return f"<!-- reconciler:{kind} workspace={_UNSAFE_IN_MARKER.sub('_', workspace)} -->"


@dataclass
class _Section:
    """A heading, then items (each a block of lines), folded into <details> when long."""

    title: str
    items: list[list[str]] = field(default_factory=list)
    noun: str = "changes"


def plan_markdown(plan: Plan, limit: int = LIMIT) -> str:
    """The plan for a pull request: heading with counts, a warning when anything stops or is replaced, warnings,
    refresh events, the changes grouped by action (drift notes, fields sent), the count of unchanged ones."""
    sections = _plan_sections(plan)
    head = [
        marker("plan", plan.workspace),
        f"### reconciler plan (workspace {code(plan.workspace)}): {_counts(plan)}",
        "",
    ]
    head += _stop_warning(plan)
    unchanged = sum(1 for change in plan.changes if change.is_noop and not (change.drift or change.notable))
    tail = [f"{unchanged} declared recording{'s' if unchanged != 1 else ''} unchanged.", ""] if unchanged else []
    return _document(head, sections, tail, limit, "changes")


def apply_markdown(plan: Plan, result: ApplyResult, limit: int = LIMIT) -> str:
    """What an apply did: heading with counts, a caution when anything failed, each outcome."""
    done = Counter(outcome.action for outcome in result.outcomes if outcome.result == "ok")
    summary = apply_summary_line(dict(done), result.failed, result.summary["skipped"]).partition(": ")[2]
    head = [
        marker("apply", plan.workspace),
        f"### reconciler apply (workspace {code(plan.workspace)}): {plain(summary)}",
        "",
    ]
    notes = [*result.warnings, *([f"apply stopped: {result.stopped_by}"] if result.stopped_by else [])]
    if result.interrupted:
        notes.append("interrupted: actions not yet dispatched were not attempted; run apply again to finish")
    if result.failed or notes:
        head += ["> [!CAUTION]"]
        if result.failed:
            failed = result.failed
            head.append(
                f"> {failed} action{'s' if failed != 1 else ''} failed or ended with an unknown outcome: see below."
            )
        head += [f"> {plain(note)}" for note in notes]
        head.append("")
    outcomes = _Section("Outcomes", [[_outcome_line(outcome)] for outcome in result.outcomes], "outcomes")
    return _document(head, [outcomes] if outcomes.items else [], [], limit, "outcomes")


def _document(head: list[str], sections: list[_Section], tail: list[str], limit: int, noun: str) -> str:
    total = sum(len(section.items) for section in sections)

    def render(keep: Callable[[int], bool]) -> str:
        lines = list(head)
        kept_count = sum(1 for index in range(total) if keep(index))
        if kept_count < total:
            lines += [
                "> [!NOTE]",
                f"> {total - kept_count:,} of {total:,} {noun} are left out below, to stay within GitHub's limit on "
                "a comment's length; the whole plan is in the saved plan file (`reconciler show PLANFILE`).",
                "",
            ]
        index = 0
        for section in sections:
            kept: list[str] = []
            omitted = 0
            for item in section.items:
                if keep(index):
                    if omitted:
                        kept.append(f"- *… {omitted:,} more {section.noun} left out here*")
                        omitted = 0
                    kept += item
                else:
                    omitted += 1
                index += 1
            if omitted:
                kept.append(f"- *… {omitted:,} more {section.noun} left out here*")
            lines += _section_lines(section, kept)
        lines += tail
        return "\n".join(lines).rstrip("\n") + "\n"

    return fit(render, total, limit)


def _section_lines(section: _Section, body: list[str]) -> list[str]:
    count = len(section.items)
    lines = [f"#### {section.title} ({count:,})", ""]
    if count > _FOLD:
        lines += [f"<details><summary>{count:,} {section.noun}</summary>", "", *body, "", "</details>", ""]
    else:
        lines += [*body, ""]
    return lines


def _plan_sections(plan: Plan) -> list[_Section]:
    sections: list[_Section] = []
    if plan.warnings:
        sections.append(_Section("Warnings", [[f"- {plain(warning)}"] for warning in plan.warnings], "warnings"))
    if plan.events:
        events = [[f"- {code(event.address)}: {plain(event.message)}"] for event in plan.events]
        sections.append(_Section("Refresh: what the API reported", events, "refresh events"))
    grouped: dict[str, list[list[str]]] = {}
    for change in plan.changes:
        kind = _kind(change)
        if kind is not None:
            grouped.setdefault(kind, []).append(list(_change_lines(change)))
    sections += [_Section(title, grouped[kind]) for kind, title in _SECTIONS if kind in grouped]
    return sections


def _kind(change: Change) -> str | None:
    if change.is_noop:
        return "noted" if change.drift or change.notable else None
    if "stop" in change.actions and "start" in change.actions:
        return "replace"
    acting = [action for action in change.actions if action != "move"]
    return acting[-1] if acting else "move"


def _change_lines(change: Change) -> Iterator[str]:
    recording = ""
    if change.recording_id:
        status = f", {code(change.status)}" if change.status else ""
        recording = f" (recording {code(change.recording_id)}{status})"
    yield f"- {code(change.address)}{recording}: {plain(change.reason)}"
    for drift in change.drift:
        if drift.sensitive:
            yield f"  - {code(drift.path)}: (sensitive value changed)"
        else:
            yield f"  - {code(drift.path)}: {code(toml_value(drift.before))} → {code(toml_value(drift.after))}"
    if "start" in change.actions:
        body = [f"meeting_id = {toml_value(change.meeting_id)}"]
        body += [f"{toml_key(k)} = {toml_value(v)}" for k, v in with_sensitive(change.fields, change.sensitive).items()]
        yield from fence(body, "toml", indent="  ")


def _stop_warning(plan: Plan) -> list[str]:
    stops = [change for change in plan.changes if "stop" in change.actions and "start" not in change.actions]
    replaced = [change for change in plan.changes if "stop" in change.actions and "start" in change.actions]
    if not stops and not replaced:
        return []
    lines = ["> [!WARNING]"]
    if stops:
        lines.append(f"> This plan **stops** {_some(stops)}: {_addresses(stops)}.")
    if replaced:
        lines.append(
            f"> This plan **replaces** {_some(replaced)} (stops it, then starts a new one): {_addresses(replaced)}."
        )
    return [*lines, ""]


def _some(changes: Sequence[Change]) -> str:
    return f"{len(changes):,} recording{'s' if len(changes) != 1 else ''}"


def _addresses(changes: Sequence[Change], shown: int = 20) -> str:
    names = ", ".join(code(change.address) for change in changes[:shown])
    return names + (f" and {len(changes) - shown:,} more" if len(changes) > shown else "")


def _counts(plan: Plan) -> str:
    return plain(plan_summary_line(plan).removeprefix("Plan: ").removesuffix("."))


def _outcome_line(outcome: Outcome) -> str:
    what = f"{code(outcome.address)}: {outcome.action}"
    if outcome.result == "ok":
        recording = f" {code(outcome.recording_id)}" if outcome.recording_id else ""
        status = f" ({code(outcome.status)})" if outcome.status else ""
        return f"- {what}: done{recording}{status}" + (f": {code(outcome.message)}" if outcome.message else "")
    verdict = {"failed": "**FAILED**", "uncertain": "**outcome UNKNOWN**", "skipped": "skipped"}[outcome.result]
    return f"- {what}: {verdict}: {code(outcome.message)}"
