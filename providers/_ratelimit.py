"""A client-side rate limiter shared by every call of one client, from any number of threads.

Two promises, both exact:
- a token bucket: `rate` requests per second on average, bursts of at most `burst` (default: the rate rounded up);
- a sliding window: no `window` seconds (default 300) ever hold more than `max_per_window` (default 1,200)
  requests. The bucket alone cannot promise this: 4/s sustained for 300 s is already exactly 1,200, so any burst
  on top would breach Cloudflare's limit of 1,200 requests per 5 minutes.

Each caller reserves the earliest instant both allow, under a lock, then sleeps outside it; reservations are handed
out in time order, so the window is checked against a sorted log. `pause_until` makes every caller, including
those already asleep, wait until the given instant: on a 429 the whole client backs off, not just one thread.

A `SharedBudget` makes several processes (runs on other machines, sharing a database and a token) draw from one
budget: after its own bucket, each request also takes the next slot of the shared one, one every 1/`rate` seconds,
so that together they stay within `rate`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

__all__ = ["RateLimiter", "SharedBudget"]


class SharedBudget(Protocol):
    """A request budget shared between processes (`state.PostgresStateStore.rate_budget` is one)."""

    def reserve(self, interval: float) -> float:
        """Take the next slot of a budget of one request every `interval` seconds; return how many seconds from now
        that slot is (0 when it is now)."""
        ...


class RateLimiter:
    """Token bucket plus sliding-window guard. `clock` and `sleep` are injectable (monotonic seconds)."""

    def __init__(
        self,
        rate: float = 4.0,
        *,
        burst: int | None = None,
        window: float = 300.0,
        max_per_window: int | None = 1200,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: SharedBudget | None = None,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be above 0, got {rate}")
        if max_per_window is not None and max_per_window < 1:
            raise ValueError(f"max_per_window must be at least 1, got {max_per_window}")
        self.rate = rate
        if burst is None:
            burst = 1 if math.isinf(rate) else max(1, math.ceil(rate))
        self.burst = burst
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst}")
        self.window = window
        self.max_per_window = max_per_window
        self._clock = clock
        self._sleep = sleep
        self._interval = 0.0 if math.isinf(rate) else 1.0 / rate
        # GCRA: `_tat` is the theoretical arrival time of the next request; a request may go at `_tat - _tolerance`.
        self._tolerance = (self.burst - 1) * self._interval
        self._tat = -math.inf
        self._granted: deque[float] = deque()
        self._paused_until = -math.inf
        self._lock = threading.Lock()
        self._shared = shared

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate}, burst={self.burst}, max_per_window={self.max_per_window})"

    def acquire(self) -> None:
        """Block until this caller may send one request."""
        at = self._reserve()
        while True:
            delay = at - self._clock()
            if delay > 0:
                self._sleep(delay)
            with self._lock:
                paused_until = self._paused_until
            if paused_until <= self._clock():
                break
            # A 429 arrived while this caller slept: its slot is void; queue again behind the pause.
            at = self._reserve()
        if self._shared is not None and self._interval > 0:
            wait = self._shared.reserve(self._interval)
            if wait > 0:
                self._sleep(wait)

    def pause_until(self, instant: float) -> None:
        """Hold every caller until the monotonic time `instant` (the server's retry-after)."""
        with self._lock:
            if instant > self._paused_until:
                self._paused_until = instant
                # After the pause, callers resume one interval apart, without a burst: the server just pushed back.
                self._tat = max(self._tat, instant + self._tolerance)

    def _reserve(self) -> float:
        with self._lock:
            now = self._clock()
            at = max(now, self._paused_until, self._tat - self._tolerance)
            limit = self.max_per_window
            if limit is not None:
                while self._granted and self._granted[0] <= at - self.window:
                    self._granted.popleft()
                if len(self._granted) >= limit:
                    at = max(at, self._granted[-limit] + self.window)
                self._granted.append(at)
                # Only the last `limit` grants can ever decide a later one.
                while len(self._granted) > limit:
                    self._granted.popleft()
            self._tat = max(self._tat, at) + self._interval
            return at
