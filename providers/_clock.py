"""`ApiClock`: the API's clock, as the `Date` headers of its answers show it (design §5.3).

Whether a recording was invoked after a start's intent, and whether enough time has passed since a start for the
API to have finished with it, are both decided on the API's clock: the local one may be minutes off (a VM after
suspend, a container without NTP). Every answer's `Date` (whole seconds) was stamped between the moment the
request left and the moment the answer arrived, which bounds the offset between the two clocks:

    date - received  <=  offset  <  date + 1 s - sent

The clock keeps the tightest bounds seen and reports the lower one, so that "the API's time now" is never later
than the truth: a filter "invoked since" never misses a recording, and a wait "until" never ends early.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["ApiClock"]


class ApiClock:
    """The API's clock, from `observe`d answers; `local` is this machine's clock (aware UTC). Thread-safe."""

    def __init__(self, local: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.local = local
        self._lock = threading.Lock()
        self._low: timedelta | None = None
        self._high: timedelta | None = None

    def observe(self, date_header: str | None, sent: datetime, received: datetime) -> None:
        """Learn from one answer: its `Date` header, and when its request left and it arrived (local clock)."""
        date = _http_date(date_header)
        if date is None:
            return
        low, high = date - received, date + timedelta(seconds=1) - sent
        with self._lock:
            if self._low is not None and self._high is not None and (low > self._high or high < self._low):
                # The bounds no longer overlap: one of the clocks jumped. The latest answer is the truth now.
                self._low, self._high = low, high
                return
            self._low = low if self._low is None else max(self._low, low)
            self._high = high if self._high is None else min(self._high, high)

    @property
    def offset(self) -> timedelta | None:
        """How far the API's clock is ahead of the local one (at most); None until an answer carried a `Date`."""
        with self._lock:
            return self._low

    def now(self) -> datetime | None:
        """The API's time now (never later than the truth), or None when it is not known yet."""
        offset = self.offset
        return None if offset is None else self.local() + offset


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
