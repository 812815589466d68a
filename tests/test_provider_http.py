"""`providers._http` over real sockets: httpx's own client with a deadline for the whole exchange and a cap on the
answer; keep-alive, decoding, TLS verified as httpx does, the environment's proxies, and each network failure as
the httpx error that says whether the request may have reached the server."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from providers._http import MAX_ANSWER_BYTES, Answer, AnswerTooLargeError, _DeadlineBackend, exchange, open_client

from _net import Conversation, ForwardingProxy, Received, Server, answer


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with open_client(timeout=2.0, connect_timeout=2.0, max_idle=4) as made:
        yield made


def post(client: httpx.Client, port: int, *, scheme: str = "http", seconds: float = 2.0) -> Answer:
    request = httpx.Request("POST", f"{scheme}://127.0.0.1:{port}/client/v4/recordings?page_no=2", content=b"{}")
    return exchange(client, request, seconds=seconds)


def trickle(head: bytes, body_forever: bool = False) -> Conversation:
    """A conversation that sends `head` one byte every 0.1 s (then, with `body_forever`, a body the same way),
    for at most 20 s: far longer than any deadline here, short enough that a broken deadline fails, not hangs."""

    def conversation(sock: socket.socket, received: Received) -> bool:
        data = head + (b"x" * 200 if body_forever else b"")
        end = time.monotonic() + 20
        for byte in data:
            if time.monotonic() > end:
                break
            sock.sendall(bytes([byte]))
            time.sleep(0.1)  # the trickle itself, not a wait for an event
        return False

    return conversation


@pytest.mark.parametrize(
    "conversation",
    [
        trickle(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Slow: yes\r\n" * 40 + b"\r\n"),
        trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", body_forever=True),
    ],
    ids=["head", "body"],
)
def test_a_trickling_answer_ends_at_the_deadline(client: httpx.Client, conversation: Conversation) -> None:
    with Server(conversation) as server:
        began = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):  # the request arrived: a start would be uncertain
            post(client, server.port, seconds=1.0)
        elapsed = time.monotonic() - began
    assert 0.9 < elapsed < 1.6, elapsed  # each byte came within httpx's 2 s read timeout: only the deadline ends it
    assert len(server.received.requests) == 1


def endless_zeros(sock: socket.socket, received: Received) -> bool:
    """An answer whose chunked body never ends (1 MiB chunks of zeros until the client hangs up)."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + bytes(1 << 20) + b"\r\n"
    try:
        for _ in range(1024):  # 1 GiB at most
            sock.sendall(chunk)
    except OSError:
        pass  # the client hung up: what it should do
    return False


def test_an_answer_above_the_cap_is_refused_without_reading_it_whole(client: httpx.Client) -> None:
    with Server(endless_zeros) as server, pytest.raises(AnswerTooLargeError, match="larger than the cap"):
        post(client, server.port, seconds=30.0)


def test_an_answer_that_announces_more_than_the_cap_is_refused_at_once(client: httpx.Client) -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {MAX_ANSWER_BYTES + 1}\r\n\r\n".encode()
    server = Server(lambda sock, received: sock.sendall(head) or False)
    with server, pytest.raises(AnswerTooLargeError, match="announces"):
        post(client, server.port)


def test_an_answer_at_the_cap_is_read(client: httpx.Client) -> None:
    with Server(answer(200, b"7" * MAX_ANSWER_BYTES)) as server:
        assert len(post(client, server.port).content) == MAX_ANSWER_BYTES


