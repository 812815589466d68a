"""`make bench`: every benchmark script in turn, each printing its figures beside their targets.

Exits 1 when any target does not hold. The machine may be shared: figures are the best of several runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = [
    "bench_cli.py",
    "bench_validate.py",
    "bench_plan.py",
    "bench_refresh.py",
    "bench_apply.py",
    "bench_postgres.py",
    "bench_state.py",
    "bench_emulator.py",
]


def main() -> int:
    folder = Path(__file__).resolve().parent
    failed = []
    for script in SCRIPTS:
        print(f"\n== {script}", flush=True)
        if subprocess.run([sys.executable, str(folder / script)], check=False).returncode != 0:
            failed.append(script)
    print(f"\n{'Every target holds.' if not failed else 'Targets missed in: ' + ', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
