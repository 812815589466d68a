"""Who is taking a lock: the `LockInfo` of this process, shown to whoever has to wait for it."""

from __future__ import annotations

import os
import pwd
import socket
import uuid
from datetime import UTC, datetime

from state._protocol import LockInfo

__all__ = ["new_lock_info"]


def _user() -> str:
    # From the password database rather than $USER: the state package reads no environment variables.
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid without an entry, as in some containers
        return str(os.getuid())


def new_lock_info(operation: str) -> LockInfo:
    """A fresh lock id, owned by this user, host and process, created now."""
    return LockInfo(
        id=str(uuid.uuid4()),
        operation=operation,
        who=_user(),
        host=socket.gethostname(),
        pid=os.getpid(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
