"""`FileStateStore`: the state as a local file, with its backup, journal and lock beside it (POSIX).

    recordings.state.json           the state; replaced atomically: temp file, fsync, rename, fsync the folder
    recordings.state.json.backup    the generation before the last write (a hard link to the replaced file)
    recordings.state.json.journal   one JSON record a line; `append` writes its records in one write and fsyncs
                                    before it returns (apply batches them from one thread: `JournalWriter`)
    recordings.state.json.lock      the owner of the lock, while it is held

All four are created with mode 0600, and the folder when it is missing. Reading creates nothing. A writer
killed mid-write leaves a hidden temp file (`.recordings.state.json.<hex>.tmp`); the next write removes it.

Symbolic links: a state path that is a link (or lies in a linked folder) is followed once, at construction, so
that every path to one state shares its lock and journal; the files beside it are never opened through a link
(`UnsafePathError`), and a file that is replaced is replaced by rename, never written into.

Two locks, for two different jobs:
- The **run lock** (`lock()`, `force_unlock()`): held for a whole run, released by the OS if its holder dies;
  see `state._lockfile`.
- The **commit mutex**: an `flock` on the journal (the one file that is never renamed or removed), held only for
  the length of one `write`, `append` or `fold`. It makes compare-and-swap hold between processes that do not
  take the run lock, and a fold atomic against appends: no record lands between reading and emptying the
  journal.
"""

from __future__ import annotations

import fcntl
import glob
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

from state._codec import decode_state, encode_state
from state._errors import StateFileError, UnsafePathError
from state._fs import MODE, create_file, fsync_folder, open_file, read_all, read_file, write_all
from state._generation import empty_state, folded_generation, next_generation
from state._lockfile import LockFile
from state._model import JournalRecord, State
from state._protocol import LockInfo
from state._records import decode_journal, encode_record

__all__ = ["FileStateStore"]


