"""The CLI's HTTP against servers that misbehave, and through proxies: `--http-timeout` is a deadline for the whole
exchange (a server that trickles its answer does not hold a run), answers are capped (a 1 GiB answer does not
fill the memory), a wait for an API that never answers is announced and bounded, and the environment's proxies
are used (and skipped for NO_PROXY hosts)."""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from email.utils import formatdate

import pytest

from _e2e import Workspace, meetings
from _net import Conversation, ForwardingProxy, Received, Server

pytestmark = pytest.mark.e2e

EMPTY_PAGE = b'{"success":true,"data":[],"paging":{"total_count":0,"start_offset":0,"end_offset":0}}'


def method_of(received: Received) -> str:
    return received.requests[-1][0].split(b" ", 1)[0].decode()


def api(on_start: Conversation) -> Conversation:
    """An API that lists no recordings (with a `Date`, so the API's clock is known) and hands starts to
    `on_start`."""

    def conversation(sock: socket.socket, received: Received) -> bool:
        if method_of(received) == "POST":
            return on_start(sock, received)
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(EMPTY_PAGE)}\r\nDate: {formatdate(usegmt=True)}\r\n\r\n"
        sock.sendall(head.encode() + EMPTY_PAGE)
        return True

    return conversation


def trickle_for(seconds: float) -> Conversation:
    """An answer sent one byte every 0.1 s, for `seconds` (each byte well within any read timeout)."""

    def conversation(sock: socket.socket, received: Received) -> bool:
        end = time.monotonic() + seconds
        data = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"z" * 10_000
        for byte in data:
            if time.monotonic() > end:
                break
            sock.sendall(bytes([byte]))
            time.sleep(0.1)  # the trickle itself
        return False

    return conversation


def endless_zeros(sock: socket.socket, received: Received) -> bool:
    """A 200 whose body is 1 GiB of zeros, sent as fast as the client reads."""
    sock.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {1 << 30}\r\n\r\n".encode())
    chunk = bytes(1 << 20)
    try:
        for _ in range(1024):
            sock.sendall(chunk)
    except OSError:
        pass  # the client hung up
    return False


def start_outcome_unknown(workspace: Workspace, server: Server, *args: str) -> tuple[float, str]:
    """Apply one start against `server` in a wrapper that reports the CLI's peak memory; (peak MiB, stdout)."""
    workspace.write_config(meetings(1))
    workspace.env["CLOUDFLARE_BASE_URL"] = f"http://127.0.0.1:{server.port}/client/v4"
    wrapper = (
        "import resource, subprocess, sys\n"
        "code = subprocess.run(sys.argv[1:], check=False).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code, file=sys.stderr)\n"
    )
    command = [sys.executable, "-c", wrapper, *workspace.command("apply", "--auto-approve", *args)]
    result = subprocess.run(
        command, cwd=workspace.root, env=workspace.base_env(), capture_output=True, text=True, timeout=120, check=False
    )
    peak_kib, code = result.stderr.strip().splitlines()[-1].split()
    assert int(code) == 1, result.stderr
    assert "This is a bug" not in result.stderr
    assert "m0.main: start outcome UNKNOWN" in result.stdout, result.stdout + result.stderr
    return int(peak_kib) / 1024, result.stdout


def test_a_trickling_answer_to_a_start_ends_at_the_deadline_as_an_uncertain_start(workspace: Workspace) -> None:
    with Server(api(trickle_for(60))) as server:
        began = time.monotonic()
        _, stdout = start_outcome_unknown(workspace, server, "--http-timeout", "2")
        elapsed = time.monotonic() - began
    assert "no complete answer within 2 s" in stdout
    assert elapsed < 12, elapsed  # the deadline (2 s), start-up and the resolution; not the trickle's 60 s
    assert workspace.state()["pending"].keys() == {"m0.main"}  # resolved from the API by a later run


def test_a_1_gib_answer_to_a_start_is_refused_with_bounded_memory(workspace: Workspace) -> None:
    with Server(api(endless_zeros)) as server:
        peak_mib, stdout = start_outcome_unknown(workspace, server)
    assert "larger than the cap" in stdout or "above the cap" in stdout, stdout
    assert peak_mib < 200, peak_mib
    assert workspace.state()["pending"].keys() == {"m0.main"}


