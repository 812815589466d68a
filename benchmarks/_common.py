"""What the benchmark scripts share: generated configurations and states, running the CLI, printing figures.

Every script prints a table of `figure  value  target  ok?` and exits 1 when a target does not hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as `python benchmarks/x.py` from anywhere
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
APP = "bench-app"
TOKEN = "bench-token"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    target: float
    unit: str
    higher_is_better: bool = False

    @property
    def ok(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


def report(title: str, figures: Sequence[Figure]) -> int:
    """Print the figures beside their targets; 0 when every target holds, else 1."""
    print(title)
    print(f"  {'figure':<52}{'value':>12}{'target':>14}  ok?")
    for figure in figures:
        sign = "≥" if figure.higher_is_better else "≤"
        value = f"{figure.value:.3f} {figure.unit}".rstrip()
        target = f"{sign} {figure.target:g} {figure.unit}".rstrip()
        print(f"  {figure.name:<52}{value:>12}{target:>14}  {'yes' if figure.ok else 'NO'}")
    return 0 if all(figure.ok for figure in figures) else 1


def meeting_id(index: int) -> str:
    return str(uuid.UUID(int=index + 1, version=4))


def write_config(folder: Path, meetings: int) -> Path:
    """`meetings` meetings, one recording each, sharing `[defaults]`: the shape of a large real file."""
    lines = [
        "[provider]",
        f'account_id = "{ACCOUNT}"',
        f'app_id = "{APP}"',
        "",
        "[defaults]",
        "max_seconds = 3600",
        'video_config = { codec = "H264", width = 1280, height = 720 }',
        "",
    ]
    for index in range(meetings):
        lines += [f"[meetings.m{index:06d}]", f'id = "{meeting_id(index)}"', ""]
    path = folder / "recordings.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_matching_state(folder: Path, meetings: int) -> Path:
    """A state in which every recording of `write_config(folder, meetings)` is RECORDING, as declared."""
    fields = {"max_seconds": 3600, "video_config": {"codec": "H264", "width": 1280, "height": 720}}
    recordings = {
        f"m{index:06d}.default": {
            "meeting_id": meeting_id(index),
            "recording_id": str(uuid.UUID(int=10**12 + index, version=4)),
            "status": "RECORDING",
            "fields": fields,
            "sensitive_digest": None,
            "invoked_time": "2026-11-26T10:00:00.000Z",
            "updated_at": "2026-11-26T10:00:00.000Z",
        }
        for index in range(meetings)
    }
    document = {
        "format_version": 1,
        "lineage": str(uuid.uuid4()),
        "serial": 1,
        "tool_version": "0.1.0",
        "recordings": recordings,
        "pending": {},
    }
    path = folder / "recordings.state.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def cli_env(**extra: str) -> dict[str, str]:
    """The environment a user's shell gives the CLI (byte-code caching on, as for an installed package)."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def run_cli(args: Sequence[str], *, cwd: Path, env: dict[str, str], expect: int = 0) -> float:
    """Run `reconciler ARGS`; return its wall time in seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != expect:
        raise SystemExit(f"`reconciler {' '.join(args)}` exited {done.returncode}: {done.stderr.strip()}")
    return elapsed


def best_of(runs: int, action: Callable[[], object]) -> float:
    """The shortest wall time of `runs` calls of `action`: on a shared machine, the run least disturbed."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)
