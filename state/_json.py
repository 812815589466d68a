"""The JSON pieces every stored form shares: the canonical encoder, an entry and a pending start as objects,
and the strict checks that read them back.

Checks raise `ShapeError` with a message that says where and what (`recordings["a.b"].status: expected a
string, found the number 7`); the reader of each file turns it into the error that names the file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from state._model import KNOWN_STATUSES, Binding, IntentRecord, PendingStart, RecordingEntry, SuspectStart

__all__ = [
    "ENTRY_KEYS",
    "ShapeError",
    "binding_document",
    "binding_from",
    "check_keys",
    "encode",
    "entry_document",
    "entry_from",
    "expected",
    "id_at",
    "is_address",
    "is_plain_id",
    "is_shallow",
    "is_time",
    "load",
    "optional_text_at",
    "optional_time_at",
    "pending_document",
    "pending_from",
    "suspect_document",
    "suspect_from",
    "text_at",
    "time_at",
]

ENTRY_KEYS = frozenset(
    {"meeting_id", "recording_id", "status", "fields", "sensitive_digest", "invoked_time", "updated_at"}
)
_PENDING_KEYS = frozenset({"meeting_id", "time", "fields", "sensitive_digest", "api_time"})
_PENDING_KEYS_V1 = _PENDING_KEYS - {"api_time"}
_SUSPECT_KEYS = frozenset({"address", "meeting_id", "api_time", "fields", "sensitive_digest"})
_BINDING_KEYS = frozenset({"account_id", "app_id", "api"})
# Start fields nest 4 deep at most (video_config.watermark.size.width): anything far deeper is refused on reading,
# before code that walks them by recursion (comparing, encoding) meets it.
MAX_FIELDS_DEPTH = 16
# Recording and meeting ids end up in the API's URL paths: a state file must not smuggle in `..` or a `/`.
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_ADDRESS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")  # as the configuration makes them


def _plain(value: object) -> object:
    """Read-only mappings (the model freezes them) are written as the objects they are."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} cannot be stored in the state (only JSON values can)")


encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_plain).encode


def entry_document(entry: RecordingEntry) -> dict[str, Any]:
    return {
        "meeting_id": entry.meeting_id,
        "recording_id": entry.recording_id,
        "status": entry.status,
        "fields": entry.fields,
        "sensitive_digest": entry.sensitive_digest,
        "invoked_time": entry.invoked_time,
        "updated_at": entry.updated_at,
    }


def pending_document(pending: PendingStart | IntentRecord) -> dict[str, Any]:
    """A pending start; an intent record carries the same keys."""
    return {
        "meeting_id": pending.meeting_id,
        "time": pending.time,
        "fields": pending.fields,
        "sensitive_digest": pending.sensitive_digest,
        "api_time": pending.api_time,
    }


def suspect_document(suspect: SuspectStart) -> dict[str, Any]:
    return {
        "address": suspect.address,
        "meeting_id": suspect.meeting_id,
        "api_time": suspect.api_time,
        "fields": suspect.fields,
        "sensitive_digest": suspect.sensitive_digest,
    }


def binding_document(binding: Binding | None) -> dict[str, str] | None:
    if binding is None:
        return None
    return {"account_id": binding.account_id, "app_id": binding.app_id, "api": binding.api}


# --- reading ---------------------------------------------------------------------------------------------------


class ShapeError(Exception):
    """The document is not what the format says. Turned into a StateFileError or JournalError by the caller."""


