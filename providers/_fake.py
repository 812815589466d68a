"""`FakeProvider`: an in-memory `Provider` for unit tests of the planner, applier and refresh.

It keeps the API's rules (one active recording per meeting unless both sides allow multiple, the control
transitions of `providers._lifecycle`, 404 for unknown ids) without a network or the passage of time: statuses
change only through `control` and `set_status`. Ids are deterministic (`00000000-0000-4000-8000-000000000001`, ...)
and the clock is injectable; it is the API's clock (`api_time`). Failures are scripted per call:

    fake.fail_next("start", UncertainStartError("timed out", meeting_id=m), after_change=True)

makes the next start create its recording and then raise, as a start whose answer was lost does. Every call is
logged in `calls`, every start body in `start_bodies`. Thread-safe: the applier calls it from worker threads.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from providers._errors import ConflictError, InvalidRequestError, NotFoundError, ProviderError
from providers._lifecycle import CONTROL_RESULT, control_refusal
from providers._types import ACTIVE_STATUSES, ControlAction, Recording, RecordingStatus, StartedBy

__all__ = ["FakeProvider", "ProviderCall"]

ProviderCall = Literal["start", "get", "list", "control", "check"]
_BY_TOKEN = StartedBy(reason="API_CALL", caller_type="ORGANIZATION")


@dataclass
class _Entry:
    recording: Recording
    allow_multiple: bool


@dataclass(frozen=True)
class _Failure:
    error: ProviderError
    after_change: bool


class FakeProvider:
    """An in-memory `Provider`. `clock` gives aware datetimes; new recordings start in `initial_status`."""

    def __init__(
        self, *, clock: Callable[[], datetime] | None = None, initial_status: RecordingStatus = "INVOKED"
    ) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.initial_status: RecordingStatus = initial_status
        self.calls: list[tuple[str, ...]] = []
        self.start_bodies: list[tuple[str, dict[str, Any]]] = []
        self._entries: dict[str, _Entry] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._count = 0
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"FakeProvider(recordings={len(self._entries)}, calls={len(self.calls)})"

    # Scripting and inspection (not part of `Provider`).

    def fail_next(self, call: ProviderCall, error: ProviderError, *, after_change: bool = False) -> None:
        """Make the next `call` raise `error`; with `after_change`, only after doing what it was asked (a start
        refused with 409 or a control refused as invalid raises that refusal instead: nothing changed)."""
        with self._lock:
            self._failures.setdefault(call, deque()).append(_Failure(error, after_change))

    def add(
        self,
        meeting_id: str,
        *,
        status: RecordingStatus = "RECORDING",
        allow_multiple: bool = False,
        invoked_time: datetime | None = None,
        started_by: StartedBy = _BY_TOKEN,
    ) -> Recording:
        """A recording started outside the tool (no call logged): by default through the API with a token, as
        another script would; `StartedBy(reason="API_CALL", caller_type="USER")` is a person in the meeting."""
        with self._lock:
            recording = Recording(
                id=self._new_id(),
                status=status,
                invoked_time=invoked_time or self.clock(),
                meeting_id=meeting_id,
                started_by=started_by,
            )
            self._entries[recording.id] = _Entry(recording, allow_multiple)
            return recording

    def set_status(self, recording_id: str, status: RecordingStatus) -> None:
        """Move a recording to `status`, as time or the API would (e.g. to ERRORED)."""
        with self._lock:
            entry = self._entry(recording_id, "set the status of")
            entry.recording = replace(entry.recording, status=status)

    def forget(self, recording_id: str) -> None:
        """The API forgets the recording: it answers 404 from now on."""
        with self._lock:
            self._entry(recording_id, "forget")
            del self._entries[recording_id]

    def recordings(self, meeting_id: str | None = None) -> list[Recording]:
        """Every recording (of one meeting), oldest first, without logging a call."""
        with self._lock:
            return [e.recording for e in self._entries.values() if meeting_id in (None, e.recording.meeting_id)]

    # The `Provider` protocol.

    def start(
        self, meeting_id: str, body: Mapping[str, Any], *, before_send: Callable[[], None] | None = None
    ) -> Recording:
        if before_send is not None:
            before_send()
        with self._lock:
            self.calls.append(("start", meeting_id))
            self.start_bodies.append((meeting_id, dict(body)))
            failure = self._failure("start")
            if failure is not None and not failure.after_change:
                raise failure.error
            allow_multiple = body.get("allow_multiple_recordings") is True
            for entry in self._entries.values():
                active = entry.recording.meeting_id == meeting_id and entry.recording.status in ACTIVE_STATUSES
                if active and not (allow_multiple and entry.allow_multiple):
                    raise ConflictError(f"meeting {meeting_id} already has an active recording", status=409)
            recording = Recording(
                id=self._new_id(),
                status=self.initial_status,
                invoked_time=self.clock(),
                meeting_id=meeting_id,
                started_by=_BY_TOKEN,
            )
            self._entries[recording.id] = _Entry(recording, allow_multiple)
            if failure is not None:
                raise failure.error
            return recording

    def get(self, recording_id: str) -> Recording:
        with self._lock:
            self.calls.append(("get", recording_id))
            failure = self._failure("get")
            if failure is not None:
                raise failure.error
            return replace(self._entry(recording_id, "read").recording, meeting_id=None)

    def list(self, *, meeting_id: str | None = None, since: datetime | None = None) -> Iterator[Recording]:
        with self._lock:
            self.calls.append(("list", meeting_id or ""))
            failure = self._failure("list")
            if failure is not None:
                raise failure.error
            found = [
                replace(r, started_by=None)  # a list answer does not say who started a recording
                for r in self.recordings(meeting_id)
                if since is None or r.invoked_time >= since
            ]
        yield from sorted(found, key=lambda r: r.invoked_time)

    def control(
        self, recording_id: str, action: ControlAction, *, before_send: Callable[[], None] | None = None
    ) -> Recording:
        if before_send is not None:
            before_send()
        with self._lock:
            self.calls.append(("control", recording_id, action))
            failure = self._failure("control")
            if failure is not None and not failure.after_change:
                raise failure.error
            entry = self._entry(recording_id, action)
            refusal = control_refusal(action, entry.recording.status)
            if refusal is not None:
                raise InvalidRequestError(f"{action} recording {recording_id}: {refusal}", status=400)
            now = self.clock()
            changes: dict[str, Any] = {"status": CONTROL_RESULT[action]}
            if action == "stop":
                changes["stopped_time"] = now
            elif entry.recording.started_time is None:
                changes["started_time"] = now
            entry.recording = replace(entry.recording, **changes)
            if failure is not None:
                raise failure.error
            return replace(entry.recording, meeting_id=None)

    def check_access(self) -> None:
        with self._lock:
            self.calls.append(("check",))
            failure = self._failure("check")
            if failure is not None:
                raise failure.error

    def api_time(self) -> datetime | None:
        return self.clock()

    def _new_id(self) -> str:
        self._count += 1
        return f"00000000-0000-4000-8000-{self._count:012d}"

    def _entry(self, recording_id: str, what: str) -> _Entry:
        entry = self._entries.get(recording_id)
        if entry is None:
            raise NotFoundError(f"{what} recording {recording_id}: no such recording", status=404)
        return entry

    def _failure(self, call: ProviderCall) -> _Failure | None:
        queue = self._failures.get(call)
        return queue.popleft() if queue else None
