"""Resolve a start whose outcome is unknown (design §5.3, §5.4), from the API alone, on the API's clock.

The candidates are the recordings of the start's meeting that
- the API lists under that meeting (each answer's meeting is checked: a list filter is never trusted),
- were invoked at or after the start's intent, on the API's clock (less `CLOCK_MARGIN` for measuring it),
- no state entry owns,
- were started through the API with a token, as the tool's own starts are (a GET of each says: a person in the
  meeting's UI, or a meeting that records itself, started someone else's recording).

One candidate is the start's recording: adopted at once. Several: none is picked; the start stays pending and
every candidate is named, for the user to settle with `reconciler import`. None: "nothing was created" is
concluded only once `settle_bound` has passed since the intent, on the API's clock: the API can act on a request
long after the client gave up (Cloudflare's edge holds a request up to ~100 s). Until then the start stays
pending. When the API's clock cannot be known (no answer carried a `Date`), nothing is concluded at all.

After "nothing was created", the intent is kept as a suspect for `SUSPECT_FOR` (`find_late_recordings`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from providers import Provider, Recording
from reconciler._time import format_time, parse_time, utc_now
from state import Binding, PendingStart, SuspectStart

__all__ = [
    "CLOCK_MARGIN",
    "INTENT_LEAD",
    "SETTLE_BOUND",
    "SUSPECT_FOR",
    "Adopted",
    "Ambiguous",
    "NothingCreated",
    "Resolution",
    "StillPending",
    "candidates_since",
    "intent_api_time",
    "resolve_uncertain_start",
    "settle_bound",
    "stop_command",
    "suspect_of",
    "untracked_note",
]

# "Nothing was created" waits this long after a start's intent, whatever --http-timeout is: Cloudflare's edge keeps
# a request up to ~100 s, and the API may act on it until then. A longer --http-timeout lengthens it (`settle_bound`).
SETTLE_BOUND = timedelta(seconds=120)
# A start concluded to have created nothing is watched this long for a recording the API makes late.
SUSPECT_FOR = timedelta(days=1)
# Comparisons on the API's clock allow this much for measuring it (its `Date` headers are whole seconds).
CLOCK_MARGIN = timedelta(seconds=5)
# How long before its request leaves an intent may be journaled: apply journals each start's intent as it hands the
# meeting to a worker, and journals it again when the send comes later than this.
INTENT_LEAD = timedelta(seconds=1)


def settle_bound(http_timeout: float) -> timedelta:
    """How long after its intent a start may still be at work in the API: `SETTLE_BOUND`, or the request's own
    timeout plus 20 s when that is longer."""
    return max(SETTLE_BOUND, timedelta(seconds=http_timeout + 20))


@dataclass(frozen=True, slots=True)
class Adopted:
    """The start created `recording`."""

    recording: Recording


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Several recordings could be the start's: none is adopted."""

    candidates: tuple[Recording, ...]


@dataclass(frozen=True, slots=True)
class NothingCreated:
    """The bound has passed with no candidate: the start created nothing (it stays a suspect for a day)."""


@dataclass(frozen=True, slots=True)
class StillPending:
    """No candidate yet, and "nothing was created" cannot be concluded before `until` (the API's clock); `until`
    is None when the API's clock is unknown."""

    until: datetime | None


Resolution = Adopted | Ambiguous | NothingCreated | StillPending


def intent_api_time(start: PendingStart, provider: Provider) -> datetime | None:
    """When the start's intent was journaled, on the API's clock: as the run that sent it measured it, else its
    local time moved by the offset measured now. None when the API's clock is unknown."""
    if start.api_time is not None:
        return parse_time(start.api_time)
    api_now = provider.api_time()
    if api_now is None:
        return None
    return parse_time(start.time) + (api_now - utc_now())


def resolve_uncertain_start(
    provider: Provider, start: PendingStart, owned: Container[str], *, bound: timedelta
) -> Resolution:
    """What the uncertain `start` created. `owned` holds the recording ids already behind an address, which are
    never adopted twice. Raises `ProviderError` when the API cannot be asked."""
    if provider.api_time() is None:
        provider.check_access()  # an answer, so that the API's clock is known
    sent = intent_api_time(start, provider)
    if sent is None:
        return StillPending(until=None)
    candidates = tuple(candidates_since(provider, start.meeting_id, sent, owned))
    if len(candidates) == 1:
        return Adopted(candidates[0])
    if candidates:
        return Ambiguous(candidates)
    api_now = provider.api_time()
    if api_now is None:
        return StillPending(until=None)
    if api_now >= sent + bound:
        return NothingCreated()
    return StillPending(until=sent + bound)


def candidates_since(
    provider: Provider, meeting_id: str, since: datetime, owned: Container[str]
) -> Iterator[Recording]:
    """The recordings of `meeting_id` invoked since `since` (the API's clock) that no address owns and that were
    started through the API with a token, oldest first, each read alone (a list does not say who started it)."""
    earliest = since - CLOCK_MARGIN
    for listed in provider.list(meeting_id=meeting_id, since=earliest):
        if listed.meeting_id != meeting_id or listed.id in owned or listed.invoked_time < earliest:
            continue
        recording = provider.get(listed.id)
        if recording.started_by is None or recording.started_by.api_token:
            yield dataclasses.replace(recording, meeting_id=meeting_id)


def suspect_of(address: str, start: PendingStart, sent: datetime) -> SuspectStart:
    """The suspect kept for a start concluded to have created nothing."""
    return SuspectStart(address, start.meeting_id, format_time(sent), start.fields, start.sensitive_digest)


def untracked_note(recording: Recording, meeting_id: str) -> str:
    """What is said of a recording of `meeting_id` that resolving a start found and that no address holds."""
    return f"recording {recording.id} of meeting {meeting_id} is not tracked by any address"


def stop_command(binding: Binding | None, recording_id: str) -> str:
    """The exact command that stops a recording the tool does not track (the token is left to the shell)."""
    if binding is None:
        return f'PUT /recordings/{recording_id} with {{"action": "stop"}}'
    url = f"{binding.api}/accounts/{binding.account_id}/realtime/kit/{binding.app_id}/recordings/{recording_id}"
    return (
        f"curl -X PUT '{url}' -H \"Authorization: Bearer $CLOUDFLARE_API_TOKEN\" "
        "-H 'Content-Type: application/json' --data '{\"action\": \"stop\"}'"
    )
