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

__all__ = ["collect_cycles_again", "main"]

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    from reconciler.cli._parser import build_parser

    args = build_parser().parse_args(argv)
    if getattr(args, "debug", False):
        # Retries and waits of the API client, one line each on stderr.
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    collecting = gc.isenabled()
    # Loading 100,000 recordings builds millions of objects and no cycle; the cyclic collector would walk them all
    # again and again (a third of `plan`'s time at that size). The long-running parts (apply's calls, the
    # emulator) turn it back on with `collect_cycles_again`.
    gc.disable()
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
    finally:
        if collecting:
            gc.enable()


def collect_cycles_again() -> None:
    """Turn the cyclic collector back on for a long-running phase, leaving what is loaded so far out of it."""
    gc.freeze()
    gc.enable()
