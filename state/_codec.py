"""The state document as JSON: canonical on write, strict on read.

A state file is laid out one address a line, addresses sorted, so that it diffs and greps well and the same
state always gives the same bytes:

    {"format_version":2,"lineage":"…","serial":3,"tool_version":"0.1.0",
    "binding":{"account_id":"…","api":"https://api.cloudflare.com/client/v4","app_id":"…"},
    "recordings":{
    "allhands.landscape":{"fields":{…},"invoked_time":"…","meeting_id":"…",…},
    "standup.default":{…}
    },
    "pending":{
    "allhands.portrait":{"api_time":"…","fields":{…},"meeting_id":"…","sensitive_digest":null,"time":"…"}
    },
    "suspects":[
    {"address":"…","api_time":"…","fields":{…},"meeting_id":"…","sensitive_digest":null}
    ]}

The first line is the header; everything after it is the content (`content_of`), so a store can tell whether
a write changes anything by comparing bytes rather than entry by entry. Reading accepts any JSON layout but
checks every key and type: a wrong document is refused, never half-read. A version 1 file (no binding, no
suspects, no `api_time`) is read as well, and written back as version 2. Plain `json` and hand-written checks
keep 100,000 entries fast (`benchmarks/bench_state.py`).
"""

from __future__ import annotations

from typing import Any

from state._errors import StateFileError
from state._json import (
    ENTRY_KEYS,
    ShapeError,
    binding_document,
    binding_from,
    check_keys,
    encode,
    entry_document,
    entry_from,
    expected,
    is_address,
    is_plain_id,
    is_shallow,
    is_time,
    load,
    pending_document,
    pending_from,
    suspect_document,
    suspect_from,
)
from state._model import FORMAT_VERSION, KNOWN_STATUSES, PendingStart, RecordingEntry, State, SuspectStart

__all__ = ["content_of", "decode_state", "encode_state", "state_document"]

_STATE_KEYS_V1 = frozenset({"format_version", "lineage", "serial", "tool_version", "recordings", "pending"})
_STATE_KEYS = _STATE_KEYS_V1 | {"binding", "suspects"}


def encode_state(state: State) -> bytes:
    """The canonical file content of `state` (always written as the current FORMAT_VERSION)."""
    header = (
        f'{{"format_version":{FORMAT_VERSION},"lineage":{encode(state.lineage)},'
        f'"serial":{encode(state.serial)},"tool_version":{encode(state.tool_version)},\n'
    )
    recordings, pending = state.recordings, state.pending
    entries = [f"{encode(a)}:{encode(entry_document(recordings[a]))}" for a in sorted(recordings)]
    starts = [f"{encode(a)}:{encode(pending_document(pending[a]))}" for a in sorted(pending)]
    suspects = [encode(suspect_document(suspect)) for suspect in state.suspects]
    body = (
        f'"binding":{encode(binding_document(state.binding))},\n'
        + _section("recordings", entries)
        + ",\n"
        + _section("pending", starts)
        + ",\n"
        + _section("suspects", suspects, brackets=("[", "]"))
        + "}\n"
    )
    return (header + body).encode("ascii")


def _section(name: str, lines: list[str], brackets: tuple[str, str] = ("{", "}")) -> str:
    opening, closing = brackets
    if not lines:
        return f'"{name}":{opening}{closing}'
    return f'"{name}":{opening}\n' + ",\n".join(lines) + f"\n{closing}"


def content_of(data: bytes) -> bytes:
    """The content part of a canonical state file: equal for two files exactly when their content is equal."""
    return data.partition(b"\n")[2]


def state_document(state: State) -> dict[str, Any]:
    """The state as a JSON-ready object, laid out as in the file (for `show --json`)."""
    return {
        "format_version": FORMAT_VERSION,
        "lineage": state.lineage,
        "serial": state.serial,
        "tool_version": state.tool_version,
        "binding": binding_document(state.binding),
        "recordings": {a: entry_document(state.recordings[a]) for a in sorted(state.recordings)},
        "pending": {a: pending_document(state.pending[a]) for a in sorted(state.pending)},
        "suspects": [suspect_document(suspect) for suspect in state.suspects],
    }


