"""Hostile input, property-based: random, mutated and deeply nested TOML, state and journal files fed to
`validate`, `plan`, `state list` and `show`, and API answers of any shape (random, mutated, numbers JSON has not
got, nested 100,000 deep) fed to `plan` by a server on 127.0.0.1. Every run ends with exit 0 or 1 and a message,
never a traceback, and a run that fails leaves the state files exactly as they were.

The CLI runs in-process (`reconciler.cli.main`) so that hypothesis can try hundreds of inputs; the end-to-end
tests cover the same commands as subprocesses.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from state import FileStateStore, IntentRecord, PutRecord, RecordingEntry, State

from _e2e import EXAMPLES
from _net import Received, Server

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


# --- deeply nested files -------------------------------------------------------------------------------------------

OPENERS = {"array": ("[", "]"), "object": ('{"a":', "}"), "inline-table": ("{a=", "}")}


@st.composite
def nested(draw: st.DrawFn, kinds: tuple[str, ...]) -> str:
    depth = draw(st.one_of(st.integers(1, 600), st.integers(600, 100_000)))
    opener, closer = OPENERS[draw(st.sampled_from(kinds))]
    return opener * depth + "1" + closer * depth


@SETTINGS
@given(nested(("array", "object")))
def test_a_deeply_nested_state_is_refused_naming_the_file(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "recordings.state.json").write_text(text, encoding="utf-8")
        check_state_input(folder, must_fail=True)


@SETTINGS
@given(st.data())
def test_deeply_nested_start_fields_in_a_state_are_refused(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = valid_state(folder)
        document = store.path.read_text(encoding="utf-8")
        deep = data.draw(nested(("array", "object")))
        store.path.write_text(document.replace('{"max_seconds":3600}', '{"max_seconds":' + deep + "}"), "utf-8")
        depth = deep.count("[") + deep.count("{")
        check_state_input(folder, must_fail=1 + depth > 16)  # `fields` is one level, and 16 are allowed


@SETTINGS
@given(st.data())
def test_a_deeply_nested_configuration_is_refused_naming_the_file(data: st.DataObject) -> None:
    depth = data.draw(st.one_of(st.integers(1, 600), st.integers(600, 100_000)))
    shape = data.draw(st.sampled_from(["value", "table-header", "defaults"]))
    if shape == "value":
        text = f"a = {data.draw(nested(('array', 'inline-table')))}\n"
    elif shape == "table-header":
        text = f"[{'.'.join(['a'] * depth)}]\n"
    else:
        text = f"{BASE_CONFIG}\n[defaults.video_config{'.a' * depth}]\nb = 1\n"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "recordings.toml"
        config.write_text(text, encoding="utf-8")
        code, stdout, stderr = run("validate", "-c", str(config))
        assert_clean_exit(code, stdout, stderr)
        assert code == 1
        assert "recordings.toml" in stderr


@pytest.mark.parametrize("kind", ["array", "object"])
def test_a_state_nested_100000_deep_is_refused_naming_the_file(kind: str) -> None:
    opener, closer = OPENERS[kind]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "recordings.state.json").write_text(opener * 100_000 + "1" + closer * 100_000, encoding="utf-8")
        check_state_input(folder, must_fail=True)


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 100_000 + "]" * 100_000,
        "a = " + "{a=" * 100_000 + "1" + "}" * 100_000,
        "[" + "a." * 99_999 + "a]",
    ],
    ids=["array", "inline-table", "table-header"],
)
def test_a_configuration_nested_100000_deep_is_refused_naming_the_file(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "recordings.toml"
        config.write_text(text, encoding="utf-8")
        for command in (("validate", "-c", str(config)), ("plan", "--no-refresh", "-c", str(config))):
            code, stdout, stderr = run(*command)
            assert_clean_exit(code, stdout, stderr)
            assert code == 1
            assert f"{config}: tables or arrays nested more than 32 deep" in stderr


# --- API answers ---------------------------------------------------------------------------------------------------

VALID_PAGE = json.dumps(
    {
        "success": True,
        "data": [
            {
                "id": "8a0c1f6e-1d2b-4c3a-9e8f-7a6b5c4d3e2f",
                "status": "RECORDING",
                "invoked_time": "2026-11-01T00:00:00.000Z",
                "meeting": {"id": MEETING},
            }
        ],
        "paging": {"total_count": 1, "start_offset": 1, "end_offset": 1},
    }
)
VALID_RECORDING = json.dumps(
    {
        "success": True,
        "data": {
            "id": "8a0c1f6e-1d2b-4c3a-9e8f-7a6b5c4d3e2f",
            "status": "RECORDING",
            "invoked_time": "2026-11-01T00:00:00.000Z",
        },
    }
)
SPECIAL_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 5000]


@st.composite
def answers(draw: st.DrawFn) -> tuple[int, bytes]:
    """An API answer: a status the client does not retry, and a body that is random, mutated, full of numbers JSON
    has not got, or nested very deep."""
    status = draw(st.sampled_from([200, 200, 200, 400, 401, 403, 404, 409, 422]))
    kind = draw(st.sampled_from(["random", "mutated", "number", "nested"]))
    if kind == "random":
        body = draw(st.binary(max_size=300))
    elif kind == "mutated":
        body = draw(mutated(draw(st.sampled_from([VALID_PAGE, VALID_RECORDING])))).encode(errors="surrogatepass")
    elif kind == "number":
        text = draw(st.sampled_from([VALID_PAGE, VALID_RECORDING]))
        numbers = [match.start() for match in re.finditer(r"(?<=[:\[,])\d+", text)]
        at = draw(st.sampled_from(numbers))
        end = re.match(r"\d+", text[at:])
        assert end is not None
        body = (text[:at] + draw(st.sampled_from(SPECIAL_NUMBERS)) + text[at + end.end() :]).encode()
    else:
        deep = draw(nested(("array", "object")))
        body = ('{"success":true,"data":' + deep + ',"paging":{"total_count":1,"end_offset":1}}').encode()
    return status, body


class HostileApi:
    """A server on 127.0.0.1 that gives every request the answer of the example being tried."""

    def __init__(self) -> None:
        self.answer: tuple[int, bytes] = (200, b"{}")
        self.server = Server(self._conversation)

    def _conversation(self, sock: socket.socket, received: Received) -> bool:
        status, body = self.answer
        head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nDate: {formatdate(usegmt=True)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        return True


@pytest.fixture(scope="module")
def hostile_api() -> Iterator[HostileApi]:
    api = HostileApi()
    try:
        yield api
    finally:
        api.server.close()


@SETTINGS
@given(answers())
def test_api_answers_of_any_shape_end_with_a_message_and_change_nothing_on_failure(
    hostile_api: HostileApi, answer: tuple[int, bytes]
) -> None:
    hostile_api.answer = answer
    environment = {
        "CLOUDFLARE_BASE_URL": f"http://127.0.0.1:{hostile_api.server.port}/client/v4",
        "CLOUDFLARE_API_TOKEN": "hostile-test-token",
    }
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, environment):
        folder = Path(tmp)
        (folder / "recordings.toml").write_text(BASE_CONFIG, encoding="utf-8")
        valid_state(folder)
        before = fingerprint(folder)
        config, state = str(folder / "recordings.toml"), str(folder / "recordings.state.json")
        code, stdout, stderr = run("plan", "--http-timeout", "5", "-c", config, "--state", state)
        assert_clean_exit(code, stdout, stderr)
        if code == 1:
            assert fingerprint(folder) == before
