"""Test servers on real sockets (127.0.0.1, free ports): a scripted HTTP server and a tiny forwarding proxy.

    with Server(answer(200, b'{"ok":true}')) as server:     # runs the conversation once per request received
        ...server.port, server.received.requests...

    with ForwardingProxy() as proxy:                         # HTTP_PROXY / HTTPS_PROXY = proxy.url
        ...proxy.seen: ["GET http://127.0.0.1:8787/...", "CONNECT 127.0.0.1:8443"]

Both stop every socket and thread they started in `close()` (what `with` does).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from types import TracebackType
from typing import BinaryIO

# A test server's turn after each request: given the connected socket and what the server has received so far, it
# answers (or not) and returns whether to go on serving this connection.
Conversation = Callable[[socket.socket, "Received"], bool]


class Received:
    """What a test server read: each request's head (request line and headers) and body."""

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, bytes]] = []


def read_head(stream: BinaryIO) -> bytes | None:
    """A request's or answer's head, up to the blank line; None when the peer closed the connection first."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline(65536)
        if not line:
            return None
        head += line
    return head


def content_length(head: bytes) -> int:
    return next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )


def read_request(stream: BinaryIO, received: Received) -> bool:
    """Read one request into `received`; False when the client closed the connection instead."""
    head = read_head(stream)
    if head is None:
        return False
    received.requests.append((head, stream.read(content_length(head))))
    return True


class _Listener:
    """Accepts connections on 127.0.0.1 and serves each in a thread; `close()` hangs up on all of them."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.connections = 0
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _serve(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.append(sock)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.connections += 1
            self.track(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def __enter__(self) -> _Listener:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            sockets = [self._listener, *self._open]
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv()
            sock.close()
        self._thread.join(5)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(5)
        assert not self._thread.is_alive()


class Server(_Listener):
    """A TCP server on 127.0.0.1 that runs `conversation` once per request on each connection it accepts."""

    def __init__(self, conversation: Conversation, *, tls: ssl.SSLContext | None = None) -> None:
        self.conversation = conversation
        self.received = Received()
        self._tls = tls
        super().__init__()

    def __enter__(self) -> Server:
        return self

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_side=True)
                self.track(sock)
            stream = sock.makefile("rb")
            while read_request(stream, self.received) and self.conversation(sock, self.received):
                pass
        except OSError:
            pass  # the client went away, or refused our certificate (ssl.SSLError is an OSError)
        finally:
            sock.close()


def answer(status: int = 200, body: bytes = b'{"ok":true}', *headers: str) -> Conversation:
    """A conversation that answers every request with `status`, `body` and `headers`."""

    def conversation(sock: socket.socket, received: Received) -> bool:
        head = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}", *headers]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        return True  # even after "Connection: close": closing is then the client's job

    return conversation


class ForwardingProxy(_Listener):
    """An HTTP proxy on 127.0.0.1: forwards absolute-form requests (`GET http://host:port/path`, what a client
    sends through `HTTP_PROXY`) one by one, and tunnels `CONNECT host:port` (`HTTPS_PROXY` to an https:// URL).
    `seen` lists the request line of each, as `METHOD target`. It forwards only to 127.0.0.1."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardingProxy:
        return self

    def _serve(self, sock: socket.socket) -> None:
        stream = sock.makefile("rb")
        upstream: socket.socket | None = None
        try:
            while (head := read_head(stream)) is not None:
                method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
                self.seen.append(f"{method} {target}")
                if method == "CONNECT":
                    self._tunnel(sock, target)
                    return
                scheme, _, rest = target.partition("://")
                authority, _, path = rest.partition("/")
                host, _, port = authority.rpartition(":")
                assert scheme == "http", target
                assert host == "127.0.0.1", target
                if upstream is None:
                    upstream = socket.create_connection((host, int(port)))
                    self.track(upstream)
                line = f"{method} /{path} HTTP/1.1\r\n".encode("latin-1")
                upstream.sendall(line + head.split(b"\r\n", 1)[1] + stream.read(content_length(head)))
                upstream_stream = upstream.makefile("rb")
                answer_head = read_head(upstream_stream)
                if answer_head is None:
                    return
                sock.sendall(answer_head + upstream_stream.read(content_length(answer_head)))
        except OSError:
            pass  # either side went away
        finally:
            if upstream is not None:
                upstream.close()
            sock.close()

    def _tunnel(self, sock: socket.socket, target: str) -> None:
        host, _, port = target.rpartition(":")
        assert host == "127.0.0.1", target
        upstream = socket.create_connection((host, int(port)))
        self.track(upstream)
        sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(source: socket.socket, sink: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := source.recv(65536):
                    sink.sendall(data)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pipe, args=(upstream, sock), daemon=True)
        back.start()
        pipe(sock, upstream)
        back.join(10)
        upstream.close()
