"""`plan` and `show PLANFILE`, and the refresh-then-plan sequence that `apply` shares.

Exit codes of `plan`: 0 (with `--detailed-exitcode`: 0 no changes, 2 changes), 1 on error.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.cli._console import Console
from reconciler.cli._context import binding, load, lock_wait_notice, open_client, open_store, settle_bound

if TYPE_CHECKING:
    from providers import Provider
    from reconciler._session import Session
    from reconciler.config import Config
    from reconciler.plan import Plan
    from reconciler.refresh import RefreshEvent
    from state import FileStateStore, State

__all__ = ["current_state", "plan_for", "print_plan", "run_plan", "show_plan_file"]


def run_plan(args: argparse.Namespace) -> int:
    from reconciler.plan import write_plan_file

    console = Console.from_args(args.no_color)
    config = load(args)
    store = open_store(args, config)
    with current_state(args, config, store, operation="plan", api=False) as session:
        plan = plan_for(args, config, session.state)
        events = session.events
    if args.out:
        write_plan_file(Path(args.out), plan, config, __version__)
    print_plan(console, plan, events, json_output=args.json)
    if args.out and not args.json:
        console.print(f"\nSaved the plan to {args.out}. Apply exactly it with `reconciler apply {args.out}`.")
    return 2 if args.detailed_exitcode and plan.has_changes else 0


@contextlib.contextmanager
def current_state(
    args: argparse.Namespace,
    config: Config,
    store: FileStateStore,
    *,
    operation: str,
    api: bool = True,
    refresh: bool | None = None,
    client: Provider | None = None,
) -> Iterator[Session]:
    """The state to plan from, with the lock held for the `with` block (`reconciler._session.locked_state`).

    Folds what a previous run left in the journal and checks the binding; then, when `refresh` (by default: unless
    `--no-refresh`), refreshes from the API and persists what changed. Without a refresh nothing is sent (unless
    `api` asks for the cheap call that precedes an apply), and nothing is written but what the journal held.
    `client` is the API client to use, when the caller needs it afterwards too.
    """
    from reconciler._session import locked_state

    if refresh is None:
        refresh = not getattr(args, "no_refresh", False)
    with contextlib.ExitStack() as stack:
        if client is None and (refresh or api):
            client = stack.enter_context(open_client(args, config))
        target = binding(config) if client is not None else None  # a run that sends nothing needs none
        session = stack.enter_context(
            locked_state(
                store,
                operation=operation,
                lock_timeout=args.lock_timeout,
                binding=target,
                provider=client,
                refresh=refresh,
                bound=settle_bound(args),
                on_lock_wait=lock_wait_notice(args),
            )
        )
        yield session


def plan_for(args: argparse.Namespace, config: Config, state: State) -> Plan:
    """The plan for `state` from the configuration and the `--target`, `--replace`, `--no-refresh` flags."""
    from reconciler.plan import make_plan

    return make_plan(
        config.recordings,
        state,
        moved=config.moved,
        targets=args.target,
        replace=args.replace,
        refreshed=not args.no_refresh,
    )


def print_plan(console: Console, plan: Plan, events: tuple[RefreshEvent, ...], *, json_output: bool) -> None:
    from reconciler.render import plan_lines, refresh_lines

    if json_output:
        document = plan.to_json()
        document["refresh"] = [event.to_json() for event in events]
        console.json(document)
        return
    if events:
        console.print(console.style("Refresh:", "bold"))
        for line in refresh_lines(events, console.style):
            console.print(f"  {line}")
    for line in plan_lines(plan, console.style):
        console.print(line)


def show_plan_file(args: argparse.Namespace) -> int:
    """`show PLANFILE`: print a saved plan as `plan` printed it (`--json`: the same document)."""
    from reconciler.plan import read_plan_file

    saved = read_plan_file(Path(args.planfile))
    print_plan(Console.from_args(args.no_color), saved.plan, (), json_output=args.json)
    return 0
