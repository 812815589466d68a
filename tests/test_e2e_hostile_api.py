"""The CLI against an API that answers what no API should, and a state written by someone hostile: a malformed
answer fails that one call (the run goes on, and what it did is saved), and nothing from outside reaches the
terminal raw: control characters are shown escaped, with or without colour."""

from __future__ import annotations

import json
import os
import pty
import socket
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from state import FileStateStore, RecordingEntry, State

from _e2e import Workspace, meeting_id, meetings
from _net import Conversation, Received, Server

pytestmark = pytest.mark.e2e

EMPTY_PAGE = b'{"success":true,"data":[],"paging":{"total_count":0,"start_offset":0,"end_offset":0}}'
ESCAPES = "\x1b]0;pwned\x07 \x1b[2J\x9b31m"  # retitle the window, clear the screen, a C1 CSI
SHOWN = "\\x1b]0;pwned\\x07 \\x1b[2J\\x9b31m"  # how they must be shown


def respond(sock: socket.socket, status: int, body: bytes) -> bool:
    head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nDate: {formatdate(usegmt=True)}\r\n\r\n"
    sock.sendall(head.encode() + body)
    return True


def recording(recording_id: str) -> bytes:
    data = {
        "id": recording_id,
        "status": "INVOKED",
        "invoked_time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "start_reason": {"reason": "API_CALL", "caller": {"type": "ORGANIZATION"}},
    }
    return json.dumps({"success": True, "data": data}).encode()


# What a start of meeting n gets: (status, body).
Starts = Callable[[int], tuple[int, bytes]]


def api(starts: Starts, meeting_list: bytes = EMPTY_PAGE) -> Conversation:
    """An API: the cheap check gets an empty page, a list of one meeting's recordings gets `meeting_list`, and
    a start of meeting n gets `starts(n)`."""

    def conversation(sock: socket.socket, received: Received) -> bool:
        head, body = received.requests[-1]
        request_line = head.split(b"\r\n", 1)[0].decode()
        if request_line.startswith("POST "):
            return respond(sock, *starts(int(json.loads(body)["meeting_id"][-12:])))
        return respond(sock, 200, meeting_list if "meeting_id=" in request_line else EMPTY_PAGE)

    return conversation


def apply_against(workspace: Workspace, conversation: Conversation, *flags: str) -> tuple[int, str, str]:
    with Server(conversation) as server:
        workspace.env["CLOUDFLARE_BASE_URL"] = f"http://127.0.0.1:{server.port}/client/v4"
        result = workspace.run("apply", "--auto-approve", "--http-timeout", "5", *flags, timeout=60)
    assert "Traceback" not in result.stderr
    assert "This is a bug" not in result.stderr
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize(
    "paging",
    [
        '{"total_count":NaN,"start_offset":0,"end_offset":0}',
        '{"total_count":Infinity,"start_offset":0,"end_offset":0}',
        '{"total_count":-Infinity,"start_offset":0,"end_offset":0}',
        '{"total_count":1e999,"start_offset":0,"end_offset":0}',
        '{"total_count":0,"start_offset":0,"end_offset":0,"x":' + "[" * 200_000 + "]" * 200_000 + "}",
    ],
    ids=["nan", "infinity", "minus-infinity", "1e999", "nested-200000"],
)
def test_a_malformed_answer_fails_that_call_and_the_run_goes_on_and_saves(workspace: Workspace, paging: str) -> None:
    """m1's start fails with a 502 (it may have been created), and the list that would resolve it is malformed:
    m1 stays unknown, m0 is started and saved."""
    workspace.write_config(meetings(2))
    malformed = b'{"success":true,"data":[],"paging":' + paging.encode() + b"}"

    def starts(n: int) -> tuple[int, bytes]:
        return (200, recording("rec-m0")) if n == 0 else (502, b'{"success":false,"error":{"code":1,"message":"x"}}')

    code, stdout, _ = apply_against(workspace, api(starts, meeting_list=malformed))
    assert code == 1
    assert "m0.main: started rec-m0 (INVOKED)" in stdout
    [unknown] = [line for line in stdout.splitlines() if line.startswith("m1.main: start outcome UNKNOWN: ")]
    assert "the API could not be asked what it created" in unknown
    assert "is not JSON" in unknown
    state = workspace.state()
    assert state["recordings"]["m0.main"]["recording_id"] == "rec-m0"  # folded into the state
    assert set(state["pending"]) == {"m1.main"}


