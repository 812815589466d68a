"""Problems a person can act on: what a configuration error says and how it is worded.

Every `Problem` names the file, the key path (`meetings.allhands.recordings.landscape.video_config.width`), the
line, what was expected and what was found, plus a hint ("did you mean 'width'?") when there is one.
Values at or under a table that holds secrets (design §3.4) are never quoted back. (How a pydantic error
becomes a `Problem` is in `_explain.py`, which the error path alone imports.)
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler.config._desired import SENSITIVE_PATHS

__all__ = ["Keys", "Problem", "describe_value", "did_you_mean", "format_path", "is_sensitive"]

Keys = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SENSITIVE_TABLES = frozenset(path.partition(".")[0] for path in SENSITIVE_PATHS)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the configuration. `summary`, when set, replaces "expected …, found …" in the
    message for rules that read better as one sentence (a TOML syntax error, a duplicate)."""

    file: Path
    keys: Keys
    expected: str
    found: str
    hint: str = ""
    line: int | None = None
    column: int | None = None
    summary: str = ""

    @property
    def path(self) -> str:
        return format_path(self.keys)

    @property
    def message(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        what = self.summary or f"expected {self.expected}, found {self.found}"
        text = f"{where}: {self.path}: {what}" if self.keys else f"{where}: {what}"
        return f"{text}; {self.hint}" if self.hint else text

    def at_line(self, line: int | None) -> Problem:
        return replace(self, line=line)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
            "message": self.message,
        }


def format_path(keys: Iterable[str | int]) -> str:
    """`meetings.allhands.recordings.landscape`, `moved[0].from`, `meetings."all hands"`."""
    text = ""
    for key in keys:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            part = key if _BARE_KEY.fullmatch(key) else json.dumps(key)
            text += f".{part}" if text else part
    return text


def describe_value(value: Any, *, sensitive: bool = False) -> str:
    """How a TOML value is quoted back in a message; a sensitive one only by its kind, whatever its type."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if sensitive:
        return f"{_kind(value)} (value hidden: it is sensitive)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if len(value) <= 80 else json.dumps(value[:77] + "...")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return f"a date/time ({value.isoformat()})"
    return type(value).__name__


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return "a date/time"
    return "a value"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`did you mean 'width'?`, or "" when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def is_sensitive(keys: Keys) -> bool:
    """Whether `keys` is at or under a table that holds secrets (design §3.4: `storage_config`, `rtmp_out_config`),
    wherever it is written. Any value there may be a secret or hold one (`rtmp_out_config = "rtmps://…/KEY"`, a
    whole table written as one string), so none is quoted back; nor is the state's URL (it may hold a password)."""
    return any(key in _SENSITIVE_TABLES for key in keys) or tuple(keys[:2]) == ("state", "url")
