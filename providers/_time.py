"""Times as the API writes them: ISO 8601 in UTC with milliseconds (`2026-11-26T10:00:00.000Z`).

The one formatter of the project: the client's query times, the emulator's answers and the state's times (through
`reconciler._time`) all use it, so a time read back is compared exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_time", "parse_time"]


def format_time(moment: datetime) -> str:
    """`moment` in UTC, to the millisecond; a naive `moment` is taken as UTC."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An aware UTC datetime from what `format_time` (or the API) wrote; naive times are taken as UTC.
    Raises ValueError when `text` is not an ISO 8601 time."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