def expected(where: str, what: str, found: object) -> ShapeError:
    return ShapeError(f"{where}: expected {what}, found {_kind(found)}")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def load(data: bytes) -> Any:
    """JSON from bytes; raises ShapeError saying how the text is broken (truncated, not JSON, not UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ShapeError(f"not UTF-8 text (byte {error.start})") from None
    if not text.strip():
        raise ShapeError("empty")
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_not_a_number)
    except RecursionError:
        raise ShapeError("not valid JSON: nested far too deeply") from None
    except json.JSONDecodeError as error:
        if error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string"):
            raise ShapeError(
                f"it stops in the middle of the document, at line {text.count(chr(10)) + 1} (truncated?)"
            ) from None
        raise ShapeError(f"not valid JSON (line {error.lineno} column {error.colno}: {error.msg})") from None


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999: it would be written back as Infinity, which is not JSON
        raise ShapeError(f"not valid JSON: the number {text} is out of range")
    return number


def _not_a_number(name: str) -> float:
    raise ShapeError(f"not valid JSON: {name} is not a JSON number")  # NaN and Infinity, which json accepts


def is_shallow(fields: dict[str, Any]) -> bool:
    """Whether `fields` nests at most `MAX_FIELDS_DEPTH` objects and arrays deep (found without recursion)."""
    stack: list[tuple[Any, int]] = [(fields, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_FIELDS_DEPTH:
            return False
        for child in value.values() if type(value) is dict else value:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return True


def check_keys(raw: object, keys: frozenset[str], where: str) -> dict[str, Any]:
    """`raw` as an object with exactly `keys`."""
    if type(raw) is not dict:
        raise expected(where, "an object", raw)
    if raw.keys() != keys:
        missing = ", ".join(sorted(keys - raw.keys()))
        unknown = ", ".join(sorted(raw.keys() - keys))
        problems = [f"missing {missing}"] if missing else []
        problems += [f"unknown {unknown}"] if unknown else []
        raise ShapeError(f"{where}: {'; '.join(problems)}")
    return raw


def text_at(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw[key]
    if type(value) is not str:
        raise expected(f"{where}.{key}", "a string", value)
    return value


def optional_text_at(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw[key]
    if value is not None and type(value) is not str:
        raise expected(f"{where}.{key}", "a string or null", value)
    return value


def is_time(text: str) -> bool:
    """Whether `text` is an ISO 8601 timestamp, as the tool writes them (`2026-11-26T10:00:00.000Z`)."""
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def time_at(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw[key]
    if type(value) is not str:
        raise expected(f"{where}.{key}", "an ISO 8601 time", value)
    if not is_time(value):
        raise ShapeError(f"{where}.{key}: expected an ISO 8601 time, found {encode(value)}")
    return value


def optional_time_at(raw: dict[str, Any], key: str, where: str) -> str | None:
    return None if raw[key] is None else time_at(raw, key, where)


def _fields(raw: dict[str, Any], where: str) -> dict[str, Any]:
    fields = raw["fields"]
    if type(fields) is not dict:
        raise expected(f"{where}.fields", "an object", fields)
    if not is_shallow(fields):
        raise ShapeError(f"{where}.fields: expected start fields, found objects nested over {MAX_FIELDS_DEPTH} deep")
    return fields


def is_address(value: str) -> bool:
    return _ADDRESS.fullmatch(value) is not None


def is_plain_id(value: str) -> bool:
    return _PLAIN_ID.fullmatch(value) is not None


def id_at(raw: dict[str, Any], key: str, where: str) -> str:
    """An id that goes into the API's URLs: letters, digits, `-` and `_` only."""
    value = text_at(raw, key, where)
    if not is_plain_id(value):
        raise ShapeError(f"{where}.{key}: expected an id of letters, digits, - and _, found {encode(value)}")
    return value


def status_at(raw: dict[str, Any], key: str, where: str) -> str:
    """A recording's status: one the API reports (INVOKED, RECORDING, PAUSED, UPLOADING, UPLOADED, ERRORED) or the
    tool's own VANISHED; anything else is a damaged or hand-made entry."""
    status = text_at(raw, key, where)
    if status not in KNOWN_STATUSES:
        known = ", ".join(sorted(KNOWN_STATUSES))
        raise ShapeError(f"{where}.{key}: expected a recording status ({known}), found {encode(status)}")
    return status


def entry_from(raw: object, where: str) -> RecordingEntry:
    raw = check_keys(raw, ENTRY_KEYS, where)
    return RecordingEntry(
        meeting_id=id_at(raw, "meeting_id", where),
        recording_id=id_at(raw, "recording_id", where),
        status=status_at(raw, "status", where),
        fields=_fields(raw, where),
        sensitive_digest=optional_text_at(raw, "sensitive_digest", where),
        invoked_time=optional_time_at(raw, "invoked_time", where),
        updated_at=text_at(raw, "updated_at", where),
    )


def pending_from(raw: object, where: str, *, extra: frozenset[str] = frozenset(), version: int = 2) -> PendingStart:
    """A pending start; `extra` names the other keys the object may hold (an intent record's). Version 1 of the
    format had no `api_time`."""
    raw = check_keys(raw, (_PENDING_KEYS if version >= 2 else _PENDING_KEYS_V1) | extra, where)
    return PendingStart(
        meeting_id=id_at(raw, "meeting_id", where),
        time=time_at(raw, "time", where),
        fields=_fields(raw, where),
        sensitive_digest=optional_text_at(raw, "sensitive_digest", where),
        api_time=optional_time_at(raw, "api_time", where) if version >= 2 else None,
    )


def suspect_from(raw: object, where: str) -> SuspectStart:
    raw = check_keys(raw, _SUSPECT_KEYS, where)
    address = text_at(raw, "address", where)
    if _ADDRESS.fullmatch(address) is None:
        raise ShapeError(f"{where}.address: expected an address such as allhands.landscape, found {encode(address)}")
    return SuspectStart(
        address=address,
        meeting_id=id_at(raw, "meeting_id", where),
        api_time=time_at(raw, "api_time", where),
        fields=_fields(raw, where),
        sensitive_digest=optional_text_at(raw, "sensitive_digest", where),
    )


def binding_from(raw: object, where: str) -> Binding | None:
    if raw is None:
        return None
    raw = check_keys(raw, _BINDING_KEYS, where)
    return Binding(
        account_id=text_at(raw, "account_id", where),
        app_id=text_at(raw, "app_id", where),
        api=text_at(raw, "api", where),
    )
