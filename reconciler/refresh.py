"""Refresh: bring the state in line with what the API reports, without starting, pausing or stopping anything.

First one cheap call proves that the token is accepted and that the account and app answer (and measures the
API's clock). Then, in this order:
1. Resolve every start left uncertain in the state (`pending`), as design §5.3 says (`_resolve.py`): adopted, or
   still pending (held back until a stated time), or concluded to have created nothing and kept as a suspect.
2. Watch the suspects (design §5.4): a recording of their meeting that appeared late is adopted when the address
   has none, and otherwise reported as a duplicate with the command that stops it. Suspects expire after a day.
3. Update every recording that has not reached a final status (INVOKED, RECORDING, PAUSED, UPLOADING), checking
   the meeting of every answer used (`_statuses.py`).

`refresh_state` is a function of (state, provider, bound): it returns the new state and what changed, and writes
nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from providers import Provider, Recording
from reconciler._events import EventKind, RefreshEvent
from reconciler._resolve import (
    SUSPECT_FOR,
    Adopted,
    Ambiguous,
    NothingCreated,
    StillPending,
    candidates_since,
    intent_api_time,
    resolve_uncertain_start,
    stop_command,
    suspect_of,
    untracked_note,
)
from reconciler._statuses import refresh_statuses
from reconciler._time import format_time, parse_time, utc_now
from state import PendingStart, RecordingEntry, State, SuspectStart

__all__ = ["RefreshEvent", "RefreshResult", "entry_from_recording", "refresh_state"]


@dataclass(frozen=True, slots=True)
class RefreshResult:
    state: State
    events: tuple[RefreshEvent, ...]


def entry_from_recording(recording: Recording, start: PendingStart, now: datetime) -> RecordingEntry:
    """The state entry for a recording made by `start` (its meeting, and the fields it was started with)."""
    return RecordingEntry(
        meeting_id=start.meeting_id,
        recording_id=recording.id,
        status=recording.status,
        fields=dict(start.fields),
        sensitive_digest=start.sensitive_digest,
        invoked_time=format_time(recording.invoked_time),
        updated_at=format_time(now),
    )


def refresh_state(
    state: State, provider: Provider, *, bound: timedelta, clock: Callable[[], datetime] = utc_now
) -> RefreshResult:
    """The state as the API reports it now; `bound` is how long a start may stay in the API's hands
    (`_resolve.settle_bound`). Raises `ProviderError` when the API cannot be asked."""
    provider.check_access()
    run = _Refresh(state, provider, clock)
    for address, start in sorted(state.pending.items()):
        run.resolve(address, start, bound)
    run.watch_suspects()
    statuses = refresh_statuses(run.recordings, provider, clock)
    run.recordings.update(statuses.recordings)
    events = (*run.events, *statuses.events)
    new = dataclasses.replace(state, recordings=run.recordings, pending=run.pending, suspects=tuple(run.suspects))
    return RefreshResult(state=new, events=events)


class _Refresh:
    """The bookkeeping of one refresh: what the state will hold, and what the user is told."""

    def __init__(self, state: State, provider: Provider, clock: Callable[[], datetime]) -> None:
        self.state = state
        self.provider = provider
        self.clock = clock
        self.recordings = dict(state.recordings)
        self.pending = dict(state.pending)
        self.suspects = list(state.suspects)
        self.owned = {entry.recording_id for entry in state.recordings.values()}
        self.events: list[RefreshEvent] = []

    def event(self, address: str, kind: EventKind, message: str, recording_id: str | None = None) -> None:
        self.events.append(RefreshEvent(address, kind, message, recording_id))

    def adopt(self, address: str, recording: Recording, start: PendingStart) -> None:
        self.recordings[address] = entry_from_recording(recording, start, self.clock())
        self.owned.add(recording.id)

    def resolve(self, address: str, start: PendingStart, bound: timedelta) -> None:
        resolution = resolve_uncertain_start(self.provider, start, self.owned, bound=bound)
        if isinstance(resolution, Adopted):
            found = resolution.recording
            self.adopt(address, found, start)
            del self.pending[address]
            message = f"an uncertain start created recording {found.id} ({found.status}): adopted"
            self.event(address, "adopted", message, found.id)
        elif isinstance(resolution, Ambiguous):
            names = ", ".join(f"{r.id} (invoked {format_time(r.invoked_time)})" for r in resolution.candidates)
            message = (
                f"an uncertain start sent at {start.time} may have created any of {len(resolution.candidates)} "
                f"recordings of meeting {start.meeting_id}: {names}. None is adopted and nothing is started for "
                f"this meeting until you say which is this address's: `reconciler import {address} RECORDING_ID`"
            )
            self.event(address, "ambiguous", message)
        elif isinstance(resolution, NothingCreated):
            del self.pending[address]
            sent = intent_api_time(start, self.provider)
            if sent is not None:
                self.suspects.append(suspect_of(address, start, sent))
            message = (
                f"an uncertain start sent at {start.time} created nothing (no recording appeared in the time the API "
                "may take); it may be started again. Should the API still create one within a day, the next "
                "refresh adopts or reports it"
            )
            self.event(address, "none-created", message)
        else:
            self.event(address, "pending", _still_pending(start, resolution))

    def watch_suspects(self) -> None:
        """Adopt or report recordings that suspects' starts created late; forget suspects older than a day."""
        api_now = self.provider.api_time()
        kept: list[SuspectStart] = []
        reported: set[str] = set()
        for suspect in self.suspects:
            sent = parse_time(suspect.api_time)
            if api_now is not None and api_now > sent + SUSPECT_FOR:
                continue  # a day has passed: no longer watched
            kept.append(suspect)
            if api_now is None:
                continue  # without the API's clock, "invoked after" cannot be told
            for late in candidates_since(self.provider, suspect.meeting_id, sent, self.owned):
                if late.id not in reported:
                    self.late(suspect, late)
                    reported.add(late.id)
        self.suspects = kept

    def late(self, suspect: SuspectStart, late: Recording) -> None:
        address = suspect.address
        current = self.recordings.get(address)
        if (current is None or not current.present) and address not in self.pending:
            start = PendingStart(suspect.meeting_id, suspect.api_time, suspect.fields, suspect.sensitive_digest)
            self.adopt(address, late, start)
            message = (
                f"recording {late.id} of meeting {suspect.meeting_id} was created late by a start concluded to have "
                "created nothing: adopted"
            )
            self.event(address, "late-adopted", message, late.id)
            return
        holder = f"holds recording {current.recording_id}" if current is not None else "has a start in flight"
        message = (
            f"{untracked_note(late, suspect.meeting_id)}: the API created it late for a start concluded to have "
            f"created nothing, and {address} {holder}. It is a duplicate; stop it with: "
            f"{stop_command(self.state.binding, late.id)}"
        )
        self.event(address, "duplicate", message, late.id)


def _still_pending(start: PendingStart, resolution: StillPending) -> str:
    if resolution.until is None:
        return (
            f"a start sent at {start.time} has an unknown outcome, and the API's answers carry no Date header, so "
            "whether it may still create a recording cannot be told; its meeting is held back"
        )
    return (
        f"a start sent at {start.time} has an unknown outcome and no recording of it is found yet; its meeting is "
        f"held back until {format_time(resolution.until)} (the API's clock), when the API can no longer be at work "
        "on it"
    )
