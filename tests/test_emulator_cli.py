"""`reconciler emulator` as a real process: it announces its URL, serves, stops cleanly; bad flags fail clearly."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from providers import RealtimeKitClient

pytestmark = pytest.mark.e2e

MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"


@dataclass
class Running:
    """An emulator process, its announced URL and export line, and what it printed after them."""

    process: subprocess.Popen[str]
    url: str
    export: str
    lines: queue.Queue[str | None]

    def stop(self, signal_number: int) -> tuple[int, str, str]:
        """Send the signal; the exit code, the rest of stdout, and stderr."""
        self.process.send_signal(signal_number)
        code = self.process.wait(timeout=10)
        rest = "".join(iter(lambda: self.lines.get(timeout=10), None))
        return code, rest, self.process.stderr.read() if self.process.stderr else ""


@contextmanager
def emulator(*flags: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    """The emulator on a free port, always killed at the end."""
    environment = {k: v for k, v in os.environ.items() if k != "CLOUDFLARE_API_TOKEN"} | (env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:  # in a thread, so that an emulator that never speaks fails the test instead of hanging it
        for line in process.stdout or ():
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        announced = lines.get(timeout=30) or ""
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+/client/v4)", announced)
        assert match, announced
        export = (lines.get(timeout=10) or "").strip()
        yield Running(process, match[1], export, lines)
    finally:
        process.kill()
        process.wait(timeout=10)


def test_it_announces_the_url_and_token_serves_and_stops_on_sigterm() -> None:
    with emulator("--token", "demo-token", "--speed", "10", "--seed", "1") as running:
        assert running.export == f"export CLOUDFLARE_BASE_URL={running.url} CLOUDFLARE_API_TOKEN=demo-token"
        with RealtimeKitClient(account_id="acc", app_id="app", token="demo-token", base_url=running.url) as client:
            assert client.start(MEETING, {}).status == "INVOKED"
            assert [r.meeting_id for r in client.list(meeting_id=MEETING)] == [MEETING]
        code, rest, err = running.stop(signal.SIGTERM)
        assert code == 0, err
        assert "Stopped after 2 API requests; 1 recordings created." in rest


def own_token(running: Running) -> str:
    match = re.fullmatch(r"export CLOUDFLARE_BASE_URL=\S+ CLOUDFLARE_API_TOKEN=(emulator-[0-9a-f]{16})", running.export)
    assert match, running.export
    return match[1]


def test_ctrl_c_stops_it_with_exit_0() -> None:
    with emulator() as running:
        own_token(running)
        code, _, err = running.stop(signal.SIGINT)
        assert code == 0, err
        assert "Traceback" not in err


@pytest.mark.e2e
def test_it_accepts_only_its_own_token_never_the_environments() -> None:
    real = "real-looking-token-91c3"
    with emulator(env={"CLOUDFLARE_API_TOKEN": real}) as running:
        token = own_token(running)  # a random one, made for this run
        assert "accepts only this token" in running.lines.get(timeout=10)
        url = f"{running.url}/accounts/a/realtime/kit/b/recordings"
        inspection = running.url.removesuffix("/client/v4") + "/__emulator/recordings"
        for where in (url, inspection):
            assert httpx.get(where, headers={"Authorization": f"Bearer {real}"}).status_code == 401
            assert httpx.get(where, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        _, rest, err = running.stop(signal.SIGTERM)
        assert real not in rest + err + running.export


@pytest.mark.e2e
def test_another_token_is_printed_fresh_for_each_run() -> None:
    with emulator() as first, emulator() as second:
        assert own_token(first) != own_token(second)


@pytest.mark.e2e
def test_a_host_that_is_not_loopback_is_warned_about() -> None:
    # 203.0.113.7 (a documentation address) is not on this machine: the bind fails, after the warning.
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", "--port", "0", "--host", "203.0.113.7"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "Warning: --host 203.0.113.7 is not a loopback address" in result.stderr
    assert result.returncode == 1


def test_faults_from_flags_are_injected() -> None:
    with emulator("--faults", "5xx-before=1") as running:
        url = f"{running.url}/accounts/a/realtime/kit/b/recordings"
        assert httpx.get(url, headers={"Authorization": f"Bearer {own_token(running)}"}).status_code == 502


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--faults", "boom"], "unknown fault 'boom'"),
        (["--faults", "429=2"], "must be from 0 to 1"),
        (["--faults", "429=x"], "expected 429=<probability>"),
        (["--faults", "429=0.7,5xx-after=0.7"], "add up to more than 1"),
        (["--fault-rate", "1.5", "--faults", "429"], "--fault-rate: expected a probability"),
        (["--fault-rate", "0.5"], "--fault-rate needs --faults"),
        (["--port", "70000"], "--port: expected 0 to 65535"),
        (["--host", "203.0.113.7"], "cannot listen on 203.0.113.7"),
    ],
    ids=["unknown", "rate-above-1", "rate-not-a-number", "sum-above-1", "shared-above-1", "rate-alone", "port", "host"],
)
def test_bad_flags_fail_with_a_message(flags: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", "--port", "0", *flags],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
