"""The errors a provider raises, as one tree.

    ProviderError                    any failure talking to the recordings API
    ├── AuthenticationError          401: the token is missing, malformed or revoked
    ├── PermissionDeniedError        403: the token lacks a permission ("Realtime Admin")
    ├── NotFoundError                404: no such recording, meeting or app
    ├── ConflictError                409: the meeting already has an active recording
    ├── InvalidRequestError          400 / 422: the API refused the body or query
    ├── RateLimitedError             429 after retries ran out; carries `retry_after` seconds
    ├── ServerError                  5xx after retries ran out (never raised by a start: see below)
    ├── TransportError               the connection failed after retries ran out
    │   └── ApiUnreachableError      ... and the client gave up on the API: later calls of the run fail at once
    ├── InvalidResponseError         the API answered something that is not its documented envelope
    └── UncertainStartError          a start whose outcome is unknown: a timeout, a connection dropped after
                                     the request was sent, or a 5xx. The recording may or may not exist;
                                     resolve it from the API before starting that meeting again.

Every message is the API's own where it gave one. No error ever holds the API token.
"""

from __future__ import annotations

__all__ = [
    "ApiUnreachableError",
    "AuthenticationError",
    "ConflictError",
    "InvalidRequestError",
    "InvalidResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "UncertainStartError",
]


class ProviderError(Exception):
    """Any failure talking to the recordings API.

    `status` is the HTTP status when there was one; `code` is the API's error code when it gave one.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class AuthenticationError(ProviderError):
    """401: the token is missing, malformed or revoked."""


class PermissionDeniedError(ProviderError):
    """403: the token lacks a permission."""


class NotFoundError(ProviderError):
    """404: no such recording, meeting or app."""


class ConflictError(ProviderError):
    """409: the meeting already has an active recording and the start did not allow multiple."""


class InvalidRequestError(ProviderError):
    """400 or 422: the API refused the request body or query."""


class RateLimitedError(ProviderError):
    """429 after retries ran out. `retry_after` is the server's wait in seconds."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ServerError(ProviderError):
    """5xx after retries ran out."""


class TransportError(ProviderError):
    """The connection failed (refused, reset, timed out) after retries ran out."""


class ApiUnreachableError(TransportError):
    """The API could not be reached, or did not answer, through every attempt of a call. The client then sends
    nothing more: every later call fails at once with this error, so that a run spends a bounded time on an API
    that is down (one call's attempts, not one per action)."""


class InvalidResponseError(ProviderError):
    """The API answered with something that is not its documented envelope."""


class UncertainStartError(ProviderError):
    """A start whose outcome is unknown: the recording may or may not have been created.

    `meeting_id` names the meeting; the caller must resolve the start from the API (design §5.3) before
    sending anything else for that meeting.
    """

    def __init__(self, message: str, *, meeting_id: str, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.meeting_id = meeting_id
