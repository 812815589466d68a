"""`state copy SRC DST`: move a state between stores (a file and a database, either way), as one generation.

Both stores are locked, both journals are folded (a run that died may have left records in either), and the source's
state is written to the destination with its lineage kept, so that saved plans and other runs know it for what it is.
The destination may be empty, or hold an older generation of the same lineage; a destination that holds another
state (another lineage), or a newer generation of this one, is refused and nothing is written.
"""

from __future__ import annotations

import dataclasses

from reconciler.errors import UsageError
from state import OnWait, State, StateStore, hold_lock

__all__ = ["copy_state"]


def copy_state(source: StateStore, destination: StateStore, *, lock_timeout: float, on_wait: OnWait | None) -> State:
    """Copy `source`'s state to `destination`; return what the destination holds now."""
    with (
        hold_lock(source, "state copy", timeout=lock_timeout, on_wait=on_wait),
        hold_lock(destination, "state copy", timeout=lock_timeout, on_wait=on_wait),
    ):
        state = source.fold()
        there = destination.fold()
        empty = there.same_content(State(lineage=there.lineage))
        if not empty and there.lineage != state.lineage:
            raise UsageError(
                f"{destination.location} holds another state (lineage {there.lineage}, {len(there.recordings)} "
                f"recordings) than {source.location} (lineage {state.lineage}); nothing was copied. Copy to an "
                "empty destination, or remove that state first"
            )
        if not empty and there.serial > state.serial:
            raise UsageError(
                f"{destination.location} holds a newer generation of this state (serial {there.serial}) than "
                f"{source.location} (serial {state.serial}); nothing was copied"
            )
        copied = dataclasses.replace(state, lineage=state.lineage, serial=there.serial)
        return destination.write(copied, expected_serial=there.serial)
