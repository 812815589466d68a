"""The JSON forms of the state, journal records and lock owners: canonical out, strict in."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

import pytest

from state import (
    Binding,
    ClearRecord,
    IntentRecord,
    JournalError,
    JournalRecord,
    LockInfo,
    PendingStart,
    PutRecord,
    RecordingEntry,
    State,
    StateFileError,
    SuspectStart,
    state_document,
)
from state._codec import content_of, decode_state, encode_state
from state._records import decode_journal, decode_lock_info, decode_record, encode_lock_info, encode_record

LINEAGE = "8f4fe2a1-214e-4297-8810-73c43cfc3948"
ENTRY = RecordingEntry(
    "m-1", "rec-1", "RECORDING", {"video_config": {"width": 1280}}, "salt$hex", "2026-11-01T10:00:00.000Z", "t1"
)


def state(*addresses: str, serial: int = 4) -> State:
    recordings = {address: ENTRY for address in addresses}
    pending = {"z.pending": PendingStart("m-2", "2026-11-01T10:00:05.000Z", {"max_seconds": 60}, None)}
    return State(lineage=LINEAGE, serial=serial, tool_version="1.2.3", recordings=recordings, pending=pending)


def test_the_same_state_always_gives_the_same_bytes_one_address_a_line() -> None:
    forwards = encode_state(state("b.two", "a.one", "c.three"))
    backwards = encode_state(state("c.three", "a.one", "b.two"))
    assert forwards == backwards
    lines = forwards.decode().splitlines()
    assert lines[1].startswith('"binding":')
    assert [line.split(":")[0] for line in lines[3:6]] == ['"a.one"', '"b.two"', '"c.three"']
    assert json.loads(forwards) == state_document(state("a.one", "b.two", "c.three"))


def test_a_state_decodes_to_what_was_encoded() -> None:
    original = state("a.one", "b.two")
    assert decode_state(encode_state(original), source="s.json") == original
    empty = State(lineage=LINEAGE)
    assert decode_state(encode_state(empty), source="s.json") == empty


def test_the_binding_and_the_suspects_are_kept_and_belong_to_the_content() -> None:
    bound = replace(
        state("a.one"),
        binding=Binding("acc", "app", "https://api.cloudflare.com/client/v4"),
        suspects=(SuspectStart("a.one", "m-1", "2026-11-01T10:00:00.000Z", {"max_seconds": 60}, None),),
    )
    assert decode_state(encode_state(bound), source="s.json") == bound
    assert content_of(encode_state(bound)) != content_of(encode_state(state("a.one")))
    rebound = replace(bound, binding=Binding("acc", "other-app", "https://api.cloudflare.com/client/v4"))
    assert content_of(encode_state(bound)) != content_of(encode_state(rebound))


def test_a_version_1_file_is_read_unbound_and_without_suspects() -> None:
    document = state_document(state("a.one"))
    document["format_version"] = 1
    del document["binding"], document["suspects"]
    for start in document["pending"].values():
        del start["api_time"]
    read = decode_state(json.dumps(document).encode(), source="s.json")
    assert read == state("a.one")
    assert (read.binding, read.suspects) == (None, ())


@pytest.mark.parametrize("bad", ["..", "a/b", "x y", "", "\x1b]0;owned\x07"])
@pytest.mark.parametrize("key", ["recording_id", "meeting_id"])
def test_an_id_that_could_change_a_url_is_refused(bad: str, key: str) -> None:
    document = state_document(state("a.one"))
    document["recordings"]["a.one"][key] = bad
    with pytest.raises(StateFileError, match=f"a.one.*{key}: expected an id of letters, digits, - and _"):
        decode_state(json.dumps(document).encode(), source="s.json")


def test_any_json_layout_is_read() -> None:
    document = json.dumps(state_document(state("a.one")), indent=3).encode()
    assert decode_state(document, source="s.json") == state("a.one")


def test_the_content_part_ignores_the_header_only() -> None:
    assert content_of(encode_state(state("a.one", serial=1))) == content_of(encode_state(state("a.one", serial=9)))
    assert content_of(encode_state(state("a.one"))) != content_of(encode_state(state("a.two")))


def test_read_only_mappings_are_written_as_objects() -> None:
    frozen = RecordingEntry("m", "r", "RECORDING", MappingProxyType({"a": MappingProxyType({"b": 1})}))
    decoded = decode_state(encode_state(State(lineage=LINEAGE, recordings={"x.y": frozen})), source="s")
    assert decoded.recordings["x.y"].fields == {"a": {"b": 1}}


def test_a_value_json_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError, match="set cannot be stored"):
        encode_state(State(lineage=LINEAGE, recordings={"x.y": RecordingEntry("m", "r", "S", {"a": {1, 2}})}))


RECORDS: dict[str, JournalRecord] = {
    "intent": IntentRecord("a.b", "m-1", "2026-11-01T10:00:00.000Z", {"max_seconds": 60}, "salt$hex"),
    "intent-bare": IntentRecord("a.b", "m-1", "2026-11-01T10:00:00.000Z"),
    "put": PutRecord("a.b", ENTRY),
    "clear": ClearRecord("a.b", "refused: 422"),
}


@pytest.mark.parametrize("record", RECORDS.values(), ids=RECORDS.keys())
def test_a_record_is_one_line_that_decodes_to_itself(record: JournalRecord) -> None:
    line = encode_record(record)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert decode_record(line, source="j", line_number=1) == record


def test_a_journal_without_its_final_newline_ends_with_a_torn_record() -> None:
    lines = [encode_record(record) for record in RECORDS.values()]
    whole = b"".join(lines)
    assert decode_journal(whole, source="j") == list(RECORDS.values())
    assert decode_journal(whole + lines[0][:-1], source="j") == list(RECORDS.values())
    assert decode_journal(b"", source="j") == []


BAD_LINES: dict[str, tuple[bytes, str]] = {
    "not-json": (b"{nope", "not valid JSON"),
    "not-an-object": (b"[1]", "kind: expected intent, put or clear, found null"),
    "unknown-kind": (b'{"kind":"start","address":"a.b"}', "kind: expected intent, put or clear"),
    "kind-not-text": (b'{"kind":["put"],"address":"a.b"}', "found an array"),
    "missing-key": (b'{"kind":"clear","reason":""}', "the record: missing address"),
    "unknown-key": (b'{"kind":"clear","address":"a.b","reason":"","why":1}', "the record: unknown why"),
    "address-number": (
        b'{"kind":"clear","address":5,"reason":""}',
        "the record.address: expected a string, found the number 5",
    ),
    "op-not-start": (
        b'{"kind":"intent","op":"stop","address":"a","meeting_id":"m","time":"2026-11-01T10:00:00.000Z","fields":{},"sensitive_digest":null}',
        'op: expected "start"',
    ),
    "intent-fields-list": (
        b'{"kind":"intent","op":"start","address":"a","meeting_id":"m","time":"2026-11-01T10:00:00.000Z","fields":[],"sensitive_digest":null}',
        "the record.fields: expected an object",
    ),
    "put-entry-incomplete": (b'{"kind":"put","address":"a.b","entry":{"status":"X"}}', "entry: missing fields"),
}


@pytest.mark.parametrize(("line", "says"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_damaged_record_is_refused_naming_file_and_line(line: bytes, says: str) -> None:
    good = encode_record(ClearRecord("a.b"))
    with pytest.raises(JournalError) as refused:
        decode_journal(good + good + line + b"\n" + good, source="s.json.journal")
    assert (refused.value.location, refused.value.line) == ("s.json.journal", 3)
    assert "the journal s.json.journal is damaged at record 3" in str(refused.value)
    assert says in str(refused.value)


def test_a_lock_owner_round_trips_and_garbage_names_no_one() -> None:
    info = LockInfo(id="i", operation="apply", who="ann", host="box", pid=42, created="2025-01-01T00:00:00+00:00")
    assert decode_lock_info(encode_lock_info(info)) == info
    for garbage in (b"", b"{", b"\xff", b"[]", b'{"id":"i"}', encode_lock_info(info).replace(b"42", b'"42"')):
        assert decode_lock_info(garbage) is None


@pytest.mark.parametrize("section", ["recordings", "pending"])
def test_an_address_that_could_forge_a_printed_line_is_refused(section: str) -> None:
    document = state_document(state("a.one"))
    forged = "a.b\n# z.forged"
    document[section][forged] = (
        document["recordings"]["a.one"] if section == "recordings" else document["pending"]["z.pending"]
    )
    with pytest.raises(StateFileError, match=r"expected addresses such as allhands\.landscape as keys"):
        decode_state(json.dumps(document).encode(), source="s.json")
