"""`FakeProvider`: the API's rules in memory, deterministic ids and clock, scripted failures."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest

from providers import (
    ConflictError,
    ControlAction,
    FakeProvider,
    InvalidRequestError,
    NotFoundError,
    Provider,
    RecordingStatus,
    ServerError,
    UncertainStartError,
)

M1 = "00000000-0000-4000-8000-0000000000a1"
M2 = "00000000-0000-4000-8000-0000000000a2"


def ticking_clock() -> FakeProvider:
    ticks = itertools.count()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return FakeProvider(clock=lambda: start + timedelta(seconds=next(ticks)))


def test_it_is_a_provider() -> None:
    provider: Provider = FakeProvider()
    assert list(provider.list(meeting_id=M1)) == []


def test_ids_and_times_are_deterministic() -> None:
    fake = ticking_clock()
    first, second = fake.start(M1, {"allow_multiple_recordings": True}), fake.start(M2, {})
    assert (first.id, second.id) == ("00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002")
    assert second.invoked_time - first.invoked_time == timedelta(seconds=1)
    assert first.status == "INVOKED"
    assert fake.start_bodies == [(M1, {"allow_multiple_recordings": True}), (M2, {})]


@pytest.mark.parametrize(
    ("existing", "new", "conflict"),
    [(False, False, True), (True, False, True), (False, True, True), (True, True, False)],
    ids=["neither", "existing-only", "new-only", "both"],
)
def test_one_active_recording_per_meeting_unless_both_allow_multiple(existing: bool, new: bool, conflict: bool) -> None:
    fake = FakeProvider()
    fake.start(M1, {"allow_multiple_recordings": existing})
    if conflict:
        with pytest.raises(ConflictError):
            fake.start(M1, {"allow_multiple_recordings": new})
    else:
        fake.start(M1, {"allow_multiple_recordings": new})
    fake.start(M2, {})  # another meeting is never in the way
    assert len(fake.recordings(M1)) == (1 if conflict else 2)


def test_a_stopped_recording_does_not_block_a_new_start() -> None:
    fake = FakeProvider(initial_status="RECORDING")
    first = fake.start(M1, {})
    fake.control(first.id, "stop")
    assert fake.start(M1, {}).id != first.id


@pytest.mark.parametrize(
    ("status", "action", "result"),
    [
        ("RECORDING", "pause", "PAUSED"),
        ("PAUSED", "resume", "RECORDING"),
        ("INVOKED", "stop", "UPLOADING"),
        ("RECORDING", "stop", "UPLOADING"),
        ("PAUSED", "stop", "UPLOADING"),
        ("INVOKED", "pause", None),
        ("RECORDING", "resume", None),
        ("UPLOADED", "stop", None),
        ("ERRORED", "pause", None),
    ],
)
def test_control_transitions(status: RecordingStatus, action: ControlAction, result: RecordingStatus | None) -> None:
    fake = FakeProvider(initial_status=status)
    recording = fake.start(M1, {})
    if result is None:
        with pytest.raises(InvalidRequestError):
            fake.control(recording.id, action)
        assert fake.recordings()[0].status == status
    else:
        assert fake.control(recording.id, action).status == result


def test_unknown_and_forgotten_recordings_are_not_found() -> None:
    fake = FakeProvider()
    recording = fake.start(M1, {})
    fake.forget(recording.id)
    with pytest.raises(NotFoundError):
        fake.get(recording.id)
    with pytest.raises(NotFoundError):
        fake.control("nope", "stop")


def test_get_reports_no_meeting_like_the_api_and_set_status_changes_it() -> None:
    fake = FakeProvider()
    recording = fake.start(M1, {})
    fake.set_status(recording.id, "ERRORED")
    got = fake.get(recording.id)
    assert (got.status, got.meeting_id) == ("ERRORED", None)
    assert fake.start(M1, {}).status == "INVOKED"  # an ERRORED recording is no longer active


def test_list_filters_and_orders_by_invoked_time() -> None:
    fake = ticking_clock()
    a = fake.start(M1, {"allow_multiple_recordings": True})
    b = fake.start(M2, {})
    c = fake.start(M1, {"allow_multiple_recordings": True})
    fake.set_status(c.id, "RECORDING")
    assert [r.id for r in fake.list()] == [a.id, b.id, c.id]
    assert [r.id for r in fake.list(meeting_id=M1)] == [a.id, c.id]
    assert [r.id for r in fake.list(since=b.invoked_time)] == [b.id, c.id]
    assert [r.id for r in fake.list(meeting_id=M1, since=b.invoked_time)] == [c.id]


def test_a_start_can_fail_after_creating_its_recording() -> None:
    fake = FakeProvider()
    fake.fail_next("start", UncertainStartError("dropped", meeting_id=M1), after_change=True)
    with pytest.raises(UncertainStartError):
        fake.start(M1, {})
    assert len(fake.recordings(M1)) == 1
    with pytest.raises(ConflictError):  # the failure was used up; the recording it made is in the way
        fake.start(M1, {})


def test_a_start_can_fail_before_doing_anything() -> None:
    fake = FakeProvider()
    fake.fail_next("start", UncertainStartError("502", meeting_id=M1, status=502))
    with pytest.raises(UncertainStartError):
        fake.start(M1, {})
    assert fake.recordings() == []
    assert fake.start(M1, {}).meeting_id == M1


@pytest.mark.parametrize("call", ["get", "list", "control"])
def test_every_call_can_be_scripted_to_fail_once(call: str) -> None:
    fake = FakeProvider(initial_status="RECORDING")
    recording = fake.start(M1, {})
    fake.fail_next(call, ServerError("boom", status=500))  # type: ignore[arg-type]  # parametrized call name
    invoke = {
        "get": lambda: fake.get(recording.id),
        "list": lambda: list(fake.list()),
        "control": lambda: fake.control(recording.id, "pause"),
    }[call]
    with pytest.raises(ServerError):
        invoke()
    invoke()  # only once
    assert [c[0] for c in fake.calls].count(call) == 2


def test_a_control_can_fail_after_applying() -> None:
    fake = FakeProvider(initial_status="RECORDING")
    recording = fake.start(M1, {})
    fake.fail_next("control", ServerError("lost", status=500), after_change=True)
    with pytest.raises(ServerError):
        fake.control(recording.id, "pause")
    assert fake.recordings()[0].status == "PAUSED"


def test_threads_never_start_two_active_recordings_of_one_meeting() -> None:
    fake = FakeProvider()
    outcomes: list[str] = []

    def start() -> None:
        try:
            fake.start(M1, {})
            outcomes.append("started")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=start) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["conflict"] * 15 + ["started"]
