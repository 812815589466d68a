"""`import ADDR RECORDING_ID`: adopt a recording that exists in the API under a declared address.

The checks come first, so that a mistake changes nothing: the address is declared and holds no recording (or
only a start whose outcome is unknown, which this settles: the way to name which of several candidates was the
start's), the recording is not already behind another address, and the API lists it among the declared meeting's
recordings. The API does not report the fields a recording was started with, so they are taken as declared.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from providers import NotFoundError, Provider, is_plain_id
from reconciler._digest import sensitive_digest
from reconciler._resolve import CLOCK_MARGIN
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
    """`state` with `recording_id` behind `declared.address` (and its unknown start, if any, settled); raises
    `UsageError` when it cannot be."""
    address = declared.address
    if not is_plain_id(recording_id):
        raise UsageError(f"{recording_id!r} is not a recording id (letters, digits, - and _)")
    if address in state.recordings and address not in state.pending:
        current = state.recordings[address].recording_id
        raise UsageError(f"{address} already holds recording {current}; `reconciler state rm` it first")
    for other, entry in state.recordings.items():
        if entry.recording_id == recording_id:
            raise UsageError(f"recording {recording_id} is already in state as {other}")
    try:
        recording = provider.get(recording_id)
    except NotFoundError:
        raise UsageError(f"recording {recording_id} not found in this app") from None
    # A recording read alone does not say its meeting: find it among the declared meeting's recordings.
    since = recording.invoked_time - CLOCK_MARGIN
    listed = provider.list(meeting_id=declared.meeting_id, since=since)
    if not any(r.id == recording.id and r.meeting_id == declared.meeting_id for r in listed):
        raise UsageError(f"recording {recording.id} is not a recording of meeting {declared.meeting_id} ({address})")
    start = PendingStart(
        meeting_id=declared.meeting_id,
        time=format_time(recording.invoked_time),
        fields=declared.public_fields(),
        sensitive_digest=sensitive_digest(declared.sensitive_values()),
    )
    entry = entry_from_recording(recording, start, clock())
    pending = {other: start for other, start in state.pending.items() if other != address}
    return dataclasses.replace(state, recordings={**state.recordings, address: entry}, pending=pending)
