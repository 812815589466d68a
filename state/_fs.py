"""The few file operations the file store is built from: opening without following symbolic links, whole reads
and writes on descriptors, new files on disk before they are used, and folder fsyncs (POSIX)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from state._errors import UnsafePathError

__all__ = ["MODE", "create_file", "fsync_folder", "open_file", "read_all", "read_file", "write_all"]

MODE = 0o600  # every file of the store: the state names recordings, the lock names people and hosts


def open_file(path: Path, flags: int) -> int:
    """`os.open` that never follows a symbolic link at `path`: the store makes none, so one there was put by
    someone else (a link committed to a repository) and would make the store read or write another file."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW, MODE)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafePathError(str(path)) from None
        raise


def read_file(path: Path) -> bytes | None:
    """The content of the file at `path` (never through a link), or None when there is none."""
    try:
        fd = open_file(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return read_all(fd)
    finally:
        os.close(fd)


def read_all(fd: int) -> bytes:
    """The whole content of the open file `fd`, whatever its position."""
    size = os.fstat(fd).st_size
    return os.pread(fd, size, 0) if size else b""


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` at the position of `fd` (its end, for a file opened with O_APPEND)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def create_file(path: Path, data: bytes) -> None:
    """A new file (never an existing one) holding `data`, on disk before this returns."""
    fd = open_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make the folder's entries (a rename, a new file) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
