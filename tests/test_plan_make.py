"""`make_plan` as a table: (declared status, recorded state) → actions, one case per row of design §4."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler._digest import sensitive_digest
from reconciler.config import DesiredRecording, Moved, SourceLocation
from reconciler.errors import UsageError
from reconciler.plan import make_plan
from reconciler.views.text import drift_text
from state import PendingStart, RecordingEntry, State

MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"
HERE = SourceLocation(Path("recordings.toml"), 1)


def declared(address: str = "allhands.main", status: str = "recording", **body: Any) -> DesiredRecording:
    meeting, _, recording = address.partition(".")
    return DesiredRecording(
        address=address,
        meeting_key=meeting,
        recording_key=recording,
        meeting_id=MEETING,
        status=status,  # type: ignore[arg-type]  # the cases below only use the three valid statuses
        body=body,
        location=HERE,
    )


def entry(status: str, recording_id: str = "rec-1", **fields: Any) -> RecordingEntry:
    return RecordingEntry(meeting_id=MEETING, recording_id=recording_id, status=status, fields=fields)


def state_of(**entries: RecordingEntry) -> State:
    return State(lineage="lineage-1", serial=7, recordings={k.replace("__", "."): v for k, v in entries.items()})


# (declared status, recorded status or None for no entry) → actions. One row per line of design §4.
TABLE = [
    ("recording", None, ("start",)),
    ("recording", "ERRORED", ("start",)),
    ("recording", "VANISHED", ("start",)),
    ("recording", "PAUSED", ("resume",)),
    ("recording", "INVOKED", ("no-op",)),
    ("recording", "RECORDING", ("no-op",)),
    ("recording", "UPLOADING", ("no-op",)),
    ("recording", "UPLOADED", ("no-op",)),
    ("paused", "RECORDING", ("pause",)),
    ("paused", "INVOKED", ("no-op",)),
    ("paused", None, ("no-op",)),
    ("paused", "ERRORED", ("no-op",)),
    ("paused", "PAUSED", ("no-op",)),
    ("paused", "UPLOADING", ("no-op",)),
    ("paused", "UPLOADED", ("no-op",)),
    ("stopped", "INVOKED", ("stop",)),
    ("stopped", "RECORDING", ("stop",)),
    ("stopped", "PAUSED", ("stop",)),
    ("stopped", None, ("no-op",)),
    ("stopped", "ERRORED", ("no-op",)),
    ("stopped", "UPLOADING", ("no-op",)),
    ("stopped", "UPLOADED", ("no-op",)),
]


@pytest.mark.parametrize(("wanted", "recorded", "actions"), TABLE, ids=[f"{w}-{r}" for w, r, _ in TABLE])
def test_decision_table(wanted: str, recorded: str | None, actions: tuple[str, ...]) -> None:
    current = state_of(allhands__main=entry(recorded)) if recorded else state_of()
    plan = make_plan({"allhands.main": declared(status=wanted)}, current)
    (change,) = plan.changes
    assert change.actions == actions
    assert change.reason  # every change, no-ops included, says why
    assert change.meeting_id == MEETING
    assert change.recording_id == ("rec-1" if recorded else None)


def test_undeclared_address_is_forgotten_without_stopping() -> None:
    plan = make_plan({}, state_of(old__one=entry("RECORDING")))
    (change,) = plan.changes
    assert change.actions == ("forget",)
    assert "keeps running" in change.reason
    assert not change.calls_api


def test_replace_active_recording_stops_then_starts() -> None:
    plan = make_plan(
        {"allhands.main": declared()}, state_of(allhands__main=entry("RECORDING")), replace=["allhands.main"]
    )
    assert plan.changes[0].actions == ("stop", "start")


def test_replace_of_finished_recording_only_starts() -> None:
    plan = make_plan(
        {"allhands.main": declared()}, state_of(allhands__main=entry("UPLOADED")), replace=["allhands.main"]
    )
    assert plan.changes[0].actions == ("start",)


@pytest.mark.parametrize(
    ("address", "status", "message"),
    [("nope.main", "recording", "no such declared address"), ("allhands.main", "paused", "declared status is paused")],
    ids=["undeclared", "not-recording"],
)
def test_replace_refused(address: str, status: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make_plan({"allhands.main": declared(status=status)}, state_of(), replace=[address])


def test_moved_renames_without_api_call() -> None:
    moved = [Moved("allhands.old", "allhands.main", HERE)]
    plan = make_plan({"allhands.main": declared()}, state_of(allhands__old=entry("RECORDING")), moved=moved)
    (change,) = plan.changes
    assert change.actions == ("move",)
    assert change.moved_from == "allhands.old"
    assert change.recording_id == "rec-1"
    assert not change.calls_api


def test_moved_then_resumed() -> None:
    moved = [Moved("allhands.old", "allhands.main", HERE)]
    plan = make_plan({"allhands.main": declared()}, state_of(allhands__old=entry("PAUSED")), moved=moved)
    assert plan.changes[0].actions == ("move", "resume")


def test_moved_ignored_when_destination_taken() -> None:
    moved = [Moved("allhands.old", "allhands.main", HERE)]
    current = state_of(allhands__old=entry("RECORDING", "rec-1"), allhands__main=entry("RECORDING", "rec-2"))
    plan = make_plan({"allhands.main": declared()}, current, moved=moved)
    assert [c.actions for c in plan.changes] == [("no-op",), ("forget",)]
    assert any("ignored" in warning for warning in plan.warnings)


def test_target_globs_limit_the_plan() -> None:
    wanted = {"a.x": declared("a.x"), "a.y": declared("a.y"), "b.x": declared("b.x")}
    plan = make_plan(wanted, state_of(c__z=entry("RECORDING")), targets=["a.*"])
    assert [c.address for c in plan.changes] == ["a.x", "a.y"]
    assert not plan.warnings


def test_target_matching_nothing_warns() -> None:
    plan = make_plan({"a.x": declared("a.x")}, state_of(), targets=["zzz"])
    assert plan.changes == ()
    assert plan.warnings == ("--target zzz matches no declared or recorded address",)


def test_pending_start_is_never_started_again() -> None:
    current = State(lineage="l", serial=1, pending={"allhands.main": PendingStart(MEETING, "2026-01-01T00:00:00Z")})
    plan = make_plan({"allhands.main": declared()}, current, refreshed=False)
    (change,) = plan.changes
    assert change.actions == ("no-op",)
    assert "--no-refresh" in change.reason


def test_pending_start_of_undeclared_address_is_kept() -> None:
    current = State(lineage="l", serial=1, pending={"gone.main": PendingStart(MEETING, "2026-01-01T00:00:00Z")})
    (change,) = make_plan({}, current).changes
    assert change.actions == ("no-op",)


def test_drift_is_explained_not_restarted() -> None:
    wanted = declared(video_config={"width": 1920, "height": 720}, max_seconds=600)
    current = state_of(allhands__main=entry("RECORDING", video_config={"width": 1280, "height": 720}))
    (change,) = make_plan({"allhands.main": wanted}, current).changes
    assert change.actions == ("no-op",)
    assert [drift_text(d) for d in change.drift] == ["max_seconds: (unset) → 600", "video_config.width: 1280 → 1920"]
    assert "--replace allhands.main" in change.reason


def test_sensitive_drift_shows_no_value() -> None:
    secret = {"storage_config.secret": "old-secret-value"}
    wanted = declared(storage_config={"type": "aws", "secret": "new-secret-value"})
    current = state_of(
        allhands__main=RecordingEntry(
            meeting_id=MEETING,
            recording_id="rec-1",
            status="RECORDING",
            fields={"storage_config": {"type": "aws"}},
            sensitive_digest=sensitive_digest(secret),
        )
    )
    (change,) = make_plan({"allhands.main": wanted}, current).changes
    assert [drift_text(d) for d in change.drift] == ["storage_config.secret: (sensitive value changed)"]
    assert "new-secret-value" not in repr(change)
    assert "old-secret-value" not in repr(change)


def test_unchanged_secret_is_no_drift() -> None:
    secret = {"storage_config.secret": "same"}
    wanted = declared(storage_config={"type": "aws", "secret": "same"})
    current = state_of(
        allhands__main=RecordingEntry(
            meeting_id=MEETING,
            recording_id="rec-1",
            status="RECORDING",
            fields={"storage_config": {"type": "aws"}},
            sensitive_digest=sensitive_digest(secret),
        )
    )
    (change,) = make_plan({"allhands.main": wanted}, current).changes
    assert change.drift == ()


def test_plan_json_shape_and_summary() -> None:
    wanted = {"a.x": declared("a.x"), "a.y": declared("a.y", status="stopped")}
    plan = make_plan(wanted, state_of(a__y=entry("RECORDING"), old__z=entry("UPLOADED", "rec-9")))
    document = plan.to_json()
    assert document["format_version"] == "1"
    assert document["state"] == {"lineage": "lineage-1", "serial": 7, "workspace": "default"}
    assert [c["actions"] for c in document["changes"]] == [["start"], ["stop"], ["forget"]]
    assert set(document["changes"][0]) >= {"address", "meeting_id", "actions", "reason", "recording_id"}
    assert document["summary"]["start"] == 1
    assert document["summary"]["forget"] == 1
    assert plan.has_changes


def test_plan_is_pure_and_deterministic() -> None:
    wanted = {f"m{i}.r": declared(f"m{i}.r") for i in range(50)}
    current = state_of(**{f"m{i}__r": entry("RECORDING", f"rec-{i}") for i in range(0, 50, 2)})
    assert make_plan(wanted, current) == make_plan(wanted, current)


def test_a_meeting_with_an_unresolved_start_gets_nothing_else() -> None:
    wanted = {"allhands.a": declared("allhands.a"), "allhands.b": declared("allhands.b", status="stopped")}
    current = State(
        lineage="l",
        recordings={"allhands.b": entry("RECORDING")},
        pending={"allhands.a": PendingStart(MEETING, "2026-01-01T00:00:00Z")},
    )
    changes = {c.address: c for c in make_plan(wanted, current).changes}
    assert changes["allhands.b"].actions == ("no-op",)
    assert "held back" in changes["allhands.b"].reason
    assert changes["allhands.b"].notable


def test_a_changed_meeting_id_starts_the_new_meeting() -> None:
    moved_meeting = RecordingEntry("11111111-1111-4111-8111-111111111111", "rec-1", "RECORDING")
    (change,) = make_plan({"allhands.main": declared()}, state_of(allhands__main=moved_meeting)).changes
    assert change.actions == ("start",)
    assert change.meeting_id == MEETING
    assert "the declared meeting changed" in change.reason


def test_replace_outside_target_warns() -> None:
    wanted = {"a.x": declared("a.x"), "b.x": declared("b.x")}
    plan = make_plan(wanted, state_of(), targets=["a.*"], replace=["b.x"])
    assert plan.warnings == ("--replace b.x ignored: it is outside --target",)
