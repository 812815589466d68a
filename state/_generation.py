"""How one generation of the state follows another: compare-and-swap, serial bumps, folding the journal.

Pure functions over `State` values, shared by every store so that they all behave alike; each store reads what it
holds, calls these under its own commit mutex (a file lock, a database transaction), and stores the result.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace

from state._errors import StaleStateError
from state._model import JournalRecord, State, fold

__all__ = ["empty_state", "folded_generation", "next_generation"]


def empty_state(tool_version: str) -> State:
    """What a store without a state reads as: a new lineage at serial 0."""
    return State(lineage=str(uuid.uuid4()), tool_version=tool_version)


def next_generation(
    stored: State | None, state: State, *, expected_serial: int, tool_version: str, location: str
) -> State | None:
    """What `write(state, expected_serial=...)` stores over `stored` (None: nothing stored yet): the next
    generation, or None when the content does not change (nothing is written and the serial stays; an empty state
    is not written over nothing: the first fold stores it).

    Raises StaleStateError when the stored serial is not `expected_serial` or the lineage differs."""
    _check(stored, state.lineage, expected_serial, location)
    unchanged = State(lineage=state.lineage) if stored is None else stored  # nothing stored: as good as empty
    if unchanged.same_content(state):
        return None
    return replace(state, serial=expected_serial + 1, tool_version=tool_version or state.tool_version)


def folded_generation(
    stored: State | None,
    records: Iterable[JournalRecord],
    *,
    tool_version: str,
    location: str,
    expected_serial: int | None = None,
) -> tuple[State, State | None]:
    """What `fold()` leaves: the state with every journal record applied, and the generation to store (None when
    the records change nothing, as when a fold that already wrote them died before emptying the journal). A store
    with nothing stored yet gets its first generation here, empty if need be, so that its lineage is fixed.

    With `expected_serial`, raises StaleStateError when the stored state is at another serial."""
    base = empty_state(tool_version) if stored is None else stored
    if expected_serial is not None:
        _check(stored, base.lineage, expected_serial, location)
    folded = fold(base, records)
    if stored is None:
        first = folded if folded.same_content(base) else replace(folded, serial=1)
        return first, first
    new = next_generation(stored, folded, expected_serial=base.serial, tool_version=tool_version, location=location)
    return (stored, None) if new is None else (new, new)


def _check(stored: State | None, lineage: str, expected_serial: int, location: str) -> None:
    """The compare-and-swap itself."""
    if stored is None:
        if expected_serial != 0:
            raise StaleStateError(
                f"the state {location} no longer exists, but this run read serial {expected_serial}: it was removed "
                "since; nothing was written"
            )
    elif stored.lineage != lineage and not stored.same_content(State(lineage=stored.lineage)):
        # An empty state has no lineage worth keeping: a state of another lineage may take its place (`state copy`).
        raise StaleStateError(
            f"the state {location} belongs to another lineage ({stored.lineage}) than the one this run read "
            f"({lineage}): it was replaced since; nothing was written"
        )
    elif stored.serial != expected_serial:
        raise StaleStateError(
            f"the state {location} was changed by another run (serial {stored.serial}, this run read serial "
            f"{expected_serial}); nothing was written"
        )
