"""The state document and the journal records folded into it. Pure data: no I/O here.

A state maps addresses (`allhands.landscape`) to the recording the tool started or adopted for them. It never
holds a secret: only `sensitive_digest`, a salted digest of the sensitive fields a recording was started with.
Beside the recordings it keeps what exactly-once needs (design §5): the starts whose outcome is not known yet
(`pending`), the starts concluded to have created nothing that the API might still act on (`suspects`, for a
day), and what the state is bound to (`binding`: the account, app and API it was made with).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "FINAL_STATUSES",
    "FORMAT_VERSION",
    "KNOWN_STATUSES",
    "PRESENT_STATUSES",
    "VANISHED",
    "Binding",
    "ClearRecord",
    "IntentRecord",
    "JournalRecord",
    "PendingStart",
    "PutRecord",
    "RecordingEntry",
    "State",
    "SuspectStart",
    "fold",
]

FORMAT_VERSION = 2  # 2: binding, suspects, and the API's time of pending starts; version 1 is read as well

# Statuses for which a recording counts as present (design §4). Anything else (ERRORED, or VANISHED: the API
# answered 404 for a recording that had not reached UPLOADED) counts as missing.
PRESENT_STATUSES: frozenset[str] = frozenset({"INVOKED", "RECORDING", "PAUSED", "UPLOADING", "UPLOADED"})
# The tool's own status for a recording the API forgot before it reached UPLOADED.
VANISHED = "VANISHED"
# Every status a state may hold: the API's (ERRORED included) and the tool's own VANISHED.
KNOWN_STATUSES: frozenset[str] = PRESENT_STATUSES | {"ERRORED", VANISHED}
# Statuses that never change again: refresh does not ask the API about them.
FINAL_STATUSES: frozenset[str] = frozenset({"UPLOADED", "ERRORED", VANISHED})


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class RecordingEntry:
    """The recording behind one address.

    `status` is the API's status as last seen, or `VANISHED` when the API no longer knows a recording that had
    not reached UPLOADED. `fields` are the non-sensitive start fields it was started with (as declared, merged
    with defaults); `sensitive_digest` is `"<salt>$<hex>"` over the sensitive ones, or None when there were none.
    Times are ISO 8601 strings in UTC.
    """

    meeting_id: str
    recording_id: str
    status: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    sensitive_digest: str | None = None
    invoked_time: str | None = None
    updated_at: str = ""

    @property
    def present(self) -> bool:
        return self.status in PRESENT_STATUSES


@dataclass(frozen=True, slots=True)
class PendingStart:
    """A start that was sent but whose outcome is unknown (design §5.3): resolve it from the API."""

    meeting_id: str
    time: str  # ISO 8601 UTC, when the intent was journaled (before the request was sent), on the local clock
    # What the start carried (non-sensitive fields, digest of the sensitive ones), so that an adopted
    # recording is stored exactly as if the start had answered.
    fields: Mapping[str, Any] = field(default_factory=dict)
    sensitive_digest: str | None = None
    api_time: str | None = None  # the same instant on the API's clock, when the run knew it (it always should)


@dataclass(frozen=True, slots=True)
class SuspectStart:
    """A start concluded to have created nothing, kept on record for a day in case the API acts on it late
    (design §5.4): a recording of its meeting that appears, unowned and invoked after `api_time`, is its doing."""

    address: str
    meeting_id: str
    api_time: str  # when the intent was journaled, on the API's clock
    fields: Mapping[str, Any] = field(default_factory=dict)
    sensitive_digest: str | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    """What a state is bound to (design §5.7): the account, the app and the API (its base URL) it was made with."""

    account_id: str
    app_id: str
    api: str

    def __str__(self) -> str:
        return f"account {self.account_id}, app {self.app_id} at {self.api}"


@dataclass(frozen=True, slots=True)
class State:
    """One generation of the state. `serial` grows by one with every change of content."""

    lineage: str
    serial: int = 0
    tool_version: str = ""
    recordings: Mapping[str, RecordingEntry] = field(default_factory=dict)
    pending: Mapping[str, PendingStart] = field(default_factory=dict)
    suspects: tuple[SuspectStart, ...] = ()
    binding: Binding | None = None
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "recordings", _frozen(self.recordings))
        object.__setattr__(self, "pending", _frozen(self.pending))
        object.__setattr__(self, "suspects", tuple(self.suspects))

    def same_content(self, other: State) -> bool:
        """True when both hold the same content (lineage, serial, version aside)."""
        return (
            dict(self.recordings) == dict(other.recordings)
            and dict(self.pending) == dict(other.pending)
            and self.suspects == other.suspects
            and self.binding == other.binding
        )

    def with_recordings(self, recordings: Mapping[str, RecordingEntry]) -> State:
        return replace(self, recordings=recordings)


# --- journal records -------------------------------------------------------------------------------------------
# One record per line in the journal. Applying them in order to a state gives the state after the run.


@dataclass(frozen=True, slots=True)
class IntentRecord:
    """Written and fsynced before a start request is sent: the start is pending until an outcome follows."""

    address: str
    meeting_id: str
    time: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    sensitive_digest: str | None = None
    api_time: str | None = None
    op: Literal["start"] = "start"


@dataclass(frozen=True, slots=True)
class PutRecord:
    """The recording now behind `address` (a start's result, a status change, an adoption)."""

    address: str
    entry: RecordingEntry


@dataclass(frozen=True, slots=True)
class ClearRecord:
    """The pending start of `address` is settled with nothing created (a certain failure, or resolved to none)."""

    address: str
    reason: str = ""


JournalRecord = IntentRecord | PutRecord | ClearRecord


def fold(state: State, records: Iterable[JournalRecord]) -> State:
    """The state after applying `records` in order. Serial and lineage are left to the store."""
    recordings = dict(state.recordings)
    pending = dict(state.pending)
    for record in records:
        if isinstance(record, IntentRecord):
            pending[record.address] = PendingStart(
                meeting_id=record.meeting_id,
                time=record.time,
                fields=record.fields,
                sensitive_digest=record.sensitive_digest,
                api_time=record.api_time,
            )
        elif isinstance(record, PutRecord):
            recordings[record.address] = record.entry
            pending.pop(record.address, None)
        else:
            pending.pop(record.address, None)
    return replace(state, recordings=recordings, pending=pending)
