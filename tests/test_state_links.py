"""Symbolic links beside the state (design §6): never opened through, never written into; the state path itself
is followed once, so that every path to one state takes one lock."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from state import FileStateStore, IntentRecord, PutRecord, RecordingEntry, StateLockedError, UnsafePathError, hold_lock

MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"
ENTRY = RecordingEntry(MEETING, "rec-1", "RECORDING", {}, None, None, "2026-01-01T00:00:00.000Z")


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the state folder that a committed link points at."""
    path = tmp_path / "elsewhere" / "precious.txt"
    path.parent.mkdir()
    path.write_text("do not touch\n")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path


@pytest.mark.parametrize("suffix", [".journal", ".lock"])
def test_a_linked_journal_or_lock_is_refused_and_its_target_untouched(folder: Path, victim: Path, suffix: str) -> None:
    mode = victim.stat().st_mode
    (folder / f"recordings.state.json{suffix}").symlink_to(victim)
    store = FileStateStore(folder / "recordings.state.json")
    uses: list[Callable[[], object]] = (
        [lambda: store.append(IntentRecord("a.b", MEETING, "2026-01-01T00:00:00.000Z")), store.journal, store.fold]
        if suffix == ".journal"
        else [lambda: hold_lock(store, "plan").__enter__(), lambda: store.force_unlock("any-id")]
    )
    for use in uses:
        with pytest.raises(UnsafePathError, match=f"recordings.state.json{suffix}: it is a symbolic link"):
            use()
    assert victim.read_text() == "do not touch\n"
    assert victim.stat().st_mode == mode


def test_a_linked_backup_is_replaced_not_written_through(folder: Path, victim: Path) -> None:
    store = FileStateStore(folder / "recordings.state.json")
    first = store.write(store.read().with_recordings({"a.b": ENTRY}), expected_serial=0)
    (folder / "recordings.state.json.backup").symlink_to(victim)
    store.write(first.with_recordings({}), expected_serial=first.serial)
    assert victim.read_text() == "do not touch\n"
    assert not (folder / "recordings.state.json.backup").is_symlink()


def test_a_linked_state_is_followed_once_so_both_paths_share_one_lock_and_one_file(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    real = FileStateStore(shared / "recordings.state.json")
    real.write(real.read().with_recordings({"a.b": ENTRY}), expected_serial=0)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "recordings.state.json").symlink_to(shared / "recordings.state.json")
    linked = FileStateStore(repo / "recordings.state.json")
    assert linked.path == (shared / "recordings.state.json").resolve()
    with hold_lock(real, "apply"), pytest.raises(StateLockedError), hold_lock(linked, "apply"):
        pass
    linked.append(PutRecord("a.c", ENTRY))
    linked.fold()
    assert set(real.read().recordings) == {"a.b", "a.c"}
    assert (repo / "recordings.state.json").is_symlink()  # the link is left as it was, not replaced by a copy
    assert not os.path.lexists(repo / "recordings.state.json.lock")


def test_a_state_link_that_leads_nowhere_is_refused(folder: Path, tmp_path: Path) -> None:
    (folder / "recordings.state.json").symlink_to(tmp_path / "nowhere" / "state.json")
    with pytest.raises(UnsafePathError, match="leads to no file"):
        FileStateStore(folder / "recordings.state.json")
    assert not (tmp_path / "nowhere").exists()
