"""The `reconciler` command: parse the arguments, run one command, turn errors into messages and exit codes.

This package is the only place that reads the environment, prints, and builds concrete classes (the API client,
the file store). Exit codes: 0 success, 1 error, 2 `plan --detailed-exitcode` with changes, 130 interrupted.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    from reconciler.cli._parser import build_parser

    args = build_parser().parse_args(argv)
    _show_waits(debug=getattr(args, "debug", False))
    # The one garbage-collection policy of every command. Loading 100,000 recordings builds millions of objects
    # that live to the end and form no cycle: each full collection walks them all again (a third of `plan`'s time
    # at that size). Young objects are still collected as usual, which is where the cycles of a long apply or of
    # the emulator's exchanges are; full collections come a hundred times less often than by default.
    gc.set_threshold(700, 10, 1000)
    try:
        module_name, _, function_name = args.handler.partition(":")
        handler: Handler = getattr(importlib.import_module(module_name), function_name)
        return handler(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as error:  # every error ends as a message and exit 1, never a traceback (unless --debug)
        from reconciler.cli._errors import report

        return report(error, debug=getattr(args, "debug", False))


class _StderrHandler(logging.Handler):
    """The API client's waits and retries, one line each on whatever `sys.stderr` is now, as text (`providers` and
    `state` never print: they log, and this shows it)."""

    def __init__(self) -> None:
        super().__init__()
        self.debug = False

    def emit(self, record: logging.LogRecord) -> None:
        from reconciler._text import escape_controls

        try:
            text = escape_controls(record.getMessage())
            prefix = f"{record.name}: " if self.debug else "Warning: " if record.levelno >= logging.WARNING else ""
            sys.stderr.write(f"{prefix}{text}\n")
            sys.stderr.flush()
        except Exception:  # a closed stderr, say: logging must never end a run
            self.handleError(record)


_HANDLER = _StderrHandler()


def _show_waits(*, debug: bool) -> None:
    """Waits of 2 s or more (retries, a rate limit) are WARNINGs, shown always; `--debug` shows every retry."""
    logger = logging.getLogger("providers")
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)
    logger.propagate = False
    _HANDLER.debug = debug
    logger.setLevel(logging.INFO if debug else logging.WARNING)
