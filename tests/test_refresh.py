"""`refresh_state` against the in-memory provider: statuses with their meetings checked, vanished recordings,
uncertain starts resolved on the API's clock, suspects watched for a day. The fake's clock is the API's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from providers import Recording, StartedBy, TransportError
from providers._fake import FakeProvider
from reconciler._resolve import SETTLE_BOUND, SUSPECT_FOR
from reconciler._statuses import LIST_THRESHOLD
from reconciler._time import format_time
from reconciler.refresh import RefreshResult, refresh_state
from state import Binding, PendingStart, RecordingEntry, State, SuspectStart

MEETING = "5c0a4b4e-3f8e-4a55-9d4b-0c7f3b2a9e11"
OTHER_MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=10)  # the API's time during these refreshes
BINDING = Binding("acc", "app", "https://api.cloudflare.com/client/v4")


def fake_at(now: datetime = NOW) -> FakeProvider:
    return FakeProvider(clock=lambda: now)


def refresh(state: State, fake: FakeProvider) -> RefreshResult:
    return refresh_state(state, fake, bound=SETTLE_BOUND, clock=lambda: NOW)


def kinds(result: RefreshResult) -> list[str]:
    return [event.kind for event in result.events]


def tracked(fake: FakeProvider, status: str = "RECORDING", meeting: str = MEETING) -> RecordingEntry:
    recording = fake.add(meeting, status="RECORDING", invoked_time=T0, allow_multiple=True)
    return RecordingEntry(
        meeting_id=meeting, recording_id=recording.id, status=status, invoked_time=format_time(T0), updated_at="x"
    )


def api_calls(fake: FakeProvider) -> list[str]:
    return [call[0] for call in fake.calls]


# --- statuses ----------------------------------------------------------------------------------------------------


def test_status_change_is_recorded() -> None:
    fake = fake_at()
    entry = tracked(fake)
    fake.set_status(entry.recording_id, "UPLOADED")
    result = refresh(State(lineage="l", recordings={"a.b": entry}), fake)
    assert result.state.recordings["a.b"].status == "UPLOADED"
    assert kinds(result) == ["status"]


def test_unchanged_state_is_equal_and_the_access_is_checked_first() -> None:
    fake = fake_at()
    current = State(lineage="l", recordings={"a.b": tracked(fake)})
    result = refresh(current, fake)
    assert result.state.same_content(current)
    assert result.events == ()
    assert api_calls(fake)[0] == "check"


def test_vanished_recording_becomes_missing() -> None:
    fake = fake_at()
    entries = {"a.b": tracked(fake), "c.d": tracked(fake)}
    fake.forget(entries["a.b"].recording_id)
    result = refresh(State(lineage="l", recordings=entries), fake)
    assert result.state.recordings["a.b"].status == "VANISHED"
    assert not result.state.recordings["a.b"].present
    assert result.state.recordings["c.d"].status == "RECORDING"


def test_when_the_api_knows_none_of_the_recordings_none_is_taken_as_gone() -> None:
    fake = fake_at()
    entries = {f"m{n}.r": tracked(fake) for n in range(3)}
    for entry in entries.values():
        fake.forget(entry.recording_id)
    result = refresh(State(lineage="l", recordings=entries), fake)
    assert {entry.status for entry in result.state.recordings.values()} == {"RECORDING"}
    assert kinds(result) == ["unverified"] * 3
    assert "is this the right API and app?" in result.events[0].message


def test_a_recording_id_the_api_knows_under_another_meeting_is_not_ours() -> None:
    fake = fake_at()
    theirs = fake.add(OTHER_MEETING, invoked_time=T0)
    mine = RecordingEntry(MEETING, theirs.id, "RECORDING", invoked_time=format_time(T0), updated_at="x")
    kept = tracked(fake)
    result = refresh(State(lineage="l", recordings={"a.b": mine, "c.d": kept}), fake)
    assert result.state.recordings["a.b"].status == "VANISHED"
    assert kinds(result) == ["foreign"]
    assert f"not as a recording of meeting {MEETING}" in result.events[0].message


def test_uploaded_recording_is_history_and_not_read() -> None:
    fake = fake_at()
    entry = tracked(fake, status="UPLOADED")
    fake.forget(entry.recording_id)
    result = refresh(State(lineage="l", recordings={"a.b": entry}), fake)
    assert result.state.recordings["a.b"].status == "UPLOADED"
    assert api_calls(fake) == ["check"]


def test_many_recordings_use_one_list_not_a_lookup_each() -> None:
    fake = fake_at()
    entries = {f"m{i}.r": tracked(fake) for i in range(LIST_THRESHOLD * 4)}
    refresh(State(lineage="l", recordings=entries), fake)
    assert api_calls(fake) == ["check", "list"]


def test_few_recordings_are_looked_up_in_their_meetings_list() -> None:
    fake = fake_at()
    entries = {f"m{i}.r": tracked(fake) for i in range(2)}
    refresh(State(lineage="l", recordings=entries), fake)
    assert api_calls(fake) == ["check", "list", "list"]


def test_recordings_active_for_days_are_looked_up_alone_not_listed_since() -> None:
    fake = fake_at()
    old = fake.add(MEETING, invoked_time=T0 - timedelta(days=30), allow_multiple=True)
    stale = RecordingEntry(MEETING, old.id, "RECORDING", invoked_time=format_time(T0 - timedelta(days=30)))
    entries = {f"m{i}.r": tracked(fake) for i in range(LIST_THRESHOLD + 1)} | {"old.r": stale}
    refresh(State(lineage="l", recordings=entries), fake)
    assert api_calls(fake) == ["check", "list", "list"]  # the app's recent ones, then the old one's meeting


# --- uncertain starts ----------------------------------------------------------------------------------------------


def pending_at(moment: datetime, meeting: str = MEETING) -> PendingStart:
    """A start whose intent was journaled at `moment` on the API's clock (its local time is far off: unused)."""
    local = moment + timedelta(hours=3)
    return PendingStart(meeting, format_time(local), {"max_seconds": 600}, None, format_time(moment))


