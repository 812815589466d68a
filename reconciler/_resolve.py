"""Resolve a start whose outcome is unknown (design §5.3), from the API alone.

The candidates are the meeting's recordings invoked since the start's intent was journaled (less a margin for
clock skew between this machine and the API) that no state entry owns. Because at most one start is in flight
per meeting, at most one of them can be ours: one is adopted; none means nothing was created; if there are
several, the earliest is adopted and the others are reported as untracked.

"None was created" is only trusted once the start can no longer be in the API's hands: a request that timed out
may still be processed after the client gave up. So the answer waits until `settle` seconds after the intent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime, timedelta

from providers import Provider, Recording

__all__ = ["CLOCK_SKEW", "INTENT_LEAD", "Resolution", "resolve_uncertain_start", "settle_time", "untracked_note"]

CLOCK_SKEW = timedelta(minutes=2)
# How long before its request leaves an intent may be journaled: apply journals each start's intent as it hands the
# meeting to a worker, and journals it again when the send comes later than this.
INTENT_LEAD = timedelta(seconds=1)


def settle_time(http_timeout: float) -> timedelta:
    """How long after its intent a start may still be in the API's hands: the request's timeout, the intent's lead,
    and a second of margin."""
    return timedelta(seconds=http_timeout + 1.0) + INTENT_LEAD


def untracked_note(recording: Recording, meeting_id: str) -> str:
    """What is said of a recording of `meeting_id` that resolving a start found and that no address holds."""
    return f"recording {recording.id} of meeting {meeting_id} is not tracked by any address"


@dataclass(frozen=True, slots=True)
class Resolution:
    """`adopted` is the recording the start created, or None when it created nothing."""

    adopted: Recording | None
    untracked: tuple[Recording, ...] = ()


def resolve_uncertain_start(
    provider: Provider,
    meeting_id: str,
    sent_after: datetime,
    owned: Container[str],
    *,
    settle: timedelta = timedelta(0),
    skew: timedelta = CLOCK_SKEW,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
) -> Resolution:
    """Find what an uncertain start of `meeting_id`, sent after `sent_after`, created. `owned` holds the recording
    ids already behind an address, which are never adopted twice."""
    wait = (sent_after + settle - clock()).total_seconds()
    if wait > 0:
        sleep(wait)
    candidates = sorted(
        (
            recording
            for recording in provider.list(meeting_id=meeting_id, since=sent_after - skew)
            if recording.id not in owned
        ),
        key=lambda recording: (recording.invoked_time, recording.id),
    )
    if not candidates:
        return Resolution(adopted=None)
    return Resolution(adopted=candidates[0], untracked=tuple(candidates[1:]))
