"""Carry out a plan: state-only changes first, then API calls in parallel, every API outcome journaled at once.

The exactly-once rule (design §5) lives here:
- a start's intent is on disk (fsynced) before the request leaves, and its outcome is journaled the moment it
  is known (`JournalWriter`: a worker hands it over and goes on; the intent already on disk covers the instant
  before it lands);
- a start is never retried blindly: an uncertain one is resolved from the API before anything else is sent for
  its meeting; if even that fails, it stays pending and the meeting's other actions wait for the next run;
- one worker owns a meeting at a time, so at most one start per meeting is ever in flight.

Speed: meetings are handed to the workers in order, at most `parallelism` waiting their turn, and a meeting whose
first action is a start has its intent journaled as it is handed over, ahead of the send, so no worker waits for
the disk before sending. An intent that was never sent (a run stopped first) is cleared; one older than
`INTENT_LEAD` when its turn comes (a rate limit held it back) is journaled again, so its time stays that of the send.

Moves and forgets touch no API: they are written to the state in one atomic write before any call. Independent
meetings go on after a failure. Setting `stop` (first Ctrl-C) stops dispatching: calls in flight finish and are
journaled, the rest are reported as not attempted. The journal is folded into the state at the end.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from providers import (
    AuthenticationError,
    ControlAction,
    PermissionDeniedError,
    Provider,
    ProviderError,
    Recording,
    UncertainStartError,
)
from reconciler._digest import sensitive_digest
from reconciler._journal_writer import JournalWriter, Written
from reconciler._outcome import ApplyResult, Outcome
from reconciler._resolve import INTENT_LEAD, resolve_uncertain_start, untracked_note
from reconciler._time import format_time, parse_time, utc_now
from reconciler.config import DesiredRecording
from reconciler.plan import Change, Plan
from reconciler.refresh import entry_from_recording
from state import ClearRecord, IntentRecord, PendingStart, PutRecord, RecordingEntry, State, StateStore

__all__ = ["ApplyResult", "Outcome", "apply_plan"]

_CONTROLS: dict[str, ControlAction] = {"stop": "stop", "pause": "pause", "resume": "resume"}


def apply_plan(
    plan: Plan,
    desired: Mapping[str, DesiredRecording],
    provider: Provider,
    store: StateStore,
    state: State,
    *,
    parallelism: int = 10,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
    stop: threading.Event | None = None,
    settle: timedelta = timedelta(0),
    clock: Callable[[], datetime] = utc_now,
) -> ApplyResult:
    """Execute `plan` against `provider`, recording every outcome in `store`; return the folded state.

    `state` is the state the plan was made from, as stored (the caller holds the lock). `desired` supplies the
    start bodies, secrets included. `settle` is passed on to `resolve_uncertain_start`.
    """
    run = _Run(desired, provider, store, on_outcome, stop or threading.Event(), settle, clock)
    state = run.edit_state(state, plan.changes)
    run.entries = dict(state.recordings)
    run.owned = {entry.recording_id for entry in state.recordings.values()}
    by_meeting: dict[str, list[Change]] = {}
    for change in plan.changes:
        if change.calls_api:
            by_meeting.setdefault(change.meeting_id, []).append(change)
    with JournalWriter(store) as run.journal:
        run.dispatch(by_meeting.values(), parallelism)
    final = store.fold()
    # Interrupted: the user stopped the run before everything was dispatched (not a refused token, not too late).
    skipped = any(outcome.result == "skipped" for outcome in run.outcomes)
    interrupted = run.stop.is_set() and not run.stopped_by and skipped
    return ApplyResult(outcomes=tuple(run.outcomes), state=final, interrupted=interrupted, warnings=tuple(run.warnings))


@dataclass(frozen=True)
class _Intent:
    """A start's intent, handed to the journal at `at`: on disk once `written.wait()` returns."""

    start: PendingStart
    at: datetime
    written: Written


