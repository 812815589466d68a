"""`StdlibTransport` over real sockets: keep-alive, dead idle connections, answers httpx decodes, TLS, and each
network failure mapped to the httpx error that says whether the request may have reached the server."""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

import httpx
import pytest
import trustme

from providers._transport import StdlibTransport

# A test server's turn after each request: given the connected socket and what the server has received so far, it
# answers (or not) and returns whether to go on serving this connection.
Conversation = Callable[[socket.socket, "Received"], bool]


class Received:
    """What a test server read: each request's head (request line and headers) and body."""

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, bytes]] = []


def read_request(stream: BinaryIO, received: Received) -> bool:
    """Read one request into `received`; False when the client closed the connection instead."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline()
        if not line:
            return False
        head += line
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    received.requests.append((head, stream.read(length)))
    return True


class Server:
    """A TCP server on 127.0.0.1 that runs `conversation` once per request on each connection it accepts."""

    def __init__(self, conversation: Conversation, *, tls: ssl.SSLContext | None = None) -> None:
        self.conversation = conversation
        self.received = Received()
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._tls = tls
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.connections += 1
            self._open.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_side=True)
            stream = sock.makefile("rb")
            while read_request(stream, self.received) and self.conversation(sock, self.received):
                pass
        except OSError:
            pass  # the client went away, or refused our certificate (ssl.SSLError is an OSError)
        finally:
            sock.close()

    def close(self) -> None:
        for sock in [self._listener, *self._open]:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv()
            sock.close()
        self._thread.join(5)
        assert not self._thread.is_alive()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(conversation: Conversation, **options: ssl.SSLContext) -> Server:
        servers.append(Server(conversation, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def answer(status: int = 200, body: bytes = b'{"ok":true}', *headers: str) -> Conversation:
    def conversation(sock: socket.socket, received: Received) -> bool:
        head = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}", *headers]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        return True  # even after "Connection: close": closing is then the client's job

    return conversation


def post(
    transport: httpx.BaseTransport, port: int, body: bytes = b"{}", *, scheme: str = "http", **timeouts: float
) -> httpx.Response:
    request = httpx.Request(
        "POST",
        f"{scheme}://127.0.0.1:{port}/client/v4/recordings?page_no=2",
        headers={"Authorization": "Bearer t"},
        content=body,
        extensions={"timeout": {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0} | timeouts},
    )
    response = transport.handle_request(request)
    response.read()
    return response


def test_requests_share_one_kept_alive_connection_and_arrive_whole(serve: Callable[..., Server]) -> None:
    server = serve(answer(201, b'{"id":"r1"}', "X-Extra: yes"))
    transport = StdlibTransport()
    responses = [post(transport, server.port, b'{"n":%d}' % n) for n in range(5)]
    transport.close()
    assert server.connections == 1
    assert [(r.status_code, r.json(), r.headers["x-extra"]) for r in responses] == [(201, {"id": "r1"}, "yes")] * 5
    head, body = server.received.requests[3]
    assert head.startswith(b"POST /client/v4/recordings?page_no=2 HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Bearer t\r\n" in head
    assert b"\r\nHost: 127.0.0.1:" in head
    assert body == b'{"n":3}'


def test_an_idle_connection_the_server_closed_is_not_used(serve: Callable[..., Server]) -> None:
    hung_up = threading.Event()

    def answer_then_hang_up(sock: socket.socket, received: Received) -> bool:
        answer()(sock, received)
        sock.shutdown(socket.SHUT_RDWR)
        hung_up.set()
        return False

    server = serve(answer_then_hang_up)
    transport = StdlibTransport()
    post(transport, server.port)
    assert hung_up.wait(5)
    assert post(transport, server.port).status_code == 200  # on a new connection, not an error
    transport.close()
    assert server.connections == 2
    assert len(server.received.requests) == 2


def test_an_answer_that_closes_the_connection_is_not_pooled(serve: Callable[..., Server]) -> None:
    server = serve(answer(200, b"{}", "Connection: close"))
    transport = StdlibTransport()
    post(transport, server.port)
    post(transport, server.port)
    transport.close()
    assert server.connections == 2


def test_a_gzip_body_is_decoded_and_a_chunked_one_assembled(serve: Callable[..., Server]) -> None:
    def gzipped(sock: socket.socket, received: Received) -> bool:
        if len(received.requests) == 1:
            answer(200, gzip.compress(b'{"packed":1}'), "Content-Encoding: gzip")(sock, received)
        else:
            sock.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n')
        return True

    server = serve(gzipped)
    transport = StdlibTransport()
    assert post(transport, server.port).json() == {"packed": 1}
    assert post(transport, server.port).json() == {"a": 1}
    transport.close()
    assert server.connections == 1


def test_a_refused_connection_is_a_connect_error_nothing_was_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        post(StdlibTransport(), port)


def test_no_answer_in_time_is_a_read_timeout(serve: Callable[..., Server]) -> None:
    silent = threading.Event()
    server = serve(lambda sock, received: silent.wait(5))
    with pytest.raises(httpx.ReadTimeout):
        post(StdlibTransport(), server.port, read=0.2)
    silent.set()
    assert len(server.received.requests) == 1  # it did arrive: why a timed-out start is uncertain


def test_a_connection_dropped_after_the_request_is_a_protocol_error(serve: Callable[..., Server]) -> None:
    server = serve(lambda sock, received: False)  # read the request, hang up without a word
    with pytest.raises(httpx.RemoteProtocolError):
        post(StdlibTransport(), server.port)
    assert len(server.received.requests) == 1


def test_a_garbled_answer_is_a_protocol_error(serve: Callable[..., Server]) -> None:
    def garbled(sock: socket.socket, received: Received) -> bool:
        sock.sendall(b"SPDY/9 banana\r\n\r\n")
        return False

    server = serve(garbled)
    with pytest.raises(httpx.RemoteProtocolError):
        post(StdlibTransport(), server.port)


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def test_tls_to_a_server_whose_certificate_is_trusted(serve: Callable[..., Server], authority: trustme.CA) -> None:
    server = serve(answer(200, b'{"secure":true}'), tls=tls_server_context(authority))
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    transport = StdlibTransport(ssl_context=client_context)
    responses = [post(transport, server.port, scheme="https").json() for _ in range(3)]
    transport.close()
    assert responses == [{"secure": True}] * 3
    assert server.connections == 1


def test_tls_to_an_untrusted_certificate_fails_before_sending(
    serve: Callable[..., Server], authority: trustme.CA
) -> None:
    server = serve(answer(), tls=tls_server_context(authority))
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        post(StdlibTransport(), server.port, scheme="https")  # httpx's default trust store does not know this CA
    assert server.received.requests == []
