"""The view objects of `plan`, `show PLANFILE` and `apply`: one per output format, chosen once from `--format`
(`plan_view(format, console)`, `apply_view(...)`), as Terraform's `views.NewPlan(viewType)`. Nothing downstream
asks which format it is: each view prints its own way, through the console (which escapes what came from outside).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from reconciler._outcome import ApplyResult, Outcome
from reconciler._runs import ApplyRun
from reconciler.cli._console import Console
from reconciler.errors import UsageError
from reconciler.plan import Plan
from reconciler.views import markdown
from reconciler.views.documents import apply_summary_document, gitlab_report
from reconciler.views.text import apply_summary_line, plan_lines

__all__ = ["ApplyView", "PlanView", "apply_view", "plan_view"]


class PlanView(Protocol):
    def plan(self, plan: Plan) -> None:
        """Show the plan (on stdout: the same bytes for `plan` and `show PLANFILE`)."""

    def saved(self, path: str) -> None:
        """Say where the plan was saved (on stderr, if at all)."""


@dataclass
class _TextPlan:
    console: Console

    def plan(self, plan: Plan) -> None:
        for line in plan_lines(plan, self.console.style):
            self.console.print(line)

    def saved(self, path: str) -> None:
        self.console.message(f"Saved the plan to {path}. Apply exactly it with `reconciler apply {path}`.")


@dataclass
class _JsonPlan:
    console: Console

    def plan(self, plan: Plan) -> None:
        self.console.json(plan.to_json())

    def saved(self, path: str) -> None:
        del path


@dataclass
class _MarkdownPlan:
    console: Console

    def plan(self, plan: Plan) -> None:
        self.console.write(markdown.plan_markdown(plan))

    def saved(self, path: str) -> None:
        self.console.message(f"Saved the plan to {path}.")


@dataclass
class _GitlabPlan:
    console: Console

    def plan(self, plan: Plan) -> None:
        self.console.json(gitlab_report(plan))

    def saved(self, path: str) -> None:
        del path


_PLAN_VIEWS: dict[str, Callable[[Console], PlanView]] = {
    "text": _TextPlan,
    "json": _JsonPlan,
    "markdown": _MarkdownPlan,
    "gitlab": _GitlabPlan,
}


def plan_view(output_format: str, console: Console) -> PlanView:
    return _PLAN_VIEWS[output_format](console)


class ApplyView(Protocol):
    def refuse_unconfirmed(self) -> None:
        """Raise when this view cannot ask for the confirmation an apply without a saved plan needs."""

    def review(self, plan: Plan, *, ask: bool) -> bool:
        """Show the plan before anything is done; with `ask`, ask for "yes" (and say whether it was given)."""

    def start(self, plan: Plan) -> None:
        """The plan is about to be carried out."""

    def outcome(self, outcome: Outcome) -> None:
        """One action's outcome, as it happens (from worker threads, one at a time)."""

    def done(self, run: ApplyRun) -> None:
        """What the apply did (or that it did nothing)."""


@dataclass
class _TextApply:
    console: Console
    progress: Callable[[Outcome], None] | None = None

    def refuse_unconfirmed(self) -> None:
        if not self.console.interactive:
            raise _no_confirmation("there is no terminal to ask on")

    def review(self, plan: Plan, *, ask: bool) -> bool:
        _TextPlan(self.console).plan(plan)
        if not plan.has_changes or not ask:
            return True
        self.console.print("\nDo you want to perform these actions? Only 'yes' will be accepted.")
        self.console.out.write("  Enter a value: ")
        self.console.out.flush()
        return sys.stdin.readline().strip() == "yes"

    def start(self, plan: Plan) -> None:
        from reconciler.cli._progress import ApplyProgress

        total = sum(1 for change in plan.changes for action in change.actions if action != "no-op")
        self.progress = ApplyProgress.for_console(self.console, total)

    def outcome(self, outcome: Outcome) -> None:
        if self.progress is not None:
            self.progress(outcome)

    def done(self, run: ApplyRun) -> None:
        from reconciler.cli._progress import ApplyProgress

        if isinstance(self.progress, ApplyProgress):
            self.progress.finish()
        if not run.approved:
            self.console.print("Apply cancelled.")
            return
        result = run.result
        if result is None:
            return
        for warning in result.warnings:
            self.console.warn(warning)
        if result.stopped_by:
            self.console.error(f"apply stopped: {result.stopped_by}")
        if result.interrupted:
            self.console.warn("interrupted: actions not yet dispatched were not attempted; run apply again to finish")
        done = _done(result)
        self.console.print("")
        self.console.print(apply_summary_line(done, result.failed, result.summary["skipped"], self.console.style))


@dataclass
class _JsonApply:
    console: Console

    def refuse_unconfirmed(self) -> None:
        raise _no_confirmation("--format json leaves no place to show the plan and ask")

    def review(self, plan: Plan, *, ask: bool) -> bool:
        del plan, ask
        return True

    def start(self, plan: Plan) -> None:
        del plan

    def outcome(self, outcome: Outcome) -> None:
        self.console.json(outcome.to_json())

    def done(self, run: ApplyRun) -> None:
        self.console.json(apply_summary_document(_result(run)))


@dataclass
class _MarkdownApply:
    console: Console

    def refuse_unconfirmed(self) -> None:
        raise _no_confirmation("--format markdown leaves no place to ask")

    def review(self, plan: Plan, *, ask: bool) -> bool:
        del plan, ask
        return True

    def start(self, plan: Plan) -> None:
        del plan

    def outcome(self, outcome: Outcome) -> None:
        del outcome  # the document is written whole at the end: deterministic, nothing interleaved

    def done(self, run: ApplyRun) -> None:
        self.console.write(markdown.apply_markdown(run.plan, _result(run)))


_APPLY_VIEWS: dict[str, Callable[[Console], ApplyView]] = {
    "text": _TextApply,
    "json": _JsonApply,
    "markdown": _MarkdownApply,
}


def apply_view(output_format: str, console: Console) -> ApplyView:
    if output_format not in _APPLY_VIEWS:
        raise UsageError(f"apply has no --format {output_format}: use text, json or markdown")
    return _APPLY_VIEWS[output_format](console)


def _result(run: ApplyRun) -> ApplyResult:
    return run.result or ApplyResult(outcomes=(), state=run.state, interrupted=False)


def _done(result: ApplyResult) -> dict[str, int]:
    done: dict[str, int] = {}
    for outcome in result.outcomes:
        if outcome.result == "ok":
            done[outcome.action] = done.get(outcome.action, 0) + 1
    return done


def _no_confirmation(where: str) -> Exception:
    from reconciler.errors import ApplyRefusedError

    return ApplyRefusedError(
        f"apply needs a confirmation and {where}: pass --auto-approve, "
        "or apply a plan saved with `reconciler plan --out FILE`"
    )
