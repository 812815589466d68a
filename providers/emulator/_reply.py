"""What the emulator answers: a status, a JSON document and extra headers, in the API's envelopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Reply", "error", "gateway_error", "ok"]


@dataclass(frozen=True)
class Reply:
    """An answer: status, JSON document, extra headers."""

    status: int
    document: Any
    headers: tuple[tuple[str, str], ...] = ()


def ok(data: Any) -> Reply:
    return Reply(200, {"success": True, "data": data})


def error(status: int, message: str) -> Reply:
    """RealtimeKit's error envelope."""
    return Reply(status, {"success": False, "error": {"code": status, "message": message}})


def gateway_error(status: int, code: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """Cloudflare's own envelope, as its gateway answers before RealtimeKit sees the request."""
    document = {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
    return Reply(status, document, headers)
