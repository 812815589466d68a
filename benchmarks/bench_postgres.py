"""The state in PostgreSQL (issue 13): as fast as the file store where users feel it. Prints figures; not a test.

1. `apply` of 500 starts, emulator latency 20 ms, `--parallelism 10`: throughput with the state in PostgreSQL, against
   the same apply with the state in a file (measured here too); target ≥ 0.9 of the file store's.
2. `plan --no-refresh` of 10,000 recordings read from PostgreSQL, whole process: ≤ 1.0 s.
3. Rows written per start, with 1,000 and with 10,000 recordings already in the state: the same few (an intent and an
   outcome in the journal, one entry at the fold), whatever the state's size.

A PostgreSQL server is started from the machine's binaries as the tests do (`tests/_postgres.py`), or taken from
RECONCILER_TEST_PG_URL. Run: `.venv/bin/python benchmarks/bench_postgres.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from providers.emulator import EmulatorServer, FaultConfig

from _common import REPO, TOKEN, Figure, best_of, cli_env, report, run_cli, write_config, write_matching_state

sys.path.insert(0, str(REPO / "tests"))
from _postgres import PostgresServer, running_postgres  # the tests' server, found through sys.path

LATENCY = 0.020
PARALLELISM = 10
STARTS = 500


def apply_throughput(server: PostgresServer | None, schema: str) -> float:
    """Starts per second of network time (as `bench_apply.py` measures it), state in `server` or in a file."""
    with (
        EmulatorServer(token=TOKEN, seed=1, faults=FaultConfig(latency=LATENCY)) as api,
        tempfile.TemporaryDirectory() as name,
    ):
        folder = Path(name)
        config = write_config(folder, STARTS)
        if server is not None:
            config.write_text(config.read_text() + f'\n[state]\nurl = "{server.url}"\nschema = "{schema}"\n')
        env = cli_env(CLOUDFLARE_BASE_URL=api.url, CLOUDFLARE_API_TOKEN=TOKEN)
        run_cli(["apply", "--auto-approve", "--parallelism", str(PARALLELISM), "--rate", "100000"], cwd=folder, env=env)
        times = sorted(
            datetime.fromisoformat(r["invoked_time"].replace("Z", "+00:00")).timestamp()
            for r in api.emulator.recordings()
        )
        assert len(times) == STARTS, f"{len(times)} of {STARTS} started"
        return STARTS / (times[-1] - times[0] + LATENCY)


def plan_from_postgres(server: PostgresServer, runs: int) -> float:
    """Whole-process seconds of `plan --no-refresh` with 10,000 recordings in the database."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = write_config(folder, 10_000)
        state = write_matching_state(folder, 10_000)
        schema = server.fresh_schema()
        env = cli_env()
        run_cli(["state", "copy", str(state), server.url, "--schema", schema], cwd=folder, env=env)
        state.unlink()
        config.write_text(config.read_text() + f'\n[state]\nurl = "{server.url}"\nschema = "{schema}"\n')
        run_cli(["plan", "--no-refresh"], cwd=folder, env=env)  # warm-up: byte-code caches
        return best_of(runs, lambda: run_cli(["plan", "--no-refresh"], cwd=folder, env=env))


def rows_per_start(server: PostgresServer, already: int) -> float:
    """Rows inserted, updated or deleted per start by an apply of 20 starts, with `already` recordings in state."""
    new = 20
    with (
        EmulatorServer(token=TOKEN, seed=1) as api,
        tempfile.TemporaryDirectory() as name,
    ):
        folder = Path(name)
        state = write_matching_state(folder, already)
        config = write_config(folder, already + new)
        schema = server.fresh_schema()
        env = cli_env(CLOUDFLARE_BASE_URL=api.url, CLOUDFLARE_API_TOKEN=TOKEN)
        run_cli(["state", "copy", str(state), server.url, "--schema", schema], cwd=folder, env=env)
        state.unlink()
        config.write_text(config.read_text() + f'\n[state]\nurl = "{server.url}"\nschema = "{schema}"\n')
        before = _rows_written(server, schema)
        run_cli(["apply", "--auto-approve", "--rate", "100000", "--no-refresh"], cwd=folder, env=env)
        return (_rows_written(server, schema) - before) / new


def _rows_written(server: PostgresServer, schema: str) -> int:
    """Rows inserted, updated or deleted in the state's tables so far (the server's own counters, which a session
    hands over as it ends: read until they stand still)."""
    seen: list[int] = []
    with server.connect() as connection:
        while len(seen) < 3 or seen[-1] != seen[-3]:
            (count,) = connection.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables "
                "WHERE schemaname = %s AND relname IN ('entries', 'pending', 'journal', 'states')",
                (schema,),
            ).fetchone()
            seen.append(int(count))
            time.sleep(0.3)
    return seen[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with running_postgres() as server:
        file_runs = [apply_throughput(None, "") for _ in range(options.runs)]
        database_runs = [apply_throughput(server, server.fresh_schema()) for _ in range(options.runs)]
        plan = plan_from_postgres(server, options.runs)
        small, large = rows_per_start(server, 1_000), rows_per_start(server, 10_000)
    ideal = PARALLELISM / LATENCY
    print(f"  apply, file store: {', '.join(f'{run / ideal:.3f}' for run in file_runs)} of the ideal ({ideal:.0f}/s)")
    print(f"  apply, PostgreSQL: {', '.join(f'{run / ideal:.3f}' for run in database_runs)} of the ideal")
    return report(
        "the state in PostgreSQL",
        [
            Figure(
                f"apply of {STARTS} starts: PostgreSQL / file store", max(database_runs) / max(file_runs), 0.9, "", True
            ),
            Figure("plan --no-refresh, 10,000 recordings from PostgreSQL", plan, 1.0, "s"),
            # An intent and an outcome appended to the journal and deleted by the fold, one entry: 5, at any size.
            Figure("rows written per start, 1,000 in state", small, 6, ""),
            Figure("rows written per start, 10,000 in state", large, 6, ""),
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main())
