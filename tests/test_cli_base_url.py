"""The API base URL (`CLOUDFLARE_BASE_URL`): plain http:// refused but for this machine, and Cloudflare's
1,200-requests-per-5-minutes guard on for every spelling of Cloudflare's URL."""

from __future__ import annotations

import argparse

import pytest

from reconciler.cli._context import open_client
from reconciler.config import Config

from _e2e import Workspace, meetings
from _net import ForwardingProxy


def client_for(monkeypatch: pytest.MonkeyPatch, base_url: str) -> int | None:
    """The window guard of the client a command would build for `base_url`."""
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "t0ken")
    config = Config(files=(), recordings={}, meeting_count=0, account_id="acc", app_id="app")
    with open_client(argparse.Namespace(rate=4.0, http_timeout=30.0), config) as client:
        return client.limiter.max_per_window


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.cloudflare.com/client/v4",
        "https://api.cloudflare.com/client/v4/",
        "HTTPS://API.cloudflare.com:443/client/v4",
        " https://api.cloudflare.com/client/v4// ",
    ],
)
def test_the_guard_is_on_for_every_spelling_of_cloudflares_url(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    assert client_for(monkeypatch, base_url) == 1200


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8787/client/v4", "https://api.example.com/client/v4"])
def test_the_guard_is_off_elsewhere(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    assert client_for(monkeypatch, base_url) is None


@pytest.mark.e2e
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve"), ("refresh",)])
def test_plain_http_to_cloudflare_is_refused_and_nothing_is_sent(
    workspace: Workspace, command: tuple[str, ...]
) -> None:
    workspace.write_config(meetings(1))
    with ForwardingProxy() as proxy:  # anything sent would go through it, and be seen
        workspace.env.update(
            CLOUDFLARE_BASE_URL="http://api.cloudflare.com/client/v4", HTTP_PROXY=proxy.url, HTTPS_PROXY=proxy.url
        )
        result = workspace.run(*command)
        assert proxy.seen == []
    assert result.returncode == 1
    assert result.stderr.startswith("Error: the API base URL 'http://api.cloudflare.com/client/v4' is http://")
    assert "would send the API token in clear: use https://" in result.stderr
    assert "Traceback" not in result.stderr
    assert not workspace.state_file.exists()
    assert workspace.counters()["requests"] == {}
