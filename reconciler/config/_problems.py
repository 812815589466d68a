"""Problems a person can act on: what a configuration error says and how it is worded.

Every `Problem` names the file, the key path (`meetings.allhands.recordings.landscape.video_config.width`), the
line, what was expected and what was found, plus a hint ("did you mean 'width'?") when there is one. What is
expected is read from the models (`_models.py`), so a message never drifts from the rule that produced it.
Sensitive values (design §3.4) are never quoted back.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal, Required, get_args, get_origin, get_type_hints

from pydantic_core import ErrorDetails
from typing_extensions import is_typeddict

from reconciler.config._desired import SENSITIVE_PATHS
from reconciler.config._models import PATTERN_DESCRIPTIONS, RECORDING_FIELDS, ConfigFile

__all__ = [
    "Keys",
    "Problem",
    "allowed_keys",
    "describe_value",
    "did_you_mean",
    "format_path",
    "from_pydantic",
    "is_sensitive",
]

Keys = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


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
    """How a TOML value is quoted back in a message (a sensitive one only by its kind)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if sensitive:
            return "a string (value hidden: it is sensitive)"
        return json.dumps(value) if len(value) <= 80 else json.dumps(value[:77] + "...")
    if isinstance(value, int | float):
        return "a number (value hidden: it is sensitive)" if sensitive else repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return f"a date/time ({value.isoformat()})"
    return type(value).__name__


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`did you mean 'width'?`, or "" when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def allowed_keys(keys: Keys) -> tuple[str, ...]:
    """The keys the table at `keys` accepts (empty when `keys` is not a table of the models)."""
    annotation = _annotation_at(keys)
    base, _ = _unwrap(annotation) if annotation is not None else (None, [])
    return tuple(_hints(base)) if base is not None and is_typeddict(base) else ()


def from_pydantic(file: Path, error: ErrorDetails) -> Problem:
    """A pydantic validation error as a `Problem` (lines are filled in later, only when needed)."""
    loc = error["loc"]
    kind = error["type"]
    if loc and loc[-1] == "[key]":  # a table key that is not a valid name
        keys: Keys = tuple(loc[:-1])
        return Problem(file, keys, PATTERN_DESCRIPTIONS[error["ctx"]["pattern"]], describe_value(error["input"]))
    keys = tuple(loc)
    if kind == "extra_forbidden":
        return _unknown_key(file, keys)
    sensitive = is_sensitive(keys)
    annotation = _annotation_at(keys)
    expected = _describe(annotation) if annotation is not None else error["msg"].lower()
    if kind == "missing":
        return Problem(file, keys, expected, "nothing")
    if kind == "too_short" and isinstance(error["input"], dict):
        return Problem(file, keys, expected, "an empty table")
    found = describe_value(error["input"], sensitive=sensitive)
    return Problem(file, keys, expected, found)


def _unknown_key(file: Path, keys: Keys) -> Problem:
    parent, key = keys[:-1], str(keys[-1])
    allowed = allowed_keys(parent)
    where = format_path(parent) or "the top level"
    hint = did_you_mean(key, allowed)
    if not hint and key in RECORDING_FIELDS:
        if len(parent) == 2 and parent[0] == "meetings":
            hint = f"recording fields go in [{format_path((*parent, 'recordings', 'default'))}] or [defaults]"
        elif not parent:
            hint = "recording fields go in [defaults] or in a recording table"
    expected = f"a key of {where} ({', '.join(allowed)})" if allowed else "no such key"
    return Problem(file, keys, expected, f"unknown key {key!r}", hint=hint)


def is_sensitive(keys: Keys) -> bool:
    """Whether `keys` ends in a sensitive field (design §3.4), wherever the field is written."""
    return len(keys) >= 2 and f"{keys[-2]}.{keys[-1]}" in SENSITIVE_PATHS


def _annotation_at(keys: Keys) -> Any:
    """The model annotation at `keys`, walking tables, arrays and keyed tables; None when off the models."""
    current: Any = ConfigFile
    for key in keys:
        base, _ = _unwrap(current)
        origin = get_origin(base)
        if is_typeddict(base):
            current = _hints(base).get(str(key))
        elif origin is dict:
            current = get_args(base)[1]
        elif origin is list and isinstance(key, int):
            current = get_args(base)[0]
        else:
            return None
        if current is None:
            return None
    return current


@cache
def _hints(typed_dict: Any) -> dict[str, Any]:
    return get_type_hints(typed_dict, include_extras=True)


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type under `Required[...]`/`Annotated[...]`, and the constraints found on the way."""
    constraints: list[Any] = []
    while True:
        if hasattr(annotation, "__metadata__"):
            for item in annotation.__metadata__:
                constraints.extend(getattr(item, "metadata", [item]))
            annotation = annotation.__origin__
        elif get_origin(annotation) is Required:
            annotation = get_args(annotation)[0]
        else:
            return annotation, constraints


def _describe(annotation: Any) -> str:
    base, constraints = _unwrap(annotation)
    limits = {
        name: getattr(item, name)
        for item in constraints
        for name in ("ge", "le", "min_length", "max_length", "pattern")
        if getattr(item, name, None) is not None
    }
    if get_origin(base) is Literal:
        return "one of " + ", ".join(json.dumps(choice) for choice in get_args(base))
    if base is bool:
        return "true or false"
    if base is int:
        if "ge" in limits and "le" in limits:
            return f"a whole number from {limits['ge']} to {limits['le']}"
        return f"a whole number of at least {limits['ge']}" if "ge" in limits else "a whole number"
    if base is str:
        if "pattern" in limits:
            text = PATTERN_DESCRIPTIONS[limits["pattern"]]
            return f"{text}, at most {limits['max_length']} characters" if "max_length" in limits else text
        return "a non-empty string" if "min_length" in limits else "a string"
    if get_origin(base) is list:
        return "an array of tables"
    if get_origin(base) is dict and "min_length" in limits:
        return "at least one recording table"
    return "a table"
