"""`import ADDR RECORDING_ID`: adopt a recording that exists in the API under a declared address.

The checks come first, so that a mistake changes nothing: the address is declared and free (no recording, no
unresolved start), the recording is not already behind another address, and it belongs to the declared meeting.
The API does not report the fields a recording was started with, so they are taken as declared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

from providers import NotFoundError, Provider
from reconciler._digest import sensitive_digest
from reconciler._time import format_time, utc_now
from reconciler.config import DesiredRecording
from reconciler.errors import UsageError
from reconciler.refresh import entry_from_recording
from state import PendingStart, State

__all__ = ["adopt_recording"]


def adopt_recording(
    state: State,
    declared: DesiredRecording,
    recording_id: str,
    provider: Provider,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> State:
    """`state` with `recording_id` behind `declared.address`; raises `UsageError` when it cannot be."""
    address = declared.address
    if address in state.recordings:
        current = state.recordings[address].recording_id
        raise UsageError(f"{address} already holds recording {current}; `reconciler state rm` it first")
    if address in state.pending:
        raise UsageError(f"{address} has a start with an unknown outcome; run `reconciler refresh` first")
    for other, entry in state.recordings.items():
        if entry.recording_id == recording_id:
            raise UsageError(f"recording {recording_id} is already in state as {other}")
    try:
        recording = provider.get(recording_id)
    except NotFoundError:
        raise UsageError(f"recording {recording_id} not found in this app") from None
    # A recording read alone does not say its meeting: find it among the declared meeting's recordings.
    since = recording.invoked_time - timedelta(minutes=1)
    if not any(r.id == recording.id for r in provider.list(meeting_id=declared.meeting_id, since=since)):
        raise UsageError(f"recording {recording.id} is not a recording of meeting {declared.meeting_id} ({address})")
    start = PendingStart(
        meeting_id=declared.meeting_id,
        time=format_time(recording.invoked_time),
        fields=declared.public_fields(),
        sensitive_digest=sensitive_digest(declared.sensitive_values()),
    )
    entry = entry_from_recording(recording, start, clock())
    return dataclasses.replace(state, recordings={**state.recordings, address: entry})
