"""Turn any exception into a short message on stderr and exit code 1: what happened (the error's own message), then
what to do about it, which is the CLI's to say (the state and provider packages know nothing of commands)."""

from __future__ import annotations

import os
import sys
import traceback

__all__ = ["advice", "report"]


def report(error: BaseException, *, debug: bool) -> int:
    from providers import ProviderError
    from reconciler._text import escape_controls
    from reconciler.errors import ReconcilerError
    from state import StateError

    if isinstance(error, ProviderError):  # one line, which may quote the API: nothing in it may drive the terminal
        message = escape_controls(str(error))
    elif isinstance(error, ReconcilerError | StateError):
        message = escape_controls(str(error) + advice(error), keep="\n")
    elif isinstance(error, OSError):
        where = f" {error.filename}" if error.filename else ""
        message = escape_controls(f"cannot access{where}: {error.strerror or error}")
    else:
        message = escape_controls(
            f"unexpected {type(error).__name__}: {error}. This is a bug; rerun with --debug and report it."
        )
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    print(f"Error: {message}", file=sys.stderr)
    return 1


def advice(error: BaseException) -> str:
    """What to do next about a state error, as the rest of a sentence ("" when the message says it all)."""
    from state import (
        JournalError,
        LockHolderAliveError,
        StaleStateError,
        StateFileError,
        StateLockedError,
        StoreUnavailableError,
        UnsafePathError,
    )

    if isinstance(error, StateFileError):
        if error.newer:
            return "; upgrade reconciler"
        if error.backup is not None and os.path.lexists(error.backup):
            return f"; restore the previous generation from {error.backup} (check it first), or fix it by hand"
        return "; fix it by hand, or move it away to start a new state (recordings in it are no longer tracked)"
    if isinstance(error, JournalError):
        return "; fix or delete that record by hand, then run `reconciler refresh` to check the state against the API"
    if isinstance(error, StaleStateError):
        return "; run the command again"
    if isinstance(error, StateLockedError):
        if error.holder is None:
            return f"; if that process is gone, delete {error.lock_location}"
        return (
            f"; wait for it with --lock-timeout SECONDS, or, if that process is gone or stuck, run "
            f"`reconciler force-unlock {error.holder.id}`"
        )
    if isinstance(error, LockHolderAliveError):
        return (
            f". Wait for it, or stop it; to remove the lock anyway (that run stops at its next request), run "
            f"`reconciler force-unlock --force {error.holder.id}`"
        )
    if isinstance(error, UnsafePathError):
        if error.dangling:
            return ". Point --state or [state] path at the real file"
        return ". Remove the link; to keep the state elsewhere, point --state or [state] path at it"
    if isinstance(error, StoreUnavailableError) and error.sql:
        return f". An administrator can run:\n{error.sql}"
    return ""
