"""How fast `reconciler --help` and `--version` answer (issue 7: ≤ 0.15 s, whole process). Prints figures.

Run: `.venv/bin/python benchmarks/bench_cli.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import Figure, best_of, cli_env, report, run_cli

TARGET = 0.15  # seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    env = cli_env()
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        run_cli(["--version"], cwd=cwd, env=env)  # warm-up: byte-code caches
        figures = []
        for flag in ("--help", "--version"):
            seconds = best_of(options.runs, lambda flag=flag: run_cli([flag], cwd=cwd, env=env))
            figures.append(Figure(f"reconciler {flag}, whole process", seconds, TARGET, "s"))
    return report(f"CLI start-up (best of {options.runs})", figures)


if __name__ == "__main__":
    raise SystemExit(main())
