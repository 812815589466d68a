"""Turn any exception into a short message on stderr and exit code 1."""

from __future__ import annotations

import sys
import traceback

__all__ = ["report"]


def report(error: BaseException, *, debug: bool) -> int:
    from providers import ProviderError
    from reconciler._text import escape_controls
    from reconciler.errors import ReconcilerError
    from state import StateError

    if isinstance(error, ProviderError):  # one line, which may quote the API: nothing in it may drive the terminal
        message = escape_controls(str(error))
    elif isinstance(error, ReconcilerError | StateError):
        message = escape_controls(str(error), keep="\n")
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
