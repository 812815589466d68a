"""The client's retry policy over real HTTP against the emulator, every fault mode, counted at the server.

The promise under test (design §5): a start is sent again only when the server certainly did nothing.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from providers import (
    RealtimeKitClient,
    TransportError,
    UncertainStartError,
)
from providers.emulator import EmulatorServer, FaultConfig

from _provider_support import ACCOUNT, APP, MEETING, TOKEN, client_for, meeting


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(token=TOKEN, seed=5, faults=FaultConfig(retry_after=0.2, spike_latency=1.0)) as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[RealtimeKitClient]:
    with client_for(server) as made:
        yield made


@pytest.fixture
def impatient(server: EmulatorServer) -> Iterator[RealtimeKitClient]:
    """A client whose timeout (0.5 s) is shorter than a latency spike (1 s)."""
    with client_for(server, timeout=0.5) as made:
        yield made


def starts_sent(server: EmulatorServer) -> int:
    sent: int = server.emulator.counters()["requests"].get("start", 0)
    return sent


@pytest.mark.parametrize(
    ("fault", "created"),
    [("drop-after", 1), ("5xx-after", 1), ("5xx-before", 0)],
)
def test_a_start_meeting_a_doubtful_fault_is_uncertain_and_sent_once(
    server: EmulatorServer, client: RealtimeKitClient, fault: str, created: int
) -> None:
    server.emulator.script("start", fault)
    with pytest.raises(UncertainStartError) as raised:
        client.start(MEETING, {"max_seconds": 600})
    assert raised.value.meeting_id == MEETING
    assert starts_sent(server) == 1
    assert len(server.emulator.recordings()) == created


def test_a_start_that_times_out_is_uncertain_and_the_recording_appears(
    server: EmulatorServer, impatient: RealtimeKitClient
) -> None:
    server.emulator.script("start", "latency-spike")
    with pytest.raises(UncertainStartError, match="timed out"):
        impatient.start(MEETING, {})
    deadline = time.monotonic() + 5
    while not server.emulator.recordings() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(server.emulator.recordings()) == 1  # the server carried on: this is why it was uncertain
    assert starts_sent(server) == 1


def test_a_rate_limited_start_is_sent_again_after_retry_after(
    server: EmulatorServer, client: RealtimeKitClient
) -> None:
    server.emulator.script("start", "429")
    began = time.monotonic()
    started = client.start(MEETING, {})
    assert time.monotonic() - began >= 0.2
    assert starts_sent(server) == 2
    assert [r["id"] for r in server.emulator.recordings()] == [started.id]


class FailFirstConnect(httpx.BaseTransport):
    """A real transport whose first connection attempt fails, as a refused connection does."""

    def __init__(self) -> None:
        self.real = httpx.HTTPTransport()
        self.failed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.failed:
            self.failed = True
            raise httpx.ConnectError("connection refused", request=request)
        return self.real.handle_request(request)

    def close(self) -> None:
        self.real.close()


def test_a_start_whose_connection_never_opened_is_sent_again(server: EmulatorServer) -> None:
    with client_for(server, transport=FailFirstConnect()) as client:
        started = client.start(MEETING, {})
    assert starts_sent(server) == 1
    assert [r["id"] for r in server.emulator.recordings()] == [started.id]


def test_a_start_to_a_closed_port_is_a_transport_error_not_uncertain() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/client/v4"
    with (
        RealtimeKitClient(
            account_id=ACCOUNT, app_id=APP, token=TOKEN, base_url=base_url, backoff=0.01, attempts=2
        ) as client,
        pytest.raises(TransportError, match="cannot reach"),
    ):
        client.start(MEETING, {})


@pytest.mark.parametrize("fault", ["429", "5xx-before", "5xx-after", "drop-after", "latency-spike"])
@pytest.mark.parametrize("route", ["get", "list"])
def test_reads_are_retried_through_every_fault(
    server: EmulatorServer, client: RealtimeKitClient, impatient: RealtimeKitClient, route: str, fault: str
) -> None:
    recording = client.start(MEETING, {})
    server.emulator.script(route, fault)
    client = impatient if fault == "latency-spike" else client
    if route == "get":
        assert client.get(recording.id).id == recording.id
    else:
        assert [r.id for r in client.list(meeting_id=MEETING)] == [recording.id]
    assert server.emulator.counters()["requests"][route] == 2


@pytest.mark.parametrize("fault", ["429", "5xx-before", "5xx-after", "drop-after", "latency-spike"])
def test_controls_are_retried_through_every_fault(
    server: EmulatorServer, client: RealtimeKitClient, impatient: RealtimeKitClient, fault: str
) -> None:
    recording = client.start(MEETING, {})
    server.emulator.script("control", fault)
    client = impatient if fault == "latency-spike" else client
    assert client.control(recording.id, "stop").status == "UPLOADING"
    assert server.emulator.counters()["requests"]["control"] == 2


def test_a_pause_applied_before_its_answer_was_lost_is_recognised(
    server: EmulatorServer, client: RealtimeKitClient
) -> None:
    recording = client.start(MEETING, {})
    server.emulator.advance(3)  # RECORDING
    server.emulator.script("control", "drop-after")
    assert client.control(recording.id, "pause").status == "PAUSED"
    requests = server.emulator.counters()["requests"]
    assert (requests["control"], requests["get"]) == (2, 1)  # the second PUT was refused; the GET settled it


def test_seeded_chaos_never_sends_a_start_twice_except_after_a_429() -> None:
    rates = {"429": 0.1, "5xx-before": 0.1, "5xx-after": 0.1, "drop-after": 0.1}
    with (
        EmulatorServer(token=TOKEN, seed=11, faults=FaultConfig(rates=rates, retry_after=0.01)) as server,
        client_for(server) as client,
    ):
        succeeded = uncertain = 0
        for n in range(60):
            try:
                client.start(meeting(n), {})
                succeeded += 1
            except UncertainStartError:
                uncertain += 1
        counters = server.emulator.counters()
    faults = counters["faults"]
    assert succeeded + uncertain == 60
    assert uncertain > 0
    assert counters["requests"]["start"] == succeeded + uncertain + faults.get("429", 0)
    assert counters["starts"] == succeeded + faults.get("5xx-after", 0) + faults.get("drop-after", 0)
    assert uncertain == faults.get("5xx-before", 0) + faults.get("5xx-after", 0) + faults.get("drop-after", 0)


def test_a_client_kept_under_the_emulator_rps_limit_meets_no_429() -> None:
    with (
        EmulatorServer(token=TOKEN, faults=FaultConfig(rps_limit=30)) as server,
        client_for(server, rate=12.0) as client,  # a burst of 12, then 12/s: never 30 in one second
    ):
        for n in range(24):
            client.start(meeting(n), {})
        assert server.emulator.counters()["rate_limited"] == 0
