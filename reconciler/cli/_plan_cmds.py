"""`plan` and `show PLANFILE`: parse, call the core (`reconciler._runs.plan_run`), hand the plan to a view.

Exit codes of `plan`: 0 (with `--detailed-exitcode`: 0 no changes, 2 changes), 1 on error.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from reconciler import __version__
from reconciler.cli._console import Console
from reconciler.cli._context import binding, configured_store, load, open_client, run_options, workspace
from reconciler.cli._paths import config_path
from reconciler.cli._summary import append_step_summary
from reconciler.cli._views import plan_view
from reconciler.errors import UsageError

__all__ = ["run_plan", "show_plan_file"]


def run_plan(args: argparse.Namespace) -> int:
    from reconciler._runs import PlanOptions, Target, plan_run
    from reconciler.plan import SavedPlan, config_digest, write_plan_file
    from reconciler.views.markdown import plan_markdown

    console = Console.from_args(args.no_color)
    view = plan_view(args.format, console)
    config = load(args)
    store = configured_store(args, config)
    options = run_options(args, "plan")
    targets, replace = tuple(args.target), tuple(args.replace)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(open_client(args, config, store)) if options.refresh else None
        target = Target(store, workspace(args, config), client, binding(config) if client is not None else None)
        plan = plan_run(config, target, options, PlanOptions(targets, replace))
    if args.out:
        try:
            pointed = target.binding or binding(config)
        except UsageError:  # no account or app known: a plan made without the API points at none yet
            pointed = None
        saved = SavedPlan(
            plan,
            config_digest=config_digest(config),
            config_path=str(config_path(args.config)),
            binding=pointed,
            targets=targets,
            replace=replace,
            tool_version=__version__,
        )
        write_plan_file(Path(args.out), saved)
    view.plan(plan)
    if args.out:
        view.saved(args.out)
    append_step_summary(args, console, lambda: plan_markdown(plan))
    return 2 if args.detailed_exitcode and plan.has_changes else 0


def show_plan_file(args: argparse.Namespace) -> int:
    """`show PLANFILE`: print a saved plan exactly as `plan --out` printed it, in the format asked for."""
    from reconciler.plan import read_plan_file

    console = Console.from_args(args.no_color)
    view = plan_view(args.format, console)
    view.plan(read_plan_file(Path(args.planfile)).plan)
    return 0
