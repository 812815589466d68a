"""`AdvisoryLock`: the PostgreSQL store's run lock, a session-level advisory lock with a row naming its holder.

The lock is `pg_try_advisory_lock(key)` on a connection of its own, kept open while the lock is held: the server
releases it when that session ends, so a runner that dies (its process, or its machine: TCP keepalives, set on
both sides, end the session within about a minute) never leaves the workspace locked. The key is a 64-bit hash of
schema and workspace: workspaces never block each other, and nothing is global to the database.

Whoever takes the lock writes its `LockInfo` and its session's backend pid into `<schema>.locks`; whoever is refused
reads the real holder from there. `check(lock_id)` asks on the lock's own session whether the row still names it:
a terminated session or a removed row means the lock is lost. `force_unlock` ends the holder's session with
`pg_terminate_backend` when the role may, and otherwise says what an administrator must run.

A transaction-mode pooler (PgBouncer's `pool_mode = transaction`) cannot hold a session lock: two statements of
one connection land on different backends. That is checked when the lock's session is opened, and refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from state._errors import (
    LockHolderAliveError,
    LockLostError,
    LockNotFoundError,
    StateLockedError,
    StoreUnavailableError,
)
from state._lockfile import running_here
from state._owner import new_lock_info
from state._pg_schema import advisory_key
from state._protocol import LockInfo

__all__ = ["AdvisoryLock"]

Connect = Callable[[], psycopg.Connection[Any]]


class AdvisoryLock:
    """The lock of one workspace. `connect` opens a new autocommit session with keepalives."""

    def __init__(self, connect: Connect, *, schema: str, workspace: str, location: str) -> None:
        self._connect = connect
        self._schema = schema
        self._workspace = workspace
        self._location = location
        self._key = advisory_key(schema, workspace)
        self._guard = threading.Lock()  # one statement at a time on the lock's session
        self._session: psycopg.Connection[Any] | None = None
        self._held: str | None = None

    def take(self, operation: str) -> LockInfo:
        try:
            return self._take(operation)
        except psycopg.Error as error:  # the session ended or the server went away while the lock was asked for
            self._session = None
            raise StoreUnavailableError(
                f"the state database {self._location} went away: {str(error).strip().splitlines()[0]}",
                location=self._location,
            ) from None

    def _take(self, operation: str) -> LockInfo:
        with self._guard:
            session = self._session or self._open()
            self._session = session
            (taken,) = session.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone() or (False,)
            if not taken:
                raise StateLockedError(self._holder(session), location=self._location, lock_location=self._location)
            info = new_lock_info(operation)
            session.execute(
                self._sql(
                    "INSERT INTO {}.locks VALUES (%s, %s, %s, %s, %s, %s, %s, pg_backend_pid()) "
                    "ON CONFLICT (workspace) DO UPDATE SET lock_id = EXCLUDED.lock_id, operation = EXCLUDED.operation, "
                    "who = EXCLUDED.who, host = EXCLUDED.host, pid = EXCLUDED.pid, created = EXCLUDED.created, "
                    "backend_pid = EXCLUDED.backend_pid"
                ),
                (self._workspace, info.id, info.operation, info.who, info.host, info.pid, info.created),
            )
            self._held = info.id
            return info

    def release(self, lock_id: str) -> None:
        with self._guard:
            if self._held != lock_id or self._session is None:
                return
            session, self._session, self._held = self._session, None, None
            try:
                session.execute(
                    self._sql("DELETE FROM {}.locks WHERE workspace = %s AND lock_id = %s"), (self._workspace, lock_id)
                )
            except psycopg.Error:
                pass  # the session is gone (terminated): so is the lock, and the next taker replaces the row
            finally:
                session.close()  # ending the session releases the advisory lock

    def check(self, lock_id: str) -> None:
        with self._guard:
            if self._held != lock_id or self._session is None:
                raise LockLostError(lock_id)
            try:
                row = self._session.execute(
                    self._sql("SELECT lock_id FROM {}.locks WHERE workspace = %s"), (self._workspace,)
                ).fetchone()
            except psycopg.Error:
                row = None  # the session was terminated (force-unlock) or the server went away
            if row is None or row[0] != lock_id:
                raise LockLostError(lock_id)

    def force_unlock(self, lock_id: str, *, force: bool) -> None:
        with self._connect() as session:
            holder, backend_pid = self._holder_row(session)
            if holder is None or holder.id != lock_id:
                current = "not locked" if holder is None else f"locked with lock ID {holder.id}"
                raise LockNotFoundError(
                    f"lock ID {lock_id} is not the lock of the state {self._location}: it is {current}; "
                    "nothing was changed"
                )
            if not force and running_here(holder):
                raise LockHolderAliveError(holder)
            try:
                session.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
            except psycopg.errors.InsufficientPrivilege:
                raise StoreUnavailableError(
                    f"this role may not end the session of the lock's holder (backend pid {backend_pid}); nothing "
                    "was changed",
                    location=self._location,
                    sql=f"SELECT pg_terminate_backend({backend_pid});",
                ) from None
            session.execute(
                self._sql("DELETE FROM {}.locks WHERE workspace = %s AND lock_id = %s"), (self._workspace, lock_id)
            )

    def _open(self) -> psycopg.Connection[Any]:
        session = self._connect()
        backends = {session.execute("SELECT pg_backend_pid()").fetchone() for _ in range(3)}
        if len(backends) != 1:
            session.close()
            raise StoreUnavailableError(
                f"the state database {self._location} is reached through a pooler in transaction mode, which cannot "
                "hold the session lock the state needs; connect to the server directly, or to a pool in session mode",
                location=self._location,
            )
        return session

    def _holder(self, session: psycopg.Connection[Any]) -> LockInfo | None:
        """Who holds the lock; None when the row is a dead session's (the holder has not named itself yet)."""
        holder, backend_pid = self._holder_row(session)
        alive = session.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend_pid,)).fetchone()
        return holder if alive is not None else None

    def _holder_row(self, session: psycopg.Connection[Any]) -> tuple[LockInfo | None, int]:
        row = session.execute(
            self._sql(
                "SELECT lock_id, operation, who, host, pid, created, backend_pid FROM {}.locks WHERE workspace = %s"
            ),
            (self._workspace,),
        ).fetchone()
        if row is None:
            return None, 0
        lock_id, operation, who, host, pid, created, backend_pid = row
        return LockInfo(id=lock_id, operation=operation, who=who, host=host, pid=pid, created=created), backend_pid

    def _sql(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(sql.Identifier(self._schema))
