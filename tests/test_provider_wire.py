"""The wire format: both error envelopes into the error tree, success envelopes, recordings, retry-after."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from providers import (
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
from providers._wire import api_error, parse_data, parse_page, parse_recording, parse_retry_after

RECORDING = {
    "id": "eb614520-7b21-40f2-8c05-f1e9ff3d0ef9",
    "status": "RECORDING",
    "invoked_time": "2025-03-01T10:00:00.000Z",
    "started_time": "2025-03-01T10:00:02.500Z",
    "stopped_time": None,
    "output_file_name": "file.mp4",
    "session_id": None,
    "download_url": None,
    "download_url_expiry": None,
    "audio_download_url": None,
    "file_size": None,
    "recording_duration": 12,
}


def single(message: str, code: int = 0) -> bytes:
    return json.dumps({"success": False, "error": {"code": code, "message": message}}).encode()


def many(*messages: str) -> bytes:
    errors = [{"code": 1000 + i, "message": m} for i, m in enumerate(messages)]
    return json.dumps({"success": False, "errors": errors, "messages": [], "result": None}).encode()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, InvalidRequestError),
        (418, ProviderError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
    ids=lambda v: str(v) if isinstance(v, int) else v.__name__,
)
@pytest.mark.parametrize("envelope", ["error", "errors"])
def test_each_status_maps_to_its_error_with_the_api_message(
    status: int, expected: type[ProviderError], envelope: str
) -> None:
    body = single("the API says no", status) if envelope == "error" else many("the API says no", "and why")
    error = api_error(status, {"retry-after": "7"}, body, "read recording r1")
    assert type(error) is expected
    assert "the API says no" in str(error)
    assert str(error).startswith("read recording r1")
    if expected is not RateLimitedError:
        assert error.status == status
    if envelope == "errors" and status < 500 and status != 429:
        assert "and why" in str(error)
        assert error.code == "1000"


def test_rate_limited_carries_retry_after() -> None:
    error = api_error(429, {"retry-after": "42"}, many("slow down"), "list recordings")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 42.0


@pytest.mark.parametrize(
    "body",
    [b"<html>Not Found</html>", b"", b'{"success": true}', b'{"success": false}', b'{"success": false, "errors": []}'],
    ids=["html", "empty", "success-true", "no-error", "empty-errors"],
)
@pytest.mark.parametrize("status", [400, 401, 404, 409])
def test_a_4xx_without_the_envelope_is_an_invalid_response(body: bytes, status: int) -> None:
    error = api_error(status, {}, body, "read the active recording of meeting m")
    assert isinstance(error, InvalidResponseError)
    assert f"HTTP {status}" in str(error)


def test_a_5xx_without_the_envelope_is_still_a_server_error() -> None:
    error = api_error(502, {}, b"<html>Bad gateway</html>", "read recording r1")
    assert isinstance(error, ServerError)
    assert error.status == 502


def test_success_envelope_data_is_returned() -> None:
    assert parse_data(json.dumps({"success": True, "data": {"id": "x"}}).encode(), "w") == {"id": "x"}


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"success": false, "data": {}}', b'{"success": true}', b'{"success": true, "data": []}'],
    ids=["not-json", "array", "success-false", "no-data", "data-not-object"],
)
def test_a_2xx_without_the_success_envelope_is_an_invalid_response(body: bytes) -> None:
    with pytest.raises(InvalidResponseError, match=r"^w: "):
        parse_data(body, "w")


def test_recording_times_become_aware_utc_datetimes() -> None:
    recording = parse_recording(dict(RECORDING, invoked_time="2025-03-01T11:00:00+01:00"), "w", meeting_id="m")
    assert recording.invoked_time == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert recording.started_time == datetime(2025, 3, 1, 10, 0, 2, 500000, tzinfo=UTC)
    assert recording.stopped_time is None
    assert recording.meeting_id == "m"
    assert recording.recording_duration == 12
    naive = parse_recording(dict(RECORDING, invoked_time="2025-03-01T10:00:00"), "w")
    assert naive.invoked_time.tzinfo is UTC


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "without an id"),
        ({"id": ""}, "without an id"),
        ({"status": "DONE"}, "unknown recording status"),
        ({"invoked_time": None}, "without invoked_time"),
        ({"invoked_time": "yesterday"}, "not an ISO time"),
        ({"started_time": 12}, "not an ISO time"),
        ({"output_file_name": 3}, "not a string"),
    ],
    ids=["no-id", "empty-id", "bad-status", "no-invoked", "bad-time", "number-time", "number-name"],
)
def test_malformed_recordings_are_invalid_responses(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidResponseError, match=message):
        parse_recording(dict(RECORDING, **change), "w")


def test_a_page_takes_meeting_ids_from_the_embedded_meeting() -> None:
    item = dict(RECORDING, meeting={"id": "m1", "created_at": "2025-03-01T10:00:00Z", "updated_at": "x"})
    document = {"success": True, "data": [item], "paging": {"total_count": 3, "start_offset": 1, "end_offset": 1}}
    page = parse_page(json.dumps(document).encode(), "w")
    assert [r.meeting_id for r in page.recordings] == ["m1"]
    assert (page.total_count, page.end_offset) == (3, 1)


@pytest.mark.parametrize(
    "document",
    [
        {"success": True, "data": []},
        {"success": True, "paging": {"total_count": 0, "start_offset": 0, "end_offset": 0}},
        {"success": True, "data": [], "paging": {"start_offset": 0}},
        {"success": False, "data": [], "paging": {"total_count": 0, "start_offset": 0, "end_offset": 0}},
    ],
    ids=["no-paging", "no-data", "paging-fields", "not-success"],
)
def test_malformed_pages_are_invalid_responses(document: dict[str, Any]) -> None:
    with pytest.raises(InvalidResponseError):
        parse_page(json.dumps(document).encode(), "w")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), ("0.25", 0.25), ("-3", 0.0), ("soon", None), ("nan", None), (None, None)],
    ids=["seconds", "decimal", "negative", "garbage", "nan", "absent"],
)
def test_retry_after_in_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after({} if value is None else {"retry-after": value}) == expected


def test_retry_after_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = parse_retry_after({"retry-after": when})
    assert seconds is not None
    assert 25 <= seconds <= 31