class FileStateStore:
    """The state in a JSON file at `path`; `tool_version` is recorded in every generation it writes."""

    def __init__(self, path: Path, *, tool_version: str = "") -> None:
        path = _real_path(path)
        self.path = path
        self.backup_path = path.with_name(path.name + ".backup")
        self.journal_path = path.with_name(path.name + ".journal")
        self.lock_path = path.with_name(path.name + ".lock")
        self._tool_version = tool_version
        self._lock = LockFile(self.lock_path, location=str(path))
        self._folder_made = False

    # --- state ---------------------------------------------------------------------------------------------

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def backup_location(self) -> str | None:
        return str(self.backup_path)

    def read(self) -> State:
        _, stored = self._stored()
        return empty_state(self._tool_version) if stored is None else stored

    def write(self, state: State, *, expected_serial: int) -> State:
        with self._commit():
            data, stored = self._stored()
            new = next_generation(
                stored, state, expected_serial=expected_serial, tool_version=self._tool_version, location=self.location
            )
            if new is None:
                return state if stored is None else stored
            self._replace(encode_state(new), previous=data)
            return new

    def fold(self, *, expected_serial: int | None = None) -> State:
        if not os.path.lexists(self.journal_path):
            # No journal: nothing to fold. It is created (it is the commit mutex's file) only when there is something
            # to write, so that a fold that finds a damaged state leaves the folder exactly as it was.
            _, stored = self._stored()
            if stored is not None:
                folded_generation(
                    stored, (), tool_version=self._tool_version, location=self.location, expected_serial=expected_serial
                )
                return stored
        with self._commit() as journal:
            data, stored = self._stored()
            journal_data = read_all(journal)
            records = decode_journal(journal_data, source=str(self.journal_path))
            result, new = folded_generation(
                stored,
                records,
                tool_version=self._tool_version,
                location=self.location,
                expected_serial=expected_serial,
            )
            if new is not None:
                self._replace(encode_state(new), previous=data)
            if journal_data:
                os.ftruncate(journal, 0)
                os.fsync(journal)
            return result

    def _stored(self) -> tuple[bytes | None, State | None]:
        """The state file's bytes and the state they hold (None, None when there is no file)."""
        data = read_file(self.path)
        if data is None:
            return None, None
        try:
            return data, decode_state(data, source=self.location)
        except StateFileError as error:
            if error.newer or not os.path.lexists(self.backup_path):
                raise
            raise StateFileError(str(error), location=error.location, backup=str(self.backup_path)) from None

    def _replace(self, data: bytes, *, previous: bytes | None) -> None:
        """Make `data` the state, atomically, keeping `previous` (the current file's bytes) as the backup."""
        self._remove_debris()
        temp = self.path.with_name(f".{self.path.name}.{uuid4().hex}.tmp")
        try:
            create_file(temp, data)
            if previous is not None:
                self._keep_backup(previous)
            os.replace(temp, self.path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        fsync_folder(self.path.parent)

    def _remove_debris(self) -> None:
        """Remove the temp files of writers killed mid-write: temp files are made only under the commit mutex,
        so while we hold it, any that exist are theirs."""
        debris = re.compile(rf"\.{re.escape(self.path.name)}(\.backup)?\.[0-9a-f]{{32}}\.tmp")
        for path in self.path.parent.glob(f".{glob.escape(self.path.name)}*.tmp"):
            if debris.fullmatch(path.name):
                path.unlink(missing_ok=True)

    def _keep_backup(self, previous: bytes) -> None:
        # A hard link keeps the replaced generation without copying it; where links are not supported, a copy.
        temp = self.backup_path.with_name(f".{self.backup_path.name}.{uuid4().hex}.tmp")
        try:
            os.link(self.path, temp)
            os.chmod(temp, MODE)
        except OSError:
            temp.unlink(missing_ok=True)
            create_file(temp, previous)
        os.replace(temp, self.backup_path)

    # --- journal -------------------------------------------------------------------------------------------

    def append(self, *records: JournalRecord) -> None:
        if not records:
            return
        lines = b"".join(encode_record(record) for record in records)
        with self._commit() as journal:
            _drop_torn_tail(journal)
            write_all(journal, lines)
            os.fsync(journal)

    def journal(self) -> Iterator[JournalRecord]:
        data = read_file(self.journal_path)
        return iter(() if data is None else decode_journal(data, source=str(self.journal_path)))

    @contextmanager
    def _commit(self) -> Iterator[int]:
        """Hold the commit mutex; yields the journal's file descriptor (opened for appending)."""
        self._make_folder()
        try:
            journal = open_file(self.journal_path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL)
            fsync_folder(self.path.parent)
        except FileExistsError:
            # Never through a link: a committed `<state>.journal` link would have its target emptied by a fold.
            journal = open_file(self.journal_path, os.O_RDWR | os.O_APPEND)
        try:
            fcntl.flock(journal, fcntl.LOCK_EX)
            yield journal
        finally:
            os.close(journal)

    def _make_folder(self) -> None:
        # A configuration kept in git may name a state folder that git does not keep while it is empty.
        if not self._folder_made:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._folder_made = True

    # --- run lock ------------------------------------------------------------------------------------------

    def try_lock(self, operation: str) -> LockInfo:
        return self._lock.take(operation)

    def unlock(self, lock_id: str) -> None:
        self._lock.release(lock_id)

    def check_lock(self, lock_id: str) -> None:
        self._lock.check(lock_id)

    def force_unlock(self, lock_id: str, *, force: bool = False) -> None:
        self._lock.force_unlock(lock_id, force=force)


def _drop_torn_tail(journal: int) -> None:
    """Cut the remains of an append that a crash cut short, so the next record starts on a line of its own.

    Reads back only as far as the last newline: the cost is one record, whatever the journal's length."""
    size = os.fstat(journal).st_size
    end = size
    while end > 0:
        start = max(0, end - 4096)
        newline = os.pread(journal, end - start, start).rfind(b"\n")
        if newline >= 0:
            end = start + newline + 1
            break
        end = start
    if end != size:
        os.ftruncate(journal, end)


def _real_path(path: Path) -> Path:
    """The state's real path, symbolic links followed once (of its folders, and of the file itself), so that
    every path to one state takes the one lock beside it and writes the one file. A link that leads to no file
    is refused: following it would create a state somewhere else."""
    if path.is_symlink():
        target = path.resolve()
        if not target.is_file():
            raise UnsafePathError(str(path), dangling=True)
        return target
    real = path.parent.resolve() / path.name
    return path if real == path.absolute() else real  # without links, the path as given reads best in messages
