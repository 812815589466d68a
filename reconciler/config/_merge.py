"""A folder of files as one configuration (design §3.1): how tables from several files combine.

- `[meetings.*]`: each meeting key is defined in one file; a key (and so any address) defined twice is an
  error naming both files.
- `[provider]` and `[defaults]`: one table spread over the files (`[state]` too, read by `_state_table`). A key
  may be set in several files only with the same value; different values are an error naming both files.
  `[defaults]` tables merge deeply, so one file may set `video_config.codec` and another `video_config.width`.
- `[[moved]]`: the entries of all files together.

A single file goes through the same code, so both cases behave alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.config._problems import Keys, Problem, format_path
from reconciler.config._read import Source

__all__ = ["Merged", "merge_sources"]


@dataclass(slots=True, repr=False)
class Merged:
    """The files' tables combined, each part with the file it came from (values not yet trusted: a table
    the models refused is still here, and readers must check types). Its `repr` counts: the tables hold secrets."""

    provider: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    # Top-level field of [defaults] → the first file that sets it (for messages about defaults).
    defaults_origin: dict[str, Source] = field(default_factory=dict)
    meetings: dict[str, tuple[Source, Any]] = field(default_factory=dict)
    moved: list[tuple[Source, int, Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        meetings, defaults, moved = len(self.meetings), len(self.defaults), len(self.moved)
        return f"Merged(meetings=<{meetings}>, defaults=<{defaults} keys>, moved=<{moved}>)"


def merge_sources(sources: Sequence[Source], problems: list[Problem]) -> Merged:
    """Combine the files' tables; every conflict between two files is appended to `problems`."""
    merged = Merged()
    first_set: dict[Keys, tuple[Source, Any]] = {}

    def claim(source: Source, keys: Keys, value: Any) -> bool:
        """Record that `source` sets `keys`; False (and a problem) when another file set it differently."""
        earlier = first_set.setdefault(keys, (source, value))
        if earlier[0] is source or earlier[1] == value:
            return True
        where = f"{earlier[0].file}:{earlier[0].line_of(keys) or '?'}"
        problems.append(
            Problem(
                source.file,
                keys,
                f"the same value as in {where}",
                "a different value",
                summary=f"{format_path(keys)} is also set, to a different value, in {where}; set it in one file",
            )
        )
        return False

    for source in sources:
        document = source.document
        provider = document.get("provider")
        if isinstance(provider, dict):
            for key, value in provider.items():
                if isinstance(value, str) and claim(source, ("provider", key), value):
                    merged.provider[key] = value
        defaults = document.get("defaults")
        if isinstance(defaults, dict):
            for keys, value in _leaves(defaults, ("defaults",)):
                if claim(source, keys, value):
                    _set(merged.defaults, keys[1:], value)
            for name in defaults:
                merged.defaults_origin.setdefault(name, source)
        meetings = document.get("meetings")
        if isinstance(meetings, dict):
            for key, table in meetings.items():
                _add_meeting(merged, source, key, table, problems)
        moved = document.get("moved")
        if isinstance(moved, list):
            merged.moved += [(source, index, entry) for index, entry in enumerate(moved)]
    return merged


def _add_meeting(merged: Merged, source: Source, key: str, table: Any, problems: list[Problem]) -> None:
    if key not in merged.meetings:
        merged.meetings[key] = (source, table)
        return
    first = merged.meetings[key][0]
    where = f"{first.file}:{first.line_of(('meetings', key)) or '?'}"
    problems.append(
        Problem(
            source.file,
            ("meetings", key),
            "a meeting key defined in one file",
            f"it is also defined in {where}",
            summary=f"meeting {key!r} is also defined in {where}; define each meeting (and its recordings) in one file",
        )
    )


def _leaves(table: dict[str, Any], keys: Keys) -> Iterator[tuple[Keys, Any]]:
    for key, value in table.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, (*keys, key))
        else:
            yield (*keys, key), value


def _set(table: dict[str, Any], keys: Keys, value: Any) -> None:
    for key in keys[:-1]:
        inner = table.setdefault(str(key), {})
        if not isinstance(inner, dict):  # a table in one file, a value in another: the models reported it
            return
        table = inner
    table[str(keys[-1])] = value
