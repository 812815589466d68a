"""The installable package (design §10): build the wheel, check what it holds, install it in a fresh virtual
environment away from the checkout, and run the installed `reconciler` (validate, schema, emulator, plan, apply).

The wheel is built offline (`--no-build-isolation`, with the setuptools pinned in the dev venv) from a copy of the
checkout, so that the build's scratch folders (`build/`, `*.egg-info`) land neither in the checkout nor, stale, in
a later wheel. The fresh venv gets its dependencies from the package index, constrained by the lock file.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import httpx
import pytest

import reconciler

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements" / "dev.txt"
MOVED = ("providers", "state")
NOT_BUILT = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "demo-run",
    ".venv-demo",
)
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
APP = "wheel-test-app"


def run(command: Sequence[str | Path], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    """Run a command to completion and return its stdout; fail the test with its output if it fails."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without PYTHON* (no PYTHONPATH to the checkout) and without API settings, plus `extra`."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "CLOUDFLARE_", "REALTIMEKIT_", "VIRTUAL_ENV"))
    }
    return {**kept, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "reconciler"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_BUILT))
    out = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), "."]
    run(build, cwd=source, env=clean_env())
    [built] = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh virtual environment, outside the source tree, with the wheel installed; its `bin` folder."""
    root = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", root], cwd=root, env=clean_env())
    run([root / "bin" / "python", "-m", "pip", "install", "--quiet", "-c", LOCK, wheel], cwd=root, env=clean_env())
    return root / "bin"


def test_the_wheel_holds_one_top_level_package_and_the_license(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = "realtimekit_reconciler-" + reconciler.__version__ + ".dist-info"
        assert {name.split("/")[0] for name in names} == {"reconciler", dist_info}
        for package in ("reconciler/providers/", "reconciler/providers/emulator/", "reconciler/state/"):
            assert f"{package}__init__.py" in names
        assert "reconciler/py.typed" in names
        assert archive.read(f"{dist_info}/licenses/LICENSE") == (REPO / "LICENSE").read_bytes()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert "Name: realtimekit-reconciler\n" in metadata
    assert "License-Expression: Apache-2.0\n" in metadata
    assert "Classifier: Operating System :: POSIX\n" in metadata


def test_no_module_in_the_wheel_imports_a_top_level_providers_or_state(wheel: Path) -> None:
    stray: list[str] = []
    modules = 0
    with zipfile.ZipFile(wheel) as archive:
        for name in (name for name in archive.namelist() if name.endswith(".py")):
            modules += 1
            for node in ast.walk(ast.parse(archive.read(name), name)):
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    imported = [node.module or ""]
                elif isinstance(node, ast.Import):
                    imported = [alias.name for alias in node.names]
                else:
                    continue
                stray += [f"{name}:{node.lineno} {module}" for module in imported if module.split(".")[0] in MOVED]
    assert modules > 50
    assert stray == []


def test_the_installed_package_is_imported_from_the_venv(venv: Path, tmp_path: Path) -> None:
    probe = (
        "import importlib.util, reconciler\n"
        "print(reconciler.__file__)\n"
        "print([name for name in ('providers', 'state') if importlib.util.find_spec(name)])\n"
    )
    where, top_level = run([venv / "python", "-c", probe], cwd=tmp_path, env=clean_env()).splitlines()
    assert Path(where).resolve().is_relative_to(venv.parent.resolve())
    assert top_level == "[]"  # nothing named providers or state on the path


def test_the_installed_command_validates_and_prints_the_schema(venv: Path, tmp_path: Path) -> None:
    env = clean_env(CLOUDFLARE_ACCOUNT_ID=ACCOUNT, REALTIMEKIT_APP_ID=APP)
    version = run([venv / "reconciler", "--version"], cwd=tmp_path, env=env)
    assert version.strip() == f"reconciler {reconciler.__version__}"
    config = shutil.copy(REPO / "examples" / "minimal.toml", tmp_path / "recordings.toml")
    assert run([venv / "reconciler", "validate", "-c", config], cwd=tmp_path, env=env).startswith("Valid: 1 meeting")
    schema = json.loads(run([venv / "reconciler", "schema"], cwd=tmp_path, env=env))
    assert "meetings" in schema["properties"]


@pytest.fixture
def emulator(venv: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The installed `reconciler emulator --port 0`; its base URL and token, read from what it prints."""
    process = subprocess.Popen(
        [venv / "reconciler", "emulator", "--port", "0"],
        cwd=tmp_path,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()  # read by a thread, so that a silent emulator cannot hang the test

    def forward(stdout: IO[str]) -> None:
        for line in stdout:
            lines.put(line)

    assert process.stdout is not None
    threading.Thread(target=forward, args=(process.stdout,), daemon=True).start()
    try:
        for _ in range(5):
            found = re.search(r"CLOUDFLARE_BASE_URL=(\S+) CLOUDFLARE_API_TOKEN=(\S+)", lines.get(timeout=30))
            if found:
                yield found[1], found[2]
                break
        else:
            pytest.fail("the emulator printed no `export CLOUDFLARE_BASE_URL=... CLOUDFLARE_API_TOKEN=...` line")
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def test_the_installed_command_plans_and_applies_against_its_emulator(
    venv: Path, tmp_path: Path, emulator: tuple[str, str]
) -> None:
    base_url, token = emulator
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(REPO / "examples" / "minimal.toml", work / "recordings.toml")
    env = clean_env(
        CLOUDFLARE_BASE_URL=base_url, CLOUDFLARE_API_TOKEN=token, CLOUDFLARE_ACCOUNT_ID=ACCOUNT, REALTIMEKIT_APP_ID=APP
    )
    assert "Plan: 1 to start" in run([venv / "reconciler", "plan"], cwd=work, env=env, timeout=60)
    run([venv / "reconciler", "apply", "--auto-approve"], cwd=work, env=env, timeout=60)
    state = json.loads((work / "recordings.state.json").read_text(encoding="utf-8"))
    inspect = base_url.removesuffix("/client/v4") + "/__emulator/recordings"
    [created] = httpx.get(inspect, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["recordings"]
    assert state["recordings"]["standup.default"]["recording_id"] == created["id"]
    assert created["meeting_id"] == "5c0a4b4e-3f8e-4a55-9d4b-0c7f3b2a9e11"
