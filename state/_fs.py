"""The few file operations the file store is built from: whole reads and writes on descriptors, new files on disk
before they are used, and folder fsyncs (POSIX)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MODE", "create_file", "fsync_folder", "read_all", "write_all"]

MODE = 0o600  # every file of the store: the state names recordings, the lock names people and hosts


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
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, MODE)
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
