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
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta

from providers import Provider
from reconciler._events import RefreshEvent
from reconciler.errors import BindingError
from reconciler.refresh import refresh_state
from state import Binding, LockInfo, State, StateLockedError, StateStore

__all__ = ["LockWait", "Session", "check_binding", "lock_announced", "locked_state"]

# Told before a run waits for a lock another holds: who holds it (None when the lock file does not say), and
# how many seconds the run waits at most.
LockWait = Callable[[LockInfo | None, float], None]


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
    on_lock_wait: LockWait | None = None,
) -> Iterator[Session]:
    """The state, under the lock for the `with` block: folded, its binding checked, then (with a `provider`)
    refreshed and written when `refresh`, else only the cheap call. Without a provider nothing is sent, and no
    binding is needed (None). `on_lock_wait` is told before the run waits for a lock someone else holds."""
    with lock_announced(store, operation, lock_timeout, on_lock_wait) as held:
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


@contextmanager
def lock_announced(store: StateStore, operation: str, timeout: float, on_wait: LockWait | None) -> Iterator[LockInfo]:
    """`store.lock(operation, timeout=timeout)`, but when someone else holds the lock and `timeout` lets the run
    wait, `on_wait(holder, timeout)` is told first, so that a wait is never silent."""
    with ExitStack() as stack:
        try:
            held: LockInfo | None = stack.enter_context(store.lock(operation, timeout=0))
        except StateLockedError as locked:
            if timeout <= 0:
                raise
            held = None
            if on_wait is not None:
                on_wait(locked.holder, timeout)
        if held is None:
            held = stack.enter_context(store.lock(operation, timeout=timeout))
        yield held
