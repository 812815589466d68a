"""Carry out a plan: state-only changes first, then API calls in parallel, every API outcome journaled at once.

The exactly-once rule (design §5) lives here:
- a start's intent is journaled (fsynced) right before the request leaves, and its outcome the moment it is known;
- a start is never retried blindly: an uncertain one is resolved from the API before anything else is sent for
  its meeting; if even that fails, it stays pending and the meeting's other actions wait for the next run;
- one worker owns a meeting at a time, so at most one start per meeting is ever in flight.

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
from reconciler._outcome import ApplyResult, Outcome
from reconciler._resolve import resolve_uncertain_start
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
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="apply") as pool:
        for future in [pool.submit(run.meeting, changes) for changes in by_meeting.values()]:
            future.result()
    final = store.fold()
    # Interrupted: the user stopped the run before everything was dispatched (not a refused token, not too late).
    skipped = any(outcome.result == "skipped" for outcome in run.outcomes)
    interrupted = run.stop.is_set() and not run.stopped_by and skipped
    return ApplyResult(outcomes=tuple(run.outcomes), state=final, interrupted=interrupted, warnings=tuple(run.warnings))


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
    stopped_by: str = ""  # why dispatching stopped, when it was not the user

    def report(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            self.on_outcome(outcome)

    def record(self, address: str, entry: RecordingEntry) -> None:
        """Journal the recording now behind `address` (durable when this returns)."""
        self.store.append(PutRecord(address, entry))
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
                done.append(Outcome(change.address, "move", True, f"moved from {change.moved_from}"))
            if "forget" in change.actions:
                recordings.pop(change.address, None)
                done.append(Outcome(change.address, "forget", True, "dropped from state (no API call)"))
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

    def meeting(self, changes: list[Change]) -> None:
        """Every API action of one meeting, in plan order (so one start at most is in flight for it)."""
        held_back = ""  # why the meeting's remaining actions are not attempted
        for change in changes:
            actions = [action for action in change.actions if action != "move"]
            for index, action in enumerate(actions):
                if self.stop.is_set() and not held_back:
                    held_back = "the API refused the token" if self.stopped_by else "interrupted"
                if held_back:
                    self.skip(change.address, actions[index:], held_back)
                    break
                result = self.start(change) if action == "start" else self.control(change, _CONTROLS[action])
                if result == "unresolved":
                    held_back = "an earlier start of this meeting has an unknown outcome; the next run resolves it"
                if result != "ok":
                    self.skip(change.address, actions[index + 1 :], f"the {action} failed")
                    break

    def skip(self, address: str, actions: Sequence[str], reason: str) -> None:
        for action in actions:
            self.report(Outcome(address, action, None, f"not attempted: {reason}"))

    def control(self, change: Change, action: ControlAction) -> str:
        entry = self.entries.get(change.address)
        if entry is None:
            self.report(Outcome(change.address, action, False, "no recording in state to act on"))
            return "failed"
        try:
            recording = self.provider.control(entry.recording_id, action)
        except ProviderError as error:
            self.report(Outcome(change.address, action, False, error.message, entry.recording_id, entry.status))
            self.stop_if_hopeless(error)
            return "failed"
        self.record(change.address, dataclasses.replace(entry, status=recording.status, updated_at=self.now()))
        self.report(Outcome(change.address, action, True, "", recording.id, recording.status))
        return "ok"

    def start(self, change: Change) -> str:
        """ "ok", "failed" (nothing was created), or "unresolved" (left pending for the next run)."""
        recording = self.desired[change.address]
        fields, digest = recording.public_fields(), sensitive_digest(recording.sensitive_values())
        sent: list[PendingStart] = []

        def journal_intent() -> None:
            # Right before each attempt leaves: the intent's time is when the API may first have acted on it.
            intent = PendingStart(recording.meeting_id, self.now(), fields, digest)
            self.store.append(IntentRecord(change.address, intent.meeting_id, intent.time, fields, digest))
            sent.append(intent)

        try:
            started = self.provider.start(recording.meeting_id, recording.body, before_send=journal_intent)
        except UncertainStartError as error:
            return self.resolve(change, sent[-1], error)
        except ProviderError as error:
            if sent:  # an attempt was journaled, and the API certainly did nothing with it
                self.store.append(ClearRecord(change.address, reason=error.message))
            self.report(Outcome(change.address, "start", False, error.message))
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
            self.report(Outcome(change.address, "start", False, message, uncertain=True))
            return "unresolved"
        with self.lock:
            self.warnings.extend(
                f"recording {extra.id} of meeting {intent.meeting_id} is not tracked by any address"
                for extra in resolution.untracked
            )
        if resolution.adopted is None:
            self.store.append(ClearRecord(change.address, reason="uncertain start created nothing"))
            self.report(Outcome(change.address, "start", False, f"{error.message}; nothing was created"))
            return "failed"
        self.adopt(change.address, resolution.adopted, intent, "confirmed from the API after an uncertain answer")
        return "ok"

    def adopt(self, address: str, recording: Recording, intent: PendingStart, message: str) -> None:
        self.record(address, entry_from_recording(recording, intent, self.clock()))
        self.report(Outcome(address, "start", True, message, recording.id, recording.status))

    def now(self) -> str:
        return format_time(self.clock())
