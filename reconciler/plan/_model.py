"""A plan is data: the changes `make_plan` decided, each with its actions and a human reason.

Nothing here talks to the network or the disk, and nothing here formats for a reader: the applier carries a plan
out; the views (`reconciler.views`) show it; a saved plan file is its JSON form plus what is needed to refuse it
once it no longer holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler._events import RefreshEvent

__all__ = ["ACTIONS", "Action", "Change", "Drift", "Plan"]

Action = Literal["start", "pause", "resume", "stop", "forget", "move", "no-op"]
ACTIONS: tuple[Action, ...] = ("start", "pause", "resume", "stop", "forget", "move", "no-op")
# Actions that call the API; `forget` and `move` only edit the state.
API_ACTIONS: frozenset[str] = frozenset({"start", "pause", "resume", "stop"})


@dataclass(frozen=True, slots=True)
class Drift:
    """One field whose declared value differs from the one the recording was started with.

    Sensitive values are never held: `sensitive` is set and `before`/`after` are None (None also stands for a
    field that is unset on one side).
    """

    path: str
    before: Any = None
    after: Any = None
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """What the plan does for one address.

    `actions` is one action, or `("stop", "start")` for a replacement of an active recording. `recording_id` and
    `status` describe the recording in state before the change (None when there is none). `moved_from` is set for
    a move. `drift` explains declared fields that differ from the recording's, which never restarts it.
    `notable` marks a no-op worth showing even in a short plan. `fields` are the public fields a start sends
    (besides `meeting_id`) and `sensitive` the dotted paths of the secrets it sends too (never their values); both
    are empty for a change that starts nothing.
    """

    address: str
    meeting_id: str
    actions: tuple[Action, ...]
    reason: str
    recording_id: str | None = None
    status: str | None = None
    moved_from: str | None = None
    drift: tuple[Drift, ...] = ()
    notable: bool = False  # a no-op the user should see: a start held back, a paused recording never started
    fields: Mapping[str, Any] = field(default_factory=dict)
    sensitive: tuple[str, ...] = ()

    @property
    def is_noop(self) -> bool:
        return self.actions == ("no-op",)

    @property
    def calls_api(self) -> bool:
        return any(action in API_ACTIONS for action in self.actions)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "address": self.address,
            "meeting_id": self.meeting_id,
            "actions": list(self.actions),
            "reason": self.reason,
            "recording_id": self.recording_id,
        }
        if self.status is not None:
            document["status"] = self.status
        if self.moved_from is not None:
            document["moved_from"] = self.moved_from
        if self.drift:
            document["drift"] = [_drift_json(item) for item in self.drift]
        if self.notable:
            document["notable"] = True
        if "start" in self.actions:
            document["fields"] = dict(self.fields)
            document["sensitive"] = list(self.sensitive)
        return document


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes for every address in scope, in a stable order, and the state they were planned against: its
    lineage, serial and workspace (`default` for a file). `events` are what the refresh before the plan learned,
    `warnings` what the user should read; both are part of the plan as shown and saved."""

    changes: tuple[Change, ...]
    lineage: str
    serial: int
    warnings: tuple[str, ...] = field(default=())
    events: tuple[RefreshEvent, ...] = field(default=())
    workspace: str = "default"

    @property
    def summary(self) -> dict[str, int]:
        """How many times each action occurs (a replacement counts one stop and one start)."""
        counts = Counter(action for change in self.changes for action in change.actions)
        return {action: counts.get(action, 0) for action in ACTIONS}

    @property
    def has_changes(self) -> bool:
        return any(not change.is_noop for change in self.changes)

    def to_json(self) -> dict[str, Any]:
        """The document of design §7 (`plan --json`, `show --json PLANFILE`)."""
        return {
            "format_version": "1",
            "state": {"lineage": self.lineage, "serial": self.serial, "workspace": self.workspace},
            "changes": [change.to_json() for change in self.changes],
            "summary": self.summary,
            "warnings": list(self.warnings),
            "refresh": [event.to_json() for event in self.events],
        }


def _drift_json(drift: Drift) -> dict[str, Any]:
    if drift.sensitive:
        return {"path": drift.path, "sensitive": True}
    return {"path": drift.path, "before": drift.before, "after": drift.after}
