"""The commands that read and edit the state: `show`, `state list|show|rm|mv` and `force-unlock`.

They need no network and no environment variables: the state file is found from `--state`, or from the
configuration's `[state] path` without validating the rest of it. Reading commands take no lock and write
nothing; they show the state with the journal of an unfinished run applied in memory (what is known). Editing
commands take the lock, fold the journal into the state, and write one new generation, the previous one kept
as `<state>.backup`. An unknown address is refused before anything is touched.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from reconciler import __version__
from reconciler._text import escape_controls
from reconciler.cli._console import Console
from reconciler.cli._paths import state_path
from reconciler.config._patterns import ADDRESS_PATTERN
from reconciler.errors import UsageError
from state import VANISHED, FileStateStore, PendingStart, State, fold, state_document

__all__ = ["run_force_unlock", "run_show", "run_state_list", "run_state_mv", "run_state_rm", "run_state_show"]

_ADDRESS = re.compile(ADDRESS_PATTERN)  # addresses as the configuration makes them
_PENDING = "PENDING"
_STATUS_STYLES = {"RECORDING": "green", "PAUSED": "yellow", _PENDING: "yellow", "ERRORED": "red", VANISHED: "red"}


def _store(args: argparse.Namespace) -> FileStateStore:
    return FileStateStore(state_path(args.state, args.config), tool_version=__version__)


def _known(store: FileStateStore) -> State:
    """The stored state with any journal not yet folded applied, in memory only."""
    # The journal is read first: should a fold run in between, its records are then in the state as well,
    # and applying a record twice is harmless.
    records = list(store.journal())
    return fold(store.read(), records)


def _addresses(state: State) -> list[str]:
    return sorted(state.recordings.keys() | state.pending.keys())


def _require(addresses: Iterable[str], state: State, store: FileStateStore) -> None:
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
        lines.append(f"{address} is not in the state {store.path}{hint}")
    if lines:
        raise UsageError("\n".join(lines))


# --- reading ---------------------------------------------------------------------------------------------------


def run_state_list(args: argparse.Namespace) -> int:
    console = Console.from_args(args.no_color)
    state = _known(_store(args))
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
    store = _store(args)
    state = _known(store)
    _require([args.address], state, store)
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
    store = _store(args)
    state = _known(store)
    document = state_document(state)
    if args.json:
        console.json(document)
        return 0
    if state.serial == 0 and not state.recordings and not state.pending:
        console.print("No state.")
        return 0
    console.print(console.style(f"# state {store.path}: serial {state.serial}, lineage {state.lineage}", "dim"))
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


# --- editing ---------------------------------------------------------------------------------------------------


def run_state_rm(args: argparse.Namespace) -> int:
    console = Console.from_args(args.no_color)
    store = _store(args)
    addresses = list(dict.fromkeys(args.addresses))
    _require(addresses, _known(store), store)  # a typo is refused before the lock is taken or a file is made
    with store.lock("state rm", timeout=args.lock_timeout):
        state = store.fold()
        _require(addresses, state, store)
        recordings, pending = dict(state.recordings), dict(state.pending)
        in_flight = {address: pending.pop(address) for address in addresses if address in pending}
        for address in addresses:
            recordings.pop(address, None)
        written = store.write(replace(state, recordings=recordings, pending=pending), expected_serial=state.serial)
    if args.json:
        console.json({"removed": addresses, "serial": written.serial, "backup": str(store.backup_path)})
    else:
        for address in addresses:
            console.print(f"Removed {address}")
        console.print(
            f"Removed {len(addresses)} address{'es' if len(addresses) > 1 else ''} from the state (serial "
            f"{written.serial}; the previous generation is in {store.backup_path}). No API call was made: "
            "recordings keep running."
        )
    _warn_in_flight(console, in_flight)
    return 0


def _warn_in_flight(console: Console, in_flight: dict[str, PendingStart]) -> None:
    for address, start in in_flight.items():
        console.warn(
            f"{address} had a start in flight (sent at {start.time}) whose outcome was unknown; if it created a "
            f"recording, that recording is no longer tracked: adopt it with `reconciler import {address} RECORDING_ID`"
        )


def run_state_mv(args: argparse.Namespace) -> int:
    console = Console.from_args(args.no_color)
    store = _store(args)
    source, destination = args.source, args.destination
    if not _ADDRESS.fullmatch(destination):
        raise UsageError(
            f"{destination!r} is not an address: expected MEETING.RECORDING, each made of letters, digits, _ and -"
        )
    if source == destination:
        raise UsageError(f"{source} cannot be moved to itself")
    _check_move(source, destination, _known(store), store)  # refused before the lock is taken or a file is made
    with store.lock("state mv", timeout=args.lock_timeout):
        state = store.fold()
        _check_move(source, destination, state, store)
        recordings, pending = dict(state.recordings), dict(state.pending)
        if source in recordings:
            recordings[destination] = recordings.pop(source)
        if source in pending:
            pending[destination] = pending.pop(source)
        written = store.write(replace(state, recordings=recordings, pending=pending), expected_serial=state.serial)
    if args.json:
        console.json(
            {"moved": {"from": source, "to": destination}, "serial": written.serial, "backup": str(store.backup_path)}
        )
    else:
        console.print(
            f"Moved {source} to {destination} (serial {written.serial}; the previous generation is in "
            f"{store.backup_path})."
        )
    return 0


def _check_move(source: str, destination: str, state: State, store: FileStateStore) -> None:
    _require([source], state, store)
    if destination in state.recordings or destination in state.pending:
        raise UsageError(
            f"{destination} is already in the state {store.path}; remove it first with "
            f"`reconciler state rm {destination}` if it should go"
        )


def run_force_unlock(args: argparse.Namespace) -> int:
    console = Console.from_args(args.no_color)
    store = _store(args)
    store.force_unlock(args.lock_id, force=args.force)
    console.print(
        f"Lock {args.lock_id} removed: the state {store.path} is unlocked. A run that still held it stops before "
        "its next request, and leaves what it did in the journal."
    )
    return 0
