"""Journal records and lock owners as JSON: one object a line in the journal, one object in the lock file.

{"kind":"intent","op":"start","address":…,"meeting_id":…,"time":…,"fields":{…},"sensitive_digest":…,"api_time":…}
{"kind":"put","address":…,"entry":{…as in the state…}}
{"kind":"clear","address":…,"reason":…}
"""

from __future__ import annotations

from typing import Any

from state._errors import JournalError
from state._json import (
    ShapeError,
    check_keys,
    encode,
    entry_document,
    entry_from,
    expected,
    load,
    pending_document,
    pending_from,
    text_at,
)
from state._model import ClearRecord, IntentRecord, JournalRecord, PutRecord
from state._protocol import LockInfo

__all__ = [
    "decode_journal",
    "decode_lock_info",
    "decode_record",
    "encode_lock_info",
    "encode_record",
    "record_document",
    "record_from",
]

_RECORD_KEYS = {
    "put": frozenset({"kind", "address", "entry"}),
    "clear": frozenset({"kind", "address", "reason"}),
}
_INTENT_KEYS = frozenset({"kind", "op", "address"})  # and those of a pending start
_LOCK_KEYS = frozenset({"id", "operation", "who", "host", "pid", "created"})


def record_document(record: JournalRecord) -> dict[str, Any]:
    """A journal record as a JSON object (a line of the file journal, a row of the database's)."""
    if isinstance(record, IntentRecord):
        return {"kind": "intent", "op": record.op, "address": record.address, **pending_document(record)}
    if isinstance(record, PutRecord):
        return {"kind": "put", "address": record.address, "entry": entry_document(record.entry)}
    return {"kind": "clear", "address": record.address, "reason": record.reason}


def encode_record(record: JournalRecord) -> bytes:
    """One journal line, newline included."""
    return (encode(record_document(record)) + "\n").encode("ascii")


def decode_journal(data: bytes, *, source: str) -> list[JournalRecord]:
    """Every record of a journal. A last line without its newline is a write cut short by a crash: it was never
    acknowledged, so it is skipped. Any other damage raises JournalError."""
    lines = data.split(b"\n")
    # After the last newline comes b"" (an intact journal) or the torn remains of the last write.
    return [decode_record(line, source=source, line_number=n) for n, line in enumerate(lines[:-1], start=1)]


def decode_record(line: bytes, *, source: str, line_number: int) -> JournalRecord:
    """The journal record on one line; raises JournalError naming `source` and the line."""
    try:
        return _record(load(line))
    except ShapeError as problem:
        raise JournalError(
            f"the journal {source} is damaged at record {line_number}: {problem}. Nothing was changed",
            location=source,
            line=line_number,
        ) from None


def record_from(document: Any, *, source: str, number: int) -> JournalRecord:
    """The journal record in a parsed JSON object; raises JournalError naming `source` and the record's number."""
    try:
        return _record(document)
    except ShapeError as problem:
        raise JournalError(
            f"the journal {source} is damaged at record {number}: {problem}. Nothing was changed",
            location=source,
            line=number,
        ) from None


def _record(raw: Any) -> JournalRecord:
    kind = raw.get("kind") if type(raw) is dict else None
    if kind == "intent":
        # A journal left by a version before `api_time` existed is folded all the same.
        version = 2 if "api_time" in raw else 1
        start = pending_from(raw, "the record", extra=_INTENT_KEYS, version=version)
        if raw["op"] != "start":
            raise expected("op", '"start"', raw["op"])
        address = text_at(raw, "address", "the record")
        return IntentRecord(address, start.meeting_id, start.time, start.fields, start.sensitive_digest, start.api_time)
    if type(kind) is not str or kind not in _RECORD_KEYS:
        raise expected("kind", "intent, put or clear", kind)
    raw = check_keys(raw, _RECORD_KEYS[kind], "the record")
    address = text_at(raw, "address", "the record")
    if kind == "put":
        return PutRecord(address, entry_from(raw["entry"], "entry"))
    return ClearRecord(address, text_at(raw, "reason", "the record"))


def encode_lock_info(info: LockInfo) -> bytes:
    document: dict[str, Any] = {"id": info.id, "operation": info.operation, "who": info.who, "host": info.host}
    document |= {"pid": info.pid, "created": info.created}
    return encode(document).encode("ascii")


def decode_lock_info(data: bytes) -> LockInfo | None:
    """The owner written in a lock file, or None when it is empty or unreadable (it is informative only)."""
    try:
        raw = check_keys(load(data), _LOCK_KEYS, "lock")
        texts = [text_at(raw, key, "lock") for key in ("id", "operation", "who", "host", "created")]
    except ShapeError:
        return None
    pid = raw["pid"]
    if type(pid) is not int:
        return None
    identifier, operation, who, host, created = texts
    return LockInfo(id=identifier, operation=operation, who=who, host=host, pid=pid, created=created)
