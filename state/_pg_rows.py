"""The PostgreSQL store's statements, and its rows as the objects a state file holds (so that both are checked the
same way). `{}` in a statement is the schema, filled in by the store as a quoted identifier."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from state._json import entry_document
from state._model import PendingStart, RecordingEntry

__all__ = [
    "DELETE_ENTRY",
    "DELETE_PENDING",
    "ENTRIES",
    "ENTRY_COLUMNS",
    "HEADER",
    "HEADER_FOR_UPDATE",
    "JOURNAL",
    "JOURNAL_APPEND",
    "JOURNAL_FOLDED",
    "PENDING",
    "PENDING_COLUMNS",
    "STORE_HEADER",
    "UPSERT_ENTRY",
    "UPSERT_PENDING",
    "entry_row",
    "named",
    "pending_row",
]

HEADER = "SELECT lineage, serial, tool_version, binding, suspects FROM {}.states WHERE workspace = %s"
HEADER_FOR_UPDATE = HEADER + " FOR UPDATE"
ENTRIES = (
    "SELECT address, meeting_id, recording_id, status, fields, sensitive_digest, invoked_time, updated_at"
    " FROM {}.entries WHERE workspace = %s"
)
PENDING = "SELECT address, meeting_id, time, fields, sensitive_digest, api_time FROM {}.pending WHERE workspace = %s"
JOURNAL = "SELECT seq, record FROM {}.journal WHERE workspace = %s ORDER BY seq"
JOURNAL_APPEND = "INSERT INTO {}.journal (workspace, record) VALUES (%s, %s)"
JOURNAL_FOLDED = "DELETE FROM {}.journal WHERE workspace = %s AND seq <= %s"
STORE_HEADER = (
    "INSERT INTO {}.states VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (workspace) DO UPDATE SET"
    " lineage = EXCLUDED.lineage, serial = EXCLUDED.serial, tool_version = EXCLUDED.tool_version,"
    " binding = EXCLUDED.binding, suspects = EXCLUDED.suspects"
)
DELETE_ENTRY = "DELETE FROM {}.entries WHERE workspace = %s AND address = %s"
DELETE_PENDING = "DELETE FROM {}.pending WHERE workspace = %s AND address = %s"
ENTRY_COLUMNS = ("meeting_id", "recording_id", "status", "fields", "sensitive_digest", "invoked_time", "updated_at")
PENDING_COLUMNS = ("meeting_id", "time", "fields", "sensitive_digest", "api_time")
UPSERT_ENTRY = (
    "INSERT INTO {}.entries VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (workspace, address) DO UPDATE SET "
    "meeting_id = EXCLUDED.meeting_id, recording_id = EXCLUDED.recording_id, status = EXCLUDED.status, "
    "fields = EXCLUDED.fields, sensitive_digest = EXCLUDED.sensitive_digest, invoked_time = EXCLUDED.invoked_time, "
    "updated_at = EXCLUDED.updated_at"
)
UPSERT_PENDING = (
    "INSERT INTO {}.pending VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (workspace, address) DO UPDATE SET "
    "meeting_id = EXCLUDED.meeting_id, time = EXCLUDED.time, fields = EXCLUDED.fields, "
    "sensitive_digest = EXCLUDED.sensitive_digest, api_time = EXCLUDED.api_time"
)


def named(columns: tuple[str, ...], row: tuple[Any, ...]) -> dict[str, Any]:
    """A row after its address, as the object a state file holds (so that it is checked the same way)."""
    return dict(zip(columns, row[1:], strict=True))


def entry_row(workspace: str, address: str, entry: RecordingEntry) -> tuple[Any, ...]:
    document = entry_document(entry)
    return (workspace, address, *(Jsonb(dict(v)) if k == "fields" else v for k, v in document.items()))


def pending_row(workspace: str, address: str, start: PendingStart) -> tuple[Any, ...]:
    fields = Jsonb(dict(start.fields))
    return (workspace, address, start.meeting_id, start.time, fields, start.sensitive_digest, start.api_time)
