"""The `/__emulator/...` routes: read what was created and the counters, steer statuses, faults and time.

They need the emulator's own token (`Authorization: Bearer <token>`), as the API routes do: they hand out every
start body, secrets included. They are never counted and never meet a fault. Answers are plain JSON (no
envelope); errors use the API's error envelope.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from providers._types import STATUSES, RecordingStatus
from providers.emulator._faults import FAULT_KINDS, ROUTES
from providers.emulator._reply import Reply, error

if TYPE_CHECKING:
    from providers.emulator._app import Emulator

__all__ = ["inspect"]


def inspect(emulator: Emulator, method: str, path: str, body: bytes) -> Reply:
    try:
        document: Any = json.loads(body) if body else {}
    except (UnicodeDecodeError, ValueError):
        return error(400, "body is not JSON")
    if not isinstance(document, dict):
        return error(400, "body must be a JSON object")
    route = path.removeprefix("/__emulator/")
    recording_id = route.removeprefix("recordings/") if route.startswith("recordings/") else None
    try:
        if (method, route) == ("GET", "recordings"):
            return Reply(200, {"recordings": emulator.recordings()})
        if (method, route) == ("POST", "recordings"):
            recording_id = emulator.start_elsewhere(
                str(document.get("account_id")),
                str(document.get("app_id")),
                str(document.get("meeting_id")),
                reason=str(document.get("reason", "API_CALL")),
                caller=document.get("caller", "USER"),
            )
            return Reply(200, {"id": recording_id})
        if method == "PUT" and recording_id:
            status = document.get("status")
            if status not in STATUSES:
                return error(400, f"status must be one of {', '.join(STATUSES)}")
            emulator.set_status(recording_id, cast(RecordingStatus, status))
            return Reply(200, {"id": recording_id, "status": status})
        if method == "DELETE" and recording_id:
            emulator.forget(recording_id)
            return Reply(200, {"forgotten": recording_id})
        if (method, route) == ("GET", "counters"):
            return Reply(200, emulator.counters())
        if (method, route) == ("GET", "faults"):
            return Reply(200, _faults(emulator))
        if (method, route) == ("PUT", "faults"):
            emulator.configure_faults(**document)
            return Reply(200, _faults(emulator))
        if (method, route) == ("POST", "faults/script"):
            kinds = document.get("faults")
            if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
                return error(400, f"faults must be a list of: {', '.join(FAULT_KINDS)}")
            emulator.script(str(document.get("route", "*")), *kinds)
            return Reply(200, _faults(emulator))
        if (method, route) == ("POST", "advance"):
            seconds = document.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                return error(400, "seconds must be a number")
            emulator.advance(float(seconds))
            return Reply(200, {"now": emulator.now()})
        if (method, route) == ("POST", "reset"):
            emulator.reset()
            return Reply(200, {"reset": True})
    except KeyError as missing:
        return error(404, f"no recording {missing.args[0]}")
    except (TypeError, ValueError) as problem:
        return error(400, str(problem))
    return error(404, f"No inspection route {method} {path} (see `providers.emulator` for the list)")


def _faults(emulator: Emulator) -> dict[str, Any]:
    return {
        "seed": emulator.seed,
        "config": emulator.faults.config.to_json(),
        "script": [{"route": route, "fault": kind} for route, kind in emulator.faults.script],
        "routes": list(ROUTES),
        "kinds": list(FAULT_KINDS),
    }
