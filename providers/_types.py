"""What a provider is: the `Recording` value and the `Provider` protocol the planner and applier rely on."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

__all__ = ["ACTIVE_STATUSES", "STATUSES", "ControlAction", "Provider", "Recording", "RecordingStatus"]

RecordingStatus = Literal["INVOKED", "RECORDING", "PAUSED", "UPLOADING", "UPLOADED", "ERRORED"]
STATUSES: tuple[RecordingStatus, ...] = ("INVOKED", "RECORDING", "PAUSED", "UPLOADING", "UPLOADED", "ERRORED")
# A meeting may have one of these at a time unless the start allowed multiple recordings.
ACTIVE_STATUSES: frozenset[str] = frozenset({"INVOKED", "RECORDING", "PAUSED"})

ControlAction = Literal["stop", "pause", "resume"]


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording as the API reports it.

    `meeting_id` is known from list answers (they embed the meeting) and from starts; a GET of one recording
    does not carry it, so it may be None there. Times are timezone-aware UTC.
    """

    id: str
    status: RecordingStatus
    invoked_time: datetime
    meeting_id: str | None = None
    started_time: datetime | None = None
    stopped_time: datetime | None = None
    output_file_name: str | None = None
    session_id: str | None = None
    download_url: str | None = None
    recording_duration: int | None = None


class Provider(Protocol):
    """The recordings API as the reconciler needs it. Implementations: `RealtimeKitClient`, `FakeProvider`.

    Every method raises a `ProviderError` subclass on failure, never anything else.
    """

    def start(
        self, meeting_id: str, body: Mapping[str, Any], *, before_send: Callable[[], None] | None = None
    ) -> Recording:
        """Start a recording of `meeting_id` with exactly `body` (the start fields, without `meeting_id`).

        Sent at most once unless the API certainly did nothing (a 429, a connection never established).
        `before_send` is called right before each attempt goes out (after any wait for the rate limit): the
        applier journals its intent there, so that the intent's time is when the request left. An exception it
        raises stops the start, unsent. Raises `UncertainStartError` when the recording may or may not exist,
        `ConflictError` when the meeting already has an active recording.
        """
        ...

    def get(self, recording_id: str) -> Recording:
        """Read one recording. Raises `NotFoundError` when the API does not know it."""
        ...

    def list(self, *, meeting_id: str | None = None, since: datetime | None = None) -> Iterator[Recording]:
        """Every recording of the app (or of one meeting) invoked at `since` or later, oldest invoked first.

        Pages are fetched inside, lazily: a caller that stops iterating sends no further request.
        `since` bounds `invoked_time` (the API's `start_time`).
        """
        ...

    def control(self, recording_id: str, action: ControlAction) -> Recording:
        """Stop, pause or resume a recording; returns it as the API reports it afterwards."""
        ...
