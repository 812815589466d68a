"""`apply_plan` against the in-memory provider and store: journaling, exactly-once starts, failures, interrupts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from providers import NotFoundError, ServerError, TransportError, UncertainStartError
from providers._fake import FakeProvider
from reconciler._resolve import SETTLE_BOUND
from reconciler.apply import apply_plan
from reconciler.config import DesiredRecording, SourceLocation
from reconciler.plan import make_plan
from reconciler.refresh import refresh_state
from state import ClearRecord, IntentRecord, MemoryStateStore, PutRecord, RecordingEntry, State, hold_lock

HERE = SourceLocation(Path("recordings.toml"), 1)


def meeting_id(n: int) -> str:
    return f"00000000-0000-4000-a000-{n:012d}"


def declared(address: str, meeting: int, status: str = "recording", **body: Any) -> DesiredRecording:
    m, _, r = address.partition(".")
    return DesiredRecording(address, m, r, meeting_id(meeting), status, body, HERE)  # type: ignore[arg-type]  # statuses used are valid


def run(
    desired: dict[str, DesiredRecording], fake: FakeProvider, store: MemoryStateStore, **options: Any
) -> tuple[Any, State]:
    state = store.read()
    plan = make_plan(desired, state, **options)
    result = apply_plan(plan, desired, fake, store, state, parallelism=4)
    return result, result.state


def test_starts_what_is_missing_and_records_ids() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    desired = {f"m{i}.main": declared(f"m{i}.main", i, max_seconds=600) for i in range(6)}
    result, state = run(desired, fake, store)
    assert result.failed == 0
    assert len(fake.start_bodies) == 6
    assert {entry.recording_id for entry in state.recordings.values()} == {r.id for r in fake.recordings()}
    assert all(dict(entry.fields) == {"max_seconds": 600} for entry in state.recordings.values())
    assert list(store.journal()) == []  # folded


def test_second_apply_sends_nothing() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    desired = {"a.main": declared("a.main", 1), "b.main": declared("b.main", 2)}
    run(desired, fake, store)
    calls = len(fake.calls)
    result, _ = run(desired, fake, store)
    assert result.outcomes == ()
    assert len(fake.calls) == calls


def test_body_is_exactly_the_declared_fields_with_secrets() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    body = {"storage_config": {"type": "aws", "bucket": "b", "secret": "s3cr3t"}, "max_seconds": 90}
    _, state = run({"a.main": declared("a.main", 1, **body)}, fake, store)
    assert fake.start_bodies == [(meeting_id(1), body)]
    stored = state.recordings["a.main"]
    assert dict(stored.fields) == {"storage_config": {"type": "aws", "bucket": "b"}, "max_seconds": 90}
    assert stored.sensitive_digest is not None
    assert "s3cr3t" not in repr(state)


def test_intent_is_journaled_before_the_start() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    seen: list[Any] = []
    original = fake.start

    def start(meeting: str, body: Any, **options: Any) -> Any:
        def before_send() -> None:
            options["before_send"]()
            seen.extend(store.journal())

        return original(meeting, body, before_send=before_send)

    fake.start = start  # type: ignore[method-assign]  # observe the journal at the moment of the call
    run({"a.main": declared("a.main", 1)}, fake, store)
    assert [type(record) for record in seen] == [IntentRecord]


def test_uncertain_start_that_created_the_recording_is_adopted_not_resent() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    fake.fail_next("start", UncertainStartError("connection dropped", meeting_id=meeting_id(1)), after_change=True)
    result, state = run({"a.main": declared("a.main", 1)}, fake, store)
    assert result.failed == 0
    assert len(fake.start_bodies) == 1
    assert state.recordings["a.main"].recording_id == fake.recordings()[0].id


def test_uncertain_start_that_created_nothing_stays_pending_until_a_refresh_after_the_bound() -> None:
    now = [datetime(2026, 11, 1, 12, 0, tzinfo=UTC)]
    fake, store = FakeProvider(clock=lambda: now[0]), MemoryStateStore()
    desired = {"a.main": declared("a.main", 1)}
    fake.fail_next("start", UncertainStartError("502", meeting_id=meeting_id(1), status=502))
    result, state = run(desired, fake, store)
    assert [o.result for o in result.outcomes] == ["uncertain"]
    assert "the API may still act on it until 2026-11-01T12:02:00.000Z" in result.outcomes[0].message
    assert state.recordings == {}
    assert set(state.pending) == {"a.main"}  # never concluded in the run that sent it
    result, state = run(desired, fake, store)
    assert result.outcomes == ()  # held back, not started again
    now[0] += SETTLE_BOUND  # the API's clock passes the bound: a refresh concludes that nothing was created
    refreshed = refresh_state(state, fake, bound=SETTLE_BOUND)
    assert [event.kind for event in refreshed.events] == ["none-created"]
    store.write(refreshed.state, expected_serial=state.serial)
    result, state = run(desired, fake, store)
    assert [o.result for o in result.outcomes] == ["ok"]
    assert len(fake.recordings()) == 1


def test_unresolvable_start_stays_pending_and_is_never_resent() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    fake.fail_next("start", UncertainStartError("timed out", meeting_id=meeting_id(1)), after_change=True)
    fake.fail_next("list", ServerError("503", status=503))
    result, state = run({"a.main": declared("a.main", 1)}, fake, store)
    assert result.failed == 1
    assert result.outcomes[0].result == "uncertain"
    assert "a.main" in state.pending
    # a plan without refresh holds the address back
    plan = make_plan({"a.main": declared("a.main", 1)}, state, refreshed=False)
    assert plan.changes[0].actions == ("no-op",)
    assert len(fake.start_bodies) == 1


def test_failure_of_one_meeting_does_not_stop_others() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    fake.add(meeting_id(1))  # an active recording the tool does not own: the start gets 409
    desired = {"a.main": declared("a.main", 1), "b.main": declared("b.main", 2), "c.main": declared("c.main", 3)}
    result, state = run(desired, fake, store)
    assert result.failed == 1
    assert set(state.recordings) == {"b.main", "c.main"}
    (failed,) = [o for o in result.outcomes if o.attempted_and_failed]
    assert failed.address == "a.main"
    assert "already has an active recording" in failed.message
    assert state.pending == {}  # a refused start is settled: nothing was created


def test_one_start_in_flight_per_meeting() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    in_flight: dict[str, int] = {}
    worst = [0]
    lock = threading.Lock()
    original = fake.start

    def start(meeting: str, body: Any, **options: Any) -> Any:
        with lock:
            in_flight[meeting] = in_flight.get(meeting, 0) + 1
            worst[0] = max(worst[0], in_flight[meeting])
        try:
            threading.Event().wait(0.01)  # a call that takes a while: two starts of a meeting would overlap
            return original(meeting, body, **options)
        finally:
            with lock:
                in_flight[meeting] -= 1

    fake.start = start  # type: ignore[method-assign]  # count concurrent starts per meeting
    desired = {f"m.r{i}": declared(f"m.r{i}", 1, allow_multiple_recordings=True) for i in range(8)} | {
        f"n{i}.r": declared(f"n{i}.r", 10 + i) for i in range(8)
    }
    result, _ = run(desired, fake, store)
    assert result.failed == 0
    assert worst[0] == 1


def test_pause_resume_stop_update_the_state() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    desired = {"a.main": declared("a.main", 1), "b.main": declared("b.main", 2)}
    run(desired, fake, store)
    for recording in fake.recordings():
        fake.set_status(recording.id, "RECORDING")
    store.write(
        State(
            lineage=store.read().lineage,
            recordings={k: _with_status(v, "RECORDING") for k, v in store.read().recordings.items()},
        ),
        expected_serial=store.read().serial,
    )
    desired = {"a.main": declared("a.main", 1, status="paused"), "b.main": declared("b.main", 2, status="stopped")}
    result, state = run(desired, fake, store)
    assert result.failed == 0
    assert state.recordings["a.main"].status == "PAUSED"
    assert state.recordings["b.main"].status in {"UPLOADING", "UPLOADED"}


def test_replace_stops_then_starts_a_new_recording() -> None:
    fake, store = FakeProvider(initial_status="RECORDING"), MemoryStateStore()
    desired = {"a.main": declared("a.main", 1)}
    _, first = run(desired, fake, store)
    old = first.recordings["a.main"].recording_id
    result, state = run(desired, fake, store, replace=["a.main"])
    assert [o.action for o in result.outcomes] == ["stop", "start"]
    assert state.recordings["a.main"].recording_id != old
    assert [c for c in fake.calls if c[0] == "control"] == [("control", old, "stop")]


def test_failed_stop_skips_the_start() -> None:
    fake, store = FakeProvider(initial_status="RECORDING"), MemoryStateStore()
    desired = {"a.main": declared("a.main", 1)}
    run(desired, fake, store)
    fake.fail_next("control", NotFoundError("gone", status=404))
    result, _ = run(desired, fake, store, replace=["a.main"])
    assert [(o.action, o.result) for o in result.outcomes] == [("stop", "failed"), ("start", "skipped")]
    assert len(fake.start_bodies) == 1


def test_forget_and_move_touch_only_the_state() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    run({"a.old": declared("a.old", 1), "b.main": declared("b.main", 2)}, fake, store)
    calls = len(fake.calls)
    from reconciler.config import Moved

    desired = {"a.new": declared("a.new", 1)}
    result, state = run(desired, fake, store, moved=[Moved("a.old", "a.new", HERE)])
    assert sorted(o.action for o in result.outcomes) == ["forget", "move"]
    assert set(state.recordings) == {"a.new"}
    assert len(fake.calls) == calls


def test_stop_event_skips_what_was_not_dispatched() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    desired = {f"m{i}.r": declared(f"m{i}.r", i) for i in range(5)}
    state = store.read()
    stop = threading.Event()
    stop.set()
    result = apply_plan(make_plan(desired, state), desired, fake, store, state, stop=stop)
    assert result.interrupted
    assert all(o.result == "skipped" for o in result.outcomes)
    assert fake.start_bodies == []


def test_outcomes_are_journaled_as_puts() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    records: list[Any] = []
    store.append = observed(store, records)  # type: ignore[method-assign]  # see every journal record
    run({"a.main": declared("a.main", 1)}, fake, store)
    assert [type(r) for r in records] == [IntentRecord, PutRecord]


def observed(store: MemoryStateStore, records: list[Any], seen: Callable[[Any], None] = lambda r: None) -> Any:
    """`store.append`, also adding each record to `records` and calling `seen` with it."""
    original = store.append

    def append(*appended: Any) -> None:
        original(*appended)
        records.extend(appended)
        for record in appended:
            seen(record)

    return append


def test_an_intent_journaled_ahead_of_a_start_never_attempted_is_cleared() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    stop = threading.Event()
    second_intent_written = threading.Event()
    records: list[Any] = []
    store.append = observed(  # type: ignore[method-assign]  # see when the second meeting's intent is written
        store,
        records,
        lambda r: second_intent_written.set() if isinstance(r, IntentRecord) and r.address == "b.r" else None,
    )
    original = fake.start

    def start(meeting: str, body: Any, **options: Any) -> Any:
        started = original(meeting, body, **options)
        if meeting == meeting_id(1):  # the user presses Ctrl-C while the first start is in flight
            assert second_intent_written.wait(5)
            stop.set()
        return started

    fake.start = start  # type: ignore[method-assign]  # a stand-in start for this test
    desired = {"a.r": declared("a.r", 1), "b.r": declared("b.r", 2)}
    state = store.read()
    result = apply_plan(make_plan(desired, state), desired, fake, store, state, parallelism=1, stop=stop)
    assert [(o.address, o.result) for o in result.outcomes] == [("a.r", "ok"), ("b.r", "skipped")]
    assert [meeting for meeting, _ in fake.start_bodies] == [meeting_id(1)]
    assert [(type(r), r.address) for r in records if r.address == "b.r"] == [
        (IntentRecord, "b.r"),
        (ClearRecord, "b.r"),
    ]
    assert result.state.pending == {}  # nothing left for the next run to resolve


def test_an_intent_journaled_ahead_that_went_stale_is_journaled_again_before_its_start() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    records: list[Any] = []
    store.append = observed(store, records)  # type: ignore[method-assign]  # see every journal record
    ticks = iter(range(0, 1000, 5))  # every reading of the clock is 5 s after the last: a slow rate limit

    def clock() -> datetime:
        return datetime(2026, 11, 26, tzinfo=UTC) + timedelta(seconds=next(ticks))

    desired = {"a.r": declared("a.r", 1)}
    state = store.read()
    result = apply_plan(make_plan(desired, state), desired, fake, store, state, clock=clock)
    assert result.failed == 0
    intents = [r for r in records if isinstance(r, IntentRecord)]
    assert len(intents) == 2
    assert intents[1].time > intents[0].time  # the one in force was timed at the send
    assert [type(r) for r in records] == [IntentRecord, IntentRecord, PutRecord]


def test_a_start_refused_before_it_was_sent_clears_the_intent_journaled_ahead() -> None:
    fake, store = FakeProvider(), MemoryStateStore()

    def start(meeting: str, body: Any, **options: Any) -> Any:
        raise TransportError("cannot reach the API")  # before any attempt left: before_send was never called

    fake.start = start  # type: ignore[method-assign]  # a stand-in start for this test
    result, state = run({"a.r": declared("a.r", 1)}, fake, store)
    assert [(o.address, o.result) for o in result.outcomes] == [("a.r", "failed")]
    assert state.pending == {}


def _with_status(entry: RecordingEntry, status: str) -> RecordingEntry:
    import dataclasses

    return dataclasses.replace(entry, status=status)


def test_an_unresolved_start_holds_back_the_rest_of_its_meeting() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    fake.fail_next("start", UncertainStartError("timed out", meeting_id=meeting_id(1)), after_change=True)
    fake.fail_next("list", ServerError("503", status=503))
    desired = {
        "m.a": declared("m.a", 1, allow_multiple_recordings=True),
        "m.b": declared("m.b", 1, allow_multiple_recordings=True),
    }
    result, state = run(desired, fake, store)
    assert [(o.address, o.result) for o in result.outcomes] == [("m.a", "uncertain"), ("m.b", "skipped")]
    assert len(fake.start_bodies) == 1  # never a second start while the first is unresolved
    assert set(state.pending) == {"m.a"}


def test_a_start_waiting_for_the_rate_limit_when_ctrl_c_comes_is_never_sent() -> None:
    """The first Ctrl-C stops everything that has not left, even a request already past the dispatcher."""
    fake, store = FakeProvider(), MemoryStateStore()
    stop = threading.Event()
    original = fake.start

    def start(meeting: str, body: Any, **options: Any) -> Any:
        stop.set()  # Ctrl-C while this start waits for its turn at the rate limiter, before it is sent
        return original(meeting, body, **options)

    fake.start = start  # type: ignore[method-assign]  # a stand-in start for this test
    desired = {"a.r": declared("a.r", 1)}
    state = store.read()
    result = apply_plan(make_plan(desired, state), desired, fake, store, state, stop=stop)
    assert [(o.result, o.message) for o in result.outcomes] == [("skipped", "not attempted: interrupted")]
    assert fake.start_bodies == []
    assert result.state.pending == {}
    assert result.interrupted


def test_a_run_whose_lock_is_force_unlocked_sends_nothing_more_and_leaves_its_journal() -> None:
    fake, store = FakeProvider(), MemoryStateStore()
    desired = {f"m{n}.r": declared(f"m{n}.r", n) for n in range(4)}
    original = fake.start
    with hold_lock(store, "apply") as held:

        def start(meeting: str, body: Any, **options: Any) -> Any:
            started = original(meeting, body, **options)
            if meeting == meeting_id(0):
                store.force_unlock(held.id, force=True)  # someone runs force-unlock while this run goes on
            return started

        fake.start = start  # type: ignore[method-assign]  # a stand-in start for this test
        state = store.read()
        plan = make_plan(desired, state)
        result = apply_plan(plan, desired, fake, store, state, parallelism=1, lock_id=held.id)
    assert [meeting for meeting, _ in fake.start_bodies] == [meeting_id(0)]
    assert "force-unlock" in result.stopped_by
    assert [o.result for o in result.outcomes] == ["ok", "skipped", "skipped", "skipped"]
    assert store.read().recordings == {}  # not folded by the run that lost its lock ...
    puts = [r for r in store.journal() if isinstance(r, PutRecord)]
    assert [r.entry.recording_id for r in puts] == [fake.recordings()[0].id]  # ... its outcome waits in the journal
