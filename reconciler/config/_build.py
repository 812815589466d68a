"""From the merged tables to the desired set: one `DesiredRecording` per address, and the `[[moved]]` entries.

Here `[defaults]` is deep-merged under each recording (nested tables merge, values override, the recording's
own value wins), and the rules that need the whole request or the whole meeting are checked:
`_rules.check_request`, several active recordings of one meeting, one meeting key per meeting id, and the
`[[moved]]` rules (`to` declared, `from` no longer declared, no chains, no duplicates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.config._desired import DesiredRecording, Moved, SourceLocation
from reconciler.config._merge import Merged
from reconciler.config._patterns import ADDRESS_PATTERN, KEY_PATTERN, UUID_PATTERN
from reconciler.config._problems import Keys, Problem, did_you_mean, format_path
from reconciler.config._read import Source
from reconciler.config._rules import SECTIONS_READ, Breach, check_request

__all__ = ["Desired", "build_desired"]

_UUID = re.compile(UUID_PATTERN)
_KEY = re.compile(KEY_PATTERN)
_ADDRESS = re.compile(ADDRESS_PATTERN)
_ACTIVE = ("recording", "paused")
_ONE_DEFAULT_RECORDING: dict[str, Any] = {"default": {}}  # a meeting without a recordings table


@dataclass(slots=True)
class Desired:
    """The desired set: recordings by address, the moves, and how many meetings were declared."""

    recordings: dict[str, DesiredRecording] = field(default_factory=dict)
    moved: list[Moved] = field(default_factory=list)
    meeting_count: int = 0


def build_desired(merged: Merged, problems: list[Problem]) -> Desired:
    """The desired set; every rule it breaks is appended to `problems`."""
    builder = _Builder(merged, problems)
    for meeting_key, (source, meeting) in merged.meetings.items():
        if isinstance(meeting, dict):
            builder.meeting(source, meeting_key, meeting)
    for breach, inheriting in builder.inherited.values():
        problems.append(_defaults_problem(merged, breach, inheriting))
    builder.desired.moved = _moved(merged, builder.declared, problems)
    return builder.desired


class _Builder:
    def __init__(self, merged: Merged, problems: list[Problem]) -> None:
        self.desired = Desired()
        self.declared: set[str] = set()  # every address written, valid or not (for the [[moved]] rules)
        self._merged = merged
        self._problems = problems
        self._defaults = {key: value for key, value in merged.defaults.items() if key != "status"}
        self._default_status = merged.defaults.get("status", "recording")
        self._meeting_ids: dict[str, str] = {}
        # A mistake in [defaults] is reported once, at [defaults], with the number of recordings inheriting it.
        self.inherited: dict[Keys, tuple[Breach, int]] = {
            breach.keys: (breach, 0) for breach in check_request(self._defaults, complete=False)
        }
        self._defaults_breaches = check_request(self._defaults, complete=True)

    def meeting(self, source: Source, meeting_key: str, meeting: dict[str, Any]) -> None:
        # Runs once per meeting of a 10,000-meeting file: the common case takes no detour.
        self.desired.meeting_count += 1
        meeting_id = meeting.get("id")
        if isinstance(meeting_id, str) and _UUID.match(meeting_id):
            meeting_id = meeting_id.lower()
            if self._meeting_ids.setdefault(meeting_id, meeting_key) != meeting_key:
                self._duplicate_id(source, meeting_key, meeting_id)
        else:
            meeting_id = None  # the models reported it
        recordings = meeting.get("recordings", _ONE_DEFAULT_RECORDING)
        if not isinstance(recordings, dict):
            return
        valid_key = _KEY.match(meeting_key) is not None
        active: dict[str, bool] = {}  # recordings that want to be active → whether they allow others
        for recording_key, recording in recordings.items():
            if not isinstance(recording, dict):
                continue
            body = _copy_tables(self._defaults)
            for key, value in recording.items():
                if key != "status":
                    _merge_into(body, key, value)
            status = recording.get("status", self._default_status)
            own = not SECTIONS_READ.isdisjoint(recording)  # else it breaks what [defaults] breaks: skip the check
            for breach in check_request(body, complete=True) if own else self._defaults_breaches:
                self._breach(source, (meeting_key, recording_key), recording, breach)
            if status in _ACTIVE:
                active[recording_key] = body.get("allow_multiple_recordings") is True
            if valid_key and _KEY.match(recording_key):
                address = f"{meeting_key}.{recording_key}"
                self.declared.add(address)
                if meeting_id is not None:
                    self.desired.recordings[address] = DesiredRecording(
                        address=address,
                        meeting_key=meeting_key,
                        recording_key=recording_key,
                        meeting_id=meeting_id,
                        status=status,
                        body=body,
                        location=source.location,
                    )
        if len(active) > 1 and not all(active.values()):
            self._problems.append(_several_active(source, meeting_key, active))

    def _breach(self, source: Source, address: tuple[str, str], recording: dict[str, Any], breach: Breach) -> None:
        """Blame the recording when it declared a field the rule read, else [defaults] (once, with a count)."""
        if breach.involves(recording):
            keys = ("meetings", address[0], "recordings", address[1], *breach.keys)
            self._problems.append(Problem(source.file, keys, breach.expected, breach.found))
        else:
            first, inheriting = self.inherited.get(breach.keys, (breach, 0))
            self.inherited[breach.keys] = (first, inheriting + 1)

    def _duplicate_id(self, source: Source, key: str, meeting_id: str) -> None:
        first = self._meeting_ids[meeting_id]
        first_source = self._merged.meetings[first][0]
        where = f"{first_source.file}:{first_source.line_of(('meetings', first, 'id')) or '?'}"
        also = f"{format_path(('meetings', first))} ({where})"
        self._problems.append(
            Problem(
                source.file,
                ("meetings", key, "id"),
                "a meeting id used by one meeting key",
                f"it is also the id of {also}",
                summary=f"meeting id {meeting_id} is also the id of {also}; declare all recordings of a meeting "
                "under one key",
            )
        )


def _copy_tables(table: dict[str, Any]) -> dict[str, Any]:
    """A copy with every nested table copied too, so that no two bodies share a table."""
    return {key: _copy_tables(value) if type(value) is dict else value for key, value in table.items()}


def _merge_into(body: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` of `body` (a copy of [defaults]) to the recording's `value`: tables merge key by key, any other
    value replaces what [defaults] had. `value` belongs to one recording, so it may be shared with the body."""
    below = body.get(key)
    if type(value) is dict and type(below) is dict:
        for inner_key, inner_value in value.items():
            _merge_into(below, inner_key, inner_value)
    else:
        body[key] = value


