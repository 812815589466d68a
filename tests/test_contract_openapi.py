"""Contract: what the client sends and what the emulator answers both validate against the API's OpenAPI schema.

The schema is the repository's copy, `tests/contract/realtimekit.openapi.json` (provenance in the README beside
it). Requests are validated with the OAS 3.0 write validator (no read-only field may be sent), answers with the
read validator, formats (uuid, date-time) checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker

from providers import ConflictError, RealtimeKitClient
from providers.emulator import EmulatorServer

from _provider_support import MEETING, OTHER_MEETING, TOKEN, api_url, client_for

SCHEMA_FILE = Path(__file__).parent / "contract" / "realtimekit.openapi.json"
PREFIX = "/accounts/{account_id}/realtime/kit/{app_id}/recordings"


def load_spec() -> dict[str, Any]:
    if not SCHEMA_FILE.is_file():
        pytest.fail(f"the API schema {SCHEMA_FILE} is missing: copy it from ../shared/api/ (see tests/contract/README)")
    spec: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    return spec


SPEC = load_spec() if SCHEMA_FILE.is_file() else {}


def resolve(node: Any, seen: tuple[str, ...] = ()) -> Any:
    """The schema with every local `$ref` replaced by what it points to."""
    if isinstance(node, list):
        return [resolve(item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        assert ref not in seen, f"cyclic $ref {ref}"
        target: Any = SPEC
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return resolve(target, (*seen, ref))
    return {key: resolve(value, seen) for key, value in node.items()}


def operation(path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = resolve(SPEC["paths"][PREFIX + path][method])
    return found


def body_schema(part: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = part["content"]["application/json"]["schema"]
    return schema


def check(validator: type[OAS30ReadValidator | OAS30WriteValidator], schema: dict[str, Any], value: Any) -> None:
    errors = sorted(validator(schema, format_checker=oas30_format_checker).iter_errors(value), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors) + f"\nin {value}"


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response


@dataclass
class Recorder(httpx.BaseTransport):
    """A real transport that keeps every request and answer."""

    real: httpx.HTTPTransport = field(default_factory=httpx.HTTPTransport)
    exchanges: list[Exchange] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.real.handle_request(request)
        response.read()
        self.exchanges.append(Exchange(request, response))
        return response

    def close(self) -> None:
        self.real.close()


FULL_BODY: dict[str, Any] = {
    "allow_multiple_recordings": True,
    "audio_config": {"channel": "mono", "codec": "AAC", "export_file": True},
    "file_name_prefix": "allhands",
    "interactive_config": {"type": "ID3"},
    "max_seconds": 3600,
    "realtimekit_bucket_config": {"enabled": True},
    "rtmp_out_config": {"rtmp_url": "rtmps://live.example.com/app/stream-key"},
    "storage_config": {
        "type": "aws",
        "bucket": "recs",
        "region": "us-east-1",
        "access_key": "AKIAEXAMPLE",
        "secret": "very-secret",
        "path": "recordings/",
    },
    "url": "https://example.com/board",
    "video_config": {
        "codec": "H264",
        "export_file": True,
        "height": 1080,
        "width": 1920,
        "watermark": {"position": "right bottom", "size": {"height": 40, "width": 120}, "url": "https://x/logo.png"},
    },
}
BODIES: list[dict[str, Any]] = [
    {"allow_multiple_recordings": True},
    {"allow_multiple_recordings": True, "max_seconds": 60},
    {"allow_multiple_recordings": True, "video_config": {"codec": "VP8", "width": 720, "height": 1280}},
    {
        "allow_multiple_recordings": True,
        "storage_config": {"type": "sftp", "host": "h", "username": "u", "auth_method": "KEY", "private_key": "k"},
    },
    {"allow_multiple_recordings": True, "storage_config": {"type": "gcs", "bucket": "b", "secret": "s"}},
    FULL_BODY,
]


@pytest.fixture(scope="module")
def traffic() -> Iterator[list[Exchange]]:
    """A session exercising every call and status, recorded at the client's transport."""
    recorder = Recorder()
    with EmulatorServer(token=TOKEN, seed=2) as server, client_for(server, transport=recorder) as client:
        exercise(server, client, recorder)
        yield recorder.exchanges


