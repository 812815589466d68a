"""`ApiClock`: the API's time from the `Date` headers of its answers, never later than the truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from providers._clock import ApiClock

LOCAL = datetime(2026, 12, 3, 12, 0, 0, 500_000, tzinfo=UTC)


def clock_at(now: list[datetime]) -> ApiClock:
    return ApiClock(local=lambda: now[0])


def date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def test_unknown_until_an_answer_carries_a_date() -> None:
    clock = clock_at([LOCAL])
    assert clock.now() is None
    clock.observe(None, LOCAL, LOCAL)
    clock.observe("not a date", LOCAL, LOCAL)
    assert clock.now() is None


def test_an_api_three_minutes_behind_is_measured_within_a_second_and_never_ahead_of_the_truth() -> None:
    now = [LOCAL]
    clock = clock_at(now)
    true_offset = timedelta(minutes=-3, milliseconds=-250)
    for step in range(5):
        sent = LOCAL + timedelta(seconds=step * 7.3)
        stamped = sent + timedelta(milliseconds=40) + true_offset  # the server stamps its Date mid-exchange
        clock.observe(date(stamped.replace(microsecond=0)), sent, sent + timedelta(milliseconds=80))
    measured = clock.offset
    assert measured is not None
    assert measured <= true_offset < measured + timedelta(seconds=1)
    now[0] = LOCAL + timedelta(hours=1)
    api_now = clock.now()
    assert api_now is not None
    assert api_now <= now[0] + true_offset


def test_a_jump_of_either_clock_is_followed() -> None:
    clock = clock_at([LOCAL])
    clock.observe(date(LOCAL), LOCAL, LOCAL)
    jumped = LOCAL + timedelta(minutes=10)  # the API's clock moved on (or the local one went back)
    clock.observe(date(jumped), LOCAL, LOCAL)
    offset = clock.offset
    assert offset is not None
    assert timedelta(minutes=9, seconds=59) <= offset <= timedelta(minutes=10)
