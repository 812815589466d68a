"""`RetryingSender`: how a request is sent, by what the server may have done with it (design §5).

- GET and PUT: retried on connection errors, timeouts, 429 and 5xx, with jittered exponential backoff (`attempts`
  tries in all). A 429 pauses every caller until its `retry-after` (capped at 300 s).
- The start POST: retried only when the server certainly did nothing, a 429 or a connection that was never
  established. A timeout, a connection dropped after sending, or an answer that cannot be read raise
  `UncertainStartError` at once: the request is never sent twice.
- Each attempt is one exchange with a deadline (`timeout`: connect, send, answer) and an answer of at most
  `MAX_ANSWER_BYTES` (`_http.py`).
- A call whose every attempt failed to reach the API, or got no answer, gives up with `ApiUnreachableError`, and
  so does every later call at once: a run spends at most one call's attempts on an API that is down.

Waits are logged on `providers.realtimekit` (the CLI shows them): a retry whose wait, with the time the call has
already taken, reaches `ANNOUNCE_AFTER` seconds is a WARNING that says what, why and until when; shorter ones are
INFO (shown with --debug).
"""

from __future__ import annotations

import functools
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import httpx

from providers._clock import ApiClock
from providers._errors import ApiUnreachableError, InvalidResponseError, UncertainStartError
from providers._http import Answer, AnswerTooLargeError, exchange, open_client
from providers._ratelimit import RateLimiter
from providers._wire import api_error, parse_retry_after

__all__ = ["ANNOUNCE_AFTER", "MAX_RETRY_AFTER", "RetryingSender"]

MAX_RETRY_AFTER = 300.0  # Cloudflare blocks for 5 minutes at most
ANNOUNCE_AFTER = 2.0  # seconds of silence worth a word without --debug
_SLOW = 5.0  # seconds an answer may take before the wait for it is announced (a start may take a few)
_BACKOFF_CAP = 8.0

logger = logging.getLogger("providers.realtimekit")

# Raised before a single byte of the request reached the API: a start may safely be sent again. (A proxy that
# refuses to open a tunnel raises ProxyError before the request is sent through it.)
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


