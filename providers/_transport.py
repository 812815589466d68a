"""`StdlibTransport`: an httpx transport that speaks HTTP/1.1 through the standard library's `http.client`.

Why not httpx's own `HTTPTransport`: `apply` sends hundreds of starts a second from many threads, and under the
GIL the HTTP stack's CPU time is the throughput. With 10 threads, httpx's transport (httpcore, h11) costs about
1.1 ms of CPU per request, this one about 0.7 ms, and `http.client` alone about 0.35 ms (`benchmarks/README.md`).
The requests and answers stay httpx objects, so the retry policy, the tests' `httpx.MockTransport` and the error
types do not change.

What it does, and no more:
- keep-alive connections, pooled per origin and shared by all threads; an idle connection the server has closed
  (its socket reads as ready) is dropped before use, as httpcore does, so a request is not sent on a dead line;
- TLS with httpx's default context (certifi, `SSL_CERT_FILE`), so verification is what it was;
- the timeouts of `request.extensions["timeout"]` (connect, then read/write on the socket);
- errors mapped to httpx's tree by what the server may have seen: a connection that was never established raises
  `httpx.ConnectError` or `httpx.ConnectTimeout` (nothing was sent); anything after the first byte left raises a
  `WriteError`, `ReadError`, `ReadTimeout`, `WriteTimeout` or `RemoteProtocolError`.

The answer's body is read whole and handed over as a stream, so httpx decodes any `Content-Encoding` itself.
Proxies, HTTP/2 and streaming bodies are not needed by this client and not offered.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import ssl
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Any

import httpx

__all__ = ["StdlibTransport"]

_Origin = tuple[str, str, int]
_NETWORK_ERRORS = (OSError, http.client.HTTPException)  # OSError covers timeouts and ssl.SSLError


class StdlibTransport(httpx.BaseTransport):
    """HTTP/1.1 over `http.client`, keeping up to `max_idle` idle connections per origin. Thread-safe."""

    def __init__(self, *, max_idle: int = 32, ssl_context: ssl.SSLContext | None = None) -> None:
        self._max_idle = max_idle
        self._ssl_context = ssl_context
        self._idle: defaultdict[_Origin, deque[http.client.HTTPConnection]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        connection = self._idle_connection(origin) or self._connect(origin, timeouts.get("connect"), request)
        with _step(connection, request, httpx.WriteTimeout, httpx.WriteError):
            connection.sock.settimeout(timeouts.get("write"))
            connection.putrequest(
                request.method, url.raw_path.decode("ascii"), skip_host=True, skip_accept_encoding=True
            )
            for name, value in request.headers.raw:
                connection.putheader(name, value)
            connection.endheaders(request.read() or None)
        with _step(connection, request, httpx.ReadTimeout, httpx.ReadError):
            connection.sock.settimeout(timeouts.get("read"))
            answer = connection.getresponse()
            content = answer.read()
        if answer.will_close:
            connection.close()
        else:
            self._release(origin, connection)
        return httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            stream=httpx.ByteStream(content),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode("latin-1", "replace")},
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle = [connection for pool in self._idle.values() for connection in pool]
            self._idle.clear()
        for connection in idle:
            connection.close()

    def _idle_connection(self, origin: _Origin) -> http.client.HTTPConnection | None:
        """A pooled connection still open at the server's end, or None."""
        while True:
            with self._lock:
                pool = self._idle.get(origin)
                if not pool:
                    return None
                connection = pool.pop()
            if not _closed_by_peer(connection.sock):
                return connection
            connection.close()

    def _connect(self, origin: _Origin, timeout: float | None, request: httpx.Request) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            with self._lock:  # made on first use: loading the CA bundle takes a while and plain HTTP needs none
                if self._ssl_context is None:
                    self._ssl_context = httpx.create_ssl_context()
                context = self._ssl_context
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        with _step(connection, request, httpx.ConnectTimeout, httpx.ConnectError):
            connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _release(self, origin: _Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            pool = self._idle[origin]
            if not self._closed and len(pool) < self._max_idle:
                pool.append(connection)
                return
        connection.close()


def _closed_by_peer(sock: socket.socket | None) -> bool:
    """An idle keep-alive socket is readable only when the server closed it (or sent what it must not)."""
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):  # not limited to descriptors below 1024, unlike select()
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


@contextlib.contextmanager
def _step(
    connection: http.client.HTTPConnection,
    request: httpx.Request,
    on_timeout: type[httpx.TransportError],
    on_error: type[httpx.TransportError],
) -> Iterator[None]:
    """One step of an exchange: any error closes the connection; a network error leaves as `on_timeout`, `on_error`
    or `httpx.RemoteProtocolError`, the step saying what the server may have seen."""
    try:
        yield
    except _NETWORK_ERRORS as error:
        connection.close()
        raise _mapped(error, request, on_timeout, on_error) from error
    except BaseException:
        connection.close()
        raise


def _mapped(
    error: OSError | http.client.HTTPException,
    request: httpx.Request,
    on_timeout: type[httpx.TransportError],
    on_error: type[httpx.TransportError],
) -> httpx.TransportError:
    """The httpx error for a network error at one step: its timeout or error type, or a protocol error."""
    if isinstance(error, TimeoutError):
        return on_timeout(str(error) or "timed out", request=request)
    if isinstance(error, http.client.RemoteDisconnected | http.client.BadStatusLine | http.client.IncompleteRead):
        return httpx.RemoteProtocolError(str(error) or type(error).__name__, request=request)
    return on_error(str(error) or type(error).__name__, request=request)
