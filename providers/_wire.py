"""The API's wire format: success and error envelopes, `Recording` from JSON, HTTP errors into the error tree.

Pure functions of (status, headers, body bytes), so they are tested without a network. Anything that is not the
documented envelope becomes `InvalidResponseError`; error messages are the API's own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeGuard, cast

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
)
from providers._time import parse_time
from providers._types import STATUSES, Recording, RecordingStatus, StartedBy, is_plain_id

__all__ = ["Page", "api_error", "parse_data", "parse_page", "parse_recording", "parse_retry_after"]

_ERRORS_BY_STATUS: dict[int, type[ProviderError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidRequestError,
}
_HINTS = {
    401: " Check CLOUDFLARE_API_TOKEN.",
    403: " The token needs the 'Realtime Admin' permission on this account.",
}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list answer."""

    recordings: list[Recording]
    total_count: int
    end_offset: int


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999
        raise ValueError(f"the number {text} is out of range")
    return number


def _not_a_number(name: str) -> float:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity, -Infinity: Python's json accepts them by default


def _loads(body: bytes) -> Any:
    """JSON as the standard says it: no NaN or Infinity, no number out of a float's range. Raises ValueError
    (or UnicodeDecodeError) for anything else, a document nested too deeply to parse included."""
    try:
        return json.loads(body, parse_float=_finite, parse_constant=_not_a_number)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _json(body: bytes, what: str, status: int) -> Any:
    try:
        return _loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        snippet = body[:80].decode("utf-8", "replace").strip()
        raise InvalidResponseError(
            f"{what}: the API answered HTTP {status} with a body that is not JSON ({error}; {snippet!r})"
        ) from None


def parse_data(body: bytes, what: str, status: int = 200) -> dict[str, Any]:
    """The `data` object of a success envelope."""
    document = _json(body, what, status)
    if (
        not isinstance(document, dict)
        or document.get("success") is not True
        or not isinstance(document.get("data"), dict)
    ):
        raise InvalidResponseError(f"{what}: the API answered HTTP {status} without its success envelope")
    return cast(dict[str, Any], document["data"])


def parse_page(body: bytes, what: str) -> Page:
    """A list answer: `data` (recordings carrying `meeting.id`) and `paging`."""
    document = _json(body, what, 200)
    if not isinstance(document, dict) or document.get("success") is not True:
        raise InvalidResponseError(f"{what}: the API answered without its success envelope")
    data, paging = document.get("data"), document.get("paging")
    if not isinstance(data, list) or not isinstance(paging, dict):
        raise InvalidResponseError(f"{what}: the API answered a list without `data` and `paging`")
    total, end = paging.get("total_count"), paging.get("end_offset")
    if not _is_number(total) or not _is_number(end):
        raise InvalidResponseError(f"{what}: the API answered `paging` without total_count and end_offset")
    recordings = []
    for item in data:
        meeting = item.get("meeting") if isinstance(item, dict) else None
        meeting_id = meeting.get("id") if isinstance(meeting, dict) else None
        recordings.append(parse_recording(item, what, meeting_id=meeting_id if isinstance(meeting_id, str) else None))
    return Page(recordings, int(total), int(end))


def parse_recording(data: Any, what: str, *, meeting_id: str | None = None) -> Recording:
    """A `Recording` from the API's JSON object; `meeting_id` when the caller knows it."""
    if not isinstance(data, dict):
        raise InvalidResponseError(f"{what}: the API answered a recording that is not an object")
    recording_id, status = data.get("id"), data.get("status")
    if not isinstance(recording_id, str) or not recording_id:
        raise InvalidResponseError(f"{what}: the API answered a recording without an id")
    if not is_plain_id(recording_id):
        raise InvalidResponseError(f"{what}: the API answered a recording id that is not a plain identifier")
    if status not in STATUSES:
        raise InvalidResponseError(f"{what}: the API answered an unknown recording status {status!r}")
    invoked = _time(data, "invoked_time", what)
    if invoked is None:
        raise InvalidResponseError(f"{what}: the API answered recording {recording_id} without invoked_time")
    duration = data.get("recording_duration")
    return Recording(
        id=recording_id,
        status=cast(RecordingStatus, status),
        invoked_time=invoked,
        meeting_id=meeting_id,
        started_time=_time(data, "started_time", what),
        stopped_time=_time(data, "stopped_time", what),
        output_file_name=_text(data, "output_file_name", what),
        session_id=_text(data, "session_id", what),
        download_url=_text(data, "download_url", what),
        recording_duration=int(duration) if _is_number(duration) and math.isfinite(duration) else None,
        started_by=_started_by(data.get("start_reason")),
    )


def _started_by(reason: Any) -> StartedBy | None:
    """The API's `start_reason` object; None when the answer has none (list answers)."""
    if not isinstance(reason, dict):
        return None
    caller = reason.get("caller")
    caller_type = caller.get("type") if isinstance(caller, dict) else None
    text = reason.get("reason")
    return StartedBy(
        reason=text if isinstance(text, str) else None,
        caller_type=caller_type if isinstance(caller_type, str) else None,
    )


def api_error(status: int, headers: Mapping[str, str], body: bytes, what: str) -> ProviderError:
    """The error for a non-2xx answer, with the API's message from either envelope of design §2."""
    if status == 429:
        retry_after = parse_retry_after(headers) or 0.0
        reason = _message(body) or "too many requests"
        return RateLimitedError(f"{what}: rate limited by the API: {reason}", retry_after=retry_after)
    if status >= 500:
        return ServerError(
            f"{what}: the API failed with HTTP {status}: {_message(body) or 'no message'}", status=status
        )
    message = _message(body)
    if message is None:
        snippet = body[:80].decode("utf-8", "replace").strip()
        return InvalidResponseError(
            f"{what}: the API answered HTTP {status} without its error envelope ({snippet!r}); "
            "is CLOUDFLARE_BASE_URL right?",
            status=status,
        )
    error_class = _ERRORS_BY_STATUS.get(status, ProviderError)
    return error_class(f"{what}: {message} (HTTP {status}).{_HINTS.get(status, '')}", status=status, code=_code(body))


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """`retry-after` in seconds (delay-seconds, decimals accepted, or an HTTP date); None when absent or bad."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _errors(body: bytes) -> list[dict[str, Any]] | None:
    try:
        document = _loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("success") is not False:
        return None
    single, many = document.get("error"), document.get("errors")
    if isinstance(single, dict) and isinstance(single.get("message"), str):
        return [single]
    if isinstance(many, list) and many and all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in many):
        return many
    return None


def _message(body: bytes) -> str | None:
    errors = _errors(body)
    return "; ".join(e["message"] for e in errors) if errors else None


def _code(body: bytes) -> str | None:
    errors = _errors(body)
    code = errors[0].get("code") if errors else None
    return None if code is None else str(code)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(data: dict[str, Any], key: str, what: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidResponseError(f"{what}: the API answered a recording whose {key} is not a string")


def _time(data: dict[str, Any], key: str, what: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return parse_time(value)
    except ValueError:
        pass
    raise InvalidResponseError(f"{what}: the API answered a recording whose {key} is not an ISO time: {value!r}")