def exercise(server: EmulatorServer, client: RealtimeKitClient, recorder: Recorder) -> None:
    started = [client.start(MEETING, body) for body in BODIES]
    # The client does not call the active-recording route; the emulator serves it as the API does.
    for meeting_id in (MEETING, OTHER_MEETING):  # the second one has none: 404
        url = api_url(server, f"/active-recording/{meeting_id}")
        recorder.handle_request(httpx.Request("GET", url, headers={"Authorization": f"Bearer {TOKEN}"}))
    server.emulator.advance(3)
    first, second, third, fourth = (r.id for r in started[:4])
    client.control(first, "pause")
    client.control(first, "resume")
    client.control(second, "pause")
    client.control(third, "stop")
    server.emulator.set_status(fourth, "ERRORED")
    client.control(started[-1].id, "stop")
    server.emulator.advance(3)  # the stopped ones are UPLOADED now
    for recording in started:
        client.get(recording.id)
    list(client.list())
    list(client.list(meeting_id=MEETING, since=started[0].invoked_time))
    client.start(OTHER_MEETING, {})
    with pytest.raises(ConflictError):  # the refusal is part of the traffic under test
        client.start(OTHER_MEETING, {})


def exchanges(traffic: list[Exchange], method: str, kind: str) -> list[Exchange]:
    def kind_of(path: str) -> str:
        tail = path.split("/recordings", 1)[1]
        if not tail:
            return "collection"
        return "active" if tail.startswith("/active-recording/") else "recording"

    found = [e for e in traffic if e.request.method == method and kind_of(e.request.url.path) == kind]
    assert found, f"no {method} {kind} in the traffic"
    return found


def test_the_schema_file_is_the_openapi_document() -> None:
    spec = load_spec()
    assert spec["openapi"] == "3.0.3"
    assert PREFIX in spec["paths"]


def test_start_bodies_the_client_sends_match_the_schema(traffic: list[Exchange]) -> None:
    schema = body_schema(operation("", "post")["requestBody"])
    sent = [json.loads(e.request.content) for e in exchanges(traffic, "POST", "collection")]
    assert sent[: len(BODIES)] == [{"meeting_id": MEETING, **body} for body in BODIES]
    assert sent[len(BODIES) :] == [{"meeting_id": OTHER_MEETING}] * 2
    for body in sent:
        check(OAS30WriteValidator, schema, body)


def test_control_bodies_the_client_sends_match_the_schema(traffic: list[Exchange]) -> None:
    schema = body_schema(operation("/{recording_id}", "put")["requestBody"])
    for exchange in exchanges(traffic, "PUT", "recording"):
        check(OAS30WriteValidator, schema, json.loads(exchange.request.content))


def test_list_queries_the_client_sends_match_the_parameters(traffic: list[Exchange]) -> None:
    parameters = {p["name"]: p for p in operation("", "get")["parameters"] if p["in"] == "query"}
    for exchange in exchanges(traffic, "GET", "collection"):
        pairs = parse_qsl(exchange.request.url.query.decode())
        for name in {name for name, _ in pairs}:
            assert name in parameters, f"the client sent {name}, which the API does not define"
            schema = parameters[name]["schema"]
            values: list[Any] = [value for key, value in pairs if key == name]
            if schema["type"] == "number":
                values = [float(value) for value in values]
            check(OAS30WriteValidator, schema, values if schema["type"] == "array" else values[0])


@pytest.mark.parametrize(
    ("method", "kind", "path"),
    [
        ("POST", "collection", ""),
        ("GET", "collection", ""),
        ("GET", "recording", "/{recording_id}"),
        ("PUT", "recording", "/{recording_id}"),
        ("GET", "active", "/active-recording/{meeting_id}"),
    ],
    ids=["start", "list", "get", "control", "active"],
)
def test_emulator_answers_match_the_schema(traffic: list[Exchange], method: str, kind: str, path: str) -> None:
    responses = operation(path, method.lower())["responses"]
    answered = [e.response for e in exchanges(traffic, method, kind) if e.response.status_code == 200]
    assert answered
    for response in answered:
        check(OAS30ReadValidator, body_schema(responses["200"]), response.json())


def test_every_status_was_seen_and_validated(traffic: list[Exchange]) -> None:
    seen = set()
    for exchange in traffic:
        if exchange.response.status_code == 200:
            data = exchange.response.json()["data"]
            seen.update(item["status"] for item in (data if isinstance(data, list) else [data]))
    assert seen == {"INVOKED", "RECORDING", "PAUSED", "UPLOADING", "UPLOADED", "ERRORED"}


def test_emulator_errors_match_the_generic_error(traffic: list[Exchange]) -> None:
    schema = body_schema(resolve(SPEC["components"]["responses"]["realtimekit_GenericError"]))
    errors = [e.response for e in traffic if e.response.status_code >= 400]
    assert {r.status_code for r in errors} == {404, 409}
    for response in errors:
        check(OAS30ReadValidator, schema, response.json())
