"""Rate limits end to end: the emulator's requests-per-second limit, and `--rate` as measured at the emulator."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from _e2e import Workspace, meetings

pytestmark = pytest.mark.e2e


def test_apply_under_the_servers_limit_starts_everything_with_few_429s(workspace: Workspace) -> None:
    workspace.write_config(meetings(40))
    workspace.inspect("PUT", "faults", {"rps_limit": 10})
    result = workspace.run("apply", "--auto-approve", "--rate", "10", "--parallelism", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(workspace.recordings()) == 40
    assert len(workspace.state_ids()) == 40
    # --rate equals the server's limit: each second after a pause holds exactly 10 requests, and whether the next
    # one lands a millisecond before the window ends (a 429, then a 1 s pause) is timing noise: one per cycle at
    # most, four cycles in 40 starts, plus the burst's.
    assert workspace.counters()["rate_limited"] <= 5


def test_measured_rate_stays_within_ten_percent_of_rate(workspace: Workspace) -> None:
    rate, count = 10.0, 50
    workspace.write_config(meetings(count))
    result = workspace.run("apply", "--auto-approve", "--rate", str(rate), "--parallelism", "10")
    assert result.returncode == 0, result.stderr
    times = sorted(datetime.fromisoformat(r["invoked_time"].replace("Z", "+00:00")) for r in workspace.recordings())
    # The limiter allows a burst of one second's worth, then the rate: measure after the burst.
    burst = math.ceil(rate)
    steady = (len(times) - 1 - burst) / (times[-1] - times[burst]).total_seconds()
    assert abs(steady - rate) / rate <= 0.10, f"measured {steady:.2f}/s for --rate {rate}"
    assert workspace.counters()["rate_limited"] == 0