def test_an_uncertain_start_that_created_one_recording_is_adopted_at_once() -> None:
    fake = fake_at()
    intent = NOW - timedelta(seconds=2)
    created = fake.add(MEETING, invoked_time=intent + timedelta(seconds=1))
    result = refresh(State(lineage="l", pending={"a.b": pending_at(intent)}), fake)
    adopted = result.state.recordings["a.b"]
    assert adopted.recording_id == created.id
    assert dict(adopted.fields) == {"max_seconds": 600}
    assert result.state.pending == {}
    assert kinds(result) == ["adopted"]


def test_an_uncertain_start_with_nothing_found_stays_pending_until_the_bound() -> None:
    fake = fake_at()
    intent = NOW - timedelta(seconds=30)
    result = refresh(State(lineage="l", pending={"a.b": pending_at(intent)}), fake)
    assert set(result.state.pending) == {"a.b"}
    assert kinds(result) == ["pending"]
    assert f"held back until {format_time(intent + SETTLE_BOUND)}" in result.events[0].message


def test_an_uncertain_start_with_nothing_found_after_the_bound_created_nothing_and_becomes_a_suspect() -> None:
    fake = fake_at()
    fake.add(OTHER_MEETING, invoked_time=T0 + timedelta(seconds=1))  # another meeting's: not a candidate
    result = refresh(State(lineage="l", pending={"a.b": pending_at(T0)}), fake)
    assert result.state.recordings == {}
    assert result.state.pending == {}
    assert result.state.suspects == (SuspectStart("a.b", MEETING, format_time(T0), {"max_seconds": 600}, None),)
    assert kinds(result) == ["none-created"]


def test_owned_older_and_foreign_recordings_are_never_adopted() -> None:
    fake = fake_at()
    owned = tracked(fake)  # invoked at T0, but already behind an address
    fake.add(MEETING, invoked_time=T0 - timedelta(hours=1), status="UPLOADED")  # long before the intent
    fake.add(MEETING, invoked_time=T0, allow_multiple=True, started_by=StartedBy("API_CALL", "USER"))  # a person
    fake.add(MEETING, invoked_time=T0, allow_multiple=True, started_by=StartedBy("RECORD_ON_START", None))
    current = State(lineage="l", recordings={"x.y": owned}, pending={"a.b": pending_at(T0)})
    result = refresh(current, fake)
    assert "a.b" not in result.state.recordings
    assert kinds(result) == ["none-created"]


def test_several_candidates_adopt_none_and_name_each_with_the_command_that_settles_it() -> None:
    fake = fake_at()
    first = fake.add(MEETING, invoked_time=T0 + timedelta(seconds=1), allow_multiple=True)
    second = fake.add(MEETING, invoked_time=T0 + timedelta(seconds=2), allow_multiple=True)
    result = refresh(State(lineage="l", pending={"a.b": pending_at(T0)}), fake)
    assert "a.b" not in result.state.recordings
    assert set(result.state.pending) == {"a.b"}
    (event,) = result.events
    assert event.kind == "ambiguous"
    assert first.id in event.message
    assert second.id in event.message
    assert "reconciler import a.b RECORDING_ID" in event.message


