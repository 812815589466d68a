"""Carry out a plan: state-only changes first, then API calls in parallel, every outcome journaled at once.

The exactly-once rule (design §5) lives here:
- a start's intent is journaled (fsynced) before the request is sent, and its outcome the moment it is known;
- a start is never retried blindly: an uncertain one is resolved from the API before anything else is sent for
  its meeting, and left pending (for the next run to resolve) if even that fails;
- one worker owns a meeting at a time, so at most one start per meeting is ever in flight.

Independent meetings go on after a failure. Setting `stop` (first Ctrl-C) stops dispatching: calls in flight
finish and are journaled, the rest are reported as not attempted. The journal is folded into the state at the end.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
from reconciler._resolve import resolve_uncertain_start
from reconciler._time import format_time, parse_time, utc_now
from reconciler.config import DesiredRecording
from reconciler.plan import Change, Plan
from reconciler.refresh import entry_from_recording
from state import ClearRecord, IntentRecord, PendingStart, PutRecord, RecordingEntry, State, StateStore

__all__ = ["ApplyResult", "Outcome", "apply_plan"]

_CONTROLS: dict[str, ControlAction] = {"stop": "stop", "pause": "pause", "resume": "resume"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one action of one change. `ok` is None when the action was not attempted."""

    address: str
    action: str
    ok: bool | None
    message: str
    recording_id: str | None = None
    status: str | None = None
    uncertain: bool = False

    def to_json(self) -> dict[str, Any]:
        result = "ok" if self.ok else ("uncertain" if self.uncertain else "skipped" if self.ok is None else "failed")
        return {
            "type": "outcome",
            "address": self.address,
            "action": self.action,
            "result": result,
            "recording_id": self.recording_id,
            "status": self.status,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    state: State
    interrupted: bool
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.ok is False)

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter("ok" if o.ok else "skipped" if o.ok is None else "failed" for o in self.outcomes)
        return {"ok": counts["ok"], "failed": counts["failed"], "skipped": counts["skipped"]}


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
    interrupted = run.stop.is_set() and not run.stopped_by
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
        for change in changes:
            actions = [action for action in change.actions if action != "move"]
            for index, action in enumerate(actions):
                if self.stop.is_set():
                    reason = "the API refused the token" if self.stopped_by else "interrupted"
                    for skipped in actions[index:]:
                        self.report(Outcome(change.address, skipped, None, f"not attempted: {reason}"))
                    break
                ok = self.start(change) if action == "start" else self.control(change, _CONTROLS[action])
                if not ok:
                    for skipped in actions[index + 1 :]:
                        self.report(Outcome(change.address, skipped, None, f"not attempted: the {action} failed"))
                    break

    def control(self, change: Change, action: ControlAction) -> bool:
        entry = self.entries.get(change.address)
        if entry is None:
            self.report(Outcome(change.address, action, False, "no recording in state to act on"))
            return False
        try:
            recording = self.provider.control(entry.recording_id, action)
        except ProviderError as error:
            self.report(Outcome(change.address, action, False, error.message, entry.recording_id, entry.status))
            self.stop_if_hopeless(error)
            return False
        updated = dataclasses.replace(entry, status=recording.status, updated_at=format_time(self.clock()))
        self.store.append(PutRecord(change.address, updated))
        self.entries[change.address] = updated
        self.report(Outcome(change.address, action, True, "", recording.id, recording.status))
        return True

    def start(self, change: Change) -> bool:
        recording = self.desired[change.address]
        pending = PendingStart(
            meeting_id=recording.meeting_id,
            time=format_time(self.clock()),
            fields=recording.public_fields(),
            sensitive_digest=sensitive_digest(recording.sensitive_values()),
        )
        self.store.append(
            IntentRecord(change.address, pending.meeting_id, pending.time, pending.fields, pending.sensitive_digest)
        )
        try:
            started = self.provider.start(recording.meeting_id, recording.body)
        except UncertainStartError as error:
            return self.resolve(change, pending, error)
        except ProviderError as error:
            self.store.append(ClearRecord(change.address, reason=error.message))
            self.report(Outcome(change.address, "start", False, error.message))
            self.stop_if_hopeless(error)
            return False
        self.adopt(change.address, started, pending, "")
        return True

    def resolve(self, change: Change, pending: PendingStart, error: UncertainStartError) -> bool:
        """Settle an uncertain start from the API before anything else is sent for this meeting."""
        with self.lock:
            owned = set(self.owned)
        try:
            # An answer (a 5xx) means the API is done with the request; without one it may still be at work.
            settle = self.settle if error.status is None else timedelta(0)
            resolution = resolve_uncertain_start(
                self.provider, pending.meeting_id, parse_time(pending.time), owned, settle=settle, clock=self.clock
            )
        except ProviderError as resolve_error:
            message = (
                f"{error.message}; the outcome is unknown ({resolve_error.message}): "
                "the next plan or apply resolves it before starting again"
            )
            self.report(Outcome(change.address, "start", False, message, uncertain=True))
            return False
        with self.lock:
            self.warnings.extend(
                f"recording {extra.id} of meeting {pending.meeting_id} is not tracked by any address"
                for extra in resolution.untracked
            )
        if resolution.adopted is None:
            self.store.append(ClearRecord(change.address, reason="uncertain start created nothing"))
            self.report(Outcome(change.address, "start", False, f"{error.message}; nothing was created"))
            return False
        self.adopt(change.address, resolution.adopted, pending, "confirmed from the API after an uncertain answer")
        return True

    def adopt(self, address: str, recording: Recording, pending: PendingStart, message: str) -> None:
        entry = entry_from_recording(recording, pending.meeting_id, pending, self.clock())
        self.store.append(PutRecord(address, entry))
        with self.lock:
            self.owned.add(recording.id)
            self.entries[address] = entry
        self.report(Outcome(address, "start", True, message, recording.id, recording.status))
