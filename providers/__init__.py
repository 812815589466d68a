"""The RealtimeKit recordings API: the `Provider` protocol, its HTTP client, an in-memory fake, an emulator.

Imports neither `reconciler` nor `state`. `RealtimeKitClient` is imported on first use: httpx alone takes
~0.1 s to import, which commands that never touch the network should not pay. The emulator lives in
`providers.emulator`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from providers._errors import (
    ApiUnreachableError,
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
from providers._fake import FakeProvider, ProviderCall
from providers._ratelimit import RateLimiter, SharedBudget
from providers._time import format_time, parse_time
from providers._types import (
    ACTIVE_STATUSES,
    STATUSES,
    ControlAction,
    Provider,
    Recording,
    RecordingStatus,
    StartedBy,
    is_plain_id,
)

if TYPE_CHECKING:
    from providers._client import DEFAULT_BASE_URL, PAGE_SIZE, RealtimeKitClient, normalize_base_url

__all__ = [
    "ACTIVE_STATUSES",
    "DEFAULT_BASE_URL",
    "PAGE_SIZE",
    "STATUSES",
    "ApiUnreachableError",
    "AuthenticationError",
    "ConflictError",
    "ControlAction",
    "FakeProvider",
    "InvalidRequestError",
    "InvalidResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "Provider",
    "ProviderCall",
    "ProviderError",
    "RateLimitedError",
    "RateLimiter",
    "RealtimeKitClient",
    "Recording",
    "RecordingStatus",
    "ServerError",
    "SharedBudget",
    "StartedBy",
    "TransportError",
    "UncertainStartError",
    "format_time",
    "is_plain_id",
    "normalize_base_url",
    "parse_time",
]


def __getattr__(name: str) -> Any:
    if name in ("RealtimeKitClient", "DEFAULT_BASE_URL", "PAGE_SIZE", "normalize_base_url"):
        from providers import _client

        return getattr(_client, name)
    raise AttributeError(f"module 'providers' has no attribute {name!r}")
