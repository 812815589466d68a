"""What a provider is: the `Recording` value and the `Provider` protocol the planner and applier rely on."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

__all__ = [
    "ACTIVE_STATUSES",
    "STATUSES",
    "ControlAction",
    "Provider",
    "Recording",
    "RecordingStatus",
    "StartedBy",
    "is_plain_id",
]

RecordingStatus = Literal["INVOKED", "RECORDING", "PAUSED", "UPLOADING", "UPLOADED", "ERRORED"]
STATUSES: tuple[RecordingStatus, ...] = ("INVOKED", "RECORDING", "PAUSED", "UPLOADING", "UPLOADED", "ERRORED")
# A meeting may have one of these at a time unless the start allowed multiple recordings.
ACTIVE_STATUSES: frozenset[str] = frozenset({"INVOKED", "RECORDING", "PAUSED"})

ControlAction = Literal["stop", "pause", "resume"]

# Account, app, meeting and recording ids all end up as one segment of a URL path: letters, digits, `-` and `_`
# only, so that no id (from a file, a flag or an API answer) can be `..` or carry a `/`.
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def is_plain_id(text: object) -> bool:
    """Whether `text` is an id that is safe as one segment of a URL path."""
    return isinstance(text, str) and _PLAIN_ID.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class StartedBy:
    """Who started a recording, as the API's `start_reason` says: `reason` is "API_CALL" or "RECORD_ON_START",
    `caller_type` "ORGANIZATION" (an API token) or "USER" (a person, from a meeting's UI); None when not said."""

    reason: str | None = None
    caller_type: str | None = None

    @property
    def api_token(self) -> bool:
        """Started by a call of the API with a token, as the tool's own starts are."""
        return self.reason == "API_CALL" and self.caller_type in (None, "ORGANIZATION")


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording as the API reports it.

    `meeting_id` is known from list answers (they embed the meeting) and from starts; a GET of one recording
    does not carry it, so it may be None there. `started_by` is known from a GET, a start or a control answer,
    not from a list. Times are timezone-aware UTC, on the API's clock.
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
    started_by: StartedBy | None = None


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
        `since` bounds `invoked_time` (the API's `start_time`), on the API's clock.
        """
        ...

    def control(
        self, recording_id: str, action: ControlAction, *, before_send: Callable[[], None] | None = None
    ) -> Recording:
        """Stop, pause or resume a recording; returns it as the API reports it afterwards. `before_send` is
        called right before each attempt goes out; an exception it raises stops the call, unsent."""
        ...

    def check_access(self) -> None:
        """One cheap call that proves the token is accepted and the account and app answer. Raises the
        `ProviderError` that says what is wrong (401, 403, 404 for an unknown app, unreachable)."""
        ...

    def api_time(self) -> datetime | None:
        """The API's clock now, as measured from its answers (their `Date` header); None until an answer said."""
        ...