def _several_active(source: Source, meeting_key: str, active: dict[str, bool]) -> Problem:
    """Two or more recordings that want to be active at once must each allow multiple recordings."""
    lacking = ", ".join(key for key, allowed in active.items() if not allowed)
    return Problem(
        source.file,
        ("meetings", meeting_key, "recordings"),
        f"allow_multiple_recordings = true on each of {', '.join(active)} (they are active at the same time)",
        f"it is not set to true on {lacking}",
        hint='or set status = "stopped" on all but one',
    )


def _defaults_problem(merged: Merged, breach: Breach, inheriting: int) -> Problem:
    origin = next(merged.defaults_origin[str(keys[0])] for keys in breach.reads if keys[0] in merged.defaults_origin)
    hint = f"{inheriting} recording{'s' if inheriting != 1 else ''} take{'s' if inheriting == 1 else ''} it as it is"
    return Problem(
        origin.file, ("defaults", *breach.keys), breach.expected, breach.found, hint=hint if inheriting else ""
    )


def _moved(merged: Merged, declared: set[str], problems: list[Problem]) -> list[Moved]:
    entries = [
        (source, index, entry["from"], entry["to"])
        for source, index, entry in merged.moved
        if isinstance(entry, dict)
        and all(isinstance(entry.get(key), str) and _ADDRESS.match(entry[key]) for key in ("from", "to"))
    ]  # the models reported the others
    first_from: dict[str, tuple[Source, int]] = {}
    first_to: dict[str, tuple[Source, int]] = {}
    for source, index, old, new in entries:
        first_from.setdefault(old, (source, index))
        first_to.setdefault(new, (source, index))
    moved: list[Moved] = []
    for source, index, old, new in entries:
        found: list[tuple[str, str, str, str]] = []  # (key, expected, found, hint)
        if old == new:
            found.append(("to", "an address other than from", f'"{new}", the same as from', ""))
        elif new not in declared:
            found.append(
                (
                    "to",
                    "an address declared in the configuration",
                    f'"{new}", not declared',
                    did_you_mean(new, declared),
                )
            )
        if old in first_to and first_to[old] != (source, index):
            hint = "moves do not chain: write one entry from the oldest address to the newest"
            found.append(("from", "an address no entry moves to", f'"{old}", the to of {_where(first_to[old])}', hint))
        elif old in declared and old != new:
            found.append(("from", "an address that is no longer declared", f'"{old}", still declared', ""))
        for key, address, first in (("from", old, first_from[old]), ("to", new, first_to[new])):
            if first != (source, index):
                found.append((key, f"each address in {key} once", f'"{address}", also in {_where(first)}', ""))
        problems += [
            Problem(source.file, ("moved", index, key), expected, what, hint=hint)
            for key, expected, what, hint in found
        ]
        if not found:
            moved.append(Moved(old, new, SourceLocation(source.file)))
    return moved


def _where(place: tuple[Source, int]) -> str:
    source, index = place
    return f"{format_path(('moved', index))} ({source.file}:{source.line_of(('moved', index)) or '?'})"
