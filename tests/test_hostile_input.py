"""Hostile input, property-based: random and mutated TOML, state and journal files fed to `validate`, `plan`,
`state list` and `show`. Every run ends with exit 0 or 1 and a message, never a traceback, and a run that fails
leaves the state files exactly as they were.

The CLI runs in-process (`reconciler.cli.main`) so that hypothesis can try hundreds of inputs; the end-to-end
tests cover the same commands as subprocesses.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from state import FileStateStore, IntentRecord, PutRecord, RecordingEntry, State

from _e2e import EXAMPLES

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BASE_CONFIG = (EXAMPLES / "lifecycle.toml").read_text(encoding="utf-8")
MEETING = "f3e2d1c0-b9a8-4f7e-8d6c-5b4a3f2e1d0c"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def assert_clean_exit(code: int, stdout: str, stderr: str) -> None:
    assert code in (0, 1), (code, stderr)
    assert "Traceback" not in stdout + stderr
    assert "This is a bug" not in stderr, stderr  # an unexpected exception reached the top
    if code == 1:
        assert stderr.startswith("Error: ") or "\nError: " in stderr, stderr
    else:
        assert stdout


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.iterdir()
        if path.name.startswith("recordings.state.json") and path.is_file()
    }


def valid_state(folder: Path) -> FileStateStore:
    store = FileStateStore(folder / "recordings.state.json")
    state = store.read()
    entry = RecordingEntry(MEETING, "8a0c1f6e-1d2b-4c3a-9e8f-7a6b5c4d3e2f", "RECORDING", {"max_seconds": 3600})
    store.write(State(lineage=state.lineage, recordings={"onboarding.session": entry}), expected_serial=0)
    return store


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` after a few random edits: deletions, insertions, replacements and duplicated lines."""
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        position = draw(st.integers(0, len(text) - 1))
        edit = draw(st.sampled_from(["delete", "insert", "replace", "duplicate-line"]))
        if edit == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 40)) :]
        elif edit == "insert":
            text = text[:position] + draw(st.text(max_size=12)) + text[position:]
        elif edit == "replace":
            text = text[:position] + draw(st.sampled_from('"=[]{}.,#\n\\ 0x$')) + text[position + 1 :]
        else:
            lines = text.splitlines(keepends=True)
            index = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: index + 1] + lines[index:])
    return text


@SETTINGS
@given(st.text(max_size=300))
def test_random_text_as_configuration(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "recordings.toml"
        config.write_text(text, encoding="utf-8", errors="surrogatepass")
        assert_clean_exit(*run("validate", "-c", str(config)))


@SETTINGS
@given(mutated(BASE_CONFIG))
def test_mutated_configuration_in_validate_and_plan(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = folder / "recordings.toml"
        config.write_text(text, encoding="utf-8", errors="surrogatepass")
        valid_state(folder)
        before = fingerprint(folder)
        assert_clean_exit(*run("validate", "-c", str(config)))
        code, stdout, stderr = run(
            "plan", "--no-refresh", "-c", str(config), "--state", str(folder / "recordings.state.json")
        )
        assert_clean_exit(code, stdout, stderr)
        assert fingerprint(folder) == before


def state_commands(folder: Path) -> list[tuple[str, ...]]:
    config = folder / "recordings.toml"
    state = str(folder / "recordings.state.json")
    return [
        ("state", "list", "--state", state),
        ("state", "list", "--json", "--state", state),
        ("show", "--state", state),
        ("plan", "--no-refresh", "-c", str(config), "--state", state),
    ]


def check_state_input(folder: Path, *, must_fail: bool) -> None:
    (folder / "recordings.toml").write_text(BASE_CONFIG, encoding="utf-8")
    before = fingerprint(folder)
    for command in state_commands(folder):
        code, stdout, stderr = run(*command)
        assert_clean_exit(code, stdout, stderr)
        if must_fail:
            assert code == 1, command
            assert "recordings.state.json" in stderr  # the message names the file
        if code == 1:
            assert fingerprint(folder) == before


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes_as_state(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "recordings.state.json").write_bytes(data)
        check_state_input(folder, must_fail=True)


@SETTINGS
@given(st.data())
def test_truncated_state(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = valid_state(folder)
        full = store.path.read_bytes()
        cut = data.draw(st.integers(0, len(full) - 2))
        store.path.write_bytes(full[:cut])
        check_state_input(folder, must_fail=True)


@SETTINGS
@given(st.data())
def test_mutated_state(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = valid_state(folder)
        text = data.draw(mutated(store.path.read_text(encoding="utf-8")))
        store.path.write_text(text, encoding="utf-8", errors="surrogatepass")
        check_state_input(folder, must_fail=False)


@SETTINGS
@given(st.data())
def test_random_and_truncated_journal(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = valid_state(folder)
        store.append(IntentRecord("lunch-and-learn.default", MEETING, "2026-11-01T00:00:00.000Z"))
        entry = RecordingEntry(MEETING, "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "INVOKED")
        store.append(PutRecord("lunch-and-learn.default", entry))
        journal = store.journal_path.read_bytes()
        damage = data.draw(st.sampled_from(["truncate", "random", "mutate"]))
        if damage == "truncate":
            damaged = journal[: data.draw(st.integers(0, len(journal)))]
        elif damage == "random":
            damaged = data.draw(st.binary(max_size=300))
        else:
            damaged = data.draw(mutated(journal.decode())).encode(errors="surrogatepass")
        store.journal_path.write_bytes(damaged)
        check_state_input(folder, must_fail=False)
