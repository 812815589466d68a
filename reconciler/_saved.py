"""`apply PLANFILE`: carry out a saved plan only while what it decided on still holds.

A saved plan is reviewed, then applied later, often after other runs: another `plan` refreshed statuses (bumping
the serial), recordings moved on by themselves (INVOKED → RECORDING). None of that makes it stale. It is refused
when what it decided on changed:
- the configuration (its digest), the account, app and API it was made for, or the state it was made against
  (another lineage or workspace); then nothing is sent;
- the decisions: under the lock, the state is refreshed and planned again with the saved plan's options; when
  any address would now get another action (or act on another recording), it is refused, naming each difference.
Otherwise the new plan, whose decisions are the saved plan's, is carried out: never something else silently.
"""

from __future__ import annotations

from reconciler._runs import ApplyOptions, ApplyRun, PlanOptions, RunOptions, Target, execute, locked, make_run_plan
from reconciler.config import Config
from reconciler.errors import PlanFileError
from reconciler.plan import Change, Plan, SavedPlan, config_matches

__all__ = ["apply_saved_plan", "decision_differences"]

_AGAIN = "make a new plan with `reconciler plan --out FILE`, review it, and apply that"
# Actions that act on the recording already behind the address: which recording is part of the decision.
_ON_RECORDING = frozenset({"stop", "pause", "resume", "forget", "move"})


def apply_saved_plan(
    saved: SavedPlan, name: str, config: Config, target: Target, *, run: RunOptions, apply: ApplyOptions
) -> ApplyRun:
    """Check `saved` (read from `name`) against the configuration and the state, then carry it out; raises
    `PlanFileError` naming what changed when it no longer holds."""
    if not config_matches(saved.config_digest, config):
        raise PlanFileError(f"saved plan {name} is stale: the configuration changed since it was made; {_AGAIN}")
    if saved.binding is not None and target.binding is not None and saved.binding != target.binding:
        raise PlanFileError(
            f"saved plan {name} was made for {saved.binding}, but this run points at {target.binding}; nothing "
            "was sent. Check [provider] and the environment (CLOUDFLARE_ACCOUNT_ID, REALTIMEKIT_APP_ID, "
            "CLOUDFLARE_BASE_URL)"
        )
    if saved.plan.workspace != target.workspace:
        raise PlanFileError(
            f"saved plan {name} was made for workspace {saved.plan.workspace}, not {target.workspace}; nothing was sent"
        )
    with locked(target, "apply", run) as session:
        state = session.state
        # A plan made before the state existed (serial 0, never written) was made against no lineage in particular.
        if state.lineage != saved.plan.lineage and saved.plan.serial != 0:
            raise PlanFileError(
                f"saved plan {name} was made against another state (lineage {saved.plan.lineage}; "
                f"{target.store.location} has lineage {state.lineage}); nothing was sent. Apply it with the state it "
                f"was made with (--state, [state]), or {_AGAIN}"
            )
        plan = make_run_plan(
            config,
            state,
            events=session.events,
            workspace=target.workspace,
            options=PlanOptions(saved.targets, saved.replace),
            refreshed=run.refresh,
        )
        differences = decision_differences(saved.plan, plan)
        if differences:
            listed = "\n".join(f"  {line}" for line in differences)
            raise PlanFileError(
                f"saved plan {name} is stale: planned again against the current state, its decisions differ:\n"
                f"{listed}\nNothing was sent; {_AGAIN}"
            )
        if not plan.has_changes:
            return ApplyRun(plan, state, None)
        return ApplyRun(plan, state, execute(plan, config, target, session, run=run, apply=apply))


def decision_differences(saved: Plan, current: Plan) -> list[str]:
    """One line per address whose decision differs between the two plans (none: the same decisions)."""
    before = {change.address: change for change in saved.changes}
    after = {change.address: change for change in current.changes}
    lines = []
    for address in sorted(before.keys() | after.keys()):
        old, new = before.get(address), after.get(address)
        if old is not None and new is not None and _decision(old) == _decision(new):
            continue
        now = f"now {_describe(new)}" + (f" ({new.reason})" if new is not None else "")
        lines.append(f"{address}: the plan says {_describe(old)}, {now}")
    return lines


def _decision(change: Change) -> tuple[object, ...]:
    if change.is_noop:
        return ("no-op",)
    acts_on = change.recording_id if _ON_RECORDING.intersection(change.actions) else None
    return (change.actions, change.meeting_id, change.moved_from, acts_on)


def _describe(change: Change | None) -> str:
    if change is None:
        return "nothing (the address is not in it)"
    if change.is_noop:
        return "no change"
    what = ", then ".join(change.actions)
    if change.recording_id and _ON_RECORDING.intersection(change.actions):
        what += f" (recording {change.recording_id})"
    if change.moved_from:
        what += f" (from {change.moved_from})"
    return what
