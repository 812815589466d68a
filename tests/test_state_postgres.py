"""What the PostgreSQL store adds to the contract (`state.contract` runs on it in test_state_contract.py): the URL
never shown with its password, one lock per schema and workspace, a transaction-mode pooler refused, a damaged or
foreign schema refused, a row edited by hand refused, O(1) rows written per start."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from state import PostgresStateStore, PutRecord, RecordingEntry, StateFileError, StoreUnavailableError, hold_lock
from state._pg_lock import AdvisoryLock
from state._pg_schema import advisory_key
from state._postgres import redact_url

from _postgres import PostgresServer

MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://ci:s3cret@db.example.com:5433/states?sslmode=require",
            "postgresql://ci@db.example.com:5433/states",
        ),
        ("postgres://db.example.com/states", "postgresql://db.example.com/states"),
        ("host=db.example.com user=ci password=s3cret dbname=states", "postgresql://ci@db.example.com/states"),
    ],
)
def test_the_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    store = PostgresStateStore(url, workspace="w")
    assert "s3cret" not in store.location + repr(store)


def test_each_schema_and_workspace_has_a_lock_of_its_own() -> None:
    keys = {advisory_key(schema, workspace) for schema in ("reconciler", "other") for workspace in ("a", "b")}
    assert len(keys) == 4


class Session:
    """A connection to a pooler in transaction mode: each statement lands on another backend."""

    def __init__(self) -> None:
        self.backend = 100
        self.closed = False

    def execute(self, query: str, *args: Any) -> Session:
        self.backend += 1
        return self

    def fetchone(self) -> tuple[int]:
        return (self.backend,)

    def close(self) -> None:
        self.closed = True


def test_a_transaction_mode_pooler_is_refused() -> None:
    session = Session()
    lock = AdvisoryLock(lambda: session, schema="reconciler", workspace="w", location="db")  # type: ignore[arg-type,return-value]  # a stand-in session
    with pytest.raises(StoreUnavailableError, match="pooler in transaction mode"):
        lock.take("plan")
    assert session.closed


@pytest.fixture
def store(postgres: PostgresServer) -> Iterator[PostgresStateStore]:
    opened = PostgresStateStore(postgres.url, schema=postgres.fresh_schema(), workspace="w")
    try:
        yield opened
    finally:
        opened.close()


def entry(recording_id: str) -> RecordingEntry:
    return RecordingEntry(MEETING, recording_id, "RECORDING", {}, None, None, "2026-01-01T00:00:00.000Z")


@pytest.mark.e2e  # a real server, started as a process
def test_a_row_edited_by_hand_into_a_path_trick_is_refused(store: PostgresStateStore, postgres: PostgresServer) -> None:
    store.write(store.read().with_recordings({"a.b": entry("rec-1")}), expected_serial=0)
    schema = store.location.split("schema ")[1].split(",")[0]
    with postgres.connect() as connection:
        connection.execute(f"UPDATE {schema}.entries SET recording_id = '..'")  # a test's own schema
    fresh = PostgresStateStore(postgres.url, schema=schema, workspace="w")
    with pytest.raises(StateFileError, match="expected an id of letters, digits"):
        fresh.read()
    fresh.close()


@pytest.mark.e2e  # a real server, started as a process
def test_a_foreign_or_newer_schema_is_refused(postgres: PostgresServer) -> None:
    foreign, newer = postgres.fresh_schema(), postgres.fresh_schema()
    with postgres.connect() as connection:
        connection.execute(f"CREATE SCHEMA {foreign}; CREATE TABLE {foreign}.invoices (id int)")
        connection.execute(f"CREATE SCHEMA {newer}; CREATE TABLE {newer}.meta (key text primary key, value text)")
        connection.execute(f"INSERT INTO {newer}.meta VALUES ('schema_version', '99')")  # test schema
    with pytest.raises(StateFileError, match="holds tables that are not reconciler's"):
        PostgresStateStore(postgres.url, schema=foreign).read()
    with pytest.raises(StateFileError, match="newer than this reconciler knows") as refused:
        PostgresStateStore(postgres.url, schema=newer).read()
    assert refused.value.newer


@pytest.mark.e2e  # a real server, started as a process
def test_a_start_writes_o1_rows_whatever_the_states_size(store: PostgresStateStore, postgres: PostgresServer) -> None:
    """An intent and an outcome are one journal row each; a fold writes only the rows that change."""
    big = {f"m{n}.r": entry(f"rec-{n}") for n in range(2000)}
    store.write(store.read().with_recordings(big), expected_serial=0)
    schema = store.location.split("schema ")[1].split(",")[0]
    with postgres.connect() as connection:
        (before,) = connection.execute("SELECT txid_current() % 4294967296").fetchone()
    with hold_lock(store, "apply"):
        store.append(PutRecord("new.r", entry("rec-new")))
        store.fold()
    with postgres.connect() as connection:
        touched = {
            table: connection.execute(
                f"SELECT count(*) FROM {schema}.{table} WHERE xmin::text::bigint > %s",
                (before,),  # test
            ).fetchone()[0]
            for table in ("entries", "pending", "states", "journal")
        }
    # The fold inserted one entry and updated the header; the journal's row was appended, then deleted.
    assert touched == {"entries": 1, "pending": 0, "states": 1, "journal": 0}
