"""Timestamps as the state stores them: the API's own format (`providers.format_time`), and the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from providers import format_time, parse_time

__all__ = ["format_time", "parse_time", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)
