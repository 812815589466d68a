"""The status part of refresh: every recording in the state that has not reached a final status, as the API reports
it now, with the meeting of every answer checked.

- Many recordings: one paged list of the app's recent recordings covers them (a list answer names each one's
  meeting); a recording it does not show is looked up alone.
- Alone: the meeting's own list (again naming the meeting), and only when the recording is not there a GET, which
  tells "the API no longer knows it" (404) from "the API knows this id under another meeting".
- A recording the API no longer knows becomes VANISHED, unless every recording checked is unknown (two or more):
  a mass of 404s says the state is asked of the wrong API or app, not that every recording vanished; nothing is
  marked then, and the user is told.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from providers import NotFoundError, Provider, Recording
from reconciler._events import RefreshEvent
from reconciler._resolve import CLOCK_MARGIN
from reconciler._time import format_time, parse_time
from state import FINAL_STATUSES, VANISHED, RecordingEntry

__all__ = ["LIST_THRESHOLD", "RECENT", "StatusRefresh", "refresh_statuses"]

# Above this many recordings to update, one paged list call is cheaper than a lookup each.
LIST_THRESHOLD = 5
# A recording ends within a day (`max_seconds` ≤ 86,400): one still active after this is looked up alone rather
# than make every refresh page through the app's history since then.
RECENT = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class StatusRefresh:
    """The entries that changed, and what the user is told."""

    recordings: dict[str, RecordingEntry]
    events: tuple[RefreshEvent, ...]


def refresh_statuses(
    recordings: Mapping[str, RecordingEntry], provider: Provider, clock: Callable[[], datetime]
) -> StatusRefresh:
    to_update = {address: entry for address, entry in recordings.items() if entry.status not in FINAL_STATUSES}
    api_now = provider.api_time() or clock()
    listed = _list_recent(provider, to_update.values(), api_now) if len(to_update) > LIST_THRESHOLD else {}
    changed: dict[str, RecordingEntry] = {}
    events: list[RefreshEvent] = []
    unknown: dict[str, RecordingEntry] = {}
    for address, entry in to_update.items():
        latest = listed.get(entry.recording_id)
        if latest is None or latest.meeting_id != entry.meeting_id:
            latest = _lookup(provider, entry)
        if latest is None:
            unknown[address] = entry
        elif latest is _ELSEWHERE:
            changed[address] = dataclasses.replace(entry, status=VANISHED, updated_at=format_time(clock()))
            message = (
                f"the API knows recording {entry.recording_id}, but not as a recording of meeting {entry.meeting_id}: "
                "it is not the recording this address started (taken as gone)"
            )
            events.append(RefreshEvent(address, "foreign", message, entry.recording_id))
        elif latest.status != entry.status:
            changed[address] = dataclasses.replace(entry, status=latest.status, updated_at=format_time(clock()))
            message = f"recording {entry.recording_id}: {entry.status} → {latest.status}"
            events.append(RefreshEvent(address, "status", message, entry.recording_id))
    if len(unknown) >= 2 and len(unknown) == len(to_update):
        message = (
            f"the API knows none of the {len(unknown)} recordings checked: is this the right API and app? None is "
            "taken as gone. If they really are, remove them with `reconciler state rm`"
        )
        events.extend(RefreshEvent(address, "unverified", message, e.recording_id) for address, e in unknown.items())
        return StatusRefresh(changed, tuple(events))
    for address, entry in unknown.items():
        changed[address] = dataclasses.replace(entry, status=VANISHED, updated_at=format_time(clock()))
        message = f"recording {entry.recording_id} ({entry.status}) is no longer known to the API"
        events.append(RefreshEvent(address, "vanished", message, entry.recording_id))
    return StatusRefresh(changed, tuple(events))


def _list_recent(provider: Provider, entries: Iterable[RecordingEntry], now: datetime) -> dict[str, Recording]:
    """Every recording of the app invoked since the oldest recent one of `entries` was, by id: one paged list
    instead of a lookup each."""
    times = [parse_time(entry.invoked_time) for entry in entries if entry.invoked_time]
    recent = [moment for moment in times if moment >= now - RECENT]
    if not recent:
        return {}
    return {recording.id: recording for recording in provider.list(since=min(recent) - CLOCK_MARGIN)}


# What `_lookup` answers for an id the API knows, but not among the recordings of the entry's meeting.
_ELSEWHERE = Recording(id="-", status="ERRORED", invoked_time=datetime.min)


def _lookup(provider: Provider, entry: RecordingEntry) -> Recording | None:
    """The recording of `entry` as the API lists it under the entry's meeting; `_ELSEWHERE` when the API knows the
    id but not under that meeting; None when the API no longer knows it."""
    since = parse_time(entry.invoked_time) - CLOCK_MARGIN if entry.invoked_time else None
    for recording in provider.list(meeting_id=entry.meeting_id, since=since):
        if recording.id == entry.recording_id and recording.meeting_id == entry.meeting_id:
            return recording
    try:
        provider.get(entry.recording_id)
    except NotFoundError:
        return None
    return _ELSEWHERE
