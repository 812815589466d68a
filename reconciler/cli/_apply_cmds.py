"""`apply`, `refresh` and `import`: parse, call the core (`reconciler._runs`, `reconciler._saved`), hand what it
did to a view.

`apply` asks for "yes" on a terminal, and fails at once without one unless `--auto-approve` (or a saved plan).
Ctrl-C once: stop dispatching, let calls in flight finish, save. Twice: exit at once; the journal keeps every intent
and what was known (the next run resolves the rest from the API).
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from reconciler.cli._console import Console
from reconciler.cli._context import binding, configured_store, load, open_client, run_options, workspace
from reconciler.cli._state_views import state_view
from reconciler.cli._summary import append_step_summary
from reconciler.cli._views import apply_view
from reconciler.errors import UsageError

if TYPE_CHECKING:
    from reconciler.plan import Plan

__all__ = ["run_apply", "run_import", "run_refresh"]


def run_apply(args: argparse.Namespace) -> int:
    from reconciler._runs import ApplyOptions, PlanOptions, Target, plan_and_apply
    from reconciler._saved import apply_saved_plan
    from reconciler.plan import read_plan_file
    from reconciler.views.markdown import apply_markdown

    console = Console.from_args(args.no_color)
    view = apply_view(args.format, console)
    saved = read_plan_file(Path(args.planfile)) if args.planfile else None
    if saved is None and not args.auto_approve:
        view.refuse_unconfirmed()
    if saved is not None and (args.target or args.replace):
        raise UsageError("--target and --replace are decided when the plan is made, not with a saved plan")
    # A saved plan remembers the configuration it was made from; -c, when given, is used instead (and must hold
    # the same content: the plan's digest of it is checked).
    config_flag = args.config if args.config is not None or saved is None else saved.config_path
    config = load(args, config_flag)
    store = configured_store(args, config, config_flag)
    options = run_options(args, "apply")
    interrupts = _Interrupts(threading.Event(), console)

    def on_start(plan: Plan) -> None:
        interrupts.arm()  # from here on, the first Ctrl-C stops dispatching instead of ending the run
        view.start(plan)

    apply = ApplyOptions(parallelism=args.parallelism, on_start=on_start, on_outcome=view.outcome, stop=interrupts.stop)
    with open_client(args, config, store) as client, interrupts:
        target = Target(store, workspace(args, config, config_flag), client, binding(config))
        if saved is not None:
            run = apply_saved_plan(saved, args.planfile, config, target, run=options, apply=apply)
        else:
            plan_options = PlanOptions(tuple(args.target), tuple(args.replace))
            run = plan_and_apply(
                config,
                target,
                run=options,
                options=plan_options,
                apply=apply,
                review=functools.partial(view.review, ask=not args.auto_approve),
            )
    view.done(run)
    done = run.result
    if done is not None:
        append_step_summary(args, console, lambda: apply_markdown(run.plan, done))
    if not run.approved:
        return 1
    return 1 if done is not None and (done.failed or done.interrupted or done.stopped_by) else 0


class _Interrupts:
    """Once armed, the first Ctrl-C sets `stop`; a second exits at once (every start sent has its intent on disk,
    and outcomes reach the journal within milliseconds of their answers: the next run folds them in, and asks the
    API about the rest). Until armed (while refreshing, planning, asking), Ctrl-C ends the run as usual."""

    def __init__(self, stop: threading.Event, console: Console) -> None:
        self.stop = stop
        self.console = console
        self.previous: signal.Handlers | Callable[[int, FrameType | None], object] | int | None = None

    def arm(self) -> None:
        self.previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        del signum, frame
        err = self.console.err
        if self.stop.is_set():
            err.write("\nInterrupted again: exiting now. The next run resolves what this one left open.\n")
            err.flush()
            os._exit(130)
        self.stop.set()
        err.write("\nStopping: finishing calls in flight, then saving (Ctrl-C again to quit now).\n")
        err.flush()

    def __enter__(self) -> _Interrupts:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def run_refresh(args: argparse.Namespace) -> int:
    from reconciler._runs import Target, refresh_run
    from reconciler.views.text import refresh_lines

    console = Console.from_args(args.no_color)
    config = load(args)
    store = configured_store(args, config)
    with open_client(args, config, store) as client:
        target = Target(store, workspace(args, config), client, binding(config))
        session = refresh_run(target, run_options(args, "refresh", refresh=True))
    state, events = session.state, session.events
    count = len(state.recordings)
    lines = [
        *refresh_lines(events, console.style),
        f"Refreshed {count} recording{'s' if count != 1 else ''}: {len(events) or 'no'} change(s).",
    ]
    document = {
        "state": {"lineage": state.lineage, "serial": state.serial},
        "events": [event.to_json() for event in events],
    }
    state_view(args.format, console).done("\n".join(lines), document)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from reconciler._runs import Target, import_recording

    console = Console.from_args(args.no_color)
    config = load(args)
    if args.address not in config.recordings:
        raise UsageError(f"cannot import to {args.address}: declare it in the configuration first")
    store = configured_store(args, config)
    with open_client(args, config, store) as client:
        target = Target(store, workspace(args, config), client, binding(config))
        written = import_recording(
            config, target, run_options(args, "import", refresh=False), args.address, args.recording_id
        )
    recording = written.recordings[args.address]
    document = {
        "address": args.address,
        "recording_id": recording.recording_id,
        "status": recording.status,
        "serial": written.serial,
    }
    text = f"Imported recording {recording.recording_id} ({recording.status}) as {args.address}."
    state_view(args.format, console).done(text, document)
    return 0