@dataclass
class _Run:
    """The bookkeeping of one apply, shared by the worker threads under `lock`."""

    desired: Mapping[str, DesiredRecording]
    provider: Provider
    store: StateStore
    on_outcome: Callable[[Outcome], None]
    stop: threading.Event
    settle: timedelta
    clock: Callable[[], datetime]
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    outcomes: list[Outcome] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    entries: dict[str, RecordingEntry] = dataclasses.field(default_factory=dict)
    owned: set[str] = dataclasses.field(default_factory=set)
    journal: JournalWriter = dataclasses.field(init=False)
    stopped_by: str = ""  # why dispatching stopped, when it was not the user

    def report(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            self.on_outcome(outcome)

    def record(self, address: str, entry: RecordingEntry) -> None:
        """Journal the recording now behind `address` (on disk within moments: the journal writer's next fsync)."""
        self.journal.write(PutRecord(address, entry))
        with self.lock:
            self.entries[address] = entry
            self.owned.add(entry.recording_id)

    def edit_state(self, state: State, changes: Iterable[Change]) -> State:
        """Moves and forgets touch only the state: one atomic write before any API call."""
        recordings = dict(state.recordings)
        done: list[Outcome] = []
        for change in changes:
            if change.moved_from is not None and change.moved_from in recordings:
                recordings[change.address] = recordings.pop(change.moved_from)
                done.append(Outcome(change.address, "move", "ok", f"moved from {change.moved_from}"))
            if "forget" in change.actions:
                recordings.pop(change.address, None)
                done.append(Outcome(change.address, "forget", "ok", "dropped from state (no API call)"))
        if done:
            state = self.store.write(dataclasses.replace(state, recordings=recordings), expected_serial=state.serial)
        for outcome in done:
            self.report(outcome)
        return state

    def stop_if_hopeless(self, error: ProviderError) -> None:
        """A token that is refused will be refused for every other call too: stop dispatching."""
        if isinstance(error, AuthenticationError | PermissionDeniedError):
            self.stopped_by = error.message
            self.stop.set()

    def dispatch(self, meetings: Iterable[list[Change]], parallelism: int) -> None:
        """Hand each meeting to a worker, in order, its start's intent journaled as it goes; at most `parallelism`
        meetings wait for a worker, so an intent is rarely journaled long before its start."""
        waiting = threading.Semaphore(parallelism)

        def work(changes: list[Change], ahead: _Intent | None) -> None:
            waiting.release()
            self.meeting(changes, ahead)

        with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="apply") as pool:
            futures = []
            for changes in meetings:
                waiting.acquire()
                first_call = next(action for action in changes[0].actions if action != "move")
                ahead = self.intend(changes[0].address) if first_call == "start" and not self.stop.is_set() else None
                futures.append(pool.submit(work, changes, ahead))
            for future in futures:
                future.result()

    def intend(self, address: str) -> _Intent:
        """Journal the intent to start `address` now; returns without waiting for the disk."""
        recording = self.desired[address]
        fields, digest = recording.public_fields(), sensitive_digest(recording.sensitive_values())
        at = self.clock()
        start = PendingStart(recording.meeting_id, format_time(at), fields, digest)
        written = self.journal.write(IntentRecord(address, start.meeting_id, start.time, fields, digest))
        return _Intent(start, at, written)

    def meeting(self, changes: list[Change], ahead: _Intent | None) -> None:
        """Every API action of one meeting, in plan order (so one start at most is in flight for it). `ahead` is
        the intent of its first action, a start, already handed to the journal."""
        held_back = ""  # why the meeting's remaining actions are not attempted
        for change in changes:
            actions = [action for action in change.actions if action != "move"]
            for index, action in enumerate(actions):
                if self.stop.is_set() and not held_back:
                    held_back = "the API refused the token" if self.stopped_by else "interrupted"
                if held_back:
                    self.skip(change.address, actions[index:], held_back)
                    break
                if action == "start":
                    result, ahead = self.start(change, ahead), None
                else:
                    result = self.control(change, _CONTROLS[action])
                if result == "unresolved":
                    held_back = "an earlier start of this meeting has an unknown outcome; the next run resolves it"
                if result != "ok":
                    self.skip(change.address, actions[index + 1 :], f"the {action} failed")
                    break
        if ahead is not None:  # its start was never attempted
            self.journal.write(ClearRecord(changes[0].address, reason="not attempted"))

    def skip(self, address: str, actions: Sequence[str], reason: str) -> None:
        for action in actions:
            self.report(Outcome(address, action, "skipped", f"not attempted: {reason}"))

    def control(self, change: Change, action: ControlAction) -> str:
        entry = self.entries.get(change.address)
        if entry is None:
            self.report(Outcome(change.address, action, "failed", "no recording in state to act on"))
            return "failed"
        try:
            recording = self.provider.control(entry.recording_id, action)
        except ProviderError as error:
            self.report(Outcome(change.address, action, "failed", error.message, entry.recording_id, entry.status))
            self.stop_if_hopeless(error)
            return "failed"
        self.record(change.address, dataclasses.replace(entry, status=recording.status, updated_at=self.now()))
        self.report(Outcome(change.address, action, "ok", "", recording.id, recording.status))
        return "ok"

    def start(self, change: Change, ahead: _Intent | None) -> str:
        """ "ok", "failed" (nothing was created), or "unresolved" (left pending for the next run). `ahead` is
        this start's intent if one was journaled ahead."""
        recording = self.desired[change.address]
        sent: list[PendingStart] = []

        def journal_intent() -> None:
            # Before each attempt leaves, its intent is on disk, timed no earlier than INTENT_LEAD before the send.
            nonlocal ahead
            if ahead is None or self.clock() - ahead.at > INTENT_LEAD:
                ahead = self.intend(change.address)
            intent, ahead = ahead, None
            intent.written.wait()
            sent.append(intent.start)

        try:
            started = self.provider.start(recording.meeting_id, recording.body, before_send=journal_intent)
        except UncertainStartError as error:
            return self.resolve(change, sent[-1], error)
        except ProviderError as error:
            if sent or ahead is not None:  # an intent is journaled, and the API certainly did nothing with it
                self.journal.write(ClearRecord(change.address, reason=error.message))
            self.report(Outcome(change.address, "start", "failed", error.message))
            self.stop_if_hopeless(error)
            return "failed"
        self.adopt(change.address, started, sent[-1], "")
        return "ok"

    def resolve(self, change: Change, intent: PendingStart, error: UncertainStartError) -> str:
        """Settle an uncertain start from the API before anything else is sent for this meeting."""
        with self.lock:
            owned = set(self.owned)
        try:
            resolution = resolve_uncertain_start(
                self.provider, intent.meeting_id, parse_time(intent.time), owned, settle=self.settle, clock=self.clock
            )
        except ProviderError as resolve_error:
            message = (
                f"{error.message}; the outcome is unknown ({resolve_error.message}): "
                "the next plan or apply resolves it before starting again"
            )
            self.report(Outcome(change.address, "start", "uncertain", message))
            return "unresolved"
        with self.lock:
            self.warnings.extend(untracked_note(extra, intent.meeting_id) for extra in resolution.untracked)
        if resolution.adopted is None:
            self.journal.write(ClearRecord(change.address, reason="uncertain start created nothing"))
            self.report(Outcome(change.address, "start", "failed", f"{error.message}; nothing was created"))
            return "failed"
        self.adopt(change.address, resolution.adopted, intent, "confirmed from the API after an uncertain answer")
        return "ok"

    def adopt(self, address: str, recording: Recording, intent: PendingStart, message: str) -> None:
        self.record(address, entry_from_recording(recording, intent, self.clock()))
        self.report(Outcome(address, "start", "ok", message, recording.id, recording.status))

    def now(self) -> str:
        return format_time(self.clock())
