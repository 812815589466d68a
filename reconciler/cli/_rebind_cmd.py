"""`reconciler state rebind`: bind the state to the account, app and API the configuration points at now.

A state is bound to the account, app and API it was made with, and a run that points elsewhere is refused
(design §5.7). When the recordings really are elsewhere now (an app id or an API host that changed), this is the
explicit way to say so. It proves first that the token is accepted there and that the account and app answer,
then writes the new binding under the lock; the recordings in the state are kept as they are.
"""

from __future__ import annotations

import argparse
import dataclasses

from reconciler.cli._console import Console
from reconciler.cli._context import binding, configured_store, load, open_client
from reconciler.cli._state_views import state_view
from reconciler.cli._stores import announce_lock_wait
from state import hold_lock

__all__ = ["run_state_rebind"]


def run_state_rebind(args: argparse.Namespace) -> int:
    view = state_view(args.format, Console.from_args(args.no_color))
    config = load(args)
    store = configured_store(args, config)
    target = binding(config)
    with (
        open_client(args, config, store) as client,
        hold_lock(store, "state rebind", timeout=args.lock_timeout, on_wait=announce_lock_wait("state rebind")),
    ):
        state = store.fold()
        if state.binding == target:
            view.done(
                f"The state {store.location} is already bound to {target}; nothing changed.",
                {"binding": dataclasses.asdict(target), "serial": state.serial},
            )
            return 0
        client.check_access()
        written = store.write(dataclasses.replace(state, binding=target), expected_serial=state.serial)
    before = "nothing (it was not bound yet)" if state.binding is None else str(state.binding)
    view.done(
        f"Rebound the state {store.location}: from {before} to {target} (serial {written.serial}).",
        {"binding": dataclasses.asdict(target), "serial": written.serial},
    )
    return 0
