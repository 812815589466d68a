"""Values written as TOML, the language of the configuration: how plans show fields and drift to a reviewer.

`{ width = 1920, height = 1080 }`, `"H264"`, `true`, `[1, 2]`: what a user wrote in `recordings.toml` reads the
same in a plan. Strings are TOML basic strings with Unicode left as it is; every control character (C0, DEL and
C1) is written as an escape (`\\n`, `\\u001b`), so a value cannot drive a terminal or forge a line. A sensitive
value is shown as the bare word `(sensitive)`, which no TOML value can be mistaken for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["SENSITIVE", "Sensitive", "toml_key", "toml_lines", "toml_value", "with_sensitive"]

SENSITIVE = "(sensitive)"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f-\x9f]')


class Sensitive:
    """Stands for a value that is never shown."""

    def __repr__(self) -> str:
        return SENSITIVE


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def toml_value(value: Any) -> str:
    """One value on one line (tables inline)."""
    if isinstance(value, Sensitive):
        return SENSITIVE
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return _string(str(value))


def toml_lines(fields: Mapping[str, Any]) -> Iterator[str]:
    """`key = value`, one line per top-level field."""
    for key, value in fields.items():
        yield f"{toml_key(key)} = {toml_value(value)}"


def with_sensitive(fields: Mapping[str, Any], sensitive: Sequence[str]) -> dict[str, Any]:
    """`fields` with a `(sensitive)` marker at each dotted path of `sensitive` (its table made when missing)."""
    merged: dict[str, Any] = {
        key: dict(value) if isinstance(value, Mapping) else value for key, value in fields.items()
    }
    for path in sensitive:
        section, _, leaf = path.partition(".")
        if not leaf:
            merged[section] = Sensitive()
            continue
        table = merged.get(section)
        if not isinstance(table, dict):
            table = merged[section] = {}
        table[leaf] = Sensitive()
    return merged


def _string(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return f'"{text}"'
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"
