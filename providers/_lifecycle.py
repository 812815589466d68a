"""Which control action a recording accepts in which status, shared by `FakeProvider` and the emulator.

INVOKED ──(~2 s)──> RECORDING ⇄ PAUSED          pause: RECORDING → PAUSED; resume: PAUSED → RECORDING
   │                    │          │             stop: INVOKED, RECORDING or PAUSED → UPLOADING
   └──────── stop ──────┴──────────┴──> UPLOADING ──(~2 s)──> UPLOADED          (ERRORED: from anywhere)
"""

from __future__ import annotations

from providers._types import ControlAction, RecordingStatus

__all__ = ["CONTROL_RESULT", "control_refusal"]

_ACCEPTED_FROM: dict[ControlAction, frozenset[RecordingStatus]] = {
    "stop": frozenset({"INVOKED", "RECORDING", "PAUSED"}),
    "pause": frozenset({"RECORDING"}),
    "resume": frozenset({"PAUSED"}),
}

CONTROL_RESULT: dict[ControlAction, RecordingStatus] = {"stop": "UPLOADING", "pause": "PAUSED", "resume": "RECORDING"}


def control_refusal(action: ControlAction, status: RecordingStatus) -> str | None:
    """Why `action` is refused for a recording in `status`, or None when it is accepted."""
    if status in _ACCEPTED_FROM[action]:
        return None
    if action == "pause" and status == "INVOKED":
        return "Recording has not started yet and cannot be paused"
    if action == "stop":
        return f"Recording is already stopped (status {status})"
    return f"Cannot {action} a recording in status {status}"
