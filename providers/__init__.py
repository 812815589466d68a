"""The RealtimeKit recordings API: the `Provider` protocol, its HTTP client, an in-memory fake, an emulator.

Imports neither `reconciler` nor `state`.
"""

from __future__ import annotations

from providers._errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    RateLimitedError,
    ServerError,
    TransportError,
    UncertainStartError,
)
from providers._types import ACTIVE_STATUSES, STATUSES, ControlAction, Provider, Recording, RecordingStatus

__all__ = [
    "ACTIVE_STATUSES",
    "STATUSES",
    "AuthenticationError",
    "ConflictError",
    "ControlAction",
    "InvalidRequestError",
    "InvalidResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "Provider",
    "ProviderError",
    "RateLimitedError",
    "Recording",
    "RecordingStatus",
    "ServerError",
    "TransportError",
    "UncertainStartError",
]