def test_requests_share_one_kept_alive_connection_and_arrive_whole(client: httpx.Client) -> None:
    with Server(answer(201, b'{"id":"r1"}', "X-Extra: yes")) as server:
        answers = [post(client, server.port) for _ in range(5)]
    assert server.connections == 1
    assert [(a.status_code, a.content, a.headers["x-extra"]) for a in answers] == [(201, b'{"id":"r1"}', "yes")] * 5
    head, body = server.received.requests[3]
    assert head.startswith(b"POST /client/v4/recordings?page_no=2 HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in head
    assert body == b"{}"


def test_a_gzip_body_is_decoded_and_a_chunked_one_assembled(client: httpx.Client) -> None:
    def gzipped(sock: socket.socket, received: Received) -> bool:
        if len(received.requests) == 1:
            answer(200, gzip.compress(b'{"packed":1}'), "Content-Encoding: gzip")(sock, received)
        else:
            sock.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n')
        return True

    with Server(gzipped) as server:
        assert post(client, server.port).content == b'{"packed":1}'
        assert post(client, server.port).content == b'{"a":1}'


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_is_a_connect_error_nothing_was_sent(client: httpx.Client) -> None:
    with pytest.raises(httpx.ConnectError):
        post(client, closed_port())


def test_no_answer_in_time_is_a_read_timeout(client: httpx.Client) -> None:
    silent = threading.Event()
    with Server(lambda sock, received: silent.wait(5)) as server:
        with pytest.raises(httpx.ReadTimeout):
            post(client, server.port, seconds=0.3)
        silent.set()
    assert len(server.received.requests) == 1  # it did arrive: why a timed-out start is uncertain


def test_a_connection_dropped_after_the_request_is_a_protocol_error(client: httpx.Client) -> None:
    with Server(lambda sock, received: False) as server, pytest.raises(httpx.RemoteProtocolError):
        post(client, server.port)  # read the request, hang up without a word
    assert len(server.received.requests) == 1


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def trusting(authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust `authority` the way a user does: SSL_CERT_FILE, which httpx reads (trust_env)."""
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


def test_tls_to_a_server_trusted_through_ssl_cert_file(
    authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusting(authority, tmp_path, monkeypatch)
    with (
        Server(answer(200, b'{"secure":true}'), tls=tls_server_context(authority)) as server,
        open_client(timeout=2.0, connect_timeout=2.0, max_idle=4) as client,
    ):
        answers = [post(client, server.port, scheme="https").content for _ in range(3)]
    assert answers == [b'{"secure":true}'] * 3
    assert server.connections == 1


def test_tls_to_an_untrusted_certificate_fails_before_sending(client: httpx.Client, authority: trustme.CA) -> None:
    server = Server(answer(), tls=tls_server_context(authority))
    with server, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        post(client, server.port, scheme="https")  # the default trust store does not know this CA
    assert server.received.requests == []


def test_every_connection_pool_is_bounded_by_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one reach into httpx's internals (`_http._bound_by_deadlines`): the direct pool and each proxy's."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with open_client(timeout=2.0, connect_timeout=2.0, max_idle=4) as client:
        transports = [client._transport, *(t for t in client._mounts.values() if t is not None)]
        backends = [type(t._pool._network_backend) for t in transports]  # type: ignore[attr-defined]  # httpx internals, on purpose
    assert len(backends) == 3
    assert backends == [_DeadlineBackend] * 3


def test_https_goes_through_the_proxy_of_https_proxy_and_keeps_its_deadline(
    authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusting(authority, tmp_path, monkeypatch)
    with ForwardingProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with (
            Server(answer(200, b'{"via":"proxy"}'), tls=tls_server_context(authority)) as server,
            open_client(timeout=2.0, connect_timeout=2.0, max_idle=4) as client,
        ):
            assert post(client, server.port, scheme="https").content == b'{"via":"proxy"}'
        assert proxy.seen == [f"CONNECT 127.0.0.1:{server.port}"]
        silent = threading.Event()
        with (
            Server(lambda sock, received: silent.wait(5), tls=tls_server_context(authority)) as server,
            open_client(timeout=5.0, connect_timeout=5.0, max_idle=4) as client,
        ):
            began = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                post(client, server.port, scheme="https", seconds=0.5)
            assert time.monotonic() - began < 1.5
            silent.set()


def test_no_proxy_hosts_are_reached_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    with ForwardingProxy() as proxy, Server(answer()) as server:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with open_client(timeout=2.0, connect_timeout=2.0, max_idle=4) as client:
            post(client, server.port)
        assert proxy.seen == [f"POST http://127.0.0.1:{server.port}/client/v4/recordings?page_no=2"]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with open_client(timeout=2.0, connect_timeout=2.0, max_idle=4) as client:
            post(client, server.port)
        assert len(proxy.seen) == 1
        assert len(server.received.requests) == 2


def late_answer(after: float) -> Conversation:
    def conversation(sock: socket.socket, received: Received) -> bool:
        threading.Event().wait(after)  # the server's slowness itself
        return answer(200, b'{"late":true}')(sock, received)

    return conversation


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_slow_answer_is_announced_once_and_still_read_whole(
    scheme: str, authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusting(authority, tmp_path, monkeypatch)
    notices: list[float] = []
    tls = tls_server_context(authority) if scheme == "https" else None
    with (
        Server(late_answer(0.8), tls=tls) as server,
        open_client(timeout=5.0, connect_timeout=5.0, max_idle=4) as client,
    ):
        request = httpx.Request("GET", f"{scheme}://127.0.0.1:{server.port}/client/v4/recordings")
        began = time.monotonic()
        got = exchange(
            client, request, seconds=5.0, on_slow=lambda: notices.append(time.monotonic() - began), slow_after=0.3
        )
    assert got.content == b'{"late":true}'
    assert len(notices) == 1
    assert 0.25 < notices[0] < 0.7


def test_no_announcement_when_the_deadline_comes_first(client: httpx.Client) -> None:
    notices: list[bool] = []
    silent = threading.Event()
    with Server(lambda sock, received: silent.wait(5)) as server:
        request = httpx.Request("GET", f"http://127.0.0.1:{server.port}/")
        with pytest.raises(httpx.ReadTimeout):
            exchange(client, request, seconds=0.3, on_slow=lambda: notices.append(True), slow_after=1.0)
        silent.set()
    assert notices == []
