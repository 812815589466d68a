"""The emulator's API over real HTTP: token, strict bodies, one active recording, transitions, paging, filters,
statuses over time, scoping and the inspection routes."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from providers.emulator import EmulatorServer

from _provider_support import APP, MEETING, OTHER_MEETING, TOKEN, api_url, call, inspect, meeting


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(token=TOKEN, seed=1) as running:
        yield running


def start(server: EmulatorServer, meeting_id: str = MEETING, **fields: Any) -> dict[str, Any]:
    response = call(server, "POST", body={"meeting_id": meeting_id, **fields})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def advance(server: EmulatorServer, seconds: float) -> None:
    assert inspect(server, "POST", "advance", {"seconds": seconds}).status_code == 200


def status_of(server: EmulatorServer, recording_id: str) -> str:
    status: str = call(server, "GET", f"/{recording_id}").json()["data"]["status"]
    return status


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "", {"meeting_id": MEETING}),
        ("GET", "", None),
        ("GET", "/00000000-0000-4000-8000-000000000001", None),
        ("GET", f"/active-recording/{MEETING}", None),
        ("PUT", "/00000000-0000-4000-8000-000000000001", {"action": "stop"}),
    ],
    ids=["start", "list", "get", "active", "control"],
)
@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["missing", "wrong"])
def test_every_call_needs_the_bearer_token(
    server: EmulatorServer, method: str, path: str, body: Any, token: str | None
) -> None:
    response = call(server, method, path, body=body, token=token)
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "errors": [{"code": 10000, "message": "Authentication error"}],
        "messages": [],
        "result": None,
    }
    assert inspect(server, "GET", "recordings").json()["recordings"] == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "meeting_id: is required"),
        ({"meeting_id": "not-a-uuid"}, "meeting_id: must be a UUID"),
        ({"meeting_id": MEETING, "status": "recording"}, "status: is not allowed (unknown field)"),
        ({"meeting_id": MEETING, "video_config": {"fps": 30}}, "video_config.fps: is not allowed"),
        (
            {"meeting_id": MEETING, "video_config": {"codec": "AV1"}},
            "video_config.codec: must be one of H264, VP8, VP9",
        ),
        ({"meeting_id": MEETING, "audio_config": {"channel": "quad"}}, "audio_config.channel: must be one of"),
        ({"meeting_id": MEETING, "max_seconds": 59}, "max_seconds: must be at least 60"),
        ({"meeting_id": MEETING, "max_seconds": 86401}, "max_seconds: must be at most 86400"),
        ({"meeting_id": MEETING, "max_seconds": "600"}, "max_seconds: expected a whole number, found '600'"),
        ({"meeting_id": MEETING, "max_seconds": 600.5}, "max_seconds: expected a whole number"),
        ({"meeting_id": MEETING, "max_seconds": True}, "max_seconds: expected a whole number"),
        ({"meeting_id": MEETING, "video_config": {"width": 0}}, "video_config.width: must be at least 1"),
        ({"meeting_id": MEETING, "video_config": {"height": 1921}}, "video_config.height: must be at most 1920"),
        ({"meeting_id": MEETING, "allow_multiple_recordings": "yes"}, "allow_multiple_recordings: expected true"),
        ({"meeting_id": MEETING, "video_config": []}, "video_config: expected an object"),
        ({"meeting_id": MEETING, "realtimekit_bucket_config": {}}, "realtimekit_bucket_config.enabled: is required"),
        ({"meeting_id": MEETING, "rtmp_out_config": {"rtmp_url": "https://x/live"}}, "must be a rtmp:///rtmps:// URI"),
        (
            {"meeting_id": MEETING, "video_config": {"watermark": {"size": {"width": 0}}}},
            "video_config.watermark.size.width: must be at least 1",
        ),
        ({"meeting_id": MEETING, "video_config": {"watermark": {"url": "logo.png"}}}, "watermark.url: must be a"),
        (
            {"meeting_id": MEETING, "video_config": {"codec": "VP8"}, "audio_config": {"codec": "AAC"}},
            "audio_config: cannot be set with video codec VP8",
        ),
        ({"meeting_id": MEETING, "storage_config": {"bucket": "b"}}, "storage_config.type: is required"),
        ({"meeting_id": MEETING, "storage_config": {"type": "s3"}}, "storage_config.type: must be one of"),
        (
            {"meeting_id": MEETING, "storage_config": {"type": "sftp", "password": "p"}},
            "storage_config.host: is required for sftp storage",
        ),
        (
            {
                "meeting_id": MEETING,
                "storage_config": {"type": "sftp", "host": "h", "username": "u", "auth_method": "KEY"},
            },
            "storage_config.private_key: is required for sftp storage",
        ),
        (
            {"meeting_id": MEETING, "storage_config": {"type": "sftp", "host": "h", "username": "u"}},
            "sftp storage needs a password or a private_key",
        ),
        ([MEETING], "body: expected an object"),
        (None, "body: expected an object, found null"),
    ],
    ids=lambda v: None if isinstance(v, dict | list) or v is None else v[:30],
)
def test_invalid_start_bodies_are_refused_with_400(server: EmulatorServer, body: Any, problem: str) -> None:
    response = call(server, "POST", body=body)
    assert response.status_code == 400
    document = response.json()
    assert document["success"] is False
    assert document["error"]["code"] == 400
    assert problem in document["error"]["message"]
    assert inspect(server, "GET", "recordings").json()["recordings"] == []


def test_a_body_that_is_not_json_is_refused(server: EmulatorServer) -> None:
    response = httpx.post(
        f"{server.url}/accounts/a/realtime/kit/{APP}/recordings",
        content=b"{meeting_id",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]["message"]


def test_every_problem_of_a_body_is_reported_at_once(server: EmulatorServer) -> None:
    response = call(server, "POST", body={"meeting_id": "x", "max_seconds": 1, "colour": "red"})
    message = response.json()["error"]["message"]
    assert "meeting_id" in message
    assert "max_seconds" in message
    assert "colour" in message


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {
            "allow_multiple_recordings": True,
            "audio_config": {"channel": "mono", "codec": "MP3", "export_file": False},
            "file_name_prefix": "allhands",
            "interactive_config": {"type": "ID3"},
            "max_seconds": 3600,
            "realtimekit_bucket_config": {"enabled": False},
            "rtmp_out_config": {"rtmp_url": "rtmps://live.example.com/app/key"},
            "storage_config": {
                "type": "aws",
                "bucket": "recs",
                "region": "us-east-1",
                "access_key": "AKIA",
                "secret": "s",
                "path": "p/",
            },
            "url": "https://example.com/page",
            "video_config": {
                "codec": "H264",
                "export_file": True,
                "height": 1080,
                "width": 1920,
                "watermark": {"position": "left top", "size": {"height": 10, "width": 20}, "url": "https://x/l.png"},
            },
        },
        {"storage_config": None, "video_config": {"codec": "VP9"}},
        {"storage_config": {"type": "sftp", "host": "h", "username": "u", "auth_method": "KEY", "private_key": "k"}},
        {"storage_config": {"type": "sftp", "host": "h", "username": "u", "password": "p", "port": 22}},
        {"max_seconds": 60.0},
    ],
    ids=["minimal", "every-field", "null-storage-vp9", "sftp-key", "sftp-password", "integral-float"],
)
def test_valid_start_bodies_are_accepted_and_kept_exactly(server: EmulatorServer, fields: dict[str, Any]) -> None:
    data = start(server, **fields)
    assert data["status"] == "INVOKED"
    [created] = inspect(server, "GET", "recordings").json()["recordings"]
    assert created["id"] == data["id"]
    assert created["body"] == {"meeting_id": MEETING, **fields}
    assert "secret" not in call(server, "GET", f"/{data['id']}").text.replace('"secret"', "")


@pytest.mark.parametrize(
    ("existing", "new", "status"),
    [(False, False, 409), (True, False, 409), (False, True, 409), (True, True, 200)],
    ids=["neither", "existing-only", "new-only", "both"],
)
def test_one_active_recording_per_meeting(server: EmulatorServer, existing: bool, new: bool, status: int) -> None:
    first = start(server, allow_multiple_recordings=existing)
    response = call(server, "POST", body={"meeting_id": MEETING, "allow_multiple_recordings": new})
    assert response.status_code == status
    if status == 409:
        assert response.json()["error"]["code"] == 409
        assert first["id"] in response.json()["error"]["message"]
    assert call(server, "POST", body={"meeting_id": OTHER_MEETING}).status_code == 200


def test_a_stopped_or_errored_recording_no_longer_blocks_a_start(server: EmulatorServer) -> None:
    first = start(server)
    assert call(server, "PUT", f"/{first['id']}", body={"action": "stop"}).status_code == 200
    second = start(server)
    inspect(server, "PUT", f"recordings/{second['id']}", {"status": "ERRORED"})
    start(server)


@pytest.mark.parametrize(
    ("prepare", "action", "status", "expected"),
    [
        ([], "pause", 400, "INVOKED"),
        ([], "resume", 400, "INVOKED"),
        ([], "stop", 200, "UPLOADING"),
        (["wait"], "pause", 200, "PAUSED"),
        (["wait"], "resume", 400, "RECORDING"),
        (["wait", "pause"], "resume", 200, "RECORDING"),
        (["wait", "pause"], "pause", 400, "PAUSED"),
        (["wait", "pause"], "stop", 200, "UPLOADING"),
        (["wait", "stop"], "stop", 400, "UPLOADING"),
        (["wait", "stop", "wait"], "resume", 400, "UPLOADED"),
    ],
)
def test_control_transitions(
    server: EmulatorServer, prepare: list[str], action: str, status: int, expected: str
) -> None:
    recording_id = start(server)["id"]
    for step in prepare:
        if step == "wait":
            advance(server, 2.5)
        else:
            assert call(server, "PUT", f"/{recording_id}", body={"action": step}).status_code == 200
    response = call(server, "PUT", f"/{recording_id}", body={"action": action})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"]["code"] == 400
    assert status_of(server, recording_id) == expected


@pytest.mark.parametrize(
    "body", [{"action": "halt"}, {}, {"action": "stop", "force": True}, None], ids=["enum", "missing", "extra", "none"]
)
def test_invalid_control_bodies_are_refused(server: EmulatorServer, body: Any) -> None:
    recording_id = start(server)["id"]
    assert call(server, "PUT", f"/{recording_id}", body=body).status_code == 400
    assert status_of(server, recording_id) == "INVOKED"


def test_unknown_recordings_and_meetings_without_one_are_404(server: EmulatorServer) -> None:
    unknown = "00000000-0000-4000-8000-00000000dead"
    for method, path, body in [("GET", f"/{unknown}", None), ("PUT", f"/{unknown}", {"action": "stop"})]:
        response = call(server, method, path, body=body)
        assert response.status_code == 404
        assert response.json() == {"success": False, "error": {"code": 404, "message": "Recording not found"}}
    response = call(server, "GET", f"/active-recording/{MEETING}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404


def test_active_is_the_latest_active_recording_of_the_meeting(server: EmulatorServer) -> None:
    start(server, allow_multiple_recordings=True)
    latest = start(server, allow_multiple_recordings=True)
    start(server, OTHER_MEETING)
    response = call(server, "GET", f"/active-recording/{MEETING}")
    assert response.json()["data"]["id"] == latest["id"]


def test_paging(server: EmulatorServer) -> None:
    ids = [start(server, meeting(n))["id"] for n in range(25)]
    seen = []
    for page_no, expected in [(1, (1, 10)), (2, (11, 20)), (3, (21, 25))]:
        params = {"page_no": page_no, "per_page": 10, "sort_by": "invokedTime", "sort_order": "ASC"}
        document = call(server, "GET", params=params).json()
        assert document["success"] is True
        paging = document["paging"]
        assert (paging["start_offset"], paging["end_offset"], paging["total_count"]) == (*expected, 25)
        seen += [item["id"] for item in document["data"]]
        assert all(set(item["meeting"]) == {"id", "created_at", "updated_at"} for item in document["data"])
    assert seen == ids
    beyond = call(server, "GET", params={"page_no": 4, "per_page": 10}).json()
    assert beyond["data"] == []
    assert beyond["paging"]["total_count"] == 25
    assert len(call(server, "GET").json()["data"]) == 20  # the default page size
    newest_first = call(server, "GET", params={"per_page": 100}).json()["data"]
    assert [item["id"] for item in newest_first] == ids[::-1]  # sort_order defaults to DESC


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"per_page": 101}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page_no": 0}, "page_no"),
        ({"page_no": "two"}, "page_no"),
        ({"status": "DONE"}, "status"),
        ({"meeting_id": "m1"}, "meeting_id"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"sort_by": "createdAt"}, "sort_by"),
        ({"sort_order": "UP"}, "sort_order"),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else None,
)
def test_invalid_list_queries_are_refused(server: EmulatorServer, params: dict[str, Any], problem: str) -> None:
    response = call(server, "GET", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(problem)


def test_list_filters(server: EmulatorServer) -> None:
    a = start(server, MEETING, allow_multiple_recordings=True)
    advance(server, 10)
    b = start(server, OTHER_MEETING)
    advance(server, 10)
    c = start(server, MEETING, allow_multiple_recordings=True)
    call(server, "PUT", f"/{b['id']}", body={"action": "stop"})
    inspect(server, "PUT", f"recordings/{c['id']}", {"status": "PAUSED"})

    def listed(**params: Any) -> list[str]:
        document = call(server, "GET", params={"sort_order": "ASC", **params}).json()
        return [item["id"] for item in document["data"]]

    assert listed(meeting_id=MEETING) == [a["id"], c["id"]]
    assert listed(status=["PAUSED", "UPLOADING"]) == [b["id"], c["id"]]
    assert listed(status="RECORDING") == [a["id"]]  # INVOKED became RECORDING after 2 s
    assert listed(start_time=b["invoked_time"]) == [b["id"], c["id"]]
    assert listed(end_time=b["invoked_time"]) == [a["id"], b["id"]]
    assert listed(start_time=b["invoked_time"], end_time=b["invoked_time"]) == [b["id"]]
    assert listed(meeting_id=OTHER_MEETING, status="RECORDING") == []


def test_statuses_advance_over_time(server: EmulatorServer) -> None:
    data = start(server, max_seconds=60)
    assert (data["status"], data["started_time"], data["download_url"]) == ("INVOKED", None, None)
    advance(server, 2.5)
    recording = call(server, "GET", f"/{data['id']}").json()["data"]
    assert recording["status"] == "RECORDING"
    assert recording["started_time"] is not None
    assert recording["session_id"] is not None
    advance(server, 30)
    call(server, "PUT", f"/{data['id']}", body={"action": "pause"})
    advance(server, 100)  # paused time does not count towards max_seconds
    assert status_of(server, data["id"]) == "PAUSED"
    call(server, "PUT", f"/{data['id']}", body={"action": "resume"})
    advance(server, 29)
    assert status_of(server, data["id"]) == "RECORDING"
    advance(server, 2)  # 60 s recorded: stopped by max_seconds
    recording = call(server, "GET", f"/{data['id']}").json()["data"]
    assert (recording["status"], recording["recording_duration"]) == ("UPLOADING", 60)
    assert recording["stopped_time"] is not None
    advance(server, 2.5)
    recording = call(server, "GET", f"/{data['id']}").json()["data"]
    assert recording["status"] == "UPLOADED"
    assert recording["download_url"].startswith("https://")
    assert recording["file_size"] > 0
    assert call(server, "GET", f"/active-recording/{MEETING}").status_code == 404


def test_speed_scales_the_durations() -> None:
    with EmulatorServer(token=TOKEN, speed=1000) as fast:
        data = start(fast)
        assert data["status"] == "INVOKED"
        assert call(fast, "PUT", f"/{data['id']}", body={"action": "stop"}).status_code == 200
        # 2 s of uploading / 1000 = 2 ms: a short real wait is enough.
        deadline = time.monotonic() + 5
        while status_of(fast, data["id"]) != "UPLOADED" and time.monotonic() < deadline:
            time.sleep(0.005)
        assert status_of(fast, data["id"]) == "UPLOADED"


def test_recordings_are_scoped_per_app(server: EmulatorServer) -> None:
    data = start(server)
    assert call(server, "GET", f"/{data['id']}", app="other-app").status_code == 404
    assert call(server, "GET", app="other-app").json()["paging"]["total_count"] == 0
    assert call(server, "POST", body={"meeting_id": MEETING}, app="other-app").status_code == 200


def test_inspection_routes(server: EmulatorServer) -> None:
    data = start(server, max_seconds=120)
    [listed] = inspect(server, "GET", "recordings").json()["recordings"]
    assert listed["body"] == {"meeting_id": MEETING, "max_seconds": 120}
    assert (listed["account_id"], listed["app_id"], listed["meeting_id"]) == (
        "023e105f4ecef8ad9ca31a8372d0c353",
        APP,
        MEETING,
    )
    assert inspect(server, "PUT", f"recordings/{data['id']}", {"status": "ERRORED"}).status_code == 200
    errored = call(server, "GET", f"/{data['id']}").json()["data"]
    assert (errored["status"], errored["stop_reason"]["reason"]) == ("ERRORED", "INTERNAL_ERROR")
    assert inspect(server, "PUT", f"recordings/{data['id']}", {"status": "GONE"}).status_code == 400
    assert inspect(server, "DELETE", f"recordings/{data['id']}").status_code == 200
    assert call(server, "GET", f"/{data['id']}").status_code == 404
    assert inspect(server, "DELETE", f"recordings/{data['id']}").status_code == 404
    counters = inspect(server, "GET", "counters").json()
    assert counters["requests"] == {"start": 1, "get": 2}
    assert counters["starts"] == 1
    assert counters["responses"] == {"200": 2, "404": 1}
    assert inspect(server, "POST", "reset").status_code == 200
    assert inspect(server, "GET", "recordings").json()["recordings"] == []
    assert inspect(server, "GET", "counters").json()["requests"] == {}
    assert inspect(server, "GET", "nothing-here").status_code == 404
    assert inspect(server, "POST", "advance", {"seconds": "soon"}).status_code == 400


def test_the_inspection_routes_need_the_emulators_token(server: EmulatorServer) -> None:
    start(server, storage_config={"type": "aws", "access_key": "AKIASECRET", "region": "us-east-1"})
    where = server.url.removesuffix("/client/v4") + "/__emulator/recordings"
    for headers in ({}, {"Authorization": "Bearer some-other-token"}, {"Authorization": TOKEN}):
        response = httpx.get(where, headers=headers)
        assert response.status_code == 401
        assert "AKIASECRET" not in response.text
        assert "emulator's token" in response.json()["error"]["message"]
    assert httpx.post(where.removesuffix("recordings") + "reset", headers={}).status_code == 401
    assert inspect(server, "GET", "recordings").status_code == 200  # with the token
    assert len(server.emulator.recordings()) == 1  # the refused reset did nothing


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:{port}", "127.0.0.1:1", "", "localhost.evil"])
@pytest.mark.parametrize("route", ["/__emulator/recordings", "/client/v4/accounts/a/realtime/kit/b/recordings"])
def test_a_host_that_is_not_loopback_is_refused_with_421(server: EmulatorServer, host: str, route: str) -> None:
    """What a page of another site reaching the emulator through DNS rebinding sends: its own name in `Host`."""
    start(server, storage_config={"type": "aws", "access_key": "AKIASECRET", "region": "us-east-1"})
    with socket.create_connection(("127.0.0.1", server.port)) as sock:  # raw: httpx would not send an empty Host
        sock.sendall(
            f"GET {route} HTTP/1.1\r\nHost: {host.format(port=server.port)}\r\n"
            f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):  # the emulator closes the connection after a 421
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 421 Misdirected Request\r\n"), answer[:80]
    assert b"AKIASECRET" not in answer
    assert b"answers only requests addressed to 127.0.0.1" in answer


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_loopback_names_with_the_port_are_served(server: EmulatorServer, name: str) -> None:
    headers = {"Host": f"{name}:{server.port}", "Authorization": f"Bearer {TOKEN}"}
    response = httpx.get(f"http://127.0.0.1:{server.port}/__emulator/counters", headers=headers)
    assert response.status_code == 200, response.text


def test_unknown_routes_and_methods(server: EmulatorServer) -> None:
    assert call(server, "GET", "/a/b").status_code == 404
    assert call(server, "DELETE", "").status_code == 405
    assert call(server, "PUT", f"/active-recording/{MEETING}", body={"action": "stop"}).status_code == 405
    response = httpx.get(server.url.removesuffix("/client/v4") + "/elsewhere")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_connections_are_kept_alive(server: EmulatorServer) -> None:
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        ports = set()
        for _ in range(5):
            response = client.get(f"{server.url}/accounts/a/realtime/kit/{APP}/recordings")
            assert response.status_code == 200
            assert response.headers["content-length"] == str(len(response.content))
            stream = response.extensions["network_stream"]
            ports.add(stream.get_extra_info("client_addr"))
        assert len(ports) == 1


def raw_request(method: str, target: str, body: bytes = b"", *, port: int, token: str = TOKEN) -> bytes:
    """An HTTP/1.1 request as the bytes a client sends, keeping the connection alive."""
    head = [
        f"{method} {target} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def test_each_answer_arrives_whole_on_a_kept_alive_connection(server: EmulatorServer) -> None:
    """Design §8: an answer written in pieces (headers, then body) on a socket without TCP_NODELAY waits for the
    client's delayed ACK, ~40 ms per request under keep-alive. What a client sees then is a read that returns the
    headers without the body. Here, request after request on ONE connection, the first read holds the whole answer:
    status line, headers and exactly Content-Length bytes of body."""
    collection = urlsplit(api_url(server)).path
    requests: list[tuple[str, str, bytes, dict[str, Any]]] = []
    for n in range(4):  # past the first exchanges, when Linux still acknowledges at once ("quick ACK")
        body = json.dumps({"meeting_id": meeting(n), "max_seconds": 60}).encode()
        requests += [
            ("POST", collection, body, {"status": 200}),
            ("GET", collection, b"", {"status": 200}),
            ("GET", f"{collection}/active-recording/{meeting(n)}", b"", {"status": 200}),
            ("GET", f"{collection}/nope", b"", {"status": 404}),
            ("POST", collection, body, {"status": 409}),  # the meeting has its active recording
        ]
    requests.append(("GET", collection, b"", {"status": 401, "token": "wrong"}))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        for number, (method, target, body, expected) in enumerate(requests):
            what = f"answer {number} ({method} {target})"
            connection.sendall(raw_request(method, target, body, port=server.port, token=expected.get("token", TOKEN)))
            received = connection.recv(1 << 20)
            assert received, f"{what}: the server closed the kept-alive connection"
            head, blank_line, payload = received.partition(b"\r\n\r\n")
            assert blank_line, f"{what}: the first read ended inside the headers: {received!r}"
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            assert status_line.startswith(f"HTTP/1.1 {expected['status']} "), f"{what}: {status_line}"
            headers = {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
            assert "close" not in headers.get("connection", "").lower(), f"{what}: the server will hang up"
            length = int(headers["content-length"])
            assert len(payload) == length, f"{what}: the first read held {len(payload)} of {length} body bytes"
            json.loads(payload)  # a whole JSON document


def test_an_emulator_bug_is_answered_with_a_500_and_logged(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(server.emulator, "handle", broken)
    with caplog.at_level(logging.ERROR, logger="providers.emulator"):
        response = call(server, "GET")
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "emulator bug: RuntimeError: a bug"
    [record] = [record for record in caplog.records if record.name == "providers.emulator"]
    assert record.exc_info is not None
    assert "a bug" in caplog.text  # the traceback is there for whoever reads the log