class UnfilteredFake(FakeProvider):
    """An API whose list ignores the meeting filter: every recording must be checked for its meeting."""

    def list(self, *, meeting_id: str | None = None, since: datetime | None = None) -> Iterator[Recording]:
        return super().list(since=since)


def test_a_listed_recording_of_another_meeting_is_never_adopted() -> None:
    fake = UnfilteredFake(clock=lambda: NOW)
    fake.add(OTHER_MEETING, invoked_time=T0 + timedelta(seconds=1))
    result = refresh(State(lineage="l", pending={"a.b": pending_at(T0)}), fake)
    assert result.state.recordings == {}
    assert kinds(result) == ["none-created"]


def test_a_start_journaled_before_times_were_taken_on_the_apis_clock_is_placed_with_the_measured_offset() -> None:
    """An intent without `api_time` (journaled by an older version): its local time is moved by today's offset."""
    fake = fake_at(datetime.now(UTC) - timedelta(minutes=3))  # the API's clock is three minutes behind ours
    local_intent = datetime.now(UTC) - timedelta(seconds=10)
    created = fake.add(MEETING, invoked_time=local_intent - timedelta(minutes=3) + timedelta(seconds=1))
    legacy = PendingStart(MEETING, format_time(local_intent), {}, None, None)
    result = refresh_state(State(lineage="l", pending={"a.b": legacy}), fake, bound=SETTLE_BOUND)
    assert result.state.recordings["a.b"].recording_id == created.id


class ClocklessFake(FakeProvider):
    def api_time(self) -> datetime | None:
        return None


def test_without_the_apis_clock_nothing_is_concluded() -> None:
    fake = ClocklessFake(clock=lambda: NOW)
    result = refresh(State(lineage="l", pending={"a.b": pending_at(T0)}), fake)
    assert set(result.state.pending) == {"a.b"}
    assert kinds(result) == ["pending"]
    assert "no Date header" in result.events[0].message


def test_api_failure_propagates_and_keeps_pending() -> None:
    fake = fake_at()
    fake.fail_next("list", TransportError("connection refused"))
    current = State(lineage="l", pending={"a.b": pending_at(T0)})
    with pytest.raises(TransportError):
        refresh(current, fake)
    assert "a.b" in current.pending  # the input state is untouched


# --- suspects ----------------------------------------------------------------------------------------------------


def suspect(moment: datetime = T0) -> SuspectStart:
    return SuspectStart("a.b", MEETING, format_time(moment), {"max_seconds": 600}, None)


def test_a_late_recording_of_a_suspect_is_adopted_when_its_address_has_none() -> None:
    fake = fake_at()
    late = fake.add(MEETING, invoked_time=T0 + timedelta(minutes=5))
    result = refresh(State(lineage="l", suspects=(suspect(),), binding=BINDING), fake)
    assert result.state.recordings["a.b"].recording_id == late.id
    assert kinds(result) == ["late-adopted"]
    assert result.state.suspects == (suspect(),)  # still watched, for the rest of its day


def test_a_late_recording_beside_the_addresss_own_is_reported_with_the_command_that_stops_it() -> None:
    fake = fake_at()
    own = tracked(fake)
    late = fake.add(MEETING, invoked_time=T0 + timedelta(minutes=5), allow_multiple=True)
    result = refresh(State(lineage="l", recordings={"a.b": own}, suspects=(suspect(),), binding=BINDING), fake)
    assert result.state.recordings["a.b"].recording_id == own.recording_id
    (event,) = result.events
    assert event.kind == "duplicate"
    assert event.recording_id == late.id
    assert (
        f"curl -X PUT 'https://api.cloudflare.com/client/v4/accounts/acc/realtime/kit/app/recordings/{late.id}'"
        in event.message
    )


def test_a_suspect_is_forgotten_after_a_day() -> None:
    fake = fake_at()
    fake.add(MEETING, invoked_time=NOW)
    old = suspect(NOW - SUSPECT_FOR - timedelta(seconds=1))
    result = refresh(State(lineage="l", suspects=(old,)), fake)
    assert result.state.suspects == ()
    assert result.state.recordings == {}
