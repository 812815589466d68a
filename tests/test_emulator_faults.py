"""The emulator's fault injection over real HTTP: each mode, scripted and seeded, the rps limit, the counters."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from providers.emulator import EmulatorServer, FaultConfig

from _provider_support import MEETING, TOKEN, call, inspect, meeting


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    faults = FaultConfig(retry_after=0.2, spike_latency=0.3)
    with EmulatorServer(token=TOKEN, seed=3, faults=faults) as running:
        yield running


def created(server: EmulatorServer) -> int:
    return len(inspect(server, "GET", "recordings").json()["recordings"])


def script(server: EmulatorServer, route: str, *faults: str) -> None:
    response = inspect(server, "POST", "faults/script", {"route": route, "faults": list(faults)})
    assert response.status_code == 200, response.text


def test_429_answers_with_retry_after_and_does_nothing(server: EmulatorServer) -> None:
    script(server, "start", "429")
    response = call(server, "POST", body={"meeting_id": MEETING})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "0.200"
    assert response.json()["errors"][0]["code"] == 971
    assert created(server) == 0
    assert call(server, "POST", body={"meeting_id": MEETING}).status_code == 200
    counters = inspect(server, "GET", "counters").json()
    assert (counters["rate_limited"], counters["faults"], counters["starts"]) == (1, {"429": 1}, 1)


def test_5xx_before_does_nothing(server: EmulatorServer) -> None:
    script(server, "start", "5xx-before")
    response = call(server, "POST", body={"meeting_id": MEETING})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == 502
    assert created(server) == 0


def test_5xx_after_creates_the_recording_then_fails(server: EmulatorServer) -> None:
    script(server, "start", "5xx-after")
    response = call(server, "POST", body={"meeting_id": MEETING})
    assert response.status_code == 500
    assert created(server) == 1
    assert call(server, "POST", body={"meeting_id": MEETING}).status_code == 409  # it is really there


def test_drop_after_creates_the_recording_then_hangs_up(server: EmulatorServer) -> None:
    script(server, "start", "drop-after")
    with pytest.raises(httpx.RemoteProtocolError):
        call(server, "POST", body={"meeting_id": MEETING})
    assert created(server) == 1
    assert inspect(server, "GET", "counters").json()["responses"] == {"dropped": 1}


def test_drop_after_a_control_applies_it(server: EmulatorServer) -> None:
    recording_id = call(server, "POST", body={"meeting_id": MEETING}).json()["data"]["id"]
    script(server, "control", "drop-after")
    with pytest.raises(httpx.RemoteProtocolError):
        call(server, "PUT", f"/{recording_id}", body={"action": "stop"})
    assert call(server, "GET", f"/{recording_id}").json()["data"]["status"] == "UPLOADING"


def test_latency_spike_delays_then_answers(server: EmulatorServer) -> None:
    script(server, "get", "latency-spike")
    began = time.monotonic()
    response = call(server, "GET", f"/{meeting(9)}")
    assert time.monotonic() - began >= 0.3
    assert response.status_code == 404


def test_fixed_latency_delays_every_api_request() -> None:
    with EmulatorServer(token=TOKEN, faults=FaultConfig(latency=0.05)) as slow:
        began = time.monotonic()
        for _ in range(4):
            call(slow, "GET")
        assert time.monotonic() - began >= 0.2


def test_scripted_faults_hit_only_their_route_in_order(server: EmulatorServer) -> None:
    script(server, "start", "5xx-before", "429")
    script(server, "*", "5xx-after")
    assert call(server, "GET").status_code == 500  # "*" is the first entry a GET matches
    assert call(server, "GET").status_code == 200
    assert call(server, "POST", body={"meeting_id": MEETING}).status_code == 502
    assert call(server, "POST", body={"meeting_id": MEETING}).status_code == 429
    assert call(server, "POST", body={"meeting_id": MEETING}).status_code == 200
    assert inspect(server, "GET", "faults").json()["script"] == []


def test_faults_meet_requests_before_the_token_check(server: EmulatorServer) -> None:
    script(server, "list", "429")
    assert call(server, "GET", token="wrong").status_code == 429
    assert call(server, "GET", token="wrong").status_code == 401


def statuses(seed: int, rates: dict[str, float], count: int = 60) -> list[int]:
    with EmulatorServer(token=TOKEN, seed=seed, faults=FaultConfig(rates=rates, retry_after=0)) as running:
        found = []
        for _ in range(count):
            try:
                found.append(call(running, "GET", f"/{meeting(1)}").status_code)
            except httpx.RemoteProtocolError:
                found.append(0)
        counters = running.emulator.counters()
    injected = sum(counters["faults"].values())
    assert injected == sum(1 for status in found if status != 404)
    return found


def test_seeded_faults_are_reproducible() -> None:
    rates = {"429": 0.15, "5xx-before": 0.15, "5xx-after": 0.15, "drop-after": 0.15}
    first = statuses(42, rates)
    assert first == statuses(42, rates)
    assert first != statuses(43, rates)
    assert {0, 404, 429, 500, 502} == set(first)


def test_rps_limit_answers_429_beyond_it() -> None:
    with EmulatorServer(token=TOKEN, faults=FaultConfig(rps_limit=5)) as limited:
        began = time.monotonic()
        answers = [call(limited, "GET").status_code for _ in range(20)]
        elapsed = time.monotonic() - began
        accepted = answers.count(200)
        assert answers.count(429) == 20 - accepted > 0
        assert accepted <= 5 * (elapsed + 1)
        response = call(limited, "GET")
        if response.status_code == 429:
            assert response.headers["retry-after"] == "1"
        assert limited.emulator.counters()["rate_limited"] >= 20 - accepted


def test_faults_are_configured_at_runtime(server: EmulatorServer) -> None:
    response = inspect(server, "PUT", "faults", {"rates": {"5xx-before": 1.0}, "latency": 0})
    assert response.status_code == 200
    assert response.json()["config"]["rates"] == {"5xx-before": 1.0}
    assert call(server, "GET").status_code == 502
    assert inspect(server, "PUT", "faults", {"rates": {}}).status_code == 200
    assert call(server, "GET").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"rates": {"boom": 0.1}},
        {"rates": {"429": 0.8, "5xx-after": 0.8}},
        {"rates": {"429": -0.1}},
        {"rates": ["429"]},
        {"latency": -1},
        {"rps_limit": 0},
        {"colour": "red"},
    ],
    ids=["unknown-kind", "sum-over-1", "negative", "not-a-map", "negative-latency", "zero-rps", "unknown-setting"],
)
def test_bad_fault_settings_are_refused(server: EmulatorServer, change: dict[str, object]) -> None:
    response = inspect(server, "PUT", "faults", change)
    assert response.status_code == 400
    assert inspect(server, "GET", "faults").json()["config"]["rates"] == {}


@pytest.mark.parametrize(
    "body",
    [{"route": "start", "faults": ["boom"]}, {"route": "nowhere", "faults": ["429"]}, {"route": "start"}],
    ids=["unknown-fault", "unknown-route", "no-faults"],
)
def test_bad_scripts_are_refused(server: EmulatorServer, body: dict[str, object]) -> None:
    assert inspect(server, "POST", "faults/script", body).status_code == 400


def test_bad_initial_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="add up to at most 1"):
        EmulatorServer(token=TOKEN, faults=FaultConfig(rates={"429": 0.7, "5xx-before": 0.7}))
    with pytest.raises(ValueError, match="speed"):
        EmulatorServer(token=TOKEN, speed=0)
