"""The PostgreSQL store's tables, created and migrated by the store itself (design §6.5).

    <schema>.meta          key/value; `schema_version` says which version of these tables the schema holds
    <schema>.states        one row a workspace: lineage, serial, tool_version, binding, suspects
    <schema>.entries       one row an address: the recording behind it
    <schema>.pending       one row an address: a start whose outcome is unknown
    <schema>.journal       one row a record, appended as a run goes, folded into the rows above at its end
    <schema>.locks         one row a workspace: who holds its lock (the lock itself is a session advisory lock)
    <schema>.rate_budgets  one row a token digest: the request budget runs with that token share
    <schema>.recordings    a view, one row an address (workspace, address, meeting_id, recording_id, status,
                           updated_at), for dashboards and audits

`ensure_schema` creates what is missing under a transaction-level advisory lock, so two runners starting at once
do it one after the other. A schema whose `schema_version` is newer than this code's, or that holds tables but no
`meta`, or a `meta` that says something else, is refused (`StateFileError`). A role without the right to create
it gets the SQL an administrator must run (`StoreUnavailableError`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
from psycopg import sql

from state._errors import StateFileError, StoreUnavailableError

__all__ = ["SCHEMA_VERSION", "advisory_key", "ensure_schema", "schema_sql"]

SCHEMA_VERSION = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS {schema}.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS {schema}.states (
    workspace text PRIMARY KEY,
    lineage text NOT NULL,
    serial bigint NOT NULL,
    tool_version text NOT NULL,
    binding jsonb,
    suspects jsonb NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS {schema}.entries (
    workspace text NOT NULL REFERENCES {schema}.states ON DELETE CASCADE,
    address text NOT NULL,
    meeting_id text NOT NULL,
    recording_id text NOT NULL,
    status text NOT NULL,
    fields jsonb NOT NULL,
    sensitive_digest text,
    invoked_time text,
    updated_at text NOT NULL,
    PRIMARY KEY (workspace, address)
);
CREATE TABLE IF NOT EXISTS {schema}.pending (
    workspace text NOT NULL REFERENCES {schema}.states ON DELETE CASCADE,
    address text NOT NULL,
    meeting_id text NOT NULL,
    time text NOT NULL,
    fields jsonb NOT NULL,
    sensitive_digest text,
    api_time text,
    PRIMARY KEY (workspace, address)
);
CREATE TABLE IF NOT EXISTS {schema}.journal (
    workspace text NOT NULL,
    seq bigserial,
    record jsonb NOT NULL,
    PRIMARY KEY (workspace, seq)
);
CREATE TABLE IF NOT EXISTS {schema}.locks (
    workspace text PRIMARY KEY,
    lock_id text NOT NULL,
    operation text NOT NULL,
    who text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    created text NOT NULL,
    backend_pid integer NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.rate_budgets (token_digest text PRIMARY KEY, tat double precision NOT NULL);
CREATE OR REPLACE VIEW {schema}.recordings AS
    SELECT workspace, address, meeting_id, recording_id, status, updated_at::timestamptz AS updated_at
    FROM {schema}.entries;
"""


def advisory_key(*parts: str) -> int:
    """A 64-bit advisory lock key for `parts` (a schema and a workspace): nothing global to the database."""
    digest = hashlib.sha256("\0".join(("reconciler", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def schema_sql(schema: str) -> str:
    """The SQL that creates the schema and its tables: what an administrator runs for a role without the right."""
    quoted = sql.Identifier(schema).as_string(None)
    return (
        f"CREATE SCHEMA IF NOT EXISTS {quoted};\n"
        + _TABLES.replace("{schema}", quoted).strip()
        + f"\nINSERT INTO {quoted}.meta VALUES ('schema_version', '{SCHEMA_VERSION}')"
        + " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;"
    )


def ensure_schema(connection: psycopg.Connection[Any], schema: str, location: str) -> None:
    """Make `schema` hold this version's tables, or refuse it. Safe when several runners do it at once."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(schema, "schema"),))
        version = _version(connection, schema, location)
        if version == SCHEMA_VERSION:
            return
        try:
            connection.execute(sql.SQL(schema_sql(schema)))
        except psycopg.errors.InsufficientPrivilege:
            raise StoreUnavailableError(
                f"the state database {location} has no schema {schema} yet, and this role may not create it",
                location=location,
                sql=schema_sql(schema),
            ) from None


def _version(connection: psycopg.Connection[Any], schema: str, location: str) -> int | None:
    """The schema's version; None when the schema or its tables do not exist yet."""
    tables = {
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    }
    if not tables:
        return None
    if "meta" not in tables:
        raise StateFileError(
            f"the schema {schema} of {location} holds tables that are not reconciler's ({', '.join(sorted(tables))}); "
            "nothing was changed. Name another schema ([state] schema)",
            location=location,
        )
    row = connection.execute(
        sql.SQL("SELECT value FROM {}.meta WHERE key = 'schema_version'").format(sql.Identifier(schema))
    ).fetchone()
    text = None if row is None else row[0]
    if text is None or not str(text).isdigit():
        raise StateFileError(
            f"the schema {schema} of {location} says its version is {text!r}, which reconciler does not know; "
            "nothing was changed",
            location=location,
        )
    if int(text) > SCHEMA_VERSION:
        raise StateFileError(
            f"the schema {schema} of {location} is at version {text}, newer than this reconciler knows "
            f"({SCHEMA_VERSION}); nothing was changed",
            location=location,
            newer=True,
        )
    return int(text)
