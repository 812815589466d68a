"""How a request travels: httpx's own client, plus a deadline for the whole exchange and a cap on the answer.

The client is `httpx.Client` as users expect it (design §9): its pool of kept-alive connections, the proxies of
the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), TLS verified as httpx does (certifi, or
`SSL_CERT_FILE` / `SSL_CERT_DIR`), redirects not followed. Two limits httpx does not have are added:

- **A deadline for the whole exchange** (connect, send, answer head and body): httpx's timeouts apply to each
  socket operation, so a server that trickles a byte every half second never trips them. Every connect, read and
  write of this client's sockets waits at most until the deadline of the exchange under way in the calling thread
  (sync httpx sends a request in the thread that calls it), through a network backend that wraps httpcore's own.
  Past the deadline the operation raises httpx's timeout for that step (`ConnectTimeout`: nothing was sent;
  `WriteTimeout`, `ReadTimeout`: the request may have reached the server). A read that is still waiting after a
  few seconds is announced once (`on_slow`), so that a slow API is never a silent one.
- **A cap on the answer's size** (`MAX_ANSWER_BYTES`, after decoding): the body is read as a stream, and an answer
  that grows past the cap raises `AnswerTooLargeError` without being held in memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ssl import SSLContext
from typing import Any

import httpcore
import httpx

__all__ = ["MAX_ANSWER_BYTES", "Answer", "AnswerTooLargeError", "exchange", "open_client"]

MAX_ANSWER_BYTES = 4 * 1024 * 1024  # a page of 100 recordings is about 60 kB


class AnswerTooLargeError(Exception):
    """The answer's body is larger than the cap: it was not read to its end."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole answer: status, headers and the decoded body."""

    status_code: int
    headers: httpx.Headers
    content: bytes


def open_client(
    *, timeout: float, connect_timeout: float, max_idle: int, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An httpx client that honours the environment's proxies and TLS settings; `transport` replaces the network
    (tests), and then the environment's proxies are not used (httpx's rule)."""
    client = httpx.Client(
        transport=transport,
        trust_env=True,
        timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=max_idle),
        follow_redirects=False,
    )
    if transport is None:
        _bound_by_deadlines(client)
    return client


def exchange(
    client: httpx.Client,
    request: httpx.Request,
    *,
    seconds: float,
    limit: int = MAX_ANSWER_BYTES,
    on_slow: Callable[[], None] | None = None,
    slow_after: float = 5.0,
) -> Answer:
    """Send `request` and read its whole answer within `seconds`, the body at most `limit` bytes. Raises httpx's
    errors (a timeout when the deadline passes) or `AnswerTooLargeError`. `on_slow` is called once, from the
    waiting thread, when a read has waited `slow_after` seconds and the deadline lets it wait longer."""
    now = time.monotonic()
    with _deadline(now + seconds, None if on_slow is None else (now + slow_after, on_slow)):
        response = client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise AnswerTooLargeError(f"the answer announces {int(declared):,} bytes, above the cap of {limit:,}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise AnswerTooLargeError(f"the answer is larger than the cap of {limit:,} bytes")
        finally:
            response.close()  # before its end, this closes the connection instead of pooling it
    return Answer(response.status_code, response.headers, bytes(body))


# --- the deadline ------------------------------------------------------------------------------------------------

_current = threading.local()


@contextmanager
def _deadline(at: float, slow: tuple[float, Callable[[], None]] | None) -> Iterator[None]:
    """Socket operations of this thread end by `at` (monotonic seconds) during the `with` block; `slow` is when
    a read that still waits is announced, and how."""
    previous = getattr(_current, "at", None), getattr(_current, "slow", None)
    _current.at, _current.slow = at, slow
    try:
        yield
    finally:
        _current.at, _current.slow = previous


def _bounded(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    """`timeout`, shortened to what is left of this thread's deadline; raises `expired` once it has passed."""
    at: float | None = getattr(_current, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired("the whole exchange took longer than its deadline")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """httpcore's stream, each operation bounded by the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        ends = None if timeout is None else time.monotonic() + timeout  # httpx's own limit for this read
        while True:
            left = None if ends is None else max(0.0, ends - time.monotonic())
            bounded = _bounded(left, httpcore.ReadTimeout)
            slow: tuple[float, Callable[[], None]] | None = getattr(_current, "slow", None)
            until_slow = None if slow is None else slow[0] - time.monotonic()
            if slow is None or until_slow is None or (bounded is not None and bounded <= until_slow):
                return self._inner.read(max_bytes, bounded)
            try:  # a read that may outlast the moment to announce it: wait until that moment first
                return self._inner.read(max_bytes, max(until_slow, 0.001))
            except httpcore.ReadTimeout:  # nothing consumed: the read goes on after the word
                _current.slow = None
                slow[1]()

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend, each connection bounded by the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _bound_by_deadlines(client: httpx.Client) -> None:
    """Put every connection pool of `client` (the direct one and one per proxy) on `_DeadlineBackend`.

    The one place that touches private attributes (`Client._transport`, `Client._mounts`, `HTTPTransport._pool`,
    `ConnectionPool._network_backend`): httpcore's pools take a network backend, but httpx offers no way to pass
    one to the transports it builds from the environment's proxies. The releases are pinned in
    `requirements/dev.txt`; `tests/test_provider_http.py` fails if this stops reaching every pool, and this raises
    rather than send without a deadline.
    """
    transports = [client._transport, *(mounted for mounted in client._mounts.values() if mounted is not None)]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(backend, httpcore.NetworkBackend):
            raise RuntimeError(f"httpx {httpx.__version__}: cannot set the network backend of {transport!r}")
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]  # `pool` has it: checked above
