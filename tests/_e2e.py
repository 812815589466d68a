"""End-to-end harness: a folder with a configuration, the real CLI as a subprocess, the emulator over HTTP.

def test_something(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    assert workspace.run("apply", "--auto-approve").returncode == 0
    assert len(workspace.recordings()) == 2
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from providers.emulator import EmulatorServer

TOKEN = "e2e-token-7d41c9b2"  # distinctive, so a leak is easy to grep for
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
APP = "e2e-app"
REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def wait_for(event: Callable[[], bool], what: str, *, timeout: float = 20) -> None:
    """Poll until `event()` is true; fail naming `what` if it is still false after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not event():
        assert time.monotonic() < deadline, f"still waiting after {timeout:g} s for {what}"
        time.sleep(0.01)


def meeting_id(n: int) -> str:
    return f"6f1b3c2a-0000-4000-8000-{n:012d}"


def meetings(count: int, *, status: str = "recording", extra: str = "", start: int = 0) -> str:
    """A configuration with `count` meetings `m0..`, one `main` recording each."""
    blocks = []
    for n in range(start, start + count):
        blocks.append(
            f'[meetings.m{n}]\nid = "{meeting_id(n)}"\n\n'
            f'[meetings.m{n}.recordings.main]\nstatus = "{status}"\nmax_seconds = 3600\n{extra}'
        )
    return "\n".join(blocks)


def needed_env(example: Path) -> dict[str, str]:
    """The variables named on the example's `# Needs:` line, each set to a plausible value."""
    files = sorted(example.glob("*.toml")) if example.is_dir() else [example]
    names: set[str] = set()
    for file in files:
        header = file.read_text(encoding="utf-8").split("\n\n", 1)[0]
        assert header.startswith("# "), f"{file} opens with a comment saying what it shows"
        [needs] = [line for line in header.splitlines() if line.startswith("# Needs:")]
        names |= set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", needs))
    return {name: f"value-of-{name.lower()}" for name in names}


EXAMPLE_CASES = [
    *(pytest.param(path, id=path.name) for path in sorted(EXAMPLES.glob("*.toml"))),
    # Folders of configuration files (examples/ci/ holds pipeline templates, checked in test_e2e_pipelines.py).
    *(
        pytest.param(path, id=f"{path.name}/")
        for path in sorted(EXAMPLES.iterdir())
        if path.is_dir() and any(path.glob("*.toml"))
    ),
]


@contextmanager
def emulated(root: Path, **options: Any) -> Iterator[Workspace]:
    """A workspace in `root` wired to an emulator of its own (statuses standing still), with `options` for it
    (`clock_offset`, `apps`, ...)."""
    with EmulatorServer(token=TOKEN, speed=0.0001, seed=1, **options) as server:
        yield Workspace(root, server)


@dataclass
class Workspace:
    """A scratch folder wired to an emulator: `run` calls the CLI there with the API settings in the env."""

    root: Path
    server: EmulatorServer
    env: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "recordings.toml"

    @property
    def state_file(self) -> Path:
        return self.root / "recordings.state.json"

    def write_config(self, text: str) -> Path:
        self.config.write_text(text, encoding="utf-8")
        return self.config

    def base_env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "CLOUDFLARE_BASE_URL": self.server.url,
            "CLOUDFLARE_API_TOKEN": TOKEN,
            "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
            "REALTIMEKIT_APP_ID": APP,
            **self.env,
        }

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "reconciler", *args]

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the CLI to completion; stdin is not a terminal."""
        return subprocess.run(
            self.command(*args),
            cwd=self.root,
            env=self.base_env(),
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def spawn(self, *args: str, output: int = subprocess.DEVNULL, stderr: int | None = None) -> subprocess.Popen[str]:
        """Start the CLI without waiting (stdin is not a terminal); the caller kills and waits for it. stdout and
        stderr go to `output`, unless `stderr` says otherwise."""
        return subprocess.Popen(
            self.command(*args),
            cwd=self.root,
            env=self.base_env(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output if stderr is None else stderr,
            text=True,
        )

    def run_json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.returncode in (0, 2), result.stderr
        return json.loads(result.stdout)

    def plan_actions(self, *args: str) -> dict[str, list[str]]:
        document = self.run_json("plan", *args)
        return {change["address"]: change["actions"] for change in document["changes"]}

    # The emulator's inspection routes.

    def inspect(self, method: str, route: str, body: Any = None) -> Any:
        base = self.server.url.removesuffix("/client/v4")
        headers = {"Authorization": f"Bearer {self.server.emulator.token}"}
        response = httpx.request(method, f"{base}/__emulator/{route}", json=body, headers=headers, timeout=10)
        response.raise_for_status()
        return response.json()

    def recordings(self) -> list[dict[str, Any]]:
        return list(self.inspect("GET", "recordings")["recordings"])

    def set_status(self, recording_id: str, status: str) -> None:
        self.inspect("PUT", f"recordings/{recording_id}", {"status": status})

    def counters(self) -> dict[str, Any]:
        return dict(self.inspect("GET", "counters"))

    def starts_in_flight(self) -> int:
        """Starts the emulator has received and not yet carried out (nor refused, in these tests' setups)."""
        counters = self.counters()
        return int(counters["requests"].get("start", 0)) - int(counters["starts"])

    def script(self, route: str, *faults: str) -> None:
        self.inspect("POST", "faults/script", {"route": route, "faults": list(faults)})

    def wait_for_starts(self, count: int, timeout: float = 30) -> None:
        """Until the emulator has carried out `count` starts (one it holds back may still be at work)."""
        wait_for(
            lambda: self.counters()["starts"] >= count, f"the emulator to carry out {count} starts", timeout=timeout
        )

    def start_elsewhere(self, meeting: str, *, caller: str | None = "USER", reason: str = "API_CALL") -> str:
        """A recording of `meeting` started by someone else (a person in the UI by default); its id."""
        body = {"account_id": ACCOUNT, "app_id": APP, "meeting_id": meeting, "reason": reason, "caller": caller}
        return str(self.inspect("POST", "recordings", body)["id"])

    def advance(self, seconds: float) -> None:
        """Move the API's clock on, as if `seconds` had passed there."""
        self.inspect("POST", "advance", {"seconds": seconds})

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text(encoding="utf-8")))

    def state_ids(self) -> dict[str, str]:
        return {address: entry["recording_id"] for address, entry in self.state()["recordings"].items()}
