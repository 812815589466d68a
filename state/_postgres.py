"""`PostgresStateStore`: the state of one workspace in a PostgreSQL database, for teams whose runs happen on many
machines (design §6.5). The same promises as the file store, through the same protocol and contract suite:

- a record appended to the journal is committed before `append` returns: a start's intent is in the database
  before the request leaves, and each outcome one committed row (O(1) rows per operation);
- `write` and `fold` are compare-and-swap on lineage and serial, in one transaction each that locks the
  workspace's row; they write only the rows that change, so their cost follows the change, not the state's size
  (a handle remembers the generation it last read or wrote, and reads all rows only when another wrote since);
- the lock is a session advisory lock naming its holder (`_pg_lock.py`); the tables are created and migrated by
  the store (`_pg_schema.py`).

Connections: one for data (shared by the threads of a run, one statement at a time), one for the lock while it is
held. Both set TCP keepalives on the client and on the server's side, so that a dead peer is noticed within about a
minute; `sslmode`, `connect_timeout` and the rest of the URL's parameters are libpq's, honoured as given. The URL
may hold a password: `location` never shows it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from state._errors import StateFileError, StoreUnavailableError
from state._generation import empty_state, folded_generation, next_generation
from state._json import (
    ShapeError,
    binding_document,
    binding_from,
    entry_from,
    pending_from,
    suspect_document,
    suspect_from,
)
from state._model import JournalRecord, State
from state._pg_lock import AdvisoryLock
from state._pg_rate import PostgresRateBudget
from state._pg_rows import (
    DELETE_ENTRY,
    DELETE_PENDING,
    ENTRIES,
    ENTRY_COLUMNS,
    HEADER,
    HEADER_FOR_UPDATE,
    JOURNAL,
    JOURNAL_APPEND,
    JOURNAL_FOLDED,
    PENDING,
    PENDING_COLUMNS,
    STORE_HEADER,
    UPSERT_ENTRY,
    UPSERT_PENDING,
    entry_row,
    named,
    pending_row,
)
from state._pg_schema import ensure_schema
from state._protocol import LockInfo
from state._records import record_document, record_from

__all__ = ["PostgresStateStore", "redact_url"]

# libpq's keepalives (client side) and the server's (per session): a dead peer is noticed in about 15 + 5 * 4 s.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 15, "keepalives_interval": 5, "keepalives_count": 4}
_SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 15; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 4; "
    "SET tcp_user_timeout = 35000"
)


def redact_url(url: str) -> str:
    """`url` without its password, as `postgresql://user@host:port/db`; the URL itself when it cannot be parsed."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(an unreadable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class PostgresStateStore:
    """The state of `workspace` in the database at `url`, in `schema`."""

    def __init__(
        self, url: str, *, workspace: str = "default", schema: str = "reconciler", tool_version: str = ""
    ) -> None:
        self._url = url
        self._workspace = workspace
        self._schema = schema
        self._tool_version = tool_version
        self.location = f"{redact_url(url)} (schema {schema}, workspace {workspace})"
        self._data: psycopg.Connection[Any] | None = None
        self._guard = threading.RLock()  # one statement at a time on the data connection
        self._known: State | None = None  # the generation this handle last read or wrote
        self._lock = AdvisoryLock(self._connect, schema=schema, workspace=workspace, location=self.location)

    def __repr__(self) -> str:
        return f"PostgresStateStore({self.location})"

    @property
    def backup_location(self) -> str | None:
        return None  # generations are not kept: the view and the journal's rows say what changed

    def close(self) -> None:
        with self._guard:
            if self._data is not None:
                self._data.close()
                self._data = None

    def rate_budget(self, token: str) -> PostgresRateBudget:
        """The request budget of `token` that every run of this database shares (`_pg_rate.py`)."""
        self._connection()  # the schema exists
        return PostgresRateBudget(self._connect, schema=self._schema, token=token)

    # --- state ---------------------------------------------------------------------------------------------

    def read(self) -> State:
        with self._guard, self._transaction() as connection:
            stored = self._stored(connection, for_update=False)
        return empty_state(self._tool_version) if stored is None else stored

    def write(self, state: State, *, expected_serial: int) -> State:
        with self._guard, self._transaction() as connection:
            stored = self._stored(connection, for_update=True)
            new = next_generation(
                stored, state, expected_serial=expected_serial, tool_version=self._tool_version, location=self.location
            )
            if new is None:
                return state if stored is None else stored
            self._store(connection, stored, new)
            self._known = new
            return new

    def fold(self, *, expected_serial: int | None = None) -> State:
        with self._guard, self._transaction() as connection:
            stored = self._stored(connection, for_update=True)
            rows = connection.execute(self._sql(JOURNAL), (self._workspace,)).fetchall()
            records = [record_from(record, source=self.location, number=seq) for seq, record in rows]
            result, new = folded_generation(
                stored,
                records,
                tool_version=self._tool_version,
                location=self.location,
                expected_serial=expected_serial,
            )
            if new is not None:
                self._store(connection, stored, new)
            if rows:
                connection.execute(self._sql(JOURNAL_FOLDED), (self._workspace, rows[-1][0]))
            self._known = result
            return result

    # --- journal -------------------------------------------------------------------------------------------

    def append(self, *records: JournalRecord) -> None:
        if not records:
            return
        documents = [(self._workspace, Jsonb(record_document(record))) for record in records]
        with self._guard, self._transaction() as connection, connection.cursor() as cursor:
            cursor.executemany(self._sql(JOURNAL_APPEND), documents)

    def journal(self) -> Iterator[JournalRecord]:
        with self._guard, self._transaction() as connection:
            rows = connection.execute(self._sql(JOURNAL), (self._workspace,)).fetchall()
        return iter([record_from(record, source=self.location, number=seq) for seq, record in rows])

    # --- lock ----------------------------------------------------------------------------------------------

    def try_lock(self, operation: str) -> LockInfo:
        self._connection()  # the schema exists before anyone writes a holder row
        return self._lock.take(operation)

    def unlock(self, lock_id: str) -> None:
        self._lock.release(lock_id)

    def check_lock(self, lock_id: str) -> None:
        self._lock.check(lock_id)

    def force_unlock(self, lock_id: str, *, force: bool = False) -> None:
        self._connection()
        self._lock.force_unlock(lock_id, force=force)

    # --- rows ----------------------------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        """A new autocommit session with keepalives on both sides."""
        given = conninfo_to_dict(self._url)
        options: dict[str, Any] = {key: value for key, value in _KEEPALIVES.items() if key not in given}
        try:
            connection = psycopg.connect(self._url, autocommit=True, application_name="reconciler", **options)
        except psycopg.OperationalError as error:
            raise StoreUnavailableError(
                f"cannot reach the state database {self.location}: {_first_line(error)}", location=self.location
            ) from None
        connection.execute(_SERVER_KEEPALIVES)
        return connection

    def _connection(self) -> psycopg.Connection[Any]:
        with self._guard:
            if self._data is None or self._data.closed:
                connection = self._connect()
                try:
                    ensure_schema(connection, self._schema, self.location)
                except psycopg.Error as error:
                    connection.close()
                    raise StoreUnavailableError(
                        f"the state database {self.location} went away: {_first_line(error)}", location=self.location
                    ) from None
                self._data = connection
            return self._data

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """The data connection inside a transaction; a connection that broke is told as the store unavailable."""
        connection = self._connection()
        try:
            with connection.transaction():
                yield connection
        except psycopg.Error as error:  # the session ended, the server went away, a statement failed
            connection.close()
            raise StoreUnavailableError(
                f"the state database {self.location} went away: {_first_line(error)}; nothing more was written",
                location=self.location,
            ) from None

    def _stored(self, connection: psycopg.Connection[Any], *, for_update: bool) -> State | None:
        """The stored generation (None: nothing stored). With `for_update`, the workspace's row stays locked until
        the transaction ends, so that no other writer comes between the compare and the swap."""
        query = HEADER_FOR_UPDATE if for_update else HEADER
        header = connection.execute(self._sql(query), (self._workspace,)).fetchone()
        if header is None:
            return None
        lineage, serial, tool_version, binding, suspects = header
        known = self._known
        if known is not None and (known.lineage, known.serial) == (lineage, serial):
            return known  # every change of content bumps the serial: this handle's copy is the stored one
        entries = connection.execute(self._sql(ENTRIES), (self._workspace,)).fetchall()
        pending = connection.execute(self._sql(PENDING), (self._workspace,)).fetchall()
        try:  # rows are checked as a state file is (types, plain ids): a row edited by hand is refused, not used
            state = State(
                lineage=lineage,
                serial=serial,
                tool_version=tool_version,
                recordings={row[0]: entry_from(named(ENTRY_COLUMNS, row), row[0]) for row in entries},
                pending={row[0]: pending_from(named(PENDING_COLUMNS, row), row[0]) for row in pending},
                suspects=tuple(suspect_from(item, "suspects") for item in suspects),
                binding=binding_from(binding, "binding"),
            )
        except ShapeError as problem:
            message = f"the state {self.location} is damaged: {problem}. Nothing was changed"
            raise StateFileError(message, location=self.location) from None
        self._known = state
        return state

    def _store(self, connection: psycopg.Connection[Any], stored: State | None, new: State) -> None:
        """Write the header, and the rows that differ between `stored` and `new`."""
        binding = None if new.binding is None else Jsonb(binding_document(new.binding))
        suspects = Jsonb([suspect_document(suspect) for suspect in new.suspects])
        header = (self._workspace, new.lineage, new.serial, new.tool_version, binding, suspects)
        connection.execute(self._sql(STORE_HEADER), header)
        old_entries = {} if stored is None else stored.recordings
        old_pending = {} if stored is None else stored.pending
        workspace = self._workspace
        with connection.cursor() as cursor:
            for query, rows in (
                (DELETE_ENTRY, [(workspace, a) for a in old_entries if a not in new.recordings]),
                (
                    UPSERT_ENTRY,
                    [entry_row(workspace, a, e) for a, e in new.recordings.items() if old_entries.get(a) != e],
                ),
                (DELETE_PENDING, [(workspace, a) for a in old_pending if a not in new.pending]),
                (
                    UPSERT_PENDING,
                    [pending_row(workspace, a, p) for a, p in new.pending.items() if old_pending.get(a) != p],
                ),
            ):
                if rows:
                    cursor.executemany(self._sql(query), rows)

    def _sql(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(sql.Identifier(self._schema))


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
