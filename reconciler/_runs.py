"""What `plan`, `apply`, `refresh` and `import` do, with typed options: the command line parses its flags into
these, calls one function, and hands what it returns to a view. Nothing here reads flags, prints or formats.

    plan      lock ──> fold ──> binding ──> refresh and write ──> make_plan          (or, --no-refresh: no lock,
                                                                                       the state read as it is)
    apply     lock ──> fold ──> binding ──> refresh and write ──> make_plan ──> review ──> apply_plan
    refresh   lock ──> fold ──> binding ──> refresh and write
    import    lock ──> fold ──> binding ──> one cheap call ──> adopt ──> write

A saved plan's apply is `_saved.py`'s.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta

from providers import Provider
from reconciler._events import RefreshEvent
from reconciler._outcome import ApplyResult, Outcome
from reconciler._session import Session, check_binding, locked_state
from reconciler.config import Config
from reconciler.errors import UsageError
from reconciler.plan import Plan
from state import Binding, OnWait, State, StateStore, fold

__all__ = [
    "ApplyOptions",
    "ApplyRun",
    "PlanOptions",
    "RunOptions",
    "Target",
    "execute",
    "import_recording",
    "known_state",
    "locked",
    "make_run_plan",
    "plan_and_apply",
    "plan_run",
    "refresh_run",
]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a run works: the state's store and workspace, and (for a run that sends anything) the API client and
    what it points at. `provider` and `binding` are both set or both None."""

    store: StateStore
    workspace: str = "default"
    provider: Provider | None = None
    binding: Binding | None = None


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How a run treats the state: wait this long for the lock (saying so through `on_wait`), refresh it from the
    API first or not, and how long a start may stay in the API's hands (`_resolve.settle_bound`)."""

    lock_timeout: float = 0.0
    refresh: bool = True
    bound: timedelta = timedelta(seconds=120)
    on_wait: OnWait | None = None


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """What the plan covers: `targets` (globs) limit it, `replace` names addresses to stop and start again."""

    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """How an apply runs: `parallelism` actions in flight, `on_outcome` told of each as it happens (from worker
    threads, one at a time), `stop` set to stop dispatching (the first Ctrl-C)."""

    parallelism: int = 10
    on_start: Callable[[Plan], None] = lambda plan: None
    on_outcome: Callable[[Outcome], None] = lambda outcome: None
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True, slots=True)
class ApplyRun:
    """The plan an apply carried out (or showed and was refused), the state it was planned from, and what it did:
    None when nothing was applied (no changes, or the review said no); `approved` is False when the review said
    no."""

    plan: Plan
    state: State
    result: ApplyResult | None
    approved: bool = True


def make_run_plan(
    config: Config,
    state: State,
    *,
    events: tuple[RefreshEvent, ...],
    workspace: str,
    options: PlanOptions,
    refreshed: bool,
) -> Plan:
    """The plan for `state` from the configuration, with what refresh learned and the workspace it belongs to."""
    from reconciler.plan import make_plan

    plan = make_plan(
        config.recordings,
        state,
        moved=config.moved,
        targets=options.targets,
        replace=options.replace,
        refreshed=refreshed,
    )
    return dataclasses.replace(plan, events=events, workspace=workspace)


def plan_run(config: Config, target: Target, run: RunOptions, options: PlanOptions) -> Plan:
    """`plan`: refresh (and write what it learned) under the lock, then plan. Without a refresh nothing is sent,
    no lock is taken and nothing is written: the state is read as it is, with an unfinished run's journal applied
    in memory (so a read-only state folder is enough)."""
    if not run.refresh or target.provider is None:
        state = known_state(target.store)
        if target.binding is not None:
            check_binding(state, target.binding, target.store.location)
        return make_run_plan(config, state, events=(), workspace=target.workspace, options=options, refreshed=False)
    with locked(target, "plan", run) as session:
        return make_run_plan(
            config, session.state, events=session.events, workspace=target.workspace, options=options, refreshed=True
        )


def known_state(store: StateStore) -> State:
    """The stored state with any journal not yet folded applied, in memory only (no lock, nothing written)."""
    # The journal is read first: should a fold run in between, its records are then in the state as well, and
    # applying a record twice is harmless.
    records = list(store.journal())
    return fold(store.read(), records)


def locked(
    target: Target, operation: str, run: RunOptions, *, refresh: bool | None = None
) -> AbstractContextManager[Session]:
    return locked_state(
        target.store,
        operation=operation,
        lock_timeout=run.lock_timeout,
        binding=target.binding,
        provider=target.provider,
        refresh=run.refresh if refresh is None else refresh,
        bound=run.bound,
        on_wait=run.on_wait,
    )


def plan_and_apply(
    config: Config,
    target: Target,
    *,
    run: RunOptions,
    options: PlanOptions,
    apply: ApplyOptions,
    review: Callable[[Plan], bool],
) -> ApplyRun:
    """`apply` without a saved plan: under the lock, refresh, plan, let `review` see the plan (and say whether to
    go on: the confirmation), then carry it out with the client that refreshed (it knows the API's clock)."""
    if target.provider is None:
        raise UsageError("apply needs the API")
    with locked(target, "apply", run) as session:
        plan = make_run_plan(
            config,
            session.state,
            events=session.events,
            workspace=target.workspace,
            options=options,
            refreshed=run.refresh,
        )
        approved = review(plan)
        if not plan.has_changes or not approved:
            return ApplyRun(plan, session.state, None, approved)
        return ApplyRun(plan, session.state, execute(plan, config, target, session, run=run, apply=apply))


def execute(
    plan: Plan, config: Config, target: Target, session: Session, *, run: RunOptions, apply: ApplyOptions
) -> ApplyResult:
    """Carry out `plan` from the session's state, under its lock."""
    from reconciler.apply import apply_plan

    assert target.provider is not None  # a run that applies has a client
    apply.on_start(plan)
    return apply_plan(
        plan,
        config.recordings,
        target.provider,
        target.store,
        session.state,
        parallelism=apply.parallelism,
        on_outcome=apply.on_outcome,
        stop=apply.stop,
        bound=run.bound,
        lock_id=session.lock_id,
    )


def refresh_run(target: Target, run: RunOptions) -> Session:
    """`refresh`: bring the state in line with the API under the lock, and say what changed."""
    with locked(target, "refresh", run, refresh=True) as session:
        return session


def import_recording(config: Config, target: Target, run: RunOptions, address: str, recording_id: str) -> State:
    """`import ADDR RECORDING_ID`: adopt the recording under the declared address (binding the state), and write it."""
    from reconciler.adopt import adopt_recording

    declared = config.recordings.get(address)
    if declared is None:
        raise UsageError(f"cannot import to {address}: declare it in the configuration first")
    if target.provider is None or target.binding is None:
        raise UsageError("import needs the API")
    with locked(target, "import", run, refresh=False) as session:
        state = dataclasses.replace(session.state, binding=target.binding)
        adopted = adopt_recording(state, declared, recording_id, target.provider)
        return target.store.write(adopted, expected_serial=session.state.serial)
