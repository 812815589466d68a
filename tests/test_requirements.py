"""`requirements/runtime.txt` (what `make demo` installs) stays in step with the lock file and the runtime
dependencies of pyproject.toml: the same releases, every dependency there, no development tool."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def pins(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return {_name(line.split("==")[0]): line.split("==")[1] for line in lines}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def test_the_runtime_pins_are_the_locks_and_cover_every_runtime_dependency() -> None:
    runtime, lock = pins(REPO / "requirements" / "runtime.txt"), pins(REPO / "requirements" / "dev.txt")
    assert {name: lock.get(name) for name in runtime} == runtime
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {_name(re.split(r"[<>=\[ ;]", requirement)[0]) for requirement in declared}
    assert names <= set(runtime)
    assert not {"pytest", "ruff", "mypy", "hypothesis"} & set(runtime)
