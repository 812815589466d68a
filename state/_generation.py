"""How one generation of the state follows another: compare-and-swap, serial bumps, folding the journal.

Pure functions over the stored bytes, shared by every store so that they all behave alike; each store does its
own I/O and calls these while it holds its commit mutex.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from state._codec import content_of, decode_state, encode_state
from state._errors import StaleStateError
from state._model import State, fold
from state._records import decode_journal

__all__ = ["empty_state", "folded_generation", "next_generation", "stored_state"]


def empty_state(tool_version: str) -> State:
    """What a store without a state reads as: a new lineage at serial 0."""
    return State(lineage=str(uuid.uuid4()), tool_version=tool_version)


def stored_state(stored: bytes | None, *, tool_version: str, source: str) -> State:
    """What `read()` returns for the stored bytes (None: nothing stored yet)."""
    return empty_state(tool_version) if stored is None else decode_state(stored, source=source)


def next_generation(
    stored: bytes | None, state: State, *, expected_serial: int, tool_version: str, source: str
) -> tuple[State, bytes | None]:
    """What `write(state, expected_serial=...)` leaves: the resulting state, and the bytes to store (None when
    the content does not change, so nothing is written and the serial stays).

    Raises StaleStateError when the stored serial is not `expected_serial` or the lineage differs.
    """
    existing = None if stored is None else (stored, decode_state(stored, source=source))
    return _successor(existing, state, expected_serial=expected_serial, tool_version=tool_version, source=source)


def folded_generation(
    stored: bytes | None,
    journal: bytes,
    *,
    tool_version: str,
    source: str,
    journal_source: str,
    expected_serial: int | None = None,
) -> tuple[State, bytes | None]:
    """What `fold()` leaves: the stored state with every journal record applied, and the bytes to store (None
    when the records change nothing, as when a fold that already wrote them died before emptying the journal).

    With `expected_serial`, raises StaleStateError when the stored state is at another serial."""
    records = decode_journal(journal, source=journal_source)
    existing = None if stored is None else (stored, decode_state(stored, source=source))
    base = empty_state(tool_version) if existing is None else existing[1]
    if expected_serial is not None and base.serial != expected_serial:
        _successor(existing, base, expected_serial=expected_serial, tool_version=tool_version, source=source)
    if not records:
        return base, None
    folded = fold(base, records)
    return _successor(existing, folded, expected_serial=base.serial, tool_version=tool_version, source=source)


def _successor(
    existing: tuple[bytes, State] | None, state: State, *, expected_serial: int, tool_version: str, source: str
) -> tuple[State, bytes | None]:
    """The compare-and-swap itself, given the stored bytes and the state decoded from them (None: no state)."""
    if existing is None:
        if expected_serial != 0:
            raise StaleStateError(
                f"the state {source} no longer exists, but this run read serial {expected_serial}: it was "
                "removed since; nothing was written. Check the state (restore it from its .backup), then run again"
            )
    elif existing[1].lineage != state.lineage:
        raise StaleStateError(
            f"the state {source} belongs to another lineage ({existing[1].lineage}) than the one this run read "
            f"({state.lineage}): it was replaced since; nothing was written. Run the command again"
        )
    elif existing[1].serial != expected_serial:
        raise StaleStateError(
            f"the state {source} was changed by another run (serial {existing[1].serial}, this run read serial "
            f"{expected_serial}); nothing was written. Run the command again"
        )
    new = replace(state, serial=expected_serial + 1, tool_version=tool_version or state.tool_version)
    data = encode_state(new)
    if existing is None:
        if new.same_content(State(lineage=new.lineage)):
            return replace(new, serial=0), None  # an empty state is not worth creating a file for
    elif content_of(existing[0]) == content_of(data):
        return existing[1], None
    return new, data
