"""`RealtimeKitClient`: the `Provider` over HTTP: the five calls of design §2 and what their answers mean.

Sending, with the retry policy and the shared rate limiter, is `RetryingSender`'s job (`_sender.py`). What this
module adds on top:
- an unreadable 2xx or a 5xx answer to a start raises `UncertainStartError`: the recording may exist;
- a PUT retried after a doubt may find its own first attempt already applied (a second `stop` is refused); the
  client then reads the recording and returns it when it is in the status the action leads to;
- every id that goes into a URL (account, app, meeting, recording) is a plain identifier, checked before any
  request: an id such as `..` would make a request address another resource;
- the API's clock, measured from every answer (`ApiClock`), is what `api_time()` reports.

The token lives in one request header and nowhere else: not in errors, log lines or `repr`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from providers._clock import ApiClock
from providers._errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    InvalidResponseError,
    ProviderError,
    UncertainStartError,
)
from providers._http import Answer
from providers._lifecycle import CONTROL_RESULT
from providers._ratelimit import RateLimiter, SharedBudget
from providers._sender import RetryingSender
from providers._time import format_time
from providers._types import ControlAction, Recording, is_plain_id
from providers._wire import api_error, parse_data, parse_page, parse_recording

__all__ = ["DEFAULT_BASE_URL", "PAGE_SIZE", "RealtimeKitClient", "normalize_base_url"]

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
PAGE_SIZE = 100  # the largest page the emulator serves; the client pages on `paging`, so a smaller cap is fine too


_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def normalize_base_url(base_url: str) -> str:
    """The base URL as one spelling: scheme and host in lower case, the default port and any trailing `/` dropped.
    Raises `ProviderError` for anything but an http(s) URL, and for `http://` to any host but this machine (the
    token would travel in clear)."""
    parts = urlsplit(base_url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host or parts.username or parts.password or parts.query or parts.fragment:
        raise ProviderError(f"the API base URL {base_url!r} is not an http:// or https:// URL of a host and a path")
    if scheme == "http" and host not in _LOOPBACK_HOSTS and not host.startswith("127."):
        raise ProviderError(
            f"the API base URL {base_url!r} is http://, which would send the API token in clear: use https:// "
            "(plain http is accepted only for this machine, as the bundled emulator)"
        )
    try:
        port = parts.port
    except ValueError:
        raise ProviderError(f"the API base URL {base_url!r} has an invalid port") from None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


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
        shared_budget: SharedBudget | None = None,
        max_idle_connections: int = 32,
    ) -> None:
        base_url = normalize_base_url(base_url)
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise AuthenticationError("the API token is empty or malformed; check CLOUDFLARE_API_TOKEN")
        if not account_id or not app_id:
            raise ProviderError("the account id and the app id are both required")
        for name, value in (("account id", account_id), ("app id", app_id)):
            if not is_plain_id(value):
                raise ProviderError(f"the {name} {value!r} is not a plain identifier (letters, digits, - and _)")
        self.account_id = account_id
        self.app_id = app_id
        self.base_url = base_url
        prefix = f"{self.base_url}/accounts/{quote(account_id, safe='')}/realtime/kit/{quote(app_id, safe='')}/"
        self._http = RetryingSender(
            base_url=self.base_url,
            prefix=prefix,
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": f"reconciler/{version}",
                "Accept": "application/json",
            },
            timeout=timeout,
            connect_timeout=connect_timeout,
            limiter=RateLimiter(rate, max_per_window=max_per_window, shared=shared_budget),
            clock=ApiClock(),
            attempts=attempts,
            backoff=backoff,
            transport=transport,
            max_idle_connections=max_idle_connections,
        )
        self.limiter = self._http.limiter

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
        self._http.close()

    # The five calls of design §2.

    def start(
        self, meeting_id: str, body: Mapping[str, Any], *, before_send: Callable[[], None] | None = None
    ) -> Recording:
        what = f"start a recording of meeting {meeting_id}"
        _check_id("meeting", meeting_id, what)
        if "meeting_id" in body:
            raise InvalidRequestError(f"{what}: the body must not carry meeting_id (it is sent from the argument)")
        response, _ = self._http.send(
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
        _check_id("recording", recording_id, what)
        response, _ = self._http.send("GET", f"recordings/{quote(recording_id, safe='')}", what)
        return parse_recording(self._data(response, what), what)

    def list(self, *, meeting_id: str | None = None, since: datetime | None = None) -> Iterator[Recording]:
        what = "list recordings" + (f" of meeting {meeting_id}" if meeting_id else "")
        if meeting_id is not None:
            _check_id("meeting", meeting_id, what)
        params: list[tuple[str, str]] = [
            ("sort_by", "invokedTime"),
            ("sort_order", "ASC"),
            ("per_page", str(PAGE_SIZE)),
        ]
        if meeting_id is not None:
            params.append(("meeting_id", meeting_id))
        if since is not None:
            params.append(("start_time", format_time(since)))
        page_no = 1
        while True:
            response, _ = self._http.send("GET", "recordings", what, params=(*params, ("page_no", str(page_no))))
            if response.status_code != 200:
                raise api_error(response.status_code, response.headers, response.content, what)
            page = parse_page(response.content, what)
            yield from page.recordings
            if not page.recordings or page.end_offset >= page.total_count:
                return
            page_no += 1

    def control(
        self, recording_id: str, action: ControlAction, *, before_send: Callable[[], None] | None = None
    ) -> Recording:
        what = f"{action} recording {recording_id}"
        _check_id("recording", recording_id, what)
        path = f"recordings/{quote(recording_id, safe='')}"
        response, doubted = self._http.send("PUT", path, what, json={"action": action}, before=before_send)
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

    def check_access(self) -> None:
        what = f"check access to app {self.app_id} of account {self.account_id}"
        params = (("sort_by", "invokedTime"), ("per_page", "1"), ("page_no", "1"))
        response, _ = self._http.send("GET", "recordings", what, params=params)
        if response.status_code != 200:
            raise api_error(response.status_code, response.headers, response.content, what)
        parse_page(response.content, what)

    def api_time(self) -> datetime | None:
        return self._http.clock.now()

    # Answers.

    def _data(self, response: Answer, what: str) -> dict[str, Any]:
        if not 200 <= response.status_code < 300:
            raise api_error(response.status_code, response.headers, response.content, what)
        return parse_data(response.content, what, response.status_code)


def _check_id(kind: str, value: str, what: str) -> None:
    if not is_plain_id(value):
        raise InvalidRequestError(f"{what}: {value!r} is not a plain {kind} id (letters, digits, - and _); not sent")
