"""10,000 starts, then a refresh of 10,000 active recordings, against the bundled emulator (issue 7).

Figures:
- state writes during an apply of 10,000 starts: O(1) (the journal takes each outcome), not 10,000;
- journal bytes per start (an intent and an outcome), the same whatever the state's size;
- requests of a refresh of 10,000 active recordings: ≤ ceil(10,000 / page size) + a handful, not 10,000.

Run: `.venv/bin/python benchmarks/bench_refresh.py [--recordings N]`.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

from providers import PAGE_SIZE
from providers.emulator import EmulatorServer
from state import FileStateStore, IntentRecord, PutRecord, RecordingEntry

from _common import TOKEN, Figure, cli_env, report, run_cli, write_config

HANDFUL = 5


def journal_bytes_per_start(folder: Path) -> float:
    """Bytes an intent and its outcome add to the journal of the (large) state in `folder`."""
    store = FileStateStore(folder / "recordings.state.json")
    before = store.journal_path.stat().st_size if store.journal_path.exists() else 0
    entry = RecordingEntry("6f1b3c2a-0000-4000-8000-000000000001", "6f1b3c2a-0000-4000-8000-000000000002", "INVOKED")
    store.append(IntentRecord("bench.extra", entry.meeting_id, "2026-11-26T10:00:00.000Z"))
    store.append(PutRecord("bench.extra", entry))
    return float(store.journal_path.stat().st_size - before)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=10_000)
    options = parser.parse_args()
    count = options.recordings
    # Slow statuses: every recording is still active (INVOKED) when refresh runs.
    with EmulatorServer(token=TOKEN, seed=1, speed=0.001) as server, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_config(folder, count)
        env = cli_env(CLOUDFLARE_BASE_URL=server.url, CLOUDFLARE_API_TOKEN=TOKEN)
        apply_seconds = run_cli(
            ["apply", "--auto-approve", "--rate", "100000", "--parallelism", "10"], cwd=folder, env=env
        )
        serial = json.loads((folder / "recordings.state.json").read_text())["serial"]
        before = sum(server.emulator.counters()["requests"].values())
        refresh_seconds = run_cli(["refresh", "--rate", "100000"], cwd=folder, env=env)
        requests = sum(server.emulator.counters()["requests"].values()) - before
        per_start = journal_bytes_per_start(folder)
        state_bytes = (folder / "recordings.state.json").stat().st_size
    code = report(
        f"{count:,} recordings against the emulator",
        [
            Figure(f"state writes during {count:,} starts (serial)", serial, 3, ""),
            Figure("journal bytes per start (intent + outcome)", per_start, 2048, "B"),
            Figure(
                f"refresh of {count:,} active recordings: requests",
                requests,
                math.ceil(count / PAGE_SIZE) + HANDFUL,
                "",
            ),
        ],
    )
    print(f"  for information: apply of {count:,} starts {apply_seconds:.1f} s, refresh {refresh_seconds:.1f} s;")
    print(f"  one rewrite of this state is {state_bytes:,} bytes, against {per_start:.0f} journal bytes per start")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
