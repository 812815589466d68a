"""Timestamps as the state stores them: ISO 8601 strings in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_time", "parse_time", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """Parse what `format_time` (or the API) wrote; naive times are taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
