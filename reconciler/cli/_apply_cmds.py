"""`apply`, `refresh` and `import`: the commands that change recordings or adopt them.

`apply` asks for "yes" on a terminal, and fails at once without one unless `--auto-approve` (or a saved plan).
Ctrl-C once: stop dispatching, let calls in flight finish, save. Twice: exit at once; the journal keeps every intent
and what was known (the next run resolves the rest from the API).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from reconciler.cli._console import Console
from reconciler.cli._context import binding, configured_store, load, open_client, settle_bound
from reconciler.cli._plan_cmds import current_state, plan_for, print_plan
from reconciler.errors import ApplyRefusedError, PlanFileError, UsageError

if TYPE_CHECKING:
    from providers import RealtimeKitClient
    from reconciler._session import Session
    from reconciler.apply import ApplyResult
    from reconciler.config import Config
    from reconciler.plan import Plan
    from state import StateStore

__all__ = ["run_apply", "run_import", "run_refresh"]


def run_apply(args: argparse.Namespace) -> int:
    from reconciler.plan import config_matches, read_plan_file

    console = Console.from_args(args.no_color)
    saved = read_plan_file(Path(args.planfile)) if args.planfile else None
    if saved is None and not args.auto_approve and (args.json or not console.interactive):
        where = "--json leaves no place to show the plan and ask" if args.json else "there is no terminal to ask on"
        raise ApplyRefusedError(
            f"apply needs a confirmation and {where}: pass --auto-approve, "
            "or apply a plan saved with `reconciler plan --out FILE`"
        )
    if saved is not None and (args.target or args.replace):
        raise UsageError("--target and --replace are decided when the plan is made, not with a saved plan")
    config = load(args)
    store = configured_store(args, config)
    if saved is not None:
        if not config_matches(saved.config_digest, config):
            raise PlanFileError(
                f"saved plan {args.planfile} is stale: the configuration changed since it was made; "
                "run `reconciler plan --out FILE` again"
            )
        # A saved plan is applied as it was made: no refresh, only the cheap call before anything is sent.
        with (
            open_client(args, config, store) as client,
            current_state(args, config, store, operation="apply", refresh=False, client=client) as session,
        ):
            state, plan = session.state, saved.plan
            if (state.lineage, state.serial) != (plan.lineage, plan.serial):
                raise PlanFileError(
                    f"saved plan {args.planfile} is stale: the state changed since it was made "
                    f"(serial {plan.serial}, now {state.serial}); run `reconciler plan --out FILE` again"
                )
            return _execute(args, console, config=config, client=client, store=store, session=session, plan=plan)

    with (
        open_client(args, config, store) as client,
        current_state(args, config, store, operation="apply", client=client) as session,
    ):
        state, events = session.state, session.events
        plan = plan_for(args, config, state)
        if not args.json:
            print_plan(console, plan, events, json_output=False)
        if not plan.has_changes:
            if args.json:
                from reconciler.apply import ApplyResult

                _print_summary(console, ApplyResult(outcomes=(), state=state, interrupted=False), json_output=True)
            return 0
        if not args.auto_approve and not _confirmed(console):
            console.print("Apply cancelled.")
            return 1
        return _execute(args, console, config=config, client=client, store=store, session=session, plan=plan)


def _confirmed(console: Console) -> bool:
    console.print("\nDo you want to perform these actions? Only 'yes' will be accepted.")
    console.out.write("  Enter a value: ")
    console.out.flush()
    answer = sys.stdin.readline()
    return answer.strip() == "yes"


def _execute(
    args: argparse.Namespace,
    console: Console,
    *,
    config: Config,
    client: RealtimeKitClient,
    store: StateStore,
    session: Session,
    plan: Plan,
) -> int:
    """Carry out `plan` with the client that checked the access (it knows the API's clock)."""
    from reconciler.apply import apply_plan
    from reconciler.cli._progress import ApplyProgress

    total = sum(1 for change in plan.changes for action in change.actions if action != "no-op")
    progress = ApplyProgress.for_console(console, total, json_output=args.json)
    stop = threading.Event()
    with _interrupts(stop, console):
        result = apply_plan(
            plan,
            config.recordings,
            client,
            store,
            session.state,
            parallelism=args.parallelism,
            on_outcome=progress,
            stop=stop,
            bound=settle_bound(args),
            lock_id=session.lock_id,
        )
    progress.finish()
    _print_summary(console, result, json_output=args.json)
    return 1 if result.failed or result.interrupted or result.stopped_by else 0


def _print_summary(console: Console, result: ApplyResult, *, json_output: bool) -> None:
    from reconciler.render import apply_summary_line

    done = Counter(outcome.action for outcome in result.outcomes if outcome.result == "ok")
    if json_output:
        console.json(
            {
                "type": "summary",
                **result.summary,
                "actions": dict(done),
                "interrupted": result.interrupted,
                "stopped_by": result.stopped_by or None,
                "warnings": list(result.warnings),
                "state": {"lineage": result.state.lineage, "serial": result.state.serial},
            }
        )
        return
    for warning in result.warnings:
        console.warn(warning)
    if result.stopped_by:
        console.error(f"apply stopped: {result.stopped_by}")
    if result.interrupted:
        console.warn("interrupted: actions not yet dispatched were not attempted; run apply again to finish")
    console.print("")
    console.print(apply_summary_line(dict(done), result.failed, result.summary["skipped"], console.style))


@contextlib.contextmanager
def _interrupts(stop: threading.Event, console: Console) -> Iterator[None]:
    """First Ctrl-C sets `stop`; a second exits at once (every start sent has its intent on disk, and outcomes reach
    the journal within milliseconds of their answers: the next run folds them in, and asks the API about the rest)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        if stop.is_set():
            console.err.write("\nInterrupted again: exiting now. The next run resolves what this one left open.\n")
            console.err.flush()
            os._exit(130)
        stop.set()
        console.err.write("\nStopping: finishing calls in flight, then saving (Ctrl-C again to quit now).\n")
        console.err.flush()

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_refresh(args: argparse.Namespace) -> int:
    from reconciler.render import refresh_lines

    console = Console.from_args(args.no_color)
    config = load(args)
    store = configured_store(args, config)
    with current_state(args, config, store, operation="refresh", refresh=True) as session:
        state, events = session.state, session.events
        if args.json:
            console.json(
                {
                    "state": {"lineage": state.lineage, "serial": state.serial},
                    "events": [event.to_json() for event in events],
                }
            )
            return 0
        for line in refresh_lines(events, console.style):
            console.print(line)
        count = len(state.recordings)
        console.print(f"Refreshed {count} recording{'s' if count != 1 else ''}: {len(events) or 'no'} change(s).")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from reconciler.adopt import adopt_recording

    console = Console.from_args(args.no_color)
    config = load(args)
    declared = config.recordings.get(args.address)
    if declared is None:
        raise UsageError(f"cannot import to {args.address}: declare it in the configuration first")
    store = configured_store(args, config)
    with (
        open_client(args, config, store) as client,
        current_state(args, config, store, operation="import", refresh=False, client=client) as session,
    ):
        state = dataclasses.replace(session.state, binding=binding(config))
        adopted = adopt_recording(state, declared, args.recording_id, client)
        written = store.write(adopted, expected_serial=session.state.serial)
    recording = written.recordings[args.address]
    if args.json:
        console.json(
            {
                "address": args.address,
                "recording_id": recording.recording_id,
                "status": recording.status,
                "serial": written.serial,
            }
        )
    else:
        console.print(f"Imported recording {recording.recording_id} ({recording.status}) as {args.address}.")
    return 0
