"""The commands that read the state: `show` and `state list|show`, and what the editing ones share with them.

They need no network and no API credentials: the state is found from `--state`, or from the configuration's
`[state]` table without validating the rest of it. They take no lock and write nothing; they show the state with
the journal of an unfinished run applied in memory (what is known). The editing commands are `_state_edit_cmds.py`.
"""

from __future__ import annotations

import argparse
import difflib
import json
from collections.abc import Iterable
from typing import Any

from reconciler._text import escape_controls
from reconciler.cli._console import Console
from reconciler.cli._stores import open_store, state_table
from reconciler.errors import UsageError
from state import VANISHED, State, StateStore, fold, state_document

__all__ = ["known_state", "require", "run_show", "run_state_list", "run_state_show", "state_store"]

_PENDING = "PENDING"
_STATUS_STYLES = {"RECORDING": "green", "PAUSED": "yellow", _PENDING: "yellow", "ERRORED": "red", VANISHED: "red"}


def state_store(args: argparse.Namespace) -> StateStore:
    return open_store(state_table(args.state, args.config))


def known_state(store: StateStore) -> State:
    """The stored state with any journal not yet folded applied, in memory only."""
    # The journal is read first: should a fold run in between, its records are then in the state as well,
    # and applying a record twice is harmless.
    records = list(store.journal())
    return fold(store.read(), records)


def _addresses(state: State) -> list[str]:
    return sorted(state.recordings.keys() | state.pending.keys())


def require(addresses: Iterable[str], state: State, store: StateStore) -> None:
    """Refuse addresses the state does not hold, each with a "did you mean" when one is close."""
    known = _addresses(state)
    lines = []
    for address in addresses:
        if address in state.recordings or address in state.pending:
            continue
        close = difflib.get_close_matches(address, known, n=1)
        if close:
            hint = f"; did you mean {close[0]}?"
        else:
            hint = " (run `reconciler state list` to see its addresses)" if known else " (the state is empty)"
        lines.append(f"{address} is not in the state {store.location}{hint}")
    if lines:
        raise UsageError("\n".join(lines))


# --- reading ---------------------------------------------------------------------------------------------------


def run_state_list(args: argparse.Namespace) -> int:
    console = Console.from_args(args.no_color)
    state = known_state(state_store(args))
    rows: list[tuple[str, str, str | None, str]] = []
    for address in _addresses(state):
        # A start whose outcome is unknown is the latest word on its address, whatever recording it had before.
        pending = state.pending.get(address)
        if pending is not None:
            rows.append((address, pending.meeting_id, None, _PENDING))
        else:
            entry = state.recordings[address]
            rows.append((address, entry.meeting_id, entry.recording_id, entry.status))
    if args.json:
        keys = ("address", "meeting_id", "recording_id", "status")
        console.json([dict(zip(keys, row, strict=True)) for row in rows])
        return 0
    if not rows:
        console.print("The state has no recordings.")
        return 0
    # Addresses and statuses are read from the file as they are: shown escaped, one line each.
    table = [("ADDRESS", "MEETING", "RECORDING", "STATUS")]
    table += [(escape_controls(a), m, r or "-", escape_controls(s)) for a, m, r, s in rows]
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    for number, (address, meeting, recording, status) in enumerate(table):
        line = f"{address:<{widths[0]}}  {meeting:<{widths[1]}}  {recording:<{widths[2]}}  "
        styled = console.style(status, "bold") if number == 0 else console.style(status, *_status_style(status))
        console.print((console.style(line, "bold") if number == 0 else line) + styled)
    return 0


def run_state_show(args: argparse.Namespace) -> int:
    console = Console.from_args(args.no_color)
    store = state_store(args)
    state = known_state(store)
    require([args.address], state, store)
    document = state_document(state)
    if args.json:
        console.json(
            {
                "address": args.address,
                "recording": document["recordings"].get(args.address),
                "pending": document["pending"].get(args.address),
            }
        )
        return 0
    for line in _block(console, args.address, document):
        console.print(line)
    return 0


def run_show(args: argparse.Namespace) -> int:
    if args.planfile is not None:
        from reconciler.cli._plan_cmds import show_plan_file  # the plan commands own the plan-file format

        return show_plan_file(args)
    console = Console.from_args(args.no_color)
    store = state_store(args)
    state = known_state(store)
    document = state_document(state)
    if args.json:
        console.json(document)
        return 0
    if state.serial == 0 and not state.recordings and not state.pending:
        console.print("No state.")
        return 0
    console.print(console.style(f"# state {store.location}: serial {state.serial}, lineage {state.lineage}", "dim"))
    bound = f"bound to {state.binding}" if state.binding is not None else "not bound yet (the next refresh binds it)"
    console.print(console.style(f"# {bound}", "dim"))
    for address in _addresses(state):
        console.print()
        for line in _block(console, address, document):
            console.print(line)
    return 0


def _block(console: Console, address: str, document: dict[str, Any]) -> list[str]:
    """An address as Terraform shows a resource: a heading, then `name = value` lines."""
    lines = [console.style(f"# {address}:", "bold")]
    pending = document["pending"].get(address)
    if pending is not None:
        lines.append(
            console.style(
                f"    a start sent at {pending['time']} has no known outcome yet; the next plan, apply or "
                "refresh resolves it from the API",
                "yellow",
            )
        )
    values: dict[str, Any] = dict(document["recordings"].get(address) or {})
    if pending is not None:
        values["pending_start"] = pending
    width = max(len(name) for name in values)
    for name, value in values.items():
        text = json.dumps(value, indent=4, sort_keys=True)
        if name == "status":
            text = console.style(text, *_status_style(value))
        lines.append(f"    {name:<{width}} = " + text.replace("\n", "\n    "))
    return lines


def _status_style(status: str) -> tuple[str, ...]:
    style = _STATUS_STYLES.get(status)
    return (style,) if style else ()
