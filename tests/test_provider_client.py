"""`RealtimeKitClient` against a scripted transport: requests, retry policy, error mapping, paging, secrecy.

The same policy is exercised over real HTTP against the emulator in `test_provider_faults.py`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from providers import (
    ConflictError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    RealtimeKitClient,
    ServerError,
    TransportError,
    UncertainStartError,
)

TOKEN = "secret-token-8c1d77"
MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"
BASE = "https://api.example.test/client/v4"


def recording(n: int = 1, status: str = "INVOKED", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "status": status,
        "invoked_time": f"2025-03-01T10:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
        "started_time": None,
        "stopped_time": None,
        "output_file_name": "f.mp4",
        "session_id": None,
        "download_url": None,
        "download_url_expiry": None,
        "audio_download_url": None,
        "file_size": None,
        **extra,
    }


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": data})


def fail(status: int, message: str = "nope", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"success": False, "error": {"code": status, "message": message}}, headers=headers
    )


Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A transport answering each request with the next scripted step; it records every request."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step(request) if callable(step) and not isinstance(step, httpx.Response) else step


@pytest.fixture
def make() -> Iterator[Callable[..., tuple[RealtimeKitClient, Script]]]:
    clients: list[RealtimeKitClient] = []

    def factory(*steps: Step, **options: Any) -> tuple[RealtimeKitClient, Script]:
        script = Script(*steps)
        settings: dict[str, Any] = {"rate": 1000.0, "max_per_window": None, "backoff": 0.001}
        settings.update(options)
        client = RealtimeKitClient(
            account_id="acc",
            app_id="app",
            token=TOKEN,
            base_url=BASE,
            version="9.9.9",
            transport=httpx.MockTransport(script),
            **settings,
        )
        clients.append(client)
        return client, script

    yield factory
    for client in clients:
        client.close()


def connect_error() -> httpx.ConnectError:
    return httpx.ConnectError("connection refused")


def test_requests_carry_the_token_the_user_agent_and_the_app_path(make: Any) -> None:
    client, script = make(ok(recording()))
    client.get("r1")
    request = script.requests[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"] == "reconciler/9.9.9"
    assert request.url.raw_path == b"/client/v4/accounts/acc/realtime/kit/app/recordings/r1"


@pytest.mark.parametrize("bad", ["..", ".", "r 1/x", "a/../b", "", "%2e%2e", "r1?x=1", "\x1b[2J"])
def test_an_id_that_is_not_a_plain_identifier_is_never_sent(make: Any, bad: str) -> None:
    client, script = make(ok(recording()))
    for call in (lambda: client.get(bad), lambda: client.control(bad, "stop"), lambda: client.start(bad, {})):
        with pytest.raises(InvalidRequestError, match="not a plain"):
            call()
    with pytest.raises(InvalidRequestError, match="not a plain"):
        list(client.list(meeting_id=bad))
    assert script.requests == []


@pytest.mark.parametrize(("account", "app"), [("acc", ".."), ("..", "app"), ("acc", "a/b"), ("acc", "app\n")])
def test_a_client_for_an_account_or_app_that_is_not_a_plain_identifier_is_refused(account: str, app: str) -> None:
    with pytest.raises(ProviderError, match="not a plain identifier"):
        RealtimeKitClient(account_id=account, app_id=app, token=TOKEN, base_url=BASE)


def test_an_answer_whose_recording_id_is_not_a_plain_identifier_is_refused(make: Any) -> None:
    client, _ = make(ok({**recording(), "id": "../../app"}))
    with pytest.raises(InvalidResponseError, match="not a plain identifier"):
        client.get("r1")


def test_the_api_clock_is_measured_from_the_date_header(make: Any) -> None:
    ahead = datetime.now(UTC) + timedelta(minutes=10)
    dated = httpx.Response(200, json=ok(recording()).json(), headers={"Date": format_datetime(ahead, usegmt=True)})
    client, _ = make(dated)
    assert client.api_time() is None  # nothing answered yet
    client.get("r1")
    measured = client.api_time()
    assert measured is not None
    assert abs((measured - ahead).total_seconds()) < 2


def test_a_start_sends_exactly_the_body_plus_the_meeting_id(make: Any) -> None:
    client, script = make(ok(recording()))
    body = {"max_seconds": 600, "video_config": {"width": 1280}}
    started = client.start(MEETING, body)
    assert script.requests[0].method == "POST"
    assert json.loads(script.requests[0].content) == {"meeting_id": MEETING, **body}
    assert started.meeting_id == MEETING


def test_a_start_body_carrying_meeting_id_is_refused_before_sending(make: Any) -> None:
    client, script = make(ok(recording()))
    with pytest.raises(InvalidRequestError, match="must not carry meeting_id"):
        client.start(MEETING, {"meeting_id": MEETING})
    assert script.requests == []


# The start: retried only when the server certainly did nothing.
@pytest.mark.parametrize(
    ("first", "sent", "outcome"),
    [
        (connect_error(), 2, None),
        (httpx.ConnectTimeout("connect timed out"), 2, None),
        (httpx.PoolTimeout("pool"), 2, None),
        (fail(429, "slow down", {"retry-after": "0.01"}), 2, None),
        (httpx.ReadTimeout("read timed out"), 1, UncertainStartError),
        (httpx.WriteTimeout("write timed out"), 1, UncertainStartError),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), 1, UncertainStartError),
        (httpx.ReadError("connection reset"), 1, UncertainStartError),
        (fail(500), 1, UncertainStartError),
        (fail(502), 1, UncertainStartError),
        (httpx.Response(503, text="<html>unavailable</html>"), 1, UncertainStartError),
        (httpx.Response(200, text="<html>ok</html>"), 1, UncertainStartError),
        (httpx.Response(200, json={"success": True, "data": {"id": "x"}}), 1, UncertainStartError),
        (httpx.Response(302, headers={"location": "/elsewhere"}), 1, UncertainStartError),
        (fail(409, "already recording"), 1, ConflictError),
        (fail(400, "bad body"), 1, InvalidRequestError),
    ],
    ids=[
        "connect-error",
        "connect-timeout",
        "pool-timeout",
        "429",
        "read-timeout",
        "write-timeout",
        "dropped",
        "reset",
        "500",
        "502",
        "503-html",
        "200-html",
        "200-incomplete",
        "302",
        "409",
        "400",
    ],
)
def test_start_retry_policy(make: Any, first: Step, sent: int, outcome: type[ProviderError] | None) -> None:
    client, script = make(first, ok(recording()))
    if outcome is None:
        assert client.start(MEETING, {}).id == recording()["id"]
    else:
        with pytest.raises(outcome) as raised:
            client.start(MEETING, {})
        if outcome is UncertainStartError:
            assert raised.value.meeting_id == MEETING  # type: ignore[attr-defined]  # narrowed by the table
            assert "may have been created" in str(raised.value)
    assert len(script.requests) == sent


def test_a_start_that_never_connects_is_a_transport_error_not_uncertain(make: Any) -> None:
    client, script = make(connect_error(), attempts=3)
    with pytest.raises(TransportError, match="cannot reach"):
        client.start(MEETING, {})
    assert len(script.requests) == 3


def test_a_start_rate_limited_on_every_attempt_is_rate_limited(make: Any) -> None:
    client, script = make(fail(429, "slow", {"retry-after": "0.01"}), attempts=3)
    with pytest.raises(RateLimitedError) as raised:
        client.start(MEETING, {})
    assert raised.value.retry_after == pytest.approx(0.01)
    assert len(script.requests) == 3


def test_a_429_is_retried_after_its_retry_after(make: Any) -> None:
    client, script = make(fail(429, "slow", {"retry-after": "0.3"}), ok(recording()))
    client.start(MEETING, {})
    assert len(script.requests) == 2
    assert script.times[1] - script.times[0] >= 0.3


def test_retry_after_is_capped_at_300_seconds(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = make(fail(429, "slow", {"retry-after": "86400"}), ok(recording()))
    pauses: list[float] = []
    monkeypatch.setattr(client.limiter, "pause_until", lambda instant: pauses.append(instant - time.monotonic()))
    client.get("r1")
    assert 299 <= pauses[0] <= 300


def test_a_429_pauses_every_caller_of_the_client(make: Any) -> None:
    arrived = threading.Event()

    def first(request: httpx.Request) -> httpx.Response:
        arrived.set()
        return fail(429, "slow", {"retry-after": "0.5"})

    client, script = make(first, ok(recording()))
    worker = threading.Thread(target=client.get, args=("a",))
    worker.start()
    assert arrived.wait(10)
    deadline = time.monotonic() + 10  # wait until the 429 has paused the limiter
    while client.limiter._paused_until < time.monotonic() and time.monotonic() < deadline:
        time.sleep(0.001)
    paused_until = client.limiter._paused_until  # the shared pause under test
    client.get("b")  # another caller, started during the pause
    worker.join(10)
    assert len(script.requests) == 3
    assert min(script.times[1:]) >= paused_until - 0.001


# GET and PUT: retried on connection errors, timeouts, 429 and 5xx.
@pytest.mark.parametrize(
    "first",
    [
        connect_error(),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("dropped"),
        fail(500),
        fail(502),
        httpx.Response(503, text="busy"),
        fail(429, "slow", {"retry-after": "0.01"}),
    ],
    ids=["connect-error", "read-timeout", "dropped", "500", "502", "503-html", "429"],
)
@pytest.mark.parametrize("call", ["get", "control"])
def test_reads_and_controls_are_retried(make: Any, first: Step, call: str) -> None:
    client, script = make(first, ok(recording(status="PAUSED")))
    if call == "get":
        assert client.get("r1").status == "PAUSED"
    else:
        assert client.control("r1", "pause").status == "PAUSED"
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("step", "error"),
    [(fail(500), ServerError), (httpx.ReadTimeout("slow"), TransportError), (connect_error(), TransportError)],
    ids=["500", "read-timeout", "connect-error"],
)
def test_retries_run_out(make: Any, step: Step, error: type[ProviderError]) -> None:
    client, script = make(step, attempts=3)
    with pytest.raises(error):
        client.get("r1")
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, InvalidRequestError), (404, NotFoundError), (409, ConflictError)],
    ids=["400", "404", "409"],
)
def test_client_errors_are_not_retried(make: Any, status: int, error: type[ProviderError]) -> None:
    client, script = make(fail(status, "the API's own words"))
    with pytest.raises(error, match="the API's own words"):
        client.get("r1")
    assert len(script.requests) == 1


def test_both_envelopes_reach_the_caller_with_the_api_message(make: Any) -> None:
    gateway = httpx.Response(
        401, json={"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]}
    )
    client, _ = make(gateway)
    with pytest.raises(ProviderError, match=r"Authentication error.*CLOUDFLARE_API_TOKEN"):
        client.get("r1")


def test_a_control_refused_after_a_lost_answer_reads_the_recording(make: Any) -> None:
    stopped = recording(status="UPLOADING")
    client, script = make(httpx.ReadTimeout("lost"), fail(400, "Recording is already stopped"), ok(stopped))
    assert client.control("r1", "stop").status == "UPLOADING"
    assert [r.method for r in script.requests] == ["PUT", "PUT", "GET"]


def test_a_control_refused_after_a_lost_answer_still_fails_when_not_applied(make: Any) -> None:
    client, _ = make(httpx.ReadTimeout("lost"), fail(400, "Cannot resume"), ok(recording(status="RECORDING")))
    with pytest.raises(InvalidRequestError, match="Cannot resume"):
        client.control("r1", "pause")


def test_a_control_refused_at_once_is_not_second_guessed(make: Any) -> None:
    client, script = make(fail(400, "Recording is already stopped"))
    with pytest.raises(InvalidRequestError):
        client.control("r1", "stop")
    assert len(script.requests) == 1


def test_a_404_without_the_envelope_is_not_taken_for_no_recording(make: Any) -> None:
    client, _ = make(httpx.Response(404, text="<html>no such route</html>"))
    with pytest.raises(InvalidResponseError, match="CLOUDFLARE_BASE_URL"):
        client.get("r1")


def paged(total: int, cap: int = 100) -> Callable[[httpx.Request], httpx.Response]:
    """A list endpoint over `total` recordings that serves at most `cap` per page."""

    def answer(request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        per_page = min(int(query["per_page"][0]), cap)
        offset = (int(query["page_no"][0]) - 1) * per_page
        items = [recording(n, meeting={"id": MEETING}) for n in range(offset, min(total, offset + per_page))]
        paging = {"total_count": total, "start_offset": offset + 1, "end_offset": offset + len(items)}
        return httpx.Response(200, json={"success": True, "data": items, "paging": paging})

    return answer


@pytest.mark.parametrize(("total", "cap", "requests"), [(0, 100, 1), (100, 100, 1), (250, 100, 3), (120, 50, 3)])
def test_list_pages_through_everything(make: Any, total: int, cap: int, requests: int) -> None:
    client, script = make(paged(total, cap))
    found = list(client.list())
    assert len(found) == total
    assert len({r.id for r in found}) == total
    assert all(r.meeting_id == MEETING for r in found)
    assert len(script.requests) == requests
    query = parse_qs(script.requests[0].url.query.decode())
    assert query["sort_by"] == ["invokedTime"]
    assert query["sort_order"] == ["ASC"]
    assert query["per_page"] == ["100"]


def test_list_is_lazy(make: Any) -> None:
    client, script = make(paged(250))
    found = client.list()
    assert script.requests == []
    next(found)
    assert len(script.requests) == 1


def test_list_sends_its_filters(make: Any) -> None:
    client, script = make(paged(0))
    since = datetime(2025, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    list(client.list(meeting_id=MEETING, since=since))
    query = parse_qs(script.requests[0].url.query.decode())
    assert query["meeting_id"] == [MEETING]
    assert query["start_time"] == ["2025-03-01T10:00:00.000Z"]
    list(client.list(since=datetime(2025, 3, 2)))
    later = parse_qs(script.requests[1].url.query.decode())
    assert later["start_time"] == ["2025-03-02T00:00:00.000Z"]  # a naive time is taken as UTC
    assert "meeting_id" not in later


def test_the_token_never_leaks(make: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    steps: list[Step] = [
        fail(401, "Authentication error"),
        httpx.ReadTimeout("slow"),
        fail(500),
        httpx.Response(200, text="garbage"),
        connect_error(),
    ]
    messages = [repr(make()[0])]
    for step in steps:
        for call in ("start", "get", "control", "list"):
            client, _ = make(step, attempts=2)
            try:
                if call == "start":
                    client.start(MEETING, {})
                elif call == "get":
                    client.get("r1")
                elif call == "control":
                    client.control("r1", "stop")
                else:
                    list(client.list())
            except ProviderError as error:
                chain: BaseException | None = error
                while chain is not None:
                    messages.append(f"{chain!s} {chain!r}")
                    chain = chain.__cause__
    assert len(messages) > 20
    messages.extend(record.getMessage() for record in caplog.records)
    assert not [m for m in messages if TOKEN in m]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"token": ""}, ProviderError, "empty or malformed"),
        ({"token": "two words"}, ProviderError, "empty or malformed"),
        ({"token": "line\nbreak"}, ProviderError, "empty or malformed"),
        ({"base_url": "ftp://example.test"}, ProviderError, "not an http"),
        ({"base_url": "localhost:8787"}, ProviderError, "not an http"),
        ({"app_id": ""}, ProviderError, "app id"),
    ],
    ids=["empty-token", "space-token", "newline-token", "ftp-url", "no-scheme", "no-app"],
)
def test_bad_settings_are_refused(options: dict[str, str], error: type[ProviderError], message: str) -> None:
    settings = {"account_id": "acc", "app_id": "app", "token": TOKEN, "base_url": BASE, **options}
    with pytest.raises(error, match=message) as raised:
        RealtimeKitClient(**settings)
    assert TOKEN not in str(raised.value)
    if options.get("token"):
        assert options["token"] not in str(raised.value)
