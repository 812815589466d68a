"""The commands that read the state: `show` and `state list|show`, and what the editing ones share with them.

They need no network and no API credentials: the state is found from `--state`, or from the configuration's
`[state]` table without validating the rest of it. They take no lock and write nothing; they show the state with
the journal of an unfinished run applied in memory (what is known). The editing commands are `_state_edit_cmds.py`.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable

from reconciler._runs import known_state
from reconciler.cli._console import Console
from reconciler.cli._state_views import PENDING, Row, state_view
from reconciler.cli._stores import open_store, state_table
from reconciler.errors import UsageError
from state import State, StateStore, state_document

__all__ = ["known_state", "require", "run_show", "run_state_list", "run_state_show", "state_store"]


def state_store(args: argparse.Namespace) -> StateStore:
    return open_store(state_table(args.state, args.config))


def _addresses(state: State) -> list[str]:
    return sorted(state.recordings.keys() | state.pending.keys())


def require(addresses: Iterable[str], state: State, store: StateStore) -> None:
    """Refuse addresses the state does not hold, each with a "did you mean" when one is close."""
    known = _addresses(state)
    given = set(addresses)
    lines = []
    for address in addresses:
        if address in state.recordings or address in state.pending:
            continue
        # An address given in the same command is no suggestion: it is being acted on already.
        close = difflib.get_close_matches(address, [other for other in known if other not in given], n=1)
        if close:
            hint = f"; did you mean {close[0]}?"
        else:
            others = [other for other in known if other not in given]
            hint = " (run `reconciler state list` to see its addresses)" if others else " (the state is empty)"
            if known and not others:
                hint = " (run `reconciler state list` to see its addresses)"
        lines.append(f"{address} is not in the state {store.location}{hint}")
    if lines:
        raise UsageError("\n".join(lines))


# --- reading ---------------------------------------------------------------------------------------------------


def run_state_list(args: argparse.Namespace) -> int:
    view = state_view(args.format, Console.from_args(args.no_color))
    state = known_state(state_store(args))
    rows: list[Row] = []
    for address in _addresses(state):
        # A start whose outcome is unknown is the latest word on its address, whatever recording it had before.
        pending = state.pending.get(address)
        if pending is not None:
            rows.append((address, pending.meeting_id, None, PENDING))
        else:
            entry = state.recordings[address]
            rows.append((address, entry.meeting_id, entry.recording_id, entry.status))
    view.listing(rows)
    return 0


def run_state_show(args: argparse.Namespace) -> int:
    view = state_view(args.format, Console.from_args(args.no_color))
    store = state_store(args)
    state = known_state(store)
    require([args.address], state, store)
    view.address(args.address, state_document(state))
    return 0


def run_show(args: argparse.Namespace) -> int:
    if args.planfile is not None:
        from reconciler.cli._plan_cmds import show_plan_file  # the plan commands own the plan-file format

        return show_plan_file(args)
    view = state_view(args.format, Console.from_args(args.no_color))
    store = state_store(args)
    state = known_state(store)
    view.state(store.location, state, state_document(state), _addresses(state))
    return 0