def test_a_start_answered_with_a_malformed_recording_is_uncertain_not_a_crash(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    body = b'{"success":true,"data":{"id":"rec-1","status":"INVOKED","invoked_time":NaN}}'
    code, stdout, _ = apply_against(workspace, api(lambda n: (200, body)))
    assert code == 1
    assert "m0.main: start outcome UNKNOWN: " in stdout
    assert set(workspace.state()["pending"]) == {"m0.main"}


@pytest.mark.parametrize("flags", [(), ("--no-color",)], ids=["default", "no-color"])
def test_an_api_error_message_with_terminal_escapes_is_shown_escaped(
    workspace: Workspace, flags: tuple[str, ...]
) -> None:
    workspace.write_config(meetings(1))
    refusal = json.dumps({"success": False, "error": {"code": 400, "message": f"bad request{ESCAPES}\nForged: ok"}})
    code, stdout, stderr = apply_against(workspace, api(lambda n: (400, refusal.encode())), *flags)
    assert code == 1
    assert not [char for char in stdout + stderr if (ord(char) < 32 and char != "\n") or 0x7F <= ord(char) <= 0x9F]
    [failed] = [line for line in stdout.splitlines() if line.startswith("m0.main: start FAILED: ")]
    assert f"bad request{SHOWN}\\nForged: ok (HTTP 400)" in failed  # its newline too: it cannot forge a line


def test_the_json_output_escapes_them_as_json_does(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    refusal = json.dumps({"success": False, "error": {"code": 400, "message": f"bad{ESCAPES}"}})
    code, stdout, stderr = apply_against(workspace, api(lambda n: (400, refusal.encode())), "--json")
    assert code == 1
    assert "\x1b" not in stdout + stderr
    outcome = json.loads(stdout.splitlines()[0])
    assert outcome["message"].startswith(f"start a recording of meeting {meeting_id(0)}: bad{ESCAPES}")


def test_a_state_whose_statuses_or_addresses_hold_escapes_is_refused_with_them_escaped(workspace: Workspace) -> None:
    store = FileStateStore(workspace.state_file)
    store.write(
        State(
            lineage=store.read().lineage, recordings={"m0.main": RecordingEntry(meeting_id(0), "rec-0", "RECORDING")}
        ),
        expected_serial=0,
    )
    workspace.write_config(meetings(1))
    document = json.loads(workspace.state_file.read_text())
    for hostile in (
        {"m0.main": {**document["recordings"]["m0.main"], "status": f"RECORDING{ESCAPES}"}},
        {f"m1.main\nm9.main {ESCAPES}": document["recordings"]["m0.main"]},
    ):
        workspace.state_file.write_text(json.dumps({**document, "recordings": hostile}))
        for command in (("state", "list"), ("state", "list", "--no-color"), ("show",), ("plan", "--no-refresh")):
            result = workspace.run(*command)
            assert result.returncode == 1, (command, result.stderr)
            assert "is damaged" in result.stderr
            shown = result.stdout + result.stderr
            assert "\x1b" not in shown, command
            assert "\x07" not in shown, command
            assert "\x9b" not in shown, command
            assert len(result.stderr.splitlines()) == 1  # no line forged by a newline


def test_on_a_terminal_the_colours_are_ours_and_the_escapes_shown(workspace: Workspace) -> None:
    store = FileStateStore(workspace.state_file)
    hostile = {"m0.main": RecordingEntry(meeting_id(0), "rec-0", "RECORDING", {"file_name_prefix": f"x{ESCAPES}"})}
    store.write(State(lineage=store.read().lineage, recordings=hostile), expected_serial=0)
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            workspace.command("show"),
            cwd=workspace.root,
            env=workspace.base_env(),
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
        )
        os.close(follower)
        output = b""
        while chunk := _read(leader):
            output += chunk
        assert process.wait(timeout=30) == 0
    finally:
        os.close(leader)
    text = output.decode()
    assert "\x1b[1m# m0.main:" in text  # the heading in bold: colour is on
    assert json.dumps(f"x{ESCAPES}") in text  # the value, its escapes shown
    assert "\x1b]" not in text
    assert "\x1b[2J" not in text
    assert "\x07" not in text


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal closes when the process exits
        return b""
