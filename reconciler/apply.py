"""Carry out a plan: state-only changes first, then API calls in parallel, every API outcome journaled at once.

The exactly-once rule (design §5) lives here and in `_start.py`:
- a start's intent is on disk (fsynced) before the request leaves, and its outcome is journaled the moment it
  is known (`JournalWriter`: a worker hands it over and goes on; the intent already on disk covers the instant
  before it lands);
- a start is never retried blindly: an uncertain one is resolved from the API before anything else is sent for
  its meeting; a recording found is adopted at once, and otherwise the start stays pending and the meeting's
  other actions wait for a later run (`_resolve.py` says when "nothing was created" may be concluded);
- one worker owns a meeting at a time, so at most one start per meeting is ever in flight;
- right before any request that changes a recording leaves (after its wait for the rate limit), the run checks
  that it may still send: not after the first Ctrl-C (`stop`), and not once its lock was force-unlocked.

Speed: meetings are handed to the workers in order, at most `parallelism` waiting their turn, and a meeting whose
first action is a start has its intent journaled as it is handed over, ahead of the send, so no worker waits for
the disk before sending.

Moves and forgets touch no API: they are written to the state in one atomic write before any call. Independent
meetings go on after a failure. The journal is folded into the state at the end, compare-and-swap on the serial
this run wrote: a run that lost its lock leaves its records to the run that holds it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from providers import (
    ApiUnreachableError,
    AuthenticationError,
    ControlAction,
    PermissionDeniedError,
    Provider,
    ProviderError,
)
from reconciler._journal_writer import JournalWriter
from reconciler._outcome import ApplyResult, Outcome
from reconciler._start import NotSent, Starter
from reconciler._time import format_time, utc_now
from reconciler.config import DesiredRecording
from reconciler.plan import Change, Plan
from state import LockLostError, PutRecord, RecordingEntry, State, StateStore

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
    bound: timedelta = timedelta(seconds=120),
    lock_id: str | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ApplyResult:
    """Execute `plan` against `provider`, recording every outcome in `store`; return the folded state.

    `state` is the state the plan was made from, as stored; the caller holds the store's lock `lock_id`, which is
    checked before every request that changes a recording (None: not checked, for tests without a lock).
    `desired` supplies the start bodies, secrets included. `bound` is how long a start may stay in the API's hands
    (`_resolve.settle_bound`).
    """
    run = _Run(
        provider, store=store, on_outcome=on_outcome, stop=stop or threading.Event(), lock_id=lock_id, clock=clock
    )
    state = run.edit_state(state, plan.changes)
    run.entries = dict(state.recordings)
    starter = Starter(run, desired, bound, owned={entry.recording_id for entry in state.recordings.values()})
    by_meeting: dict[str, list[Change]] = {}
    for change in plan.changes:
        if change.calls_api:
            by_meeting.setdefault(change.meeting_id, []).append(change)
    with JournalWriter(store) as run.journal:
        run.dispatch(by_meeting.values(), parallelism, starter)
    # A run that lost its lock leaves the journal to the run that holds it now.
    final = state if run.lost_lock else store.fold(expected_serial=state.serial)
    # Interrupted: the user stopped the run before everything was dispatched (not a refused token, not too late).
    skipped = any(outcome.result == "skipped" for outcome in run.outcomes)
    interrupted = run.stop.is_set() and not run.stopped_by and skipped
    return ApplyResult(
        outcomes=tuple(run.outcomes),
        state=final,
        interrupted=interrupted,
        warnings=tuple(run.warnings),
        stopped_by=run.stopped_by,
    )


class _Run:
    """The bookkeeping of one apply, shared by the worker threads under `lock`."""

    def __init__(
        self,
        provider: Provider,
        *,
        store: StateStore,
        on_outcome: Callable[[Outcome], None],
        stop: threading.Event,
        lock_id: str | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.provider = provider
        self.store = store
        self.on_outcome = on_outcome
        self.stop = stop
        self.lock_id = lock_id
        self.clock = clock
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.warnings: list[str] = []
        self.entries: dict[str, RecordingEntry] = {}
        self.journal: JournalWriter
        self.stopped_by = ""  # why dispatching stopped, when it was not the user
        self.lost_lock = False

    def report(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            self.on_outcome(outcome)

    def warn(self, warning: str) -> None:
        with self.lock:
            self.warnings.append(warning)

    def record(self, address: str, entry: RecordingEntry) -> None:
        """Journal the recording now behind `address` (on disk within moments: the journal writer's next fsync)."""
        self.journal.write(PutRecord(address, entry))
        with self.lock:
            self.entries[address] = entry

    def now(self) -> str:
        return format_time(self.clock())

    def may_send(self) -> None:
        """Called right before a request that changes a recording leaves: raise `NotSent` when it must not."""
        if self.stop.is_set():
            raise NotSent(self.stopped_by or "interrupted")
        if self.lock_id is not None:
            try:
                self.store.check_lock(self.lock_id)
            except LockLostError as lost:
                with self.lock:
                    self.stopped_by, self.lost_lock = str(lost), True
                self.stop.set()
                raise NotSent("this run's state lock was removed") from None

    def stop_if_hopeless(self, error: ProviderError) -> None:
        """A token that is refused will be refused for every other call too, and a client that gave up on the API
        sends nothing more: stop dispatching."""
        if isinstance(error, AuthenticationError | PermissionDeniedError | ApiUnreachableError):
            with self.lock:
                self.stopped_by = self.stopped_by or error.message
            self.stop.set()

    def edit_state(self, state: State, changes: Iterable[Change]) -> State:
        """Moves and forgets touch only the state: one atomic write before any API call."""
        recordings = dict(state.recordings)
        done: list[Outcome] = []
        for change in changes:
            if change.moved_from is not None and change.moved_from in recordings:
                recordings[change.address] = recordings.pop(change.moved_from)
                done.append(Outcome(change.address, "move", "ok", f"from {change.moved_from}"))
            if "forget" in change.actions:
                recordings.pop(change.address, None)
                done.append(Outcome(change.address, "forget", "ok", "dropped from state (no API call)"))
        if done:
            state = self.store.write(dataclasses.replace(state, recordings=recordings), expected_serial=state.serial)
        for outcome in done:
            self.report(outcome)
        return state

    def dispatch(self, meetings: Iterable[list[Change]], parallelism: int, starter: Starter) -> None:
        """Hand each meeting to a worker, in order, its start's intent journaled as it goes; at most `parallelism`
        meetings wait for a worker, so an intent is rarely journaled long before its start."""
        waiting = threading.Semaphore(parallelism)

        def work(changes: list[Change]) -> None:
            waiting.release()
            self.meeting(changes, starter)

        with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="apply") as pool:
            futures = []
            for changes in meetings:
                waiting.acquire()
                first_call = next(action for action in changes[0].actions if action != "move")
                if first_call == "start" and not self.stop.is_set():
                    starter.intend_ahead(changes[0].address)
                futures.append(pool.submit(work, changes))
            for future in futures:
                future.result()

    def meeting(self, changes: list[Change], starter: Starter) -> None:
        """Every API action of one meeting, in plan order (so one start at most is in flight for it)."""
        held_back = ""  # why the meeting's remaining actions are not attempted
        for change in changes:
            actions = [action for action in change.actions if action != "move"]
            for index, action in enumerate(actions):
                if self.stop.is_set() and not held_back:
                    held_back = self.stopped_by or "interrupted"
                if held_back:
                    self.skip(change.address, actions[index:], held_back)
                    break
                result = starter.start(change) if action == "start" else self.control(change, _CONTROLS[action])
                if result == "unresolved":
                    held_back = "an earlier start of this meeting has an unknown outcome; a later run resolves it"
                if result != "ok":
                    reason = held_back or ("not sent" if result == "skipped" else f"the {action} failed")
                    self.skip(change.address, actions[index + 1 :], reason)
                    break
        starter.forget_ahead(changes[0].address)  # an intent journaled ahead whose start was never attempted

    def skip(self, address: str, actions: Sequence[str], reason: str) -> None:
        for action in actions:
            self.report(Outcome(address, action, "skipped", f"not attempted: {reason}"))

    def control(self, change: Change, action: ControlAction) -> str:
        entry = self.entries.get(change.address)
        if entry is None:
            self.report(Outcome(change.address, action, "failed", "no recording in state to act on"))
            return "failed"
        try:
            recording = self.provider.control(entry.recording_id, action, before_send=self.may_send)
        except NotSent as why:
            self.report(Outcome(change.address, action, "skipped", f"not attempted: {why}"))
            return "skipped"
        except ProviderError as error:
            self.report(Outcome(change.address, action, "failed", error.message, entry.recording_id, entry.status))
            self.stop_if_hopeless(error)
            return "failed"
        self.record(change.address, dataclasses.replace(entry, status=recording.status, updated_at=self.now()))
        self.report(Outcome(change.address, action, "ok", "", recording.id, recording.status))
        return "ok"
