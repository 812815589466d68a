"""`make demo`: the whole story against the bundled emulator, in a scratch folder (`demo-run/`).

validate → plan → apply → plan ("No changes.") → a recording errors in the emulator → plan restarts it → apply.
Every command is the real CLI, run as a user would; the emulator stands in for Cloudflare.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKDIR = REPO / "demo-run"
EXAMPLE = REPO / "examples" / "multi-recording.toml"
TOKEN = "demo-token"


def main() -> int:
    from providers.emulator import EmulatorServer

    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    shutil.copy(EXAMPLE, WORKDIR / "recordings.toml")
    with EmulatorServer(token=TOKEN, speed=1.0, seed=7) as server:
        env = {
            **os.environ,
            "CLOUDFLARE_BASE_URL": server.url,
            "CLOUDFLARE_API_TOKEN": TOKEN,
            "CLOUDFLARE_ACCOUNT_ID": "023e105f4ecef8ad9ca31a8372d0c353",
            "REALTIMEKIT_APP_ID": "demo-app",
            "PYTHONPATH": str(REPO),  # the checkout's code: the demo's venv holds only the runtime dependencies
            # The emulator is on this machine: a proxy of the environment could not reach it.
            **{name: ",".join(filter(None, (os.environ.get(name), "127.0.0.1"))) for name in ("NO_PROXY", "no_proxy")},
        }
        note(f"A RealtimeKit emulator is serving {server.url}; the configuration is {EXAMPLE.relative_to(REPO)}.")
        steps = [
            ("validate",),
            ("plan",),
            ("apply", "--auto-approve"),
            ("plan",),
        ]
        for step in steps:
            run(step, env)

        address = "allhands.portrait"
        state = json.loads((WORKDIR / "recordings.state.json").read_text())
        recording_id = state["recordings"][address]["recording_id"]
        note(f"The emulator now fails recording {recording_id} ({address}): its status becomes ERRORED.")
        base = server.url.removesuffix("/client/v4")
        request = urllib.request.Request(
            f"{base}/__emulator/recordings/{recording_id}",
            data=json.dumps({"status": "ERRORED"}).encode(),
            method="PUT",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the emulator is on this machine
        direct.open(request, timeout=10).close()

        for step in [("plan",), ("apply", "--auto-approve"), ("state", "list")]:
            run(step, env)
    note(f"Done. The files are in {WORKDIR.relative_to(REPO)}/ (state, journal, backup).")
    return 0


def run(arguments: tuple[str, ...], env: dict[str, str]) -> None:
    print(f"\n\033[1m$ reconciler {' '.join(arguments)}\033[0m", flush=True)
    result = subprocess.run([sys.executable, "-m", "reconciler", *arguments], cwd=WORKDIR, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"demo: `reconciler {' '.join(arguments)}` exited {result.returncode}")


def note(text: str) -> None:
    print(f"\n\033[36m# {text}\033[0m", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