def decode_state(data: bytes, *, source: str) -> State:
    """The state in `data`, checked key by key; raises StateFileError naming `source`."""
    try:
        raw, version = _check_format(load(data), source)
        lineage, serial, tool_version = raw["lineage"], raw["serial"], raw["tool_version"]
        if type(lineage) is not str or not lineage:
            raise expected("lineage", "a non-empty string", lineage)
        if type(serial) is not int or serial < 0:
            raise expected("serial", "a whole number of 0 or more", serial)
        if type(tool_version) is not str:
            raise expected("tool_version", "a string", tool_version)
        recordings = _recordings(raw["recordings"])
        pending = _pending(raw["pending"], version)
        suspects = _suspects(raw.get("suspects", []))
        binding = binding_from(raw.get("binding"), "binding")
        return State(lineage, serial, tool_version, recordings, pending, suspects, binding)
    except ShapeError as problem:
        raise StateFileError(
            f"the state {source} is damaged: {problem}. Nothing was changed", location=source
        ) from None


def _check_format(document: object, source: str) -> tuple[dict[str, Any], int]:
    if type(document) is not dict:
        raise expected("the document", "an object", document)
    if "format_version" not in document:
        raise ShapeError("it has no format_version (is it a reconciler state file?)")
    version = document["format_version"]
    if type(version) is int and version > FORMAT_VERSION:
        raise StateFileError(
            f"the state {source} has format_version {version}, newer than this reconciler reads ({FORMAT_VERSION}). "
            "Nothing was changed",
            location=source,
            newer=True,
        )
    if version not in (1, FORMAT_VERSION) or type(version) is not int:
        raise expected("format_version", f"1 or {FORMAT_VERSION}", version)
    return check_keys(document, _STATE_KEYS if version == FORMAT_VERSION else _STATE_KEYS_V1, "the document"), version


def _mapping(raw: object, where: str) -> dict[str, Any]:
    """An object keyed by address; every key an address as the configuration makes them (`meeting.recording`), so
    that no key read from a file can forge a line of what is printed."""
    if type(raw) is not dict:
        raise expected(where, "an object keyed by address", raw)
    for address in raw:
        if not is_address(address):
            raise ShapeError(f"{where}: expected addresses such as allhands.landscape as keys, found {encode(address)}")
    return raw


def _recordings(raw: object) -> dict[str, RecordingEntry]:
    """The recordings section. The common case (every entry well formed) takes a fast path with no per-key
    calls; an entry that fails it goes through `entry_from`, which says exactly what is wrong."""
    recordings: dict[str, RecordingEntry] = {}
    for address, entry in _mapping(raw, "recordings").items():
        try:
            meeting_id, recording_id, status = entry["meeting_id"], entry["recording_id"], entry["status"]
            fields, digest, invoked = entry["fields"], entry["sensitive_digest"], entry["invoked_time"]
            updated_at = entry["updated_at"]
            well_formed = (
                len(entry) == len(ENTRY_KEYS)
                and type(meeting_id) is str
                and type(recording_id) is str
                and is_plain_id(meeting_id)
                and is_plain_id(recording_id)
                and type(status) is str
                and status in KNOWN_STATUSES
                and type(fields) is dict
                and is_shallow(fields)
                and (digest is None or type(digest) is str)
                and (invoked is None or (type(invoked) is str and is_time(invoked)))
                and type(updated_at) is str
            )
        except (KeyError, TypeError):
            well_formed = False
        if well_formed:
            recordings[address] = RecordingEntry(meeting_id, recording_id, status, fields, digest, invoked, updated_at)
        else:
            recordings[address] = entry_from(entry, f"recordings[{encode(address)}]")
    return recordings


def _pending(raw: object, version: int) -> dict[str, PendingStart]:
    return {
        address: pending_from(start, f"pending[{encode(address)}]", version=version)
        for address, start in _mapping(raw, "pending").items()
    }


def _suspects(raw: object) -> tuple[SuspectStart, ...]:
    if type(raw) is not list:
        raise expected("suspects", "an array", raw)
    return tuple(suspect_from(item, f"suspects[{index}]") for index, item in enumerate(raw))
