"""Saved plans: `read(write(plan)) == plan` for any plan, an edited file refused, errors in the file's own terms,
and the decisions that make a saved plan stale (or not)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler._digest import sensitive_digest
from reconciler._events import EventKind, RefreshEvent
from reconciler._saved import decision_differences
from reconciler.errors import PlanFileError
from reconciler.plan import Change, Drift, Plan, SavedPlan, read_plan_file, write_plan_file
from reconciler.plan._make import make_plan
from state import Binding, RecordingEntry, State

ACTIONS = [("start",), ("pause",), ("resume",), ("stop",), ("forget",), ("move",), ("no-op",), ("stop", "start")]
names = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
addresses = st.builds(lambda a, b: f"{a}.{b}", names, names)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
drifts = st.one_of(
    st.builds(Drift, st.text(min_size=1), json_values, json_values),
    st.builds(lambda path: Drift(path, sensitive=True), st.text(min_size=1)),
)


@st.composite
def changes(draw: st.DrawFn) -> Change:
    actions = draw(st.sampled_from(ACTIONS))
    starts = "start" in actions
    return Change(
        address=draw(addresses),
        meeting_id=draw(st.text()),
        actions=actions,
        reason=draw(st.text()),
        recording_id=draw(st.none() | st.text()),
        status=draw(st.none() | st.text()),
        moved_from=draw(st.none() | addresses),
        drift=tuple(draw(st.lists(drifts, max_size=3))),
        notable=draw(st.booleans()),
        fields=draw(st.dictionaries(st.text(max_size=10), json_values, max_size=4)) if starts else {},
        sensitive=tuple(draw(st.lists(st.text(min_size=1), max_size=3))) if starts else (),
    )


events = st.builds(RefreshEvent, addresses, st.sampled_from(get_args(EventKind)), st.text(), st.none() | st.text())
plans = st.builds(
    Plan,
    changes=st.lists(changes(), max_size=6).map(tuple),
    lineage=st.text(),
    serial=st.integers(min_value=0),
    warnings=st.lists(st.text(), max_size=3).map(tuple),
    events=st.lists(events, max_size=3).map(tuple),
    workspace=names,
)
saved_plans = st.builds(
    SavedPlan,
    plan=plans,
    config_digest=st.text(),
    config_path=st.text(min_size=1),
    binding=st.none() | st.builds(Binding, st.text(), st.text(), st.text()),
    targets=st.lists(st.text(), max_size=2).map(tuple),
    replace=st.lists(addresses, max_size=2).map(tuple),
    tool_version=st.text(),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(saved=saved_plans)
def test_a_saved_plan_reads_back_as_it_was_written(saved: SavedPlan, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    write_plan_file(path, saved)
    assert read_plan_file(path) == saved


def saved_plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    change = Change("a.main", "m-1", ("start",), "not recorded yet", fields={"max_seconds": 60})
    write_plan_file(path, SavedPlan(Plan((change,), "lineage-1", 3), "digest", "recordings.toml", None))
    return path


def test_an_edited_plan_file_is_refused(tmp_path: Path) -> None:
    path = saved_plan(tmp_path)
    document = json.loads(path.read_text())
    document["plan"]["changes"][0]["actions"] = ["stop"]
    path.write_text(json.dumps(document))
    with pytest.raises(PlanFileError, match="was changed after it was made"):
        read_plan_file(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["plan"].__setitem__("changes", None), "plan.changes: expected a list, found null"),
        (
            lambda d: d["plan"]["changes"][0].__setitem__("actions", ["jump"]),
            "plan.changes[0].actions[0]: expected one of",
        ),
        (
            lambda d: d["plan"]["state"].__setitem__("serial", "3"),
            'plan.state.serial: expected a whole number, found "3"',
        ),
        (lambda d: d.__setitem__("file_version", 1), "made by an older version of reconciler"),
    ],
)
def test_a_damaged_plan_file_is_explained_in_its_own_terms(tmp_path: Path, edit: Any, message: str) -> None:
    from reconciler.plan._file import content_digest

    path = saved_plan(tmp_path)
    document = json.loads(path.read_text())
    edit(document)
    document["digest"] = content_digest(document)  # a consistent file, made by hand: still refused, with words
    path.write_text(json.dumps(document))
    with pytest.raises(PlanFileError) as raised:
        read_plan_file(path)
    assert message in str(raised.value)
    assert "NoneType" not in str(raised.value)
    assert "object is not" not in str(raised.value)


def test_out_naming_a_folder_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match=f"--out {tmp_path} is a folder"):
        write_plan_file(tmp_path, SavedPlan(Plan((), "l", 0), "d", "recordings.toml", None))
    assert list(tmp_path.iterdir()) == []


def entry(status: str, recording_id: str = "rec-1") -> RecordingEntry:
    return RecordingEntry("97440c6a-140b-40a9-9499-b23fd7a3868a", recording_id, status, {"max_seconds": 3600})


def test_statuses_that_moved_on_do_not_change_the_decisions() -> None:
    from test_plan_make import declared

    desired = {"allhands.main": declared(max_seconds=3600)}
    before = make_plan(desired, State("l", 3, recordings={"allhands.main": entry("INVOKED")}))
    after = make_plan(desired, State("l", 9, recordings={"allhands.main": entry("RECORDING")}))
    assert decision_differences(before, after) == []
    gone = make_plan(desired, State("l", 9, recordings={"allhands.main": entry("ERRORED")}))
    assert decision_differences(before, gone) == [
        "allhands.main: the plan says no change, now start (recording rec-1 errored)"
    ]


def test_a_secret_that_changed_is_named_alone() -> None:
    from test_plan_make import declared

    old = {"storage_config.access_key": "AKIA-1", "storage_config.secret": "s-1"}
    started = RecordingEntry(
        "97440c6a-140b-40a9-9499-b23fd7a3868a",
        "rec-1",
        "RECORDING",
        {"storage_config": {"type": "aws"}},
        sensitive_digest(old),
    )
    wanted = declared(storage_config={"type": "aws", "access_key": "AKIA-1", "secret": "s-2"})
    (change,) = make_plan({"allhands.main": wanted}, State("l", 1, recordings={"allhands.main": started})).changes
    assert change.drift == (Drift("storage_config.secret", sensitive=True),)
