"""`Starter`: how apply starts one recording, exactly once (design §5).

    intent on disk ──> may it still send? ──> start sent ──> answer: the recording, journaled
                              │                          └──> no answer or a 5xx: uncertain ──> resolved from the
                              │                               API at once: one candidate adopted; otherwise pending
                              └──> no (Ctrl-C, lock lost): not sent, intent cleared

"May it still send" comes after the intent is on disk: a run that takes the lock after that check folds the
intent, and holds its meeting back until the start is resolved.

An intent is journaled ahead, as its meeting is handed to a worker (`intend_ahead`), so that the worker does not
wait for the disk; if the send comes later than `INTENT_LEAD` (the rate limit held it back), the intent is
journaled again, so that its time is within `INTENT_LEAD` of the send. An intent whose start is never sent is
cleared. Apply never concludes that an uncertain start created nothing: that takes the API's settle time, and is
left to the next refresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from providers import Provider, ProviderError, Recording, UncertainStartError
from reconciler._digest import sensitive_digest
from reconciler._journal_writer import JournalWriter, Written
from reconciler._outcome import Outcome
from reconciler._resolve import (
    INTENT_LEAD,
    Adopted,
    Ambiguous,
    StillPending,
    resolve_uncertain_start,
)
from reconciler._time import format_time
from reconciler.config import DesiredRecording
from reconciler.plan import Change
from reconciler.refresh import entry_from_recording
from state import ClearRecord, IntentRecord, PendingStart, RecordingEntry

__all__ = ["NotSent", "Starter"]


class NotSent(Exception):
    """Raised right before a request leaves, when it must not (the run was stopped, or lost its lock)."""


class _Run(Protocol):
    """What a `Starter` needs of the apply run (`apply._Run`)."""

    provider: Provider
    journal: JournalWriter
    clock: Callable[[], datetime]

    def report(self, outcome: Outcome) -> None: ...
    def record(self, address: str, entry: RecordingEntry) -> None: ...
    def may_send(self) -> None: ...
    def stop_if_hopeless(self, error: ProviderError) -> None: ...


@dataclass(frozen=True)
class _Intent:
    """A start's intent, handed to the journal at `at` (local clock): on disk once `written.wait()` returns."""

    start: PendingStart
    at: datetime
    written: Written


class Starter:
    """Starts recordings for one apply run; thread-safe (one worker per meeting)."""

    def __init__(
        self, run: _Run, desired: Mapping[str, DesiredRecording], bound: timedelta, *, owned: set[str]
    ) -> None:
        self._run = run
        self._desired = desired
        self._bound = bound
        self._owned = owned  # recording ids behind an address: never adopted twice
        self._lock = threading.Lock()
        self._ahead: dict[str, _Intent] = {}  # intents journaled ahead, by address

    def intend_ahead(self, address: str) -> None:
        """Journal the intent to start `address` now, without waiting for the disk."""
        intent = self._intend(address)
        with self._lock:
            self._ahead[address] = intent

    def forget_ahead(self, address: str) -> None:
        """Clear an intent journaled ahead whose start was never attempted."""
        with self._lock:
            intent = self._ahead.pop(address, None)
        if intent is not None:
            self._run.journal.write(ClearRecord(address, reason="not attempted"))

    def start(self, change: Change) -> str:
        """ "ok", "failed" (nothing was created), "skipped" (never sent) or "unresolved" (left pending)."""
        run, address = self._run, change.address
        recording = self._desired[address]
        sent: list[PendingStart] = []

        def before_send() -> None:
            with self._lock:
                ahead = self._ahead.pop(address, None)
            if ahead is None or run.clock() - ahead.at > INTENT_LEAD:
                ahead = self._intend(address)
            ahead.written.wait()
            sent.append(ahead.start)
            # Only now, with the intent on disk, may it be sent: nothing leaves after Ctrl-C or once the lock is
            # lost. A run that takes the lock after this check folds the intent and holds the meeting back.
            run.may_send()

        try:
            started = run.provider.start(recording.meeting_id, recording.body, before_send=before_send)
        except NotSent as why:
            self._clear_unsent(address, sent, reason=str(why))
            run.report(Outcome(address, "start", "skipped", f"not attempted: {why}"))
            return "skipped"
        except UncertainStartError as error:
            return self._resolve(change, sent[-1], error)
        except ProviderError as error:
            self._clear_unsent(address, sent, reason=error.message)
            run.report(Outcome(address, "start", "failed", error.message))
            run.stop_if_hopeless(error)
            return "failed"
        self._adopt(address, started, sent[-1], "")
        return "ok"

    def _intend(self, address: str) -> _Intent:
        recording = self._desired[address]
        fields, digest = recording.public_fields(), sensitive_digest(recording.sensitive_values())
        at = self._run.clock()
        api_now = self._run.provider.api_time()
        api_time = None if api_now is None else format_time(api_now)
        start = PendingStart(recording.meeting_id, format_time(at), fields, digest, api_time)
        record = IntentRecord(address, start.meeting_id, start.time, fields, digest, api_time)
        return _Intent(start, at, self._run.journal.write(record))

    def _clear_unsent(self, address: str, sent: list[PendingStart], *, reason: str) -> None:
        """The API certainly did nothing with this start (refused, or never sent): its intents are settled."""
        with self._lock:
            ahead = self._ahead.pop(address, None)
        if sent or ahead is not None:
            self._run.journal.write(ClearRecord(address, reason=reason))

    def _resolve(self, change: Change, intent: PendingStart, error: UncertainStartError) -> str:
        """Settle an uncertain start from the API before anything else is sent for this meeting."""
        run, address = self._run, change.address
        with self._lock:
            owned = set(self._owned)
        try:
            resolution = resolve_uncertain_start(run.provider, intent, owned, bound=self._bound)
        except ProviderError as resolve_error:
            message = (
                f"{error.message}; the API could not be asked what it created ({resolve_error.message}): the next "
                "plan or apply resolves it before anything else is sent for this meeting"
            )
            run.report(Outcome(address, "start", "uncertain", message))
            run.stop_if_hopeless(resolve_error)
            return "unresolved"
        if isinstance(resolution, Adopted):
            self._adopt(address, resolution.recording, intent, "confirmed from the API after an uncertain answer")
            return "ok"
        if isinstance(resolution, Ambiguous):
            names = ", ".join(recording.id for recording in resolution.candidates)
            detail = (
                f"it may have created any of {len(resolution.candidates)} recordings of the meeting ({names}); "
                f"none is adopted: say which with `reconciler import {address} RECORDING_ID`"
            )
        elif isinstance(resolution, StillPending) and resolution.until is not None:
            detail = (
                "no recording of it is found yet; the API may still act on it until "
                f"{format_time(resolution.until)} (its clock), so nothing is sent for this meeting until a later run "
                "finds its recording or that time has passed"
            )
        else:
            detail = "no recording of it is found yet; a later run resolves it before anything else is sent"
        run.report(Outcome(address, "start", "uncertain", f"{error.message}: {detail}"))
        return "unresolved"

    def _adopt(self, address: str, recording: Recording, intent: PendingStart, message: str) -> None:
        with self._lock:
            self._owned.add(recording.id)
        self._run.record(address, entry_from_recording(recording, intent, self._run.clock()))
        self._run.report(Outcome(address, "start", "ok", message, recording.id, recording.status))
