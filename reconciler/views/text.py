"""The text view: plans, refresh events and apply outcomes as people read them, in the manner of Terraform. Pure:
returns strings.

`style(text, *names)` is how colour gets in (the CLI passes its console's, which is a no-op off a terminal).
What came from outside (API messages, ids and statuses, addresses and values read from a state file) goes in
through `escape_controls`: a control character in it, a newline included, shows as an escape, so that it can
neither drive the terminal nor forge a line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from reconciler._events import RefreshEvent
from reconciler._outcome import Outcome
from reconciler._text import escape_controls as _safe
from reconciler._toml import toml_key, toml_value, with_sensitive
from reconciler.plan import Change, Drift, Plan

__all__ = [
    "Style",
    "apply_summary_line",
    "drift_text",
    "no_style",
    "outcome_line",
    "plan_lines",
    "plan_summary_line",
    "refresh_lines",
]

Style = Callable[..., str]

# The glyph and colour of each action (a replacement is "-/+").
_GLYPHS = {
    "start": ("+", "green"),
    "resume": ("~", "yellow"),
    "pause": ("~", "yellow"),
    "stop": ("-", "red"),
    "move": (">", "cyan"),
    "forget": (" ", "dim"),
}
_PAST = {
    "start": "started",
    "pause": "paused",
    "resume": "resumed",
    "stop": "stopped",
    "move": "moved",
    "forget": "forgotten",
}


def no_style(text: str, *names: str) -> str:
    del names
    return text


def plan_lines(plan: Plan, style: Style = no_style) -> Iterator[str]:
    """The plan as Terraform would print it: what refresh learned, warnings, changes (with the fields a start
    sends), then notes on no-ops worth a look, then the summary."""
    if plan.events:
        yield style("Refresh:", "bold")
        for line in refresh_lines(plan.events, style):
            yield f"  {line}"
    for warning in plan.warnings:
        yield style("Warning: ", "yellow", "bold") + _safe(warning)
    changing = [change for change in plan.changes if not change.is_noop]
    noted = [change for change in plan.changes if change.is_noop and (change.drift or change.notable)]
    yield from _section("reconciler will perform the following actions:", changing, style)
    yield from _section("Unchanged, with a note:", noted, style)
    yield ""
    yield plan_summary_line(plan, style)


def plan_summary_line(plan: Plan, style: Style = no_style) -> str:
    if not plan.has_changes:
        noted = sum(1 for change in plan.changes if change.drift or change.notable)
        matching = plan.summary["no-op"] - noted
        noun = "recording matches" if matching == 1 else "recordings match"
        text = f" {matching} declared {noun} the state"
        if noted:
            text += f"; {noted} {'is' if noted == 1 else 'are'} unchanged with a note (above)"
        return style("No changes.", "bold") + text + "."
    counts = plan.summary
    parts = [f"{counts['start']} to start"]
    parts += [f"{counts[action]} to {action}" for action in ("pause", "resume") if counts[action]]
    parts.append(f"{counts['stop']} to stop")
    if counts["move"]:
        parts.append(f"{counts['move']} to move")
    parts.append(f"{counts['forget']} to forget")
    return style("Plan:", "bold") + " " + ", ".join(parts) + "."


def _section(title: str, changes: list[Change], style: Style) -> Iterator[str]:
    if not changes:
        return
    yield from ("", title, "")
    width = min(max(len(change.address) for change in changes), 48)
    for change in changes:
        yield from _change_lines(change, width, style)


def _change_lines(change: Change, width: int, style: Style) -> Iterator[str]:
    if change.is_noop:
        glyph, colour = "!" if change.drift else " ", "yellow"
    elif change.actions == ("stop", "start"):
        glyph, colour = "±", "yellow"
    else:
        glyph, colour = _GLYPHS[change.actions[-1]]
    actions = ", ".join(change.actions)
    # The recording acted on; a start makes a new one, the old one is named in the reason.
    recording = f" [{_safe(change.recording_id)}]" if change.recording_id and "start" not in change.actions else ""
    address = _safe(change.address).ljust(width)
    yield f"  {style(glyph, colour, 'bold')} {address}  {style(actions, colour)}{recording}"
    yield f"      {style(_safe(change.reason), 'dim')}"
    for drift in change.drift:
        yield f"      {drift_text(drift)}"
    if "start" in change.actions:
        # What the start sends, one line per top-level field (tables inline), secrets as (sensitive).
        for key, value in with_sensitive(change.fields, change.sensitive).items():
            yield f"      {style(toml_key(key), 'dim')} = {toml_value(value)}"


def drift_text(drift: Drift) -> str:
    """`video_config.width: 1280 → 1920`, values as TOML; a secret only as "(sensitive value changed)"."""
    if drift.sensitive:
        return f"{_safe(drift.path)}: (sensitive value changed)"
    return f"{_safe(drift.path)}: {toml_value(drift.before)} → {toml_value(drift.after)}"


_EVENT_COLOURS = {
    "vanished": "red",
    "foreign": "red",
    "unverified": "red",
    "ambiguous": "red",
    "duplicate": "red",
    "pending": "yellow",
}


def refresh_lines(events: Iterable[RefreshEvent], style: Style = no_style) -> Iterator[str]:
    for event in events:
        yield f"{style(_safe(event.address), _EVENT_COLOURS.get(event.kind, 'cyan'))}: {_safe(event.message)}"


def outcome_line(outcome: Outcome, style: Style = no_style) -> str:
    """One line per action outcome (apply's output off a terminal)."""
    action, address, message = outcome.action, _safe(outcome.address), _safe(outcome.message)
    if outcome.result == "ok":
        verdict = style(_PAST.get(action, action), "green")
        recording = f" {_safe(outcome.recording_id)}" if outcome.recording_id else ""
        status = f" ({_safe(outcome.status)})" if outcome.status else ""
        note = f" {message}" if message.startswith("from ") else f": {message}" if message else ""
        return f"{address}: {verdict}{recording}{status}{note}"
    if outcome.result == "skipped":
        return f"{address}: {style(f'{action} skipped', 'dim')}: {message}"
    verdict = "outcome UNKNOWN" if outcome.result == "uncertain" else "FAILED"
    return f"{address}: {style(f'{action} {verdict}', 'red', 'bold')}: {message}"


def apply_summary_line(counts: dict[str, int], failed: int, skipped: int, style: Style = no_style) -> str:
    """`counts` are successful actions by name."""
    done = ", ".join(f"{counts.get(action, 0)} {_PAST[action]}" for action in ("start", "pause", "resume", "stop"))
    extras = "".join(f", {counts[action]} {_PAST[action]}" for action in ("move", "forget") if counts.get(action))
    tail = ""
    if failed:
        tail += style(f"; {failed} failed", "red", "bold")
    if skipped:
        tail += f"; {skipped} not attempted"
    head = style("Apply complete:", "bold") if not failed else style("Apply finished with errors:", "red", "bold")
    return f"{head} {done}{extras}{tail}."
