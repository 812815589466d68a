"""`plan --no-refresh` at 10,000 and 100,000 declared recordings against a state holding as many (issue 7).

Targets: 10,000 in ≤ 1.0 s whole process; 100,000 in ≤ 10× the 10,000 figure (linear: no quadratic step); peak
memory ≤ 500 MB. Best of --runs for 10,000, of 2 for 100,000.

Run: `.venv/bin/python benchmarks/bench_plan.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

from _common import Figure, best_of, cli_env, report, run_cli, write_config, write_matching_state


def plan_time(count: int, runs: int) -> float:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_config(folder, count)
        write_matching_state(folder, count)
        env = cli_env()
        run_cli(["plan", "--no-refresh"], cwd=folder, env=env)  # warm-up: byte-code caches
        return best_of(runs, lambda: run_cli(["plan", "--no-refresh"], cwd=folder, env=env))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    small = plan_time(10_000, options.runs)
    large = plan_time(100_000, 2)
    # ru_maxrss of children is the largest of any child so far: the 100,000 run, which came last.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return report(
        "plan --no-refresh",
        [
            Figure("10,000 declared vs 10,000 in state, whole process", small, 1.0, "s"),
            Figure("100,000 declared vs 100,000 in state, whole process", large, 10 * small, "s"),
            Figure("100,000 / 10,000 (linear is 10)", large / small, 10.0, "×"),
            Figure("peak memory at 100,000", peak_mb, 500, "MB"),
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main())
