"""`RealtimeKitClient`: the `Provider` over HTTP, with the retry policy of design §5 and a shared rate limiter.

Retry policy, by what the server may have done:
- GET and PUT: retried on connection errors, timeouts, 429 and 5xx, with jittered exponential backoff (`attempts`
  tries in all). A 429 pauses every caller of this client until its `retry-after` (capped at 300 s).
- The start POST: retried only when the server certainly did nothing, a 429 or a connection that was never
  established. A timeout, a connection dropped after sending, a 5xx or an unreadable 2xx raise
  `UncertainStartError` at once: the request is never sent twice.
- A PUT retried after such a doubt may find its own first attempt already applied (a second `stop` is refused);
  the client then reads the recording and returns it when it is in the status the action leads to.

The token lives in one request header and nowhere else: not in errors, log lines or `repr`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from providers._errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderError,
    TransportError,
    UncertainStartError,
)
from providers._lifecycle import CONTROL_RESULT
from providers._ratelimit import RateLimiter
from providers._types import ControlAction, Recording, RecordingStatus
from providers._wire import api_error, parse_data, parse_page, parse_recording, parse_retry_after

__all__ = ["DEFAULT_BASE_URL", "PAGE_SIZE", "RealtimeKitClient"]

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
PAGE_SIZE = 100  # the largest page the emulator serves; the client pages on `paging`, so a smaller cap is fine too
MAX_RETRY_AFTER = 300.0  # Cloudflare blocks for 5 minutes at most
_BACKOFF_CAP = 8.0
_QUIET_WAIT = 5.0  # seconds: shorter waits are logged at INFO (shown with --debug), longer ones at WARNING

logger = logging.getLogger("providers.realtimekit")

# Raised before a single byte of the request left: a start may safely be sent again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class RealtimeKitClient:
    """The RealtimeKit recordings API of one app. Thread-safe; one connection pool shared by all threads."""

    def __init__(
        self,
        *,
        account_id: str,
        app_id: str,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        rate: float = 4.0,
        max_per_window: int | None = 1200,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 0.5,
        version: str = "unknown",
        transport: httpx.BaseTransport | None = None,
        max_connections: int = 32,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            raise ProviderError(f"the API base URL {base_url!r} is not an http:// or https:// URL")
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise AuthenticationError("the API token is empty or malformed; check CLOUDFLARE_API_TOKEN")
        if not account_id or not app_id:
            raise ProviderError("the account id and the app id are both required")
        self.account_id = account_id
        self.app_id = app_id
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(rate, max_per_window=max_per_window)
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._prefix = f"{self.base_url}/accounts/{quote(account_id, safe='')}/realtime/kit/{quote(app_id, safe='')}/"
        self._headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": f"reconciler/{version}",
            "Accept": "application/json",
        }
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout).as_dict()
        # The transport, not an `httpx.Client`: the client's cookies, redirects, auth flows and event hooks are
        # unused here and cost a third of each request's CPU time, which `apply` spends at hundreds a second.
        self._transport = transport or httpx.HTTPTransport(
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        )

    def __repr__(self) -> str:
        return f"RealtimeKitClient(base_url={self.base_url!r}, account_id={self.account_id!r}, app_id={self.app_id!r})"

    def __enter__(self) -> RealtimeKitClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._transport.close()

    # The five calls of design §2.

    def start(
        self, meeting_id: str, body: Mapping[str, Any], *, before_send: Callable[[], None] | None = None
    ) -> Recording:
        what = f"start a recording of meeting {meeting_id}"
        if "meeting_id" in body:
            raise InvalidRequestError(f"{what}: the body must not carry meeting_id (it is sent from the argument)")
        response, _ = self._send(
            "POST", "recordings", what, json={"meeting_id": meeting_id, **body}, start=meeting_id, before=before_send
        )
        status = response.status_code
        if 200 <= status < 300:
            try:
                return parse_recording(parse_data(response.content, what, status), what, meeting_id=meeting_id)
            except InvalidResponseError as error:
                raise UncertainStartError(
                    f"{error.message}; the recording may have been created", meeting_id=meeting_id, status=status
                ) from error
        if 400 <= status < 500:
            raise api_error(status, response.headers, response.content, what)
        raise UncertainStartError(
            f"{what}: the API answered HTTP {status}; the recording may have been created",
            meeting_id=meeting_id,
            status=status,
        )

    def get(self, recording_id: str) -> Recording:
        what = f"read recording {recording_id}"
        response, _ = self._send("GET", f"recordings/{quote(recording_id, safe='')}", what)
        return parse_recording(self._data(response, what), what)

    def active(self, meeting_id: str) -> Recording | None:
        what = f"read the active recording of meeting {meeting_id}"
        response, _ = self._send("GET", f"recordings/active-recording/{quote(meeting_id, safe='')}", what)
        if response.status_code == 404:
            error = api_error(404, response.headers, response.content, what)
            if isinstance(error, NotFoundError):
                return None
            raise error
        return parse_recording(self._data(response, what), what, meeting_id=meeting_id)

    def list(
        self,
        *,
        meeting_id: str | None = None,
        statuses: Iterable[RecordingStatus] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[Recording]:
        what = "list recordings" + (f" of meeting {meeting_id}" if meeting_id else "")
        params: list[tuple[str, str]] = [
            ("sort_by", "invokedTime"),
            ("sort_order", "ASC"),
            ("per_page", str(PAGE_SIZE)),
        ]
        if meeting_id is not None:
            params.append(("meeting_id", meeting_id))
        params.extend(("status", status) for status in statuses)
        if since is not None:
            params.append(("start_time", _iso(since)))
        if until is not None:
            params.append(("end_time", _iso(until)))
        page_no = 1
        while True:
            response, _ = self._send("GET", "recordings", what, params=(*params, ("page_no", str(page_no))))
            if response.status_code != 200:
                raise api_error(response.status_code, response.headers, response.content, what)
            page = parse_page(response.content, what)
            yield from page.recordings
            if not page.recordings or page.end_offset >= page.total_count:
                return
            page_no += 1

    def control(self, recording_id: str, action: ControlAction) -> Recording:
        what = f"{action} recording {recording_id}"
        path = f"recordings/{quote(recording_id, safe='')}"
        response, doubted = self._send("PUT", path, what, json={"action": action})
        try:
            return parse_recording(self._data(response, what), what)
        except (InvalidRequestError, ConflictError):
            if not doubted:
                raise
            # An earlier attempt may have been applied before its answer was lost: then this refusal is our own.
            recording = self.get(recording_id)
            reached = {"UPLOADING", "UPLOADED"} if action == "stop" else {CONTROL_RESULT[action]}
            if recording.status in reached:
                return recording
            raise

    # Transport.

    def _data(self, response: httpx.Response, what: str) -> dict[str, Any]:
        if not 200 <= response.status_code < 300:
            raise api_error(response.status_code, response.headers, response.content, what)
        return parse_data(response.content, what, response.status_code)

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: tuple[tuple[str, str], ...] | None = None,
        json: Mapping[str, Any] | None = None,
        start: str | None = None,
        before: Callable[[], None] | None = None,
    ) -> tuple[httpx.Response, bool]:
        """Send with the retry policy; returns the final answer (429 and 5xx excepted: those raise once retries
        run out) and whether an earlier attempt may have reached the server. `start` names the meeting of a start
        POST, which is never sent twice; `before` is called right before each attempt goes out."""
        doubted = False
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            self.limiter.acquire()
            if before is not None:
                before()
            try:
                response = self._request(method, path, params, json)
            except _NOT_SENT as error:
                if last:
                    raise TransportError(f"{what}: cannot reach {self.base_url}: {_describe(error)}") from error
                self._wait(_jitter(self._backoff, attempt), what, attempt, _describe(error))
                continue
            except httpx.TransportError as error:
                if start is not None:
                    raise UncertainStartError(
                        f"{what}: {_describe(error)} after the request was sent; the recording may have been created",
                        meeting_id=start,
                    ) from error
                if last:
                    raise TransportError(f"{what}: {_describe(error)}") from error
                doubted = True
                self._wait(_jitter(self._backoff, attempt), what, attempt, _describe(error))
                continue
            except httpx.HTTPError as error:  # an answer that cannot be read (a bad Content-Encoding, say)
                if start is not None:
                    raise UncertainStartError(
                        f"{what}: the answer could not be read ({error}); the recording may have been created",
                        meeting_id=start,
                    ) from error
                raise InvalidResponseError(f"{what}: the answer could not be read ({error})") from error
            status = response.status_code
            if status == 429:
                wait = min(parse_retry_after(response.headers) or _jitter(self._backoff, attempt), MAX_RETRY_AFTER)
                self.limiter.pause_until(time.monotonic() + wait)
                if last:
                    raise api_error(status, response.headers, response.content, what)
                # A long wait is worth a word even without --debug: a 5-minute block must not look like a hang.
                logger.log(
                    logging.WARNING if wait >= _QUIET_WAIT else logging.INFO,
                    "%s: rate limited (HTTP 429); every call waits %.1f s (attempt %d of %d)",
                    what,
                    wait,
                    attempt,
                    self._attempts,
                )
                continue
            if status >= 500 and start is None:
                if last:
                    raise api_error(status, response.headers, response.content, what)
                doubted = True
                wait = min(parse_retry_after(response.headers) or _jitter(self._backoff, attempt), MAX_RETRY_AFTER)
                self._wait(wait, what, attempt, f"HTTP {status}")
                continue
            return response, doubted
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _request(
        self, method: str, path: str, params: tuple[tuple[str, str], ...] | None, body: Mapping[str, Any] | None
    ) -> httpx.Response:
        request = httpx.Request(
            method,
            self._prefix + path,
            params=params,
            headers=self._headers,
            json=body,
            extensions={"timeout": self._timeout},
        )
        response = self._transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        return response

    def _wait(self, seconds: float, what: str, attempt: int, reason: str) -> None:
        logger.info("%s: %s; retrying in %.2f s (attempt %d of %d)", what, reason, seconds, attempt, self._attempts)
        time.sleep(seconds)


def _jitter(base: float, attempt: int) -> float:
    """Equal-jitter exponential backoff: half the step fixed, half random, so threads spread out."""
    step = min(_BACKOFF_CAP, base * 2.0 ** (attempt - 1))
    return step / 2 + random.uniform(0, step / 2)


def _describe(error: httpx.TransportError) -> str:
    names = {
        httpx.ConnectError: "connection failed",
        httpx.ConnectTimeout: "connection timed out",
        httpx.PoolTimeout: "no free connection in the pool",
        httpx.ReadTimeout: "timed out waiting for the answer",
        httpx.WriteTimeout: "timed out sending the request",
        httpx.RemoteProtocolError: "the connection was dropped",
    }
    detail = str(error)
    return f"{names.get(type(error), type(error).__name__)}" + (f" ({detail})" if detail else "")


def _iso(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")
