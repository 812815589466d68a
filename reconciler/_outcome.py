"""What an apply did: one `Outcome` per action, and the `ApplyResult` of the run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from state import State

__all__ = ["ApplyResult", "Outcome", "Result"]

Result = Literal["ok", "failed", "uncertain", "skipped"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one action of one change: `result` is "ok" (done), "failed", "uncertain" (a start whose
    outcome is unknown, left for the next run to resolve) or "skipped" (not attempted)."""

    address: str
    action: str
    result: Result
    message: str
    recording_id: str | None = None
    status: str | None = None

    @property
    def attempted_and_failed(self) -> bool:
        """Failed or uncertain: any such outcome makes apply exit 1."""
        return self.result in ("failed", "uncertain")

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "outcome",
            "address": self.address,
            "action": self.action,
            "result": self.result,
            "recording_id": self.recording_id,
            "status": self.status,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply did. `interrupted`: the user stopped it (Ctrl-C) before everything was dispatched;
    `stopped_by`: why dispatching stopped when it was not the user (a refused token, a lost lock), or ""."""

    outcomes: tuple[Outcome, ...]
    state: State
    interrupted: bool
    warnings: tuple[str, ...] = ()
    stopped_by: str = ""

    @property
    def summary(self) -> dict[str, int]:
        """How many actions ended each way: ok, failed, uncertain, skipped."""
        counts = Counter(outcome.result for outcome in self.outcomes)
        return {result: counts[result] for result in ("ok", "failed", "uncertain", "skipped")}

    @property
    def failed(self) -> int:
        """Actions that did not succeed though attempted (uncertain ones included): any makes apply exit 1."""
        return sum(1 for outcome in self.outcomes if outcome.attempted_and_failed)
