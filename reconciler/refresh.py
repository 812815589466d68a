"""Refresh: bring the state in line with what the API reports, without starting, pausing or stopping anything.

Two jobs, in this order:
1. Resolve every start left uncertain in the state (`pending`), as design §5.3 says.
2. Update every recording that has not reached a final status (INVOKED, RECORDING, PAUSED, UPLOADING). When
   there are many, one paged list call covers the recent ones instead of a GET each; a recording the list does
   not show is read alone, and one the API no longer knows becomes VANISHED (UPLOADED ones are history and stay).

`refresh_state` is a function of (state, provider, clock): it returns the new state and what changed, and
writes nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from providers import NotFoundError, Provider, Recording
from reconciler._resolve import CLOCK_SKEW, resolve_uncertain_start, untracked_note
from reconciler._time import format_time, parse_time, utc_now
from state import FINAL_STATUSES, VANISHED, PendingStart, RecordingEntry, State

__all__ = ["LIST_THRESHOLD", "RECENT", "RefreshEvent", "RefreshResult", "entry_from_recording", "refresh_state"]

# Above this many recordings to update, one paged list call is cheaper than a GET each.
LIST_THRESHOLD = 5
RECENT = timedelta(days=2)

EventKind = Literal["status", "vanished", "adopted", "none-created", "untracked"]


@dataclass(frozen=True, slots=True)
class RefreshEvent:
    """One thing refresh learned, for the user: `message` is a full sentence without the address."""

    address: str
    kind: EventKind
    message: str
    recording_id: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"address": self.address, "kind": self.kind, "message": self.message, "recording_id": self.recording_id}


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
    state: State,
    provider: Provider,
    *,
    settle: timedelta = timedelta(0),
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> RefreshResult:
    """The state as the API reports it now; `settle` is how long a start may stay in the API's hands (see
    `resolve_uncertain_start`)."""
    events: list[RefreshEvent] = []
    recordings = dict(state.recordings)
    pending = dict(state.pending)

    owned = {entry.recording_id for entry in recordings.values()}
    for address, start in sorted(state.pending.items()):
        resolution = resolve_uncertain_start(
            provider, start.meeting_id, parse_time(start.time), owned, settle=settle, clock=clock, sleep=sleep
        )
        del pending[address]
        if resolution.adopted is None:
            events.append(RefreshEvent(address, "none-created", "an uncertain start created nothing"))
        else:
            adopted = resolution.adopted
            recordings[address] = entry_from_recording(adopted, start, clock())
            owned.add(adopted.id)
            message = f"an uncertain start created recording {adopted.id} ({adopted.status}): adopted"
            events.append(RefreshEvent(address, "adopted", message, adopted.id))
        for extra in resolution.untracked:
            events.append(RefreshEvent(address, "untracked", untracked_note(extra, start.meeting_id), extra.id))

    to_update = {address: entry for address, entry in recordings.items() if entry.status not in FINAL_STATUSES}
    listed = _list_recent(provider, to_update.values(), clock()) if len(to_update) > LIST_THRESHOLD else {}
    for address, entry in to_update.items():
        latest = listed.get(entry.recording_id) or _get(provider, entry.recording_id)
        if latest is None:
            recordings[address] = dataclasses.replace(entry, status=VANISHED, updated_at=format_time(clock()))
            message = f"recording {entry.recording_id} ({entry.status}) is no longer known to the API"
            events.append(RefreshEvent(address, "vanished", message, entry.recording_id))
        elif latest.status != entry.status:
            recordings[address] = dataclasses.replace(entry, status=latest.status, updated_at=format_time(clock()))
            message = f"recording {entry.recording_id}: {entry.status} → {latest.status}"
            events.append(RefreshEvent(address, "status", message, entry.recording_id))
    return RefreshResult(state=dataclasses.replace(state, recordings=recordings, pending=pending), events=tuple(events))


def _list_recent(provider: Provider, entries: Iterable[RecordingEntry], now: datetime) -> dict[str, Recording]:
    """Every recording invoked since the oldest recent one of `entries` was, by id: one paged list instead of a
    GET each. A recording ends within a day (`max_seconds` ≤ 86,400), so one still active after `RECENT` is an
    oddity: it is left to a GET rather than make every refresh page through the app's history since then."""
    times = [parse_time(entry.invoked_time) for entry in entries if entry.invoked_time]
    recent = [moment for moment in times if moment >= now - RECENT]
    if not recent:
        return {}
    return {recording.id: recording for recording in provider.list(since=min(recent) - CLOCK_SKEW)}


def _get(provider: Provider, recording_id: str) -> Recording | None:
    try:
        return provider.get(recording_id)
    except NotFoundError:
        return None
