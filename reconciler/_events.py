"""`RefreshEvent`: one thing refresh learned, told to the user (in plan, apply and refresh output)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["EventKind", "RefreshEvent"]

EventKind = Literal[
    "status",  # a recording's status changed
    "vanished",  # the API no longer knows a recording that had not reached UPLOADED
    "foreign",  # the API reports a recording id of the state under another meeting
    "unverified",  # every recording checked was unknown to the API: nothing marked vanished
    "adopted",  # an uncertain start's recording was found
    "ambiguous",  # an uncertain start has several candidates: the user settles it with `import`
    "pending",  # an uncertain start is still unresolved
    "none-created",  # an uncertain start created nothing (kept as a suspect)
    "late-adopted",  # a suspect's late recording was adopted
    "duplicate",  # a suspect's late recording appeared beside the address's own: stop it
]


@dataclass(frozen=True, slots=True)
class RefreshEvent:
    """One thing refresh learned, for the user: `message` is a full sentence without the address."""

    address: str
    kind: EventKind
    message: str
    recording_id: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"address": self.address, "kind": self.kind, "message": self.message, "recording_id": self.recording_id}
