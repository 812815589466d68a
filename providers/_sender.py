"""`RetryingSender`: how a request is sent, by what the server may have done with it (design §5).

- GET and PUT: retried on connection errors, timeouts, 429 and 5xx, with jittered exponential backoff (`attempts`
  tries in all). A 429 pauses every caller until its `retry-after` (capped at 300 s).
- The start POST: retried only when the server certainly did nothing, a 429 or a connection that was never
  established. A timeout, a connection dropped after sending, or an answer that cannot be read raise
  `UncertainStartError` at once: the request is never sent twice.

Every attempt first waits for the shared `RateLimiter`. Requests go straight to an httpx transport, not through an
`httpx.Client` (its cookies, redirects, auth flows and event hooks are unused here and cost a third of each
request's CPU time, which `apply` spends at hundreds a second); by default `StdlibTransport`, for the same reason.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from providers._clock import ApiClock
from providers._errors import InvalidResponseError, TransportError, UncertainStartError
from providers._ratelimit import RateLimiter
from providers._transport import StdlibTransport
from providers._wire import api_error, parse_retry_after

__all__ = ["MAX_RETRY_AFTER", "RetryingSender"]

MAX_RETRY_AFTER = 300.0  # Cloudflare blocks for 5 minutes at most
_BACKOFF_CAP = 8.0
_QUIET_WAIT = 5.0  # seconds: shorter waits are logged at INFO (shown with --debug), longer ones at WARNING

logger = logging.getLogger("providers.realtimekit")

# Raised before a single byte of the request left: a start may safely be sent again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class RetryingSender:
    """Sends requests to `prefix` + path with the retry policy above. Thread-safe; one pool of kept-alive
    connections (`max_idle_connections` of them at most between requests)."""

    def __init__(
        self,
        *,
        base_url: str,
        prefix: str,
        headers: Mapping[str, str],
        timeout: httpx.Timeout,
        limiter: RateLimiter,
        clock: ApiClock,
        attempts: int,
        backoff: float,
        transport: httpx.BaseTransport | None,
        max_idle_connections: int,
    ) -> None:
        self.limiter = limiter
        self.clock = clock
        self._base_url = base_url  # named in messages
        self._prefix = prefix
        # Parsing a URL is a fifth of an httpx request's CPU time: the paths sent over and over are parsed once.
        self._url = functools.lru_cache(maxsize=64)(lambda path: httpx.URL(prefix + path))
        self._headers = httpx.Headers(headers)
        self._timeout = timeout.as_dict()
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._transport = transport or StdlibTransport(max_idle=max_idle_connections)

    def close(self) -> None:
        self._transport.close()

    def send(
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
                    raise TransportError(f"{what}: cannot reach {self._base_url}: {_describe(error)}") from error
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
            self._url(path) if params is None else self._prefix + path,
            params=params,
            headers=self._headers,
            json=body,
            extensions={"timeout": self._timeout},
        )
        sent = self.clock.local()
        response = self._transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        self.clock.observe(response.headers.get("date"), sent, self.clock.local())
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
        httpx.ReadError: "the connection failed while waiting for the answer",
        httpx.WriteError: "the connection failed while sending the request",
        httpx.RemoteProtocolError: "the connection was dropped",
    }
    detail = str(error)
    return f"{names.get(type(error), type(error).__name__)}" + (f" ({detail})" if detail else "")
