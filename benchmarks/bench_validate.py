"""How fast `reconciler validate` is on a 10,000-meeting configuration (issue 2). Prints figures; not a test.

The generated file is shaped like a large real one: `[provider]`, `[defaults]` with video and storage settings
(secrets from the environment), 10,000 meetings, and one meeting in ten with two recordings (landscape and
portrait) instead of the default one.

Figures:
- whole process: `python -m reconciler validate`, Python start-up and imports included, as a user runs it:
  after one warm-up run, with byte-code caching on (PYTHONDONTWRITEBYTECODE is dropped for the child, since an
  installed package has its .pyc files); best of --runs;
- load_config: the in-process time of `load_config` alone, imports done; best of --runs.

The machine may be shared: the best of several runs is the figure least disturbed by other work.

Run: `.venv/bin/python benchmarks/bench_validate.py [--meetings N]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from _common import best_of, cli_env

WHOLE_PROCESS_TARGET = 1.0  # seconds (issue 15: the plain pydantic path, no generated schema)
LOAD_CONFIG_TARGET = 0.5  # "well under a second"
ENV = {"AWS_ACCESS_KEY_ID": "AKIABENCHMARK", "AWS_SECRET_ACCESS_KEY": "bench-secret"}


def write_config(path: Path, meetings: int) -> None:
    lines = [
        "[provider]",
        'account_id = "023e105f4ecef8ad9ca31a8372d0c353"',
        'app_id = "bench-app"',
        "",
        "[defaults]",
        "max_seconds = 3600",
        'video_config = { codec = "H264", width = 1280, height = 720 }',
        'storage_config = { type = "aws", bucket = "recordings", region = "us-east-1", '
        'access_key = "${env:AWS_ACCESS_KEY_ID}", secret = "${env:AWS_SECRET_ACCESS_KEY}" }',
        "",
    ]
    ids = uuid.UUID(int=0).int
    for index in range(meetings):
        key = f"meeting-{index:05d}"
        lines += [f"[meetings.{key}]", f'id = "{uuid.UUID(int=ids + index + 1, version=4)}"']
        if index % 10 == 0:
            for name, width, height in (("landscape", 1920, 1080), ("portrait", 720, 1280)):
                lines += [
                    f"[meetings.{key}.recordings.{name}]",
                    "allow_multiple_recordings = true",
                    f"video_config = {{ width = {width}, height = {height} }}",
                ]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()

    from reconciler.config import load_config

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "recordings.toml"
        write_config(config, options.meetings)
        env = cli_env(**ENV)
        command = [sys.executable, "-m", "reconciler", "validate", "-c", str(config)]

        def run_cli() -> None:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
            if done.returncode != 0:
                raise SystemExit(f"validate failed: {done.stderr}")

        run_cli()  # warm-up: writes the byte-code caches
        whole = best_of(options.runs, run_cli)
        in_process = best_of(options.runs, lambda: load_config(config, env))
        size = config.stat().st_size

    print(f"{options.meetings} meetings, {size / 1e6:.1f} MB of TOML, best of {options.runs}")
    print(f"{'figure':<34}{'seconds':>10}{'target':>10}  ok?")
    for name, seconds, target in (
        ("validate, whole process", whole, WHOLE_PROCESS_TARGET),
        ("load_config, in process", in_process, LOAD_CONFIG_TARGET),
    ):
        print(f"{name:<34}{seconds:>10.3f}{target:>10.3f}  {'yes' if seconds <= target else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
