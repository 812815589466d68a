"""What every command that talks to the API does before it plans or acts, in this order:

    lock ──> fold the journal ──> check the binding ──> refresh and write (or one cheap call) ──> the state

Nothing is sent before the binding is checked (design §5.7): a run whose configuration or environment points at
another account, app or API than the state was made with is refused, naming both, and nothing changes. An unbound
state (a new one, or one written before states were bound) is bound by the first refresh that writes it. Without a
refresh, one cheap call (`check_access`) proves the token and that the account and app answer, and measures the
API's clock, before anything is sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from providers import Provider
from reconciler._events import RefreshEvent
from reconciler.errors import BindingError
from reconciler.refresh import refresh_state
from state import Binding, OnWait, State, StateStore, hold_lock

__all__ = ["Session", "check_binding", "locked_state"]


@dataclass(frozen=True, slots=True)
class Session:
    """The state to plan from, what refreshing it taught, and the id of the lock held meanwhile."""

    state: State
    events: tuple[RefreshEvent, ...]
    lock_id: str


def check_binding(state: State, binding: Binding, where: str) -> None:
    """Raise `BindingError` when `state` is bound to something else than `binding`."""
    if state.binding is None or state.binding == binding:
        return
    differs = [
        name
        for name, ours, theirs in (
            ("account", binding.account_id, state.binding.account_id),
            ("app", binding.app_id, state.binding.app_id),
            ("API", binding.api, state.binding.api),
        )
        if ours != theirs
    ]
    raise BindingError(
        f"the state {where} belongs to {state.binding}, but this run points at {binding} (the {' and '.join(differs)} "
        "differ); nothing was sent and nothing changed. Check [provider] and the environment (CLOUDFLARE_ACCOUNT_ID, "
        "REALTIMEKIT_APP_ID, CLOUDFLARE_BASE_URL left over from another project or from the emulator). If the "
        "recordings really are there now, rebind the state: `reconciler state rebind`"
    )


@contextmanager
def locked_state(
    store: StateStore,
    *,
    operation: str,
    lock_timeout: float,
    binding: Binding | None,
    provider: Provider | None,
    refresh: bool,
    bound: timedelta,
    on_wait: OnWait | None = None,
) -> Iterator[Session]:
    """The state, under the lock for the `with` block: folded, its binding checked, then (with a `provider`)
    refreshed and written when `refresh`, else only the cheap call. Without a provider nothing is sent, and no
    binding is needed (None). `on_wait` is told when the lock is held by someone else, before waiting for it."""
    with hold_lock(store, operation, timeout=lock_timeout, on_wait=on_wait) as held:
        state = store.fold()
        events: tuple[RefreshEvent, ...] = ()
        if binding is not None:
            check_binding(state, binding, store.location)
        if provider is None or binding is None:
            pass  # a run that sends nothing
        elif refresh:
            result = refresh_state(dataclasses.replace(state, binding=binding), provider, bound=bound)
            state, events = store.write(result.state, expected_serial=state.serial), result.events
        else:
            provider.check_access()
        yield Session(state, events, held.id)
