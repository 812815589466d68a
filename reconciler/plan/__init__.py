"""Plans: `make_plan` decides (pure), `Plan` holds the decision, `plan_file` saves and checks it."""

from __future__ import annotations

from reconciler.plan._file import (
    SavedPlan,
    config_digest,
    config_matches,
    plan_file_document,
    read_plan_file,
    write_plan_file,
)
from reconciler.plan._make import make_plan
from reconciler.plan._model import ACTIONS, Action, Change, Drift, Plan

__all__ = [
    "ACTIONS",
    "Action",
    "Change",
    "Drift",
    "Plan",
    "SavedPlan",
    "config_digest",
    "config_matches",
    "make_plan",
    "plan_file_document",
    "read_plan_file",
    "write_plan_file",
]
