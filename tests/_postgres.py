"""A real PostgreSQL server for the tests (design §6.5), never Docker, never a silent skip.

In order of preference:
1. `RECONCILER_TEST_PG_URL`, a server someone provides (a superuser's URL: the tests create roles and schemas);
2. a throw-away cluster from the PostgreSQL binaries on this machine (`initdb`, `pg_ctl`; on PATH or under
   `/usr/lib/postgresql/*/bin`), in a temporary folder, on a free port of 127.0.0.1, stopped by its PID at the end.
   As root they run as the `postgres` user through `runuser -u postgres`;
3. the `pgserver` wheel, when not root (as root it would add a system user and loosen folder permissions).

When none can be had, starting fails with a message that says how to provide one.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

__all__ = ["PostgresServer", "running_postgres"]

HOW_TO_PROVIDE = (
    "no PostgreSQL server for the tests: set RECONCILER_TEST_PG_URL to a superuser's URL "
    "(postgresql://user:password@host:port/db), or install the PostgreSQL server binaries "
    "(Debian: apt-get install postgresql; `make test` does it when run as root), or `pip install pgserver` "
    "(when not root)"
)


@dataclass
class PostgresServer:
    """A server the tests may use as a superuser: `url` names its `postgres` database."""

    url: str
    pid: int | None = None  # the postmaster of a cluster these tests started (None: someone else's server)
    restart: Callable[[], None] | None = None  # restarts a cluster these tests started (None: cannot)

    def connect(self, **options: object) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url, autocommit=True, **options)  # type: ignore[arg-type]  # libpq options

    def fresh_schema(self) -> str:
        """A schema name no test has used yet (created by the store under test, dropped by nobody)."""
        return f"t_{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """The server the tests use, for the `with` block; one started here is stopped at the end, even on failure."""
    given = os.environ.get("RECONCILER_TEST_PG_URL")
    if given:
        yield PostgresServer(given)
        return
    binaries = _binaries()
    if binaries is not None:
        with _cluster(binaries) as server:
            yield server
        return
    if os.geteuid() != 0:
        with contextlib.suppress(ImportError), _pgserver() as server:
            yield server
            return
    raise RuntimeError(HOW_TO_PROVIDE)


def _binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`, or None."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(path).parent for path in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)]
    return next((folder for folder in candidates if (folder / "pg_ctl").exists()), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _cluster(binaries: Path) -> Iterator[PostgresServer]:
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="reconciler-pg-"))
    data, sockets, log = folder / "data", folder / "sockets", folder / "server.log"
    sockets.mkdir()
    if as_root:
        folder.chmod(0o755)
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, check=False, timeout=120)

    port = _free_port()
    pg_ctl = str(binaries / "pg_ctl")
    pid: int | None = None
    try:
        made = run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip()}")
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        started = run(pg_ctl, "start", "-w", "-t", "60", "-D", str(data), "-l", str(log), "-o", options)
        if started.returncode != 0:
            told = log.read_text() if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {told}")
        pid = int((data / "postmaster.pid").read_text().split()[0])
        server = PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", pid=pid)

        def restart() -> None:
            nonlocal pid
            again = run(
                pg_ctl, "restart", "-w", "-t", "60", "-m", "fast", "-D", str(data), "-l", str(log), "-o", options
            )
            if again.returncode != 0:
                raise RuntimeError(f"pg_ctl restart failed: {again.stderr.strip()}")
            pid = server.pid = int((data / "postmaster.pid").read_text().split()[0])

        server.restart = restart
        yield server
    finally:
        if pid is not None:
            run(pg_ctl, "stop", "-D", str(data), "-m", "immediate", "-t", "30")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # if pg_ctl could not stop it: the server goes by its PID
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _pgserver() -> Iterator[PostgresServer]:
    import pgserver  # type: ignore[import-not-found]  # optional: only where no binaries are installed

    folder = tempfile.mkdtemp(prefix="reconciler-pgserver-")
    server = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        yield PostgresServer(server.get_uri())
    finally:
        server.cleanup()