@pytest.mark.parametrize("conversation", [trickle_for(60), endless_zeros], ids=["trickle", "huge"])
def test_a_read_that_cannot_be_completed_fails_the_call(workspace: Workspace, conversation: Conversation) -> None:
    workspace.write_config(meetings(1))
    with Server(conversation) as server:
        workspace.env["CLOUDFLARE_BASE_URL"] = f"http://127.0.0.1:{server.port}/client/v4"
        result = workspace.run("plan", "--http-timeout", "1", timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("Error: check access to app"), result.stderr
    assert "This is a bug" not in result.stderr
    state = workspace.state()  # the lock's first fold fixed the new state's lineage; nothing else was written
    assert (state["serial"], state["recordings"], state["pending"]) == (0, {}, {})


def test_apply_goes_through_the_proxy_of_http_proxy_and_around_it_for_no_proxy(workspace: Workspace) -> None:
    workspace.write_config(meetings(2))
    with ForwardingProxy() as proxy:
        workspace.env["HTTP_PROXY"] = proxy.url
        assert workspace.run("apply", "--auto-approve").returncode == 0
        origin = workspace.server.url.removesuffix("/client/v4")
        starts = [line for line in proxy.seen if line.startswith(f"POST {origin}/client/v4/accounts/")]
        assert len(starts) == 2
        assert len(workspace.recordings()) == 2
        seen = len(proxy.seen)
        workspace.write_config(meetings(3))
        workspace.env["NO_PROXY"] = "127.0.0.1"
        assert workspace.run("apply", "--auto-approve").returncode == 0
        assert len(proxy.seen) == seen  # nothing more went through it
        assert len(workspace.recordings()) == 3


# --- an API that accepts connections and never answers ----------------------------------------------------------


class Silent:
    """Accepts connections and reads requests, never answers; `arrivals` holds when each request came."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.hang_up = threading.Event()
        self.server = Server(self._conversation)

    def _conversation(self, sock: socket.socket, received: Received) -> bool:
        self.arrivals.append(time.monotonic())
        self.hang_up.wait(120)
        return False


def timed_lines(process: subprocess.Popen[str]) -> queue.Queue[tuple[float, str] | None]:
    """Each line of the process's stderr with when it arrived, read by a thread (None at the end)."""
    lines: queue.Queue[tuple[float, str] | None] = queue.Queue()

    def read() -> None:
        for line in process.stderr or ():
            lines.put((time.monotonic(), line.rstrip("\n")))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def clock_time(text: str) -> float:
    """A local HH:MM:SS of today (or tomorrow, past midnight) as epoch seconds."""
    now = datetime.now()
    moment = datetime.combine(now.date(), datetime.strptime(text, "%H:%M:%S").time())
    seconds = moment.timestamp()
    return seconds + 86400 if seconds < now.timestamp() - 43200 else seconds


def test_an_api_that_never_answers_is_announced_before_each_retry_and_given_up_in_a_stated_time(
    workspace: Workspace,
) -> None:
    workspace.write_config(meetings(1))
    silent = Silent()
    try:
        workspace.env["CLOUDFLARE_BASE_URL"] = f"http://127.0.0.1:{silent.server.port}/client/v4"
        began = time.monotonic()
        process = subprocess.Popen(
            workspace.command("plan", "--http-timeout", "2"),
            cwd=workspace.root,
            env=workspace.base_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            lines = list(iter(timed_lines(process).get, None))
            code = process.wait(timeout=60)
        finally:
            process.kill()
            process.wait(timeout=10)
        ended, ended_wall = time.monotonic(), time.time()
    finally:
        silent.hang_up.set()
        silent.server.close()
    assert code == 1
    retry = re.compile(
        r"Warning: check access to app .*: timed out: no complete answer within 2 s \(--http-timeout\); retrying in "
        r"\d+\.\d s, attempt [234] of 4 \(gives up by \d\d:\d\d:\d\d if the API still fails\)"
    )
    announced = [(at, text) for at, text in lines if retry.fullmatch(text)]
    assert [text.split("attempt ")[1][0] for _, text in announced] == ["2", "3", "4"], lines
    assert len(silent.arrivals) == 4
    for (said, _), arrived in zip(announced, silent.arrivals[1:], strict=True):
        assert said < arrived  # each wait announced before the attempt it leads to
    # The first announcement states when the run gives up at the latest; it did, and the error says so.
    bound = clock_time(re.findall(r"gives up by (\S+) if", announced[0][1])[0])
    assert ended_wall <= bound + 1.0, (ended_wall, bound)
    assert ended - began < 20
    error = lines[-1][1]
    assert error.startswith("Error: check access to app"), lines
    assert "gave up on the API after 4 attempts over" in error
    assert "nothing more is sent to it in this run" in error


def test_a_wait_for_the_state_lock_is_announced_with_its_holder_and_end(workspace: Workspace) -> None:
    from state import FileStateStore, hold_lock

    workspace.write_config(meetings(1))
    store = FileStateStore(workspace.state_file)
    with hold_lock(store, "apply") as held:
        process = subprocess.Popen(
            workspace.command("plan", "--lock-timeout", "3"),
            cwd=workspace.root,
            env=workspace.base_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            lines = list(iter(timed_lines(process).get, None))
            code = process.wait(timeout=60)
        finally:
            process.kill()
            process.wait(timeout=10)
        ended = time.monotonic()
    (said, first), *_, (_, last) = lines
    assert re.fullmatch(
        rf"Waiting for the state lock held by \S+@\S+ \(pid \d+, operation apply, since \S+, lock ID {held.id}\), "
        r"for plan, until \d\d:\d\d:\d\d \(--lock-timeout\)\.",
        first,
    ), lines
    assert ended - said >= 2.5  # said when the wait began, not when it ended
    assert last.startswith("Error: the state recordings.state.json is locked by")
    assert code == 1


def test_an_answer_slower_than_five_seconds_is_announced_while_it_is_awaited(workspace: Workspace) -> None:
    workspace.write_config(meetings(1))
    workspace.inspect("PUT", "faults", {"spike_latency": 6.5})
    workspace.script("start", "latency-spike")
    result = workspace.run("apply", "--auto-approve")
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"Warning: start a recording of meeting \S+: no answer yet after 5 s; waiting for it until \d\d:\d\d:\d\d "
        r"\(--http-timeout 30\)",
        result.stderr,
    ), result.stderr
    assert len(workspace.state_ids()) == 1
