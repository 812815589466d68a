"""`make_plan`: the pure function of design §4 from (desired set, refreshed state, options) to a `Plan`.

No I/O: the same inputs always give the same plan. Read the decision table in `_decide`, one row per line of the
design's table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from difflib import get_close_matches
from fnmatch import fnmatchcase

from providers import ACTIVE_STATUSES
from reconciler.config import DesiredRecording, Moved
from reconciler.errors import UsageError
from reconciler.plan._drift import explain_drift, has_drift
from reconciler.plan._model import Action, Change, Plan
from state import VANISHED, PendingStart, RecordingEntry, State

__all__ = ["make_plan"]


def make_plan(
    desired: Mapping[str, DesiredRecording],
    state: State,
    *,
    moved: Sequence[Moved] = (),
    targets: Sequence[str] = (),
    replace: Sequence[str] = (),
    refreshed: bool = True,
) -> Plan:
    """Decide what to do for every address in scope.

    `targets` are globs limiting the plan to matching addresses; `replace` names declared addresses to stop
    (when active) and start again; `refreshed` says whether `state` was just refreshed from the API (it changes
    only the reason given for an unresolved start). Raises `UsageError` for a `--replace` that cannot be honoured.
    """

    def in_scope(address: str) -> bool:
        return not targets or any(fnmatchcase(address, pattern) for pattern in targets)

    known = (*desired, *state.recordings, *state.pending)
    warnings = [
        _unmatched_target(pattern, known)
        for pattern in targets
        if not any(fnmatchcase(address, pattern) for address in known)
    ]
    _check_replace(replace, desired)
    recordings, moved_from, move_warnings = _apply_moves(state, moved, in_scope)
    warnings += move_warnings
    # Design §5.3: nothing is sent for a meeting while one of its starts has an unknown outcome.
    unresolved = {start.meeting_id: address for address, start in state.pending.items()}

    changes: list[Change] = []
    for address, recording in desired.items():
        if not in_scope(address):
            if address in replace:
                warnings.append(f"--replace {address} ignored: it is outside --target")
            continue
        change = _decide(recording, recordings.get(address), state.pending.get(address), address in replace, refreshed)
        blocker = unresolved.get(recording.meeting_id)
        if blocker is not None and change.calls_api:
            change = _held_back(change, blocker, refreshed)
        if address in replace and change.is_noop:
            warnings.append(f"--replace {address} waits: {change.reason}")
        if address in moved_from:
            change = _with_move(change, moved_from[address])
        changes.append(change)
    for address in sorted(set(recordings) | set(state.pending)):
        if address not in desired and in_scope(address):
            changes.append(_undeclared(address, recordings.get(address), state.pending.get(address)))
    warnings += _renamed_without_moved(changes, recordings)
    return Plan(changes=tuple(changes), lineage=state.lineage, serial=state.serial, warnings=tuple(warnings))


def _unmatched_target(pattern: str, known: Sequence[str]) -> str:
    """The warning for a `--target` that matches nothing, with a hint when the likely meaning is clear."""
    warning = f"--target {pattern} matches no declared or recorded address"
    if "." not in pattern and any(fnmatchcase(address, f"{pattern}.*") for address in known):
        return f"{warning}; addresses are MEETING.RECORDING: did you mean --target '{pattern}.*'?"
    close = get_close_matches(pattern, sorted(set(known)), n=1)
    return f"{warning}; did you mean {close[0]}?" if close else warning


def _renamed_without_moved(changes: Sequence[Change], recordings: Mapping[str, RecordingEntry]) -> list[str]:
    """A start beside a forget of the same meeting whose recording is still there: most likely a key renamed
    without `[[moved]]` (and, unless both allow multiple recordings, a start the API refuses)."""
    forgotten: dict[str, list[Change]] = {}
    for change in changes:
        entry = recordings.get(change.address)
        if change.actions == ("forget",) and entry is not None and entry.present:
            forgotten.setdefault(change.meeting_id, []).append(change)
    warnings = []
    for change in changes:
        if change.actions != ("start",):
            continue
        for old in forgotten.get(change.meeting_id, ()):
            warnings.append(
                f"{change.address} starts a recording of meeting {change.meeting_id}, while {old.address} (no "
                f"longer declared) is dropped from the state with recording {old.recording_id} ({old.status}) of "
                f'the same meeting. If {old.address} was renamed, add [[moved]] from = "{old.address}" to = '
                f'"{change.address}" to keep that recording; otherwise the API refuses a second active recording '
                "of a meeting unless both set allow_multiple_recordings = true"
            )
    return warnings


def _decide(
    recording: DesiredRecording,
    entry: RecordingEntry | None,
    pending: PendingStart | None,
    replace: bool,
    refreshed: bool,
) -> Change:
    def change(actions: tuple[Action, ...], reason: str) -> Change:
        starts = "start" in actions
        return Change(
            address=recording.address,
            meeting_id=recording.meeting_id,
            actions=actions,
            reason=reason,
            recording_id=entry.recording_id if entry else None,
            status=entry.status if entry else None,
            fields=recording.public_fields() if starts else {},
            sensitive=tuple(sorted(recording.sensitive_values())) if starts else (),
        )

    if pending is not None:
        unknown = f"an earlier start (sent {pending.time}) has an unknown outcome; {_resolution(refreshed)} first"
        return dataclasses.replace(change(("no-op",), unknown), notable=True)
    if entry is not None and entry.meeting_id != recording.meeting_id:
        # The address names another meeting now: the recording in state belongs to the old one.
        fresh = _decide(recording, None, None, replace, refreshed)
        note = (
            f"the declared meeting changed: recording {entry.recording_id} of meeting {entry.meeting_id} is no "
            "longer tracked here and keeps running"
        )
        return dataclasses.replace(
            fresh, reason=f"{fresh.reason}; {note}", recording_id=entry.recording_id, status=entry.status, notable=True
        )
    present = entry is not None and entry.present
    status = entry.status if entry is not None else None
    wanted = recording.status

    if replace:
        if status in ACTIVE_STATUSES:
            return change(("stop", "start"), f"replacement requested: stop {status}, then start a new recording")
        return change(("start",), "replacement requested: start a new recording")
    if wanted == "recording":
        if not present:
            return change(("start",), _missing_reason(entry))
        if status == "PAUSED":
            return _drifted(change(("resume",), 'PAUSED; declared status = "recording"'), recording, entry)
        return _drifted(change(("no-op",), f"already {status}"), recording, entry)
    if wanted == "paused":
        if status == "RECORDING":
            return _drifted(change(("pause",), 'RECORDING; declared status = "paused"'), recording, entry)
        if status == "INVOKED":
            return _drifted(change(("no-op",), "not recording yet (INVOKED); a later run pauses it"), recording, entry)
        if not present:
            return dataclasses.replace(
                change(("no-op",), 'declared status = "paused", and a paused recording is never started'), notable=True
            )
        return _drifted(change(("no-op",), f"already {status}"), recording, entry)
    if status in ACTIVE_STATUSES:
        return change(("stop",), f'{status}; declared status = "stopped"')
    return change(("no-op",), f'declared status = "stopped", and not active ({status or "not recorded"})')


def _held_back(change: Change, blocker: str, refreshed: bool) -> Change:
    reason = (
        f"held back: a start of this meeting ({blocker}) has an unknown outcome; {_resolution(refreshed)} first "
        f"(then: {', '.join(change.actions)})"
    )
    return dataclasses.replace(change, actions=("no-op",), reason=reason, notable=True, fields={}, sensitive=())


def _resolution(refreshed: bool) -> str:
    return "the next refresh resolves it" if refreshed else "run without --no-refresh to resolve it"


def _missing_reason(entry: RecordingEntry | None) -> str:
    if entry is None:
        return "not recorded yet"
    if entry.status == "ERRORED":
        return f"recording {entry.recording_id} errored"
    if entry.status == VANISHED:
        return f"recording {entry.recording_id} is no longer known to the API"
    return f"recording {entry.recording_id} is {entry.status}"


def _drifted(change: Change, recording: DesiredRecording, entry: RecordingEntry | None) -> Change:
    if entry is None:
        return change
    declared, secrets = recording.public_fields(), recording.sensitive_values()
    if not has_drift(entry.fields, entry.sensitive_digest, declared, secrets):
        return change
    drift = explain_drift(entry.fields, entry.sensitive_digest, declared, secrets)
    note = f"declared fields differ from the recording's (not restarted; use --replace {change.address})"
    return dataclasses.replace(change, reason=f"{change.reason}; {note}", drift=drift)


def _with_move(change: Change, source: str) -> Change:
    actions: tuple[Action, ...] = ("move",) if change.is_noop else ("move", *change.actions)
    reason = f"renamed from {source} ([[moved]])" + ("" if change.is_noop else f"; then {change.reason}")
    return dataclasses.replace(change, actions=actions, reason=reason, moved_from=source)


def _undeclared(address: str, entry: RecordingEntry | None, pending: PendingStart | None) -> Change:
    if pending is not None and entry is None:
        return Change(
            address=address,
            meeting_id=pending.meeting_id,
            actions=("no-op",),
            reason="no longer declared, but its last start has an unknown outcome; kept until refresh resolves it",
            notable=True,
        )
    assert entry is not None  # the caller passes addresses found in recordings or pending
    keeps = "keeps running" if entry.status in ACTIVE_STATUSES else "is kept by the API"
    return Change(
        address=address,
        meeting_id=entry.meeting_id,
        actions=("forget",),
        reason=f"no longer declared; dropped from state, no API call (recording {entry.recording_id} {keeps})",
        recording_id=entry.recording_id,
        status=entry.status,
    )


def _apply_moves(
    state: State, moved: Sequence[Moved], in_scope: Callable[[str], bool]
) -> tuple[dict[str, RecordingEntry], dict[str, str], list[str]]:
    """The recordings with `[[moved]]` renames applied; which address came from where; warnings."""
    recordings = dict(state.recordings)
    moved_from: dict[str, str] = {}
    warnings: list[str] = []
    for move in moved:
        source, target = move.from_address, move.to_address
        if source not in recordings or not (in_scope(source) or in_scope(target)):
            continue  # already moved, never recorded, or out of --target
        if target in recordings:
            warnings.append(f"[[moved]] {source} → {target} ignored: both addresses have a recording in state")
            continue
        if source in state.pending or target in state.pending:
            warnings.append(f"[[moved]] {source} → {target} waits: a start there has an unknown outcome")
            continue
        recordings[target] = recordings.pop(source)
        moved_from[target] = source
    return recordings, moved_from, warnings


def _check_replace(replace: Sequence[str], desired: Mapping[str, DesiredRecording]) -> None:
    for address in replace:
        recording = desired.get(address)
        if recording is None:
            raise UsageError(f"--replace {address}: no such declared address")
        if recording.status != "recording":
            raise UsageError(
                f"--replace {address}: its declared status is {recording.status}; only a recording declared "
                '`status = "recording"` can be replaced'
            )
