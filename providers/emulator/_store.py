"""The emulator's recordings, per (account, app): creation, the one-active rule, statuses over time, listing.

Statuses advance lazily, from timestamps, whenever a recording is read: INVOKED becomes RECORDING `STARTUP`
seconds after the start, RECORDING becomes UPLOADING when stopped or once `max_seconds` have been recorded, and
UPLOADING becomes UPLOADED `UPLOAD` seconds later. All three durations are divided by `speed`. Not thread-safe on
its own: the emulator calls it under one lock.
"""

from __future__ import annotations

import bisect
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from providers._lifecycle import CONTROL_RESULT, control_refusal
from providers._time import format_time
from providers._types import ACTIVE_STATUSES, ControlAction, RecordingStatus
from providers.emulator._validation import ListQuery

__all__ = ["STARTUP", "UPLOAD", "RecordingStore", "StoredRecording"]

STARTUP = 2.0
UPLOAD = 2.0
_DOWNLOAD_DAYS = 7
_MAX_SECONDS = 86400


def iso(moment: float | None) -> str | None:
    """An emulator time (epoch seconds) as the API writes times."""
    return None if moment is None else format_time(datetime.fromtimestamp(moment, UTC))


@dataclass
class StoredRecording:
    """One recording as the emulator keeps it. `since` is when `status` began; `recorded` counts emulated
    seconds of recording before `since`."""

    id: str
    account_id: str
    app_id: str
    meeting_id: str
    body: dict[str, Any]
    invoked: float
    status: RecordingStatus = "INVOKED"
    since: float = 0.0
    recorded: float = 0.0
    started: float | None = None
    stopped: float | None = None
    uploaded: float | None = None
    stop_reason: str | None = None
    # The API's `start_reason`: ("API_CALL", "ORGANIZATION") for a start with a token; ("API_CALL", "USER") for a
    # person in the meeting's UI; ("RECORD_ON_START", None) for a meeting that records itself.
    started_by: tuple[str, str | None] = ("API_CALL", "ORGANIZATION")

    @property
    def allow_multiple(self) -> bool:
        return self.body.get("allow_multiple_recordings") is True


@dataclass
class _Scope:
    recordings: list[StoredRecording] = field(default_factory=list)  # in invoked order
    by_meeting: dict[str, list[StoredRecording]] = field(default_factory=dict)
    meetings_seen: dict[str, tuple[float, float]] = field(default_factory=dict)  # created_at, updated_at


