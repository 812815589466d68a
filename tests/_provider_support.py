"""Shared helpers of the provider, emulator and contract tests: ids, a client for an emulator, raw requests."""

from __future__ import annotations

import json
from typing import Any

import httpx

from providers import RealtimeKitClient
from providers.emulator import EmulatorServer

TOKEN = "test-token-5f1c2a"  # distinctive, so a leak is easy to grep for
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
APP = "my-app"
# One client for every raw request: building an httpx.Client costs ~20 ms (its SSL context).
_HTTP = httpx.Client(timeout=10)
MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"
OTHER_MEETING = "5c0a4b4e-3f8e-4a55-9d4b-0c7f3b2a9e11"


def meeting(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def client_for(server: EmulatorServer, **options: Any) -> RealtimeKitClient:
    """A client of `server`, unthrottled and with short backoff unless told otherwise."""
    settings: dict[str, Any] = {"rate": 1000.0, "max_per_window": None, "backoff": 0.01, "timeout": 5.0}
    settings.update(options)
    return RealtimeKitClient(account_id=ACCOUNT, app_id=APP, token=TOKEN, base_url=server.url, **settings)


def api_url(server: EmulatorServer, path: str = "", *, app: str = APP) -> str:
    return f"{server.url}/accounts/{ACCOUNT}/realtime/kit/{app}/recordings{path}"


def call(
    server: EmulatorServer,
    method: str,
    path: str = "",
    *,
    body: Any = None,
    params: Any = None,
    token: str | None = TOKEN,
    app: str = APP,
) -> httpx.Response:
    """One raw request to the emulator's API, to check exact statuses and envelopes."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    content = None if body is None else json.dumps(body).encode()
    if content is not None:
        headers["Content-Type"] = "application/json"
    return _HTTP.request(method, api_url(server, path, app=app), content=content, params=params, headers=headers)


def inspect(server: EmulatorServer, method: str, route: str, body: Any = None) -> httpx.Response:
    """A request to the emulator's /__emulator/ routes."""
    base = server.url.removesuffix("/client/v4")
    headers = {"Authorization": f"Bearer {server.emulator.token}"}
    return _HTTP.request(method, f"{base}/__emulator/{route}", json=body, headers=headers)
