"""The emulator's behaviour, free of sockets: one request in (method, target, token header, body), one `Reply` out.

API routes get latency and faults (see `_faults`), the bearer-token check, strict validation and the store;
`/__emulator/...` routes inspect and steer it (documented in the package docstring) and never meet a fault.
"""

from __future__ import annotations

import hmac
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import fields, replace
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from providers._types import STATUSES, ControlAction, RecordingStatus
from providers.emulator._faults import ROUTES, FaultConfig, FaultInjector
from providers.emulator._inspect import inspect
from providers.emulator._reply import Reply, error, gateway_error, ok
from providers.emulator._store import RecordingStore, iso
from providers.emulator._validation import ListQuery, check_control_body, check_start_body

__all__ = ["Emulator"]

_API = re.compile(
    r"/client/v4/accounts/(?P<account>[^/]+)/realtime/kit/(?P<app>[^/]+)/recordings"
    r"(?:/active-recording/(?P<meeting>[^/]+)|/(?P<recording>[^/]+))?"
)
_ROUTES = {
    ("POST", "collection"): "start",
    ("GET", "collection"): "list",
    ("GET", "meeting"): "active",
    ("GET", "recording"): "get",
    ("PUT", "recording"): "control",
}


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


class Emulator:
    """Everything the emulator knows and does. Thread-safe: one lock around state, none around sleeping."""

    def __init__(
        self,
        *,
        token: str,
        speed: float = 1.0,
        seed: int | None = None,
        faults: FaultConfig | None = None,
        clock: Callable[[], float] = time.time,
        clock_offset: float = 0.0,
        apps: Collection[str] | None = None,
    ) -> None:
        """`clock_offset` sets the emulator's clock that many seconds off the real one (a negative offset: behind),
        as an API whose clock disagrees with the client's. `apps`, when given, are the only app ids that exist:
        any other answers 404, as an app that does not exist does."""
        if not speed > 0:
            raise ValueError(f"speed must be above 0, got {speed}")
        self._initial = faults or FaultConfig()
        problems = self._initial.problems()
        if problems:
            raise ValueError("; ".join(problems))
        self.token = token
        self.seed = seed
        if not math.isfinite(clock_offset):
            raise ValueError(f"clock_offset must be a number of seconds, got {clock_offset}")
        self._clock = clock
        self._offset = clock_offset
        self._apps = None if apps is None else frozenset(apps)
        self._lock = threading.Lock()
        self._speed = speed
        self.store = RecordingStore(speed=speed, clock=self.now, ids=_ids(seed))
        self.faults = FaultInjector(replace(self._initial), seed)

    def now(self) -> float:
        """Epoch seconds on the emulator's clock: the real time, plus the clock offset and whatever `advance`
        added. Every answer's `Date` header and every recording's times are on this clock."""
        return self._clock() + self._offset

    # Inspection and steering (also served under /__emulator/).

    def recordings(self) -> list[dict[str, Any]]:
        """Everything created, oldest first, with the exact body each start received and who started it."""
        with self._lock:
            return [
                {
                    "id": r.id,
                    "account_id": r.account_id,
                    "app_id": r.app_id,
                    "meeting_id": r.meeting_id,
                    "status": r.status,
                    "invoked_time": iso(r.invoked),
                    "started_by": {"reason": r.started_by[0], "caller_type": r.started_by[1]},
                    "body": r.body,
                }
                for r in self.store.all()
            ]

    def start_elsewhere(
        self, account_id: str, app_id: str, meeting_id: str, *, reason: str = "API_CALL", caller: str | None = "USER"
    ) -> str:
        """A recording of `meeting_id` started by someone else (a person in the meeting's UI by default, or the
        meeting's own RECORD_ON_START, or another team's token: caller ORGANIZATION); returns its id. It allows
        other recordings beside it, so it never blocks a start under test."""
        if reason not in ("API_CALL", "RECORD_ON_START") or caller not in (None, "USER", "ORGANIZATION"):
            raise ValueError("reason is API_CALL or RECORD_ON_START; caller is USER, ORGANIZATION or null")
        body = {"meeting_id": meeting_id, "allow_multiple_recordings": True}
        if check_start_body(body):
            raise ValueError(f"meeting_id must be a UUID, found {meeting_id!r}")
        with self._lock:
            return self.store.create((account_id, app_id), body, (reason, caller)).id

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return self.faults.counters()

    def set_status(self, recording_id: str, status: RecordingStatus) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._lock:
            recording = self.store.find(recording_id)
            if recording is None:
                raise KeyError(recording_id)
            self.store.set_status(recording, status)

    def forget(self, recording_id: str) -> None:
        with self._lock:
            recording = self.store.find(recording_id)
            if recording is None:
                raise KeyError(recording_id)
            self.store.forget(recording)

    def configure_faults(self, **changes: Any) -> FaultConfig:
        """Change some fields of the fault configuration (and `seed`, which restarts the fault sequence)."""
        with self._lock:
            seed = changes.pop("seed", self.seed)
            known = {f.name for f in fields(FaultConfig)}
            unknown = sorted(set(changes) - known)
            if unknown:
                raise ValueError(f"unknown fault settings: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
            config = replace(self.faults.config, **changes)
            problems = config.problems()
            if problems:
                raise ValueError("; ".join(problems))
            if seed != self.seed:
                self.seed = seed
                self.faults.reseed(seed)
            self.faults.config = config
            return config

    def script(self, route: str, *kinds: str) -> None:
        """The next requests of `route` meet these faults, in order."""
        config = FaultConfig(rates=dict.fromkeys(kinds, 0.0))
        if route not in (*ROUTES, "*") or config.problems():
            raise ValueError(f"cannot script {list(kinds)} on route {route!r} (routes: {', '.join(ROUTES)}, *)")
        with self._lock:
            self.faults.add_script(route, list(kinds))

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward, as if `seconds` had passed."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError("seconds must be 0 or more")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Forget every recording, counter and scripted fault; back to the initial fault configuration."""
        with self._lock:
            self.store = RecordingStore(speed=self._speed, clock=self.now, ids=_ids(self.seed))
            self.faults.reset(replace(self._initial))

    # Requests.

    def handle(self, method: str, target: str, authorization: str | None, body: bytes) -> Reply | None:
        """Answer one request; None means: close the connection without answering."""
        url = urlsplit(target)
        if url.path.startswith("/__emulator/"):
            # They hand out every start body, secrets included: the emulator's own token, and nothing else.
            if not self._authorized(authorization):
                return error(401, "the /__emulator/ routes need the emulator's token: Authorization: Bearer <token>")
            return inspect(self, method, url.path, body)
        match = _API.fullmatch(url.path)
        if match is None:
            return error(404, f"No route for {method} {url.path}")
        scope = (unquote(match["account"]), unquote(match["app"]))
        kind = "meeting" if match["meeting"] else "recording" if match["recording"] else "collection"
        route = _ROUTES.get((method, kind))
        if route is None:
            return error(405, f"Method {method} is not allowed on {url.path}")
        target = "" if kind == "collection" else unquote(match[kind])
        reply = self._api(route, scope, target=target, query=url.query, authorization=authorization, body=body)
        with self._lock:
            self.faults.responses["dropped" if reply is None else str(reply.status)] += 1
        return reply

    def _api(
        self, route: str, scope: tuple[str, str], *, target: str, query: str, authorization: str | None, body: bytes
    ) -> Reply | None:
        with self._lock:
            self.faults.requests[route] += 1
            fault = self.faults.draw(route)
            config = self.faults.config
            wait = self.faults.over_limit(time.monotonic())
        if config.latency:
            time.sleep(config.latency)
        if fault == "latency-spike":
            time.sleep(config.spike_latency)
        if wait is not None or fault == "429":
            retry_after = _seconds(math.ceil(wait)) if wait is not None else _seconds(config.retry_after)
            with self._lock:
                self.faults.rate_limited += 1
            message = "Please wait and consider throttling your request speed"
            return gateway_error(429, 971, message, (("Retry-After", retry_after),))
        if fault == "5xx-before":
            return error(502, "Bad gateway (injected by the emulator)")
        if not self._authorized(authorization):
            return gateway_error(401, 10000, "Authentication error")
        if self._apps is not None and scope[1] not in self._apps:
            return error(404, f"App {scope[1]} not found")
        reply = self._route(route, scope, target, query, body, unfiltered=fault == "unfiltered")
        if fault == "5xx-after":
            return error(500, "Internal server error (injected by the emulator)")
        if fault == "drop-after":
            return None
        return reply

    def _authorized(self, authorization: str | None) -> bool:
        expected = f"Bearer {self.token}".encode()
        return authorization is not None and hmac.compare_digest(authorization.encode(errors="replace"), expected)

    def _route(
        self, route: str, scope: tuple[str, str], target: str, query: str, body: bytes, *, unfiltered: bool = False
    ) -> Reply:
        """Carry out an authorised request; `target` is the meeting or recording id of the path."""
        if route == "list":
            checked = ListQuery(parse_qs(query, keep_blank_values=True))
            if checked.problems:
                return error(400, "; ".join(checked.problems))
            with self._lock:
                page, total, offset = self.store.query(scope, checked, unfiltered=unfiltered)
                data = [self.store.render(r, meeting=True) for r in page]
            paging = {
                "total_count": total,
                "start_offset": offset + 1 if data else offset,
                "end_offset": offset + len(data),
            }
            return Reply(200, {"success": True, "data": data, "paging": paging})
        if route == "active":
            with self._lock:
                active = self.store.active(scope, target)
                if not active:
                    return error(404, f"No active recording found for meeting {target}")
                return ok(self.store.render(active[-1]))
        if route == "get":
            with self._lock:
                recording = self.store.find(target, scope)
                return (
                    error(404, "Recording not found")
                    if recording is None
                    else ok(self.store.render(recording, reasons=True))
                )
        document = _json(body)
        problems = (check_start_body if route == "start" else check_control_body)(document)
        if problems:
            return error(400, "; ".join(problems))
        with self._lock:
            if route == "start":
                conflict = self.store.conflict(scope, document)
                if conflict is not None:
                    return error(
                        409,
                        f"Meeting {document['meeting_id']} already has an active recording ({conflict.id}); "
                        "both recordings must set allow_multiple_recordings to run at once",
                    )
                self.faults.created += 1
                return ok(self.store.render(self.store.create(scope, document), reasons=True))
            recording = self.store.find(target, scope)
            if recording is None:
                return error(404, "Recording not found")
            refusal = self.store.control(recording, cast(ControlAction, document["action"]))
            return error(400, refusal) if refusal else ok(self.store.render(recording, reasons=True))


def _ids(seed: int | None) -> random.Random:
    """Where recording ids come from: the same sequence for a seed, different ones on every start without one
    (so that a restarted emulator never hands out an id a state file already holds)."""
    return random.Random(f"ids-{seed}") if seed is not None else random.Random()


def _json(body: bytes) -> Any:
    """The parsed body, or a marker the validators refuse with a clear message."""
    try:
        return json.loads(body) if body else None
    except (UnicodeDecodeError, ValueError):
        return _NotJSON()


class _NotJSON:
    def __repr__(self) -> str:
        return "a body that is not JSON"