class RetryingSender:
    """Sends requests to `prefix` + path with the retry policy above. Thread-safe; one pool of kept-alive
    connections (`max_idle_connections` of them at most between requests)."""

    def __init__(
        self,
        *,
        base_url: str,
        prefix: str,
        headers: Mapping[str, str],
        timeout: float,
        connect_timeout: float,
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
        self._deadline = timeout
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._client = open_client(
            timeout=timeout, connect_timeout=connect_timeout, max_idle=max_idle_connections, transport=transport
        )
        self._gave_up: str | None = None  # why the API is not tried any more in this run
        self._gave_up_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

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
    ) -> tuple[Answer, bool]:
        """Send with the retry policy; returns the final answer (429 and 5xx excepted: those raise once retries
        run out) and whether an earlier attempt may have reached the server. `start` names the meeting of a start
        POST, which is never sent twice; `before` is called right before each attempt goes out."""
        if self._gave_up is not None:
            raise ApiUnreachableError(f"{what}: not sent: {self._gave_up}")
        began = time.monotonic()
        doubted = False
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            self.limiter.acquire()
            if before is not None:
                before()
            try:
                answer = self._request(method, path, what, params, json)
            except _NOT_SENT as error:
                if last:
                    self._give_up(f"cannot reach {self._base_url}: {self._describe(error)}", began, what)
                self._wait(_jitter(self._backoff, attempt), what, attempt, self._describe(error), began)
                continue
            except httpx.TransportError as error:
                if start is not None:
                    raise UncertainStartError(
                        f"{what}: {self._describe(error)} after the request was sent; the recording may have been "
                        "created",
                        meeting_id=start,
                    ) from error
                if last:
                    self._give_up(f"{self._base_url}: {self._describe(error)}", began, what)
                doubted = True
                self._wait(_jitter(self._backoff, attempt), what, attempt, self._describe(error), began)
                continue
            except (httpx.HTTPError, AnswerTooLargeError) as error:  # an answer that cannot be read, or is too large
                if start is not None:
                    raise UncertainStartError(
                        f"{what}: the answer could not be read ({error}); the recording may have been created",
                        meeting_id=start,
                    ) from error
                raise InvalidResponseError(f"{what}: the answer could not be read ({error})") from error
            status = answer.status_code
            if status == 429:
                wait = min(parse_retry_after(answer.headers) or _jitter(self._backoff, attempt), MAX_RETRY_AFTER)
                self.limiter.pause_until(time.monotonic() + wait)
                if last:
                    raise api_error(status, answer.headers, answer.content, what)
                # A long wait is worth a word even without --debug: a 5-minute block must not look like a hang.
                logger.log(
                    logging.WARNING if wait >= ANNOUNCE_AFTER else logging.INFO,
                    "%s: rate limited by the API (HTTP 429); every call waits %.1f s, until %s (attempt %d of %d)",
                    what,
                    wait,
                    _clock_time(wait),
                    attempt,
                    self._attempts,
                )
                continue
            if status >= 500 and start is None:
                if last:
                    raise api_error(status, answer.headers, answer.content, what)
                doubted = True
                wait = min(parse_retry_after(answer.headers) or _jitter(self._backoff, attempt), MAX_RETRY_AFTER)
                self._wait(wait, what, attempt, f"the API failed with HTTP {status}", began)
                continue
            return answer, doubted
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _request(
        self,
        method: str,
        path: str,
        what: str,
        params: tuple[tuple[str, str], ...] | None,
        body: Mapping[str, Any] | None,
    ) -> Answer:
        request = httpx.Request(
            method,
            self._url(path) if params is None else self._prefix + path,
            params=params,
            headers=self._headers,
            json=body,
        )
        sent = self.clock.local()
        answer = exchange(
            self._client, request, seconds=self._deadline, on_slow=functools.partial(self._slow, what), slow_after=_SLOW
        )
        self.clock.observe(answer.headers.get("date"), sent, self.clock.local())
        return answer

    def _slow(self, what: str) -> None:
        logger.warning(
            "%s: no answer yet after %g s; waiting for it until %s (--http-timeout %g)",
            what,
            _SLOW,
            _clock_time(self._deadline - _SLOW),
            self._deadline,
        )

    def _wait(self, seconds: float, what: str, attempt: int, reason: str, began: float) -> None:
        """Sleep before attempt `attempt + 1`, announced when the call will have been silent long enough."""
        # If every attempt left fails the slowest way: waits its whole deadline, then the longest backoff.
        later = range(attempt + 1, self._attempts)
        worst = seconds + (self._attempts - attempt) * self._deadline + sum(_step(self._backoff, k) for k in later)
        silent = time.monotonic() - began + seconds
        logger.log(
            logging.WARNING if silent >= ANNOUNCE_AFTER else logging.INFO,
            "%s: %s; retrying in %.1f s, attempt %d of %d (gives up by %s if the API still fails)",
            what,
            reason,
            seconds,
            attempt + 1,
            self._attempts,
            _clock_time(worst),
        )
        time.sleep(seconds)

    def _give_up(self, reason: str, began: float, what: str) -> NoReturn:
        """Raise `ApiUnreachableError`, and make every later call raise it at once."""
        attempts = f"{self._attempts} attempt{'s' if self._attempts != 1 else ''}"
        with self._gave_up_lock:
            self._gave_up = self._gave_up or (
                f"gave up on the API after {attempts} over {time.monotonic() - began:.0f} s ({reason}); "
                "nothing more is sent to it in this run"
            )
        raise ApiUnreachableError(f"{what}: {self._gave_up}")

    def _describe(self, error: httpx.HTTPError) -> str:
        if isinstance(error, httpx.ConnectTimeout):
            return "connection timed out"
        if isinstance(error, httpx.TimeoutException):
            return f"timed out: no complete answer within {self._deadline:g} s (--http-timeout)"
        names: dict[type[httpx.HTTPError], str] = {
            httpx.ConnectError: "connection failed",
            httpx.ProxyError: "the proxy refused the connection",
            httpx.ReadError: "the connection failed while waiting for the answer",
            httpx.WriteError: "the connection failed while sending the request",
            httpx.RemoteProtocolError: "the connection was dropped",
        }
        detail = str(error)
        return f"{names.get(type(error), type(error).__name__)}" + (f" ({detail})" if detail else "")


def _step(base: float, attempt: int) -> float:
    return min(_BACKOFF_CAP, base * 2.0 ** (attempt - 1))


def _jitter(base: float, attempt: int) -> float:
    """Equal-jitter exponential backoff: half the step fixed, half random, so threads spread out."""
    step = _step(base, attempt)
    return step / 2 + random.uniform(0, step / 2)


def _clock_time(seconds_from_now: float) -> str:
    """The local wall-clock time in `seconds_from_now`, as people read it (14:03:07), rounded up: "by then"."""
    return time.strftime("%H:%M:%S", time.localtime(math.ceil(time.time() + seconds_from_now)))
