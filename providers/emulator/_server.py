"""`EmulatorServer`: the emulator over HTTP/1.1, on the standard library's `ThreadingHTTPServer`.

Built for speed under keep-alive (design §8): `TCP_NODELAY` on every accepted socket and each answer (status line,
headers and body) written with ONE send, so no request waits on Nagle's algorithm and a delayed ACK (~40 ms).

It answers only requests addressed to it by a loopback name: a `Host` header other than 127.0.0.1, localhost or
[::1] with its port gets 421. A web page cannot then reach it through DNS rebinding (a name of the page's site
made to resolve to 127.0.0.1 still arrives with that name in `Host`), whatever the browser allows.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Collection
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from providers.emulator._app import Emulator
from providers.emulator._faults import FaultConfig
from providers.emulator._reply import Reply, error

__all__ = ["DEFAULT_TOKEN", "EmulatorServer", "is_loopback"]

DEFAULT_TOKEN = "emulator-token"  # noqa: S105  # for tests; `reconciler emulator` makes a random one
_MAX_BODY = 1 << 20
logger = logging.getLogger("providers.emulator")  # unconfigured, Python's last-resort handler shows it on stderr


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or `localhost`) is this machine's loopback interface."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # `format`: the base class's parameter name
        """Quiet: one line per request would cost more than the request."""

    def _answer(self, method: str) -> None:
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in self.server.loopback_hosts:
            self.close_connection = True
            self._write(
                error(
                    421,
                    f"this emulator answers only requests addressed to {self.server.loopback_hosts[0]} (or localhost, "
                    f"[::1]), not to Host {host[:100]!r}",
                )
            )
            return
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._write(error(411, "Send a Content-Length, not a chunked body"))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self.close_connection = True
            self._write(error(400, "Content-Length is missing, invalid or too large"))
            return
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.server.emulator.handle(method, self.path, self.headers.get("Authorization"), body)
        except Exception as bug:  # an emulator bug must surface as an answer, not as a dropped connection
            logger.exception("emulator bug answering %s %s", method, self.path)
            reply = error(500, f"emulator bug: {type(bug).__name__}: {bug}")
        if reply is None:  # the injected "drop-after" fault: hang up without a word
            self.close_connection = True
            return
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        payload = json.dumps(reply.document, separators=(",", ":")).encode()
        lines = [
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
            f"Date: {formatdate(self.server.emulator.now(), usegmt=True)}",  # the emulator's clock, as the API's
            *(f"{name}: {value}" for name, value in reply.headers),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        try:
            self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        except OSError:  # the client gave up (its timeout) or the server is stopping: nobody to answer
            self.close_connection = True


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)
        port = self.server_address[1]
        names = ["127.0.0.1", "localhost", "[::1]"]
        if is_loopback(address[0]) and address[0] not in ("127.0.0.1", "::1"):  # 127.0.0.2, say
            names.insert(0, f"[{address[0]}]" if ":" in address[0] else address[0])
        # What a client puts in `Host`: the name and the port, or the name alone for port 80.
        self.loopback_hosts = [f"{name}:{port}" for name in names] + (names if port == 80 else [])

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def hang_up_all(self) -> None:
        """Close kept-alive connections, so their threads end instead of waiting for the next request."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """The emulator on `host:port` (port 0: a free one, bound at construction). `url` is the base URL to use as
    CLOUDFLARE_BASE_URL. `start()` serves from a background thread until `stop()`; both are what `with` does."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str = DEFAULT_TOKEN,
        speed: float = 1.0,
        seed: int | None = None,
        faults: FaultConfig | None = None,
        clock: Callable[[], float] = time.time,
        clock_offset: float = 0.0,
        apps: Collection[str] | None = None,
    ) -> None:
        self.emulator = Emulator(
            token=token, speed=speed, seed=seed, faults=faults, clock=clock, clock_offset=clock_offset, apps=apps
        )
        self._httpd = _HTTPServer((host, port), self.emulator)
        self._thread: threading.Thread | None = None
        self.port = int(self._httpd.server_address[1])
        # The address clients use, which they also put in `Host`: a wildcard bind is reached on the loopback.
        named = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104  # compared
        self.url = f"http://{f'[{named}]' if ':' in named else named}:{self.port}/client/v4"

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self.url!r})"

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> EmulatorServer:
        """Serve from a daemon thread; returns self."""
        if self._thread is None:
            # A short poll interval: `stop()` waits out the current poll, and tests start and stop many servers
            # (at 0.05 s, 140 unit tests spent 7 s stopping them). An idle server wakes 100 times a second.
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="emulator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up every connection and release the port."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.hang_up_all()
        self._httpd.server_close()
