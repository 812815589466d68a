"""The commands that edit the state without the API: `state rm|mv|copy` and `force-unlock`.

They take the lock (waiting up to `--lock-timeout`, and saying so), fold the journal into the state, and write one
new generation; an unknown address is refused before anything is touched. Like the reading commands they need no
API credentials: the state is found from `--state` or the configuration's `[state]` table alone.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import replace

from reconciler.cli._console import Console
from reconciler.cli._state_cmds import known_state, require, state_store
from reconciler.cli._state_views import state_view
from reconciler.cli._stores import announce_lock_wait, open_store, state_at
from reconciler.config._patterns import ADDRESS_PATTERN
from reconciler.errors import UsageError
from state import PendingStart, State, StateStore, hold_lock

__all__ = ["run_force_unlock", "run_state_copy", "run_state_mv", "run_state_rm"]

_ADDRESS = re.compile(ADDRESS_PATTERN)  # addresses as the configuration makes them


def run_state_rm(args: argparse.Namespace) -> int:
    console = Console.from_args(args.no_color)
    view = state_view(args.format, console)
    store = state_store(args)
    addresses = list(dict.fromkeys(args.addresses))
    require(addresses, known_state(store), store)  # a typo is refused before the lock is taken or a file is made
    with hold_lock(store, "state rm", timeout=args.lock_timeout, on_wait=announce_lock_wait("state rm")):
        state = store.fold()
        require(addresses, state, store)
        recordings, pending = dict(state.recordings), dict(state.pending)
        in_flight = {address: pending.pop(address) for address in addresses if address in pending}
        for address in addresses:
            recordings.pop(address, None)
        written = store.write(replace(state, recordings=recordings, pending=pending), expected_serial=state.serial)
    text = "".join(f"Removed {address}\n" for address in addresses) + (
        f"Removed {len(addresses)} address{'es' if len(addresses) > 1 else ''} from the state (serial "
        f"{written.serial}{_kept(store)}). No API call was made: recordings keep running."
    )
    view.done(text, {"removed": addresses, "serial": written.serial, "backup": _backup(store)})
    _warn_in_flight(console, in_flight)
    return 0


def _warn_in_flight(console: Console, in_flight: dict[str, PendingStart]) -> None:
    for address, start in in_flight.items():
        console.warn(
            f"{address} had a start in flight (sent at {start.time}) whose outcome was unknown; if it created a "
            f"recording, that recording is no longer tracked: adopt it with `reconciler import {address} RECORDING_ID`"
        )


def run_state_mv(args: argparse.Namespace) -> int:
    view = state_view(args.format, Console.from_args(args.no_color))
    store = state_store(args)
    source, destination = args.source, args.destination
    if not _ADDRESS.fullmatch(destination):
        raise UsageError(
            f"{destination!r} is not an address: expected MEETING.RECORDING, each made of letters, digits, _ and -"
        )
    if source == destination:
        raise UsageError(f"{source} cannot be moved to itself")
    _check_move(source, destination, known_state(store), store)  # refused before the lock is taken or a file is made
    with hold_lock(store, "state mv", timeout=args.lock_timeout, on_wait=announce_lock_wait("state mv")):
        state = store.fold()
        _check_move(source, destination, state, store)
        recordings, pending = dict(state.recordings), dict(state.pending)
        if source in recordings:
            recordings[destination] = recordings.pop(source)
        if source in pending:
            pending[destination] = pending.pop(source)
        written = store.write(replace(state, recordings=recordings, pending=pending), expected_serial=state.serial)
    view.done(
        f"Moved {source} to {destination} (serial {written.serial}{_kept(store)}).",
        {"moved": {"from": source, "to": destination}, "serial": written.serial, "backup": _backup(store)},
    )
    return 0


def _kept(store: StateStore) -> str:
    """Where the previous generation is kept, for a message ("" when the store keeps none, or has none yet)."""
    backup = _backup(store)
    return "" if backup is None else f"; the previous generation is in {backup}"


def _backup(store: StateStore) -> str | None:
    """The previous generation's place, when there is one to restore (a first write leaves none)."""
    location = store.backup_location
    if location is None or not os.path.lexists(location):
        return None
    return location


def _check_move(source: str, destination: str, state: State, store: StateStore) -> None:
    require([source], state, store)
    if destination in state.recordings or destination in state.pending:
        raise UsageError(
            f"{destination} is already in the state {store.location}; remove it first with "
            f"`reconciler state rm {destination}` if it should go"
        )


def run_force_unlock(args: argparse.Namespace) -> int:
    console = Console.from_args(args.no_color)
    store = state_store(args)
    store.force_unlock(args.lock_id, force=args.force)
    console.print(
        f"Lock {args.lock_id} removed: the state {store.location} is unlocked. A run that still held it stops before "
        "its next request, and leaves what it did in the journal."
    )
    return 0


def run_state_copy(args: argparse.Namespace) -> int:
    from reconciler.state_copy import copy_state

    view = state_view(args.format, Console.from_args(args.no_color))
    source = open_store(state_at(args.source, args.config, workspace=args.workspace, schema=args.schema))
    to_workspace = args.to_workspace or args.workspace
    destination = open_store(state_at(args.destination, args.config, workspace=to_workspace, schema=args.schema))
    copied = copy_state(source, destination, lock_timeout=args.lock_timeout, on_wait=announce_lock_wait("state copy"))
    view.done(
        f"Copied the state ({len(copied.recordings)} recordings, lineage {copied.lineage}) from {source.location} "
        f"to {destination.location} (serial {copied.serial} there). {source.location} is left as it was.",
        {"lineage": copied.lineage, "serial": copied.serial, "recordings": len(copied.recordings)},
    )
    return 0