class RecordingStore:
    """Every recording the emulator knows. `clock` is epoch seconds; `ids` draws recording ids."""

    def __init__(self, *, speed: float, clock: Callable[[], float], ids: random.Random) -> None:
        self.speed = speed
        self._clock = clock
        self._ids = ids
        self._scopes: dict[tuple[str, str], _Scope] = {}
        self._by_id: dict[str, StoredRecording] = {}
        self._last_invoked = 0.0

    def now(self) -> float:
        return self._clock()

    def all(self) -> list[StoredRecording]:
        now = self.now()
        return [self._settle(r, now) for r in sorted(self._by_id.values(), key=lambda r: r.invoked)]

    def find(self, recording_id: str, scope: tuple[str, str] | None = None) -> StoredRecording | None:
        recording = self._by_id.get(recording_id)
        if recording is None or (scope is not None and (recording.account_id, recording.app_id) != scope):
            return None
        return self._settle(recording, self.now())

    def active(self, scope: tuple[str, str], meeting_id: str) -> list[StoredRecording]:
        now = self.now()
        found = self._scopes[scope].by_meeting.get(meeting_id, []) if scope in self._scopes else []
        return [r for r in found if self._settle(r, now).status in ACTIVE_STATUSES]

    def conflict(self, scope: tuple[str, str], body: dict[str, Any]) -> StoredRecording | None:
        """The active recording that forbids this start, if any: both sides must allow multiple recordings."""
        allow = body.get("allow_multiple_recordings") is True
        return next((r for r in self.active(scope, body["meeting_id"]) if not (allow and r.allow_multiple)), None)

    def create(
        self,
        scope: tuple[str, str],
        body: dict[str, Any],
        started_by: tuple[str, str | None] = ("API_CALL", "ORGANIZATION"),
    ) -> StoredRecording:
        # Invoked times never go backwards, so every scope's list stays sorted for bisect; and they are whole
        # milliseconds, as the API shows them, so filtering by a time read back from the API is exact.
        now = max(math.floor(self.now() * 1000) / 1000, self._last_invoked)
        self._last_invoked = now
        recording_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
        meeting_id = body["meeting_id"]
        recording = StoredRecording(
            recording_id, scope[0], scope[1], meeting_id, body, invoked=now, since=now, started_by=started_by
        )
        place = self._scopes.setdefault(scope, _Scope())
        place.recordings.append(recording)
        place.by_meeting.setdefault(meeting_id, []).append(recording)
        place.meetings_seen[meeting_id] = (place.meetings_seen.get(meeting_id, (now, now))[0], now)
        self._by_id[recording_id] = recording
        return recording

    def control(self, recording: StoredRecording, action: ControlAction) -> str | None:
        """Apply `action`; the refusal message when the current status does not allow it."""
        refusal = control_refusal(action, recording.status)
        if refusal is not None:
            return refusal
        now = self.now()
        if recording.status == "RECORDING":
            recording.recorded += (now - recording.since) * self.speed
        recording.status, recording.since = CONTROL_RESULT[action], now
        if action == "stop":
            recording.stopped, recording.stop_reason = now, "API_CALL"
        return None

    def set_status(self, recording: StoredRecording, status: RecordingStatus) -> None:
        """Force a status (inspection route); time moves it on from there as usual."""
        now = self.now()
        if recording.status == "RECORDING":
            recording.recorded += (now - recording.since) * self.speed
        recording.status, recording.since = status, now
        if status in ("RECORDING", "PAUSED") and recording.started is None:
            recording.started = now
        if status in ("UPLOADING", "UPLOADED", "ERRORED") and recording.stopped is None:
            recording.stopped = now
        if status == "UPLOADED" and recording.uploaded is None:
            recording.uploaded = now
        if status == "ERRORED":
            recording.stop_reason = "INTERNAL_ERROR"

    def forget(self, recording: StoredRecording) -> None:
        del self._by_id[recording.id]
        place = self._scopes[(recording.account_id, recording.app_id)]
        place.recordings.remove(recording)
        place.by_meeting[recording.meeting_id].remove(recording)

    def query(
        self, scope: tuple[str, str], query: ListQuery, *, unfiltered: bool = False
    ) -> tuple[list[StoredRecording], int, int]:
        """One page of the list call: (recordings, total_count, offset of the first one). `unfiltered` ignores the
        meeting and time filters, as a broken API might."""
        place = self._scopes.get(scope, _Scope())
        found = place.by_meeting.get(query.meeting_id, []) if query.meeting_id and not unfiltered else place.recordings
        start_time = None if unfiltered else query.start_time
        low = 0 if start_time is None else bisect.bisect_left(found, start_time, key=lambda r: r.invoked)
        high = (
            len(found)
            if query.end_time is None
            else bisect.bisect_right(found, query.end_time, key=lambda r: r.invoked)
        )
        now = self.now()
        selected = [
            r
            for r in found[low:high]
            if (not query.statuses or self._settle(r, now).status in query.statuses)
            and (query.expired is None or self._expired(r, now) == query.expired)
            and (query.search is None or query.search in r.meeting_id)
        ]
        if not query.ascending:
            selected.reverse()
        offset = (query.page_no - 1) * query.per_page
        return [self._settle(r, now) for r in selected[offset : offset + query.per_page]], len(selected), offset

    def render(self, recording: StoredRecording, *, meeting: bool = False, reasons: bool = False) -> dict[str, Any]:
        """The API's JSON for a recording: every required field, nullable ones null until they apply."""
        now = self.now()
        body = recording.body
        uploaded = recording.status == "UPLOADED"
        bucket = (body.get("realtimekit_bucket_config") or {}).get("enabled", True)
        has_file = uploaded and bucket
        duration = recording.recorded + ((now - recording.since) * self.speed if recording.status == "RECORDING" else 0)
        name = f"{body.get('file_name_prefix', '')}{recording.meeting_id}_{int(recording.invoked * 1000)}.mp4"
        data: dict[str, Any] = {
            "id": recording.id,
            "status": recording.status,
            "invoked_time": iso(recording.invoked),
            "started_time": iso(recording.started),
            "stopped_time": iso(recording.stopped),
            "output_file_name": name,
            "session_id": None
            if recording.started is None
            else str(uuid.uuid5(uuid.NAMESPACE_URL, recording.meeting_id)),
            "download_url": f"https://recordings.emulator.invalid/{recording.id}/{name}" if has_file else None,
            "download_url_expiry": iso((recording.uploaded or now) + _DOWNLOAD_DAYS * 86400) if has_file else None,
            "audio_download_url": (
                f"https://recordings.emulator.invalid/{recording.id}/audio.m4a"
                if has_file and "audio_config" in body
                else None
            ),
            "file_size": int(duration * 250_000) if uploaded else None,
            "recording_duration": int(duration),
        }
        if meeting:
            created, updated = self._scopes[(recording.account_id, recording.app_id)].meetings_seen.get(
                recording.meeting_id, (recording.invoked, recording.invoked)
            )
            data["meeting"] = {"id": recording.meeting_id, "created_at": iso(created), "updated_at": iso(updated)}
        if reasons:
            reason, caller = recording.started_by
            data["start_reason"] = {"reason": reason}
            if caller is not None:
                data["start_reason"]["caller"] = {"type": caller, "name": "emulator"}
            if recording.stop_reason is not None:
                data["stop_reason"] = {"reason": recording.stop_reason}
        return data

    def _expired(self, recording: StoredRecording, now: float) -> bool:
        return recording.uploaded is not None and recording.uploaded + _DOWNLOAD_DAYS * 86400 < now

    def _settle(self, recording: StoredRecording, now: float) -> StoredRecording:
        """Move the recording along the statuses time has brought it to."""
        speed = self.speed
        while True:
            if recording.status == "INVOKED" and now >= recording.since + STARTUP / speed:
                recording.status, recording.since = "RECORDING", recording.since + STARTUP / speed
                recording.started = recording.since
            elif recording.status == "RECORDING":
                limit = float(recording.body.get("max_seconds", _MAX_SECONDS))
                ends = recording.since + (limit - recording.recorded) / speed
                if now < ends:
                    return recording
                recording.status, recording.since, recording.recorded = "UPLOADING", ends, limit
                recording.stopped = ends
            elif recording.status == "UPLOADING" and now >= recording.since + UPLOAD / speed:
                recording.status, recording.since = "UPLOADED", recording.since + UPLOAD / speed
                recording.uploaded = recording.since
            else:
                return recording
