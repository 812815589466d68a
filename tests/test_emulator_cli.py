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


def test_ctrl_c_stops_it_with_exit_0() -> None:
    with emulator() as running:
        assert "CLOUDFLARE_API_TOKEN=emulator-token" in running.export
        code, _, err = running.stop(signal.SIGINT)
        assert code == 0, err
        assert "Traceback" not in err


def test_a_token_from_the_environment_is_accepted_but_never_printed() -> None:
    token = "real-looking-token-91c3"
    with emulator(env={"CLOUDFLARE_API_TOKEN": token}) as running:
        assert running.export == f"export CLOUDFLARE_BASE_URL={running.url}"
        url = f"{running.url}/accounts/a/realtime/kit/b/recordings"
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        _, rest, err = running.stop(signal.SIGTERM)
        assert token not in rest + err + running.export


def test_faults_from_flags_are_injected() -> None:
    with emulator("--faults", "5xx-before=1") as running:
        url = f"{running.url}/accounts/a/realtime/kit/b/recordings"
        assert httpx.get(url, headers={"Authorization": "Bearer emulator-token"}).status_code == 502


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
