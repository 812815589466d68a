"""A local RealtimeKit recordings API, standard library only: for tests, demos and benchmarks (design §8).

    with EmulatorServer(token="t", speed=10, seed=7) as server:   # 127.0.0.1, a free port
        client = RealtimeKitClient(account_id="acc", app_id="app", token="t", base_url=server.url)

The API (under `/client/v4/accounts/{account_id}/realtime/kit/{app_id}`; any account and app id unless `apps`
names the apps that exist, recordings scoped per (account, app)):

    POST /recordings                                  start: 200; 400 invalid body; 409 meeting already active
    GET  /recordings                                  list: filters meeting_id, status (repeated), start_time /
                                                      end_time (on invoked_time), sort_by=invokedTime,
                                                      sort_order=ASC|DESC (default DESC), page_no (from 1),
                                                      per_page (1..100, default 20; more is a 400)
    GET  /recordings/{recording_id}                   one: 404 unknown
    GET  /recordings/active-recording/{meeting_id}    active: 404 when the meeting has none
    PUT  /recordings/{recording_id}                   {"action": "stop"|"pause"|"resume"}: 400 when the status
                                                      does not allow it (pause only RECORDING, resume only PAUSED,
                                                      stop only INVOKED/RECORDING/PAUSED)

Answers use the API's envelopes and validate against its OpenAPI schema. A wrong or missing bearer token gets 401
and rate limiting gets 429, both in Cloudflare's gateway envelope (`errors: [...]`); RealtimeKit's own errors use
`error: {code, message}`. A start is refused (409) while the meeting has an active recording, unless both the new
start and every active one set `allow_multiple_recordings`. Statuses move on by themselves, divided by `speed`:
INVOKED → RECORDING after 2 s; RECORDING → UPLOADING when stopped or after `max_seconds` recorded; UPLOADING →
UPLOADED after 2 s.

Every answer carries a `Date` header from the emulator's clock, which `clock_offset` sets off the real one (an API
whose clock disagrees with the client's) and `advance` moves on.

Faults (`FaultConfig`, or at runtime): fixed latency, latency spikes, 429 with `retry-after`, 5xx before the change
(502), 5xx after the change (500: a start DID create its recording), a connection dropped after the change, a list
that ignores its filters, and a requests-per-second limit. Probabilistic ones are drawn from an RNG seeded with
`seed`; scripted ones are queued ("the next start gets drop-after") and make tests deterministic. Recording ids are
drawn from `seed` too, and are random without one.

Every request must name the emulator by a loopback name in `Host` (127.0.0.1, localhost or [::1], with its port):
any other gets 421, which defeats DNS rebinding from a web page.

Inspection routes (the emulator's token required, as for the API; never counted, never faulted; also callable
in-process on `server.emulator`):

    GET    /__emulator/recordings          everything created, with the exact body each start received
    POST   /__emulator/recordings          {"account_id", "app_id", "meeting_id", "reason": "API_CALL", "caller":
                                           "USER"}: a recording started by someone else (a person in the UI;
                                           "RECORD_ON_START" and caller null for a meeting that records itself)
    PUT    /__emulator/recordings/{id}     {"status": "ERRORED"}: force a status
    DELETE /__emulator/recordings/{id}     forget it: the API answers 404 from now on
    GET    /__emulator/counters            {"requests": {route: n}, "starts": created, "faults": {kind: n},
                                           "rate_limited": 429s sent, "responses": {status: n}}
    GET    /__emulator/faults              the fault configuration, seed and pending script
    PUT    /__emulator/faults              change it: {"rates": {"429": 0.1}, "latency": 0.02, "spike_latency": 3,
                                           "retry_after": 1, "rps_limit": 50, "seed": 7} (any subset)
    POST   /__emulator/faults/script       {"route": "start", "faults": ["drop-after"]}; routes: start, list,
                                           get, active, control, * (any)
    POST   /__emulator/advance             {"seconds": 5}: move the clock on, as if time had passed
    POST   /__emulator/reset               forget everything; back to the initial fault configuration
"""

from __future__ import annotations

from providers.emulator._app import Emulator
from providers.emulator._faults import FAULT_KINDS, ROUTES, FaultConfig
from providers.emulator._server import DEFAULT_TOKEN, EmulatorServer, is_loopback
from providers.emulator._validation import MAX_PER_PAGE

__all__ = [
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "MAX_PER_PAGE",
    "ROUTES",
    "Emulator",
    "EmulatorServer",
    "FaultConfig",
    "is_loopback",
]
