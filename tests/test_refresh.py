"""`refresh_state` against the in-memory provider: statuses, vanished recordings, uncertain starts, list vs GET."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from providers import TransportError
from providers._fake import FakeProvider
from reconciler._time import format_time
from reconciler.refresh import LIST_THRESHOLD, refresh_state
from state import PendingStart, RecordingEntry, State

MEETING = "5c0a4b4e-3f8e-4a55-9d4b-0c7f3b2a9e11"
OTHER_MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return T0 + timedelta(minutes=10)


def tracked(fake: FakeProvider, status: str = "RECORDING", meeting: str = MEETING) -> RecordingEntry:
    recording = fake.add(meeting, status="RECORDING", invoked_time=T0, allow_multiple=True)
    return RecordingEntry(
        meeting_id=meeting, recording_id=recording.id, status=status, invoked_time=format_time(T0), updated_at="x"
    )


def test_status_change_is_recorded() -> None:
    fake = FakeProvider(clock=clock)
    entry = tracked(fake)
    fake.set_status(entry.recording_id, "UPLOADED")
    result = refresh_state(State(lineage="l", recordings={"a.b": entry}), fake, clock=clock)
    assert result.state.recordings["a.b"].status == "UPLOADED"
    assert [event.kind for event in result.events] == ["status"]


def test_unchanged_state_is_equal() -> None:
    fake = FakeProvider(clock=clock)
    current = State(lineage="l", recordings={"a.b": tracked(fake)})
    result = refresh_state(current, fake, clock=clock)
    assert result.state.same_content(current)
    assert result.events == ()


def test_vanished_recording_becomes_missing() -> None:
    fake = FakeProvider(clock=clock)
    entry = tracked(fake)
    fake.forget(entry.recording_id)
    result = refresh_state(State(lineage="l", recordings={"a.b": entry}), fake, clock=clock)
    assert result.state.recordings["a.b"].status == "VANISHED"
    assert not result.state.recordings["a.b"].present


def test_uploaded_recording_is_history_and_not_read() -> None:
    fake = FakeProvider(clock=clock)
    entry = tracked(fake, status="UPLOADED")
    fake.forget(entry.recording_id)
    result = refresh_state(State(lineage="l", recordings={"a.b": entry}), fake, clock=clock)
    assert result.state.recordings["a.b"].status == "UPLOADED"
    assert fake.calls == []


def test_many_recordings_use_one_list_not_a_get_each() -> None:
    fake = FakeProvider(clock=clock)
    entries = {f"m{i}.r": tracked(fake) for i in range(LIST_THRESHOLD * 4)}
    refresh_state(State(lineage="l", recordings=entries), fake, clock=clock)
    assert [call[0] for call in fake.calls] == ["list"]


def test_few_recordings_use_gets() -> None:
    fake = FakeProvider(clock=clock)
    entries = {f"m{i}.r": tracked(fake) for i in range(2)}
    refresh_state(State(lineage="l", recordings=entries), fake, clock=clock)
    assert [call[0] for call in fake.calls] == ["get", "get"]


def pending_at(moment: datetime) -> PendingStart:
    return PendingStart(meeting_id=MEETING, time=format_time(moment), fields={"max_seconds": 600})


def test_uncertain_start_that_created_one_recording_is_adopted() -> None:
    fake = FakeProvider(clock=clock)
    created = fake.add(MEETING, invoked_time=T0 + timedelta(seconds=1))
    result = refresh_state(State(lineage="l", pending={"a.b": pending_at(T0)}), fake, clock=clock)
    adopted = result.state.recordings["a.b"]
    assert adopted.recording_id == created.id
    assert dict(adopted.fields) == {"max_seconds": 600}
    assert result.state.pending == {}
    assert [event.kind for event in result.events] == ["adopted"]


def test_uncertain_start_that_created_nothing_is_cleared() -> None:
    fake = FakeProvider(clock=clock)
    fake.add(OTHER_MEETING, invoked_time=T0 + timedelta(seconds=1))  # another meeting's: not a candidate
    result = refresh_state(State(lineage="l", pending={"a.b": pending_at(T0)}), fake, clock=clock)
    assert result.state.recordings == {}
    assert result.state.pending == {}
    assert [event.kind for event in result.events] == ["none-created"]


def test_owned_and_older_recordings_are_never_adopted() -> None:
    fake = FakeProvider(clock=clock)
    owned = tracked(fake)  # invoked at T0, but already behind an address
    fake.add(MEETING, invoked_time=T0 - timedelta(hours=1), status="UPLOADED")  # long before the intent
    current = State(lineage="l", recordings={"x.y": owned}, pending={"a.b": pending_at(T0)})
    result = refresh_state(current, fake, clock=clock)
    assert "a.b" not in result.state.recordings


def test_several_candidates_adopt_the_earliest_and_report_the_rest() -> None:
    fake = FakeProvider(clock=clock)
    first = fake.add(MEETING, invoked_time=T0 + timedelta(seconds=1), allow_multiple=True)
    second = fake.add(MEETING, invoked_time=T0 + timedelta(seconds=2), allow_multiple=True)
    result = refresh_state(State(lineage="l", pending={"a.b": pending_at(T0)}), fake, clock=clock)
    assert result.state.recordings["a.b"].recording_id == first.id
    untracked = [event for event in result.events if event.kind == "untracked"]
    assert [event.recording_id for event in untracked] == [second.id]


def test_settle_waits_before_trusting_none() -> None:
    fake = FakeProvider(clock=clock)
    slept: list[float] = []
    current = State(lineage="l", pending={"a.b": pending_at(clock() - timedelta(seconds=1))})
    refresh_state(current, fake, settle=timedelta(seconds=5), clock=clock, sleep=slept.append)
    assert slept == [4.0]


def test_old_intent_needs_no_wait() -> None:
    fake = FakeProvider(clock=clock)
    slept: list[float] = []
    refresh_state(
        State(lineage="l", pending={"a.b": pending_at(T0)}),
        fake,
        settle=timedelta(seconds=5),
        clock=clock,
        sleep=slept.append,
    )
    assert slept == []


def test_api_failure_propagates_and_keeps_pending() -> None:
    fake = FakeProvider(clock=clock)
    fake.fail_next("list", TransportError("connection refused"))
    current = State(lineage="l", pending={"a.b": pending_at(T0)})
    with pytest.raises(TransportError):
        refresh_state(current, fake, clock=clock)
    assert "a.b" in current.pending  # the input state is untouched


def test_recordings_active_for_days_are_read_alone_not_listed_since() -> None:
    fake = FakeProvider(clock=clock)
    old = fake.add(MEETING, invoked_time=T0 - timedelta(days=30), allow_multiple=True)
    stale = RecordingEntry(MEETING, old.id, "RECORDING", invoked_time=format_time(T0 - timedelta(days=30)))
    entries = {f"m{i}.r": tracked(fake) for i in range(LIST_THRESHOLD + 1)} | {"old.r": stale}
    refresh_state(State(lineage="l", recordings=entries), fake, clock=clock)
    assert [call[0] for call in fake.calls] == ["list", "get"]  # the list starts at the recent ones
