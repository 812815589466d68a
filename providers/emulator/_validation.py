"""Request validation as strict as the API's: the start body, the control body and the list query.

The start body follows `realtimekit_StartRecording` of the OpenAPI schema (plus codec VP9, which the official SDK
accepts): unknown fields, wrong types, enums and ranges are refused, every problem reported at once, as the API's
400 does. Two cross-field rules of the API are kept: no `audio_config` with a VP8/VP9 video codec, and sftp storage
needs `host`, `username` and the credential its `auth_method` names.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = ["MAX_PER_PAGE", "ListQuery", "check_control_body", "check_start_body"]

MAX_PER_PAGE = 100
STATUSES = ("INVOKED", "RECORDING", "UPLOADING", "UPLOADED", "ERRORED", "PAUSED")

Check = Callable[[Any, str, list[str]], None]


def _found(value: Any) -> str:
    return "null" if value is None else repr(value)


def _string(*, enum: tuple[str, ...] = (), uri_schemes: tuple[str, ...] = (), is_uuid: bool = False) -> Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, found {_found(value)}")
        elif enum and value not in enum:
            problems.append(f"{path}: must be one of {', '.join(enum)}, found {value!r}")
        elif uri_schemes and (urlsplit(value).scheme not in uri_schemes or not urlsplit(value).netloc):
            problems.append(f"{path}: must be a {'/'.join(s + '://' for s in uri_schemes)} URI, found {value!r}")
        elif is_uuid and not _is_uuid(value):
            problems.append(f"{path}: must be a UUID, found {value!r}")

    return check


def _number(*, integer: bool = False, minimum: float | None = None, maximum: float | None = None) -> Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(f"{path}: expected a {'whole ' if integer else ''}number, found {_found(value)}")
        elif integer and value != int(value):
            problems.append(f"{path}: expected a whole number, found {value!r}")
        elif minimum is not None and value < minimum:
            problems.append(f"{path}: must be at least {minimum:g}, found {value!r}")
        elif maximum is not None and value > maximum:
            problems.append(f"{path}: must be at most {maximum:g}, found {value!r}")

    return check


def _boolean(value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, bool):
        problems.append(f"{path}: expected true or false, found {_found(value)}")


def _object(fields: Mapping[str, Check], *, required: tuple[str, ...] = (), nullable: bool = False) -> Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if value is None and nullable:
            return
        if not isinstance(value, dict):
            problems.append(f"{path or 'body'}: expected an object, found {_found(value)}")
            return
        prefix = f"{path}." if path else ""
        problems.extend(f"{prefix}{name}: is required" for name in required if name not in value)
        for name, item in value.items():
            field_check = fields.get(name)
            if field_check is None:
                problems.append(f"{prefix}{name}: is not allowed (unknown field)")
            else:
                field_check(item, prefix + name, problems)

    return check


_TEXT = _string()
_STORAGE = _object(
    {
        "type": _string(enum=("aws", "azure", "digitalocean", "gcs", "sftp")),
        "access_key": _TEXT,
        "auth_method": _string(enum=("KEY", "PASSWORD")),
        "bucket": _TEXT,
        "host": _TEXT,
        "password": _TEXT,
        "path": _TEXT,
        "port": _number(),
        "private_key": _TEXT,
        "region": _TEXT,
        "secret": _TEXT,
        "username": _TEXT,
    },
    required=("type",),
    nullable=True,
)
_START_BODY = _object(
    {
        "meeting_id": _string(is_uuid=True),
        "allow_multiple_recordings": _boolean,
        "audio_config": _object(
            {
                "channel": _string(enum=("mono", "stereo")),
                "codec": _string(enum=("MP3", "AAC")),
                "export_file": _boolean,
            }
        ),
        "file_name_prefix": _TEXT,
        "interactive_config": _object({"type": _string(enum=("ID3",))}),
        "max_seconds": _number(integer=True, minimum=60, maximum=86400),
        "realtimekit_bucket_config": _object({"enabled": _boolean}, required=("enabled",)),
        "rtmp_out_config": _object({"rtmp_url": _string(uri_schemes=("rtmp", "rtmps"))}),
        "storage_config": _STORAGE,
        "url": _TEXT,
        "video_config": _object(
            {
                "codec": _string(enum=("H264", "VP8", "VP9")),
                "export_file": _boolean,
                "height": _number(integer=True, minimum=1, maximum=1920),
                "width": _number(integer=True, minimum=1, maximum=1920),
                "watermark": _object(
                    {
                        "position": _string(enum=("left top", "right top", "left bottom", "right bottom")),
                        "size": _object(
                            {"height": _number(integer=True, minimum=1), "width": _number(integer=True, minimum=1)}
                        ),
                        "url": _string(uri_schemes=("http", "https")),
                    }
                ),
            }
        ),
    },
    required=("meeting_id",),
)
_CONTROL_BODY = _object({"action": _string(enum=("stop", "pause", "resume"))}, required=("action",))


def check_start_body(body: Any) -> list[str]:
    """Every problem of a start body, or [] when the API would accept it."""
    problems: list[str] = []
    _START_BODY(body, "", problems)
    if problems:
        return problems
    video, audio, storage = body.get("video_config") or {}, body.get("audio_config"), body.get("storage_config")
    if audio is not None and video.get("codec") in ("VP8", "VP9"):
        problems.append(f"audio_config: cannot be set with video codec {video['codec']} (the audio codec is vorbis)")
    if storage and storage["type"] == "sftp":
        method = storage.get("auth_method")
        needed = ["host", "username"] + (["private_key"] if method == "KEY" else ["password"] if method else [])
        problems.extend(
            f"storage_config.{name}: is required for sftp storage" for name in needed if name not in storage
        )
        if method is None and "password" not in storage and "private_key" not in storage:
            problems.append("storage_config: sftp storage needs a password or a private_key")
    return problems


def check_control_body(body: Any) -> list[str]:
    """Every problem of a PUT body, or []."""
    problems: list[str] = []
    _CONTROL_BODY(body, "", problems)
    return problems


class ListQuery:
    """The list call's query, checked: filters, sort order and the page asked for."""

    def __init__(self, query: Mapping[str, list[str]]) -> None:
        self.problems: list[str] = []
        self.meeting_id = self._one(query, "meeting_id", _is_uuid, "a UUID")
        self.statuses = frozenset(query.get("status", []))
        for status in sorted(self.statuses - set(STATUSES)):
            self.problems.append(f"status: must be one of {', '.join(STATUSES)}, found {status!r}")
        self.start_time = _to_time(self._one(query, "start_time", _is_time, "an ISO 8601 time"))
        self.end_time = _to_time(self._one(query, "end_time", _is_time, "an ISO 8601 time"))
        self._one(query, "sort_by", lambda v: v == "invokedTime", "invokedTime")
        self.ascending = self._one(query, "sort_order", lambda v: v in ("ASC", "DESC"), "ASC or DESC") == "ASC"
        expired = self._one(query, "expired", lambda v: v in ("true", "false"), "true or false")
        self.expired = None if expired is None else expired == "true"
        self.search = self._one(query, "search", lambda v: True, "text")
        self.page_no = int(float(self._one(query, "page_no", _whole(1, None), "a whole number of at least 1") or 1))
        per_page = self._one(query, "per_page", _whole(1, MAX_PER_PAGE), f"a whole number from 1 to {MAX_PER_PAGE}")
        self.per_page = int(float(per_page or 20))

    def _one(
        self, query: Mapping[str, list[str]], name: str, valid: Callable[[str], bool], expected: str
    ) -> str | None:
        values = query.get(name)
        if not values:
            return None
        if len(values) > 1 or not valid(values[-1]):
            self.problems.append(f"{name}: expected {expected}, found {', '.join(map(repr, values))}")
            return None
        return values[-1]


def _whole(minimum: int, maximum: int | None) -> Callable[[str], bool]:
    def valid(text: str) -> bool:
        try:
            value = float(text)
        except ValueError:
            return False
        return value.is_integer() and value >= minimum and (maximum is None or value <= maximum)

    return valid


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _to_time(text: str | None) -> float | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).timestamp()
