"""The client-side rate limiter: bucket rate, burst, the 300 s window guard, pauses, threads."""

from __future__ import annotations

import bisect
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers import RateLimiter


class FakeClock:
    """Monotonic time that moves only when the limiter sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds
        self.slept += seconds


def limiter(clock: FakeClock, rate: float = 4.0, **options: object) -> RateLimiter:
    return RateLimiter(rate, clock=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]  # test options


def max_in_window(times: list[float], window: float) -> int:
    """The most grants in any half-open window (t - window, t]."""
    return max(i - bisect.bisect_right(times, t - window) + 1 for i, t in enumerate(times))


def test_sustained_rate_is_the_configured_one_after_the_burst() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=4.0, max_per_window=None)
    times = []
    for _ in range(401):
        bucket.acquire()
        times.append(clock.now)
    assert bucket.burst == 4
    assert times[:4] == [1000.0] * 4  # the burst goes at once
    # Then one every 0.25 s: 397 more requests take 99.25 s.
    assert times[-1] - times[0] == pytest.approx((401 - 4) / 4.0)
    assert max_in_window(times, 1.0) <= 4 + 4


def test_burst_refills_after_idling_but_never_beyond_its_size() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=2.0, max_per_window=None)
    for _ in range(2):
        bucket.acquire()
    clock.now += 60.0  # a long idle time refills only `burst` tokens
    start = clock.now
    for _ in range(4):
        bucket.acquire()
    assert clock.now - start == pytest.approx(1.0)  # 2 at once, then 2 at 0.5 s each


def test_window_guard_holds_1200_per_300_s_exactly_at_4_per_second() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=4.0)
    times = []
    for _ in range(3000):
        bucket.acquire()
        times.append(clock.now)
    assert max_in_window(times, 300.0) == 1200
    # Without the guard the initial burst of 4 would put 1,203 requests in the first 300 s.
    unguarded_clock = FakeClock()
    unguarded = limiter(unguarded_clock, rate=4.0, max_per_window=None)
    unguarded_times = []
    for _ in range(3000):
        unguarded.acquire()
        unguarded_times.append(unguarded_clock.now)
    assert max_in_window(unguarded_times, 300.0) > 1200


@settings(max_examples=40, deadline=None)
@given(
    rate=st.sampled_from([1.0, 4.0, 7.5, 20.0]),
    gaps=st.lists(st.one_of(st.just(0.0), st.floats(0.0, 400.0)), min_size=50, max_size=400),
)
def test_no_window_ever_holds_more_than_the_limit(rate: float, gaps: list[float]) -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=rate, window=30.0, max_per_window=60)
    times = []
    for gap in gaps:
        clock.now += gap
        bucket.acquire()
        times.append(clock.now)
    assert max_in_window(times, 30.0) <= 60
    assert max_in_window(times, 1.0) <= bucket.burst + rate


def test_pause_until_holds_every_caller_then_spaces_them_out() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=4.0)
    bucket.acquire()
    bucket.pause_until(clock.now + 30.0)
    before = clock.now
    times = []
    for _ in range(3):
        bucket.acquire()
        times.append(clock.now - before)
    assert times[0] == pytest.approx(30.0)
    assert times == pytest.approx([30.0, 30.25, 30.5])


def test_a_caller_already_asleep_waits_out_a_pause_that_starts_meanwhile() -> None:
    clock = FakeClock()
    pauses = [clock.now + 6.0]

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if pauses:  # a 429 arrives while this caller sleeps
            bucket.pause_until(pauses.pop())

    bucket = RateLimiter(1.0, clock=clock, sleep=sleep)
    bucket.acquire()  # at once
    bucket.acquire()  # reserved for +1 s, but the pause holds it until +6 s
    assert clock.now == pytest.approx(1006.0)


def test_pause_in_the_past_changes_nothing() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=4.0)
    bucket.pause_until(clock.now - 10)
    bucket.acquire()
    assert clock.slept == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate": 0.0}, "rate must be above 0"),
        ({"rate": -1.0}, "rate must be above 0"),
        ({"rate": 4.0, "max_per_window": 0}, "max_per_window"),
        ({"rate": 4.0, "burst": 0}, "burst"),
    ],
    ids=["zero-rate", "negative-rate", "zero-window", "zero-burst"],
)
def test_bad_settings_are_refused(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimiter(**options)  # type: ignore[arg-type]  # table of options


def test_infinite_rate_never_waits() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=float("inf"), max_per_window=None)
    for _ in range(1000):
        bucket.acquire()
    assert clock.slept == 0


def test_real_threads_share_one_budget() -> None:
    """One real measurement: 8 threads together keep to the one shared rate (a lower bound, so it cannot flake)."""
    bucket = RateLimiter(40.0, max_per_window=None)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(stamps) == 80
    # A burst of 40, then 40 more at 40/s: the last one cannot go before 1 s. Eight separate budgets would take 0.
    assert 0.99 <= max(stamps) - began < 10
