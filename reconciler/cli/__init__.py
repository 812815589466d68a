"""The `reconciler` command: parse the arguments, run one command, turn errors into messages and exit codes.

This package is the only place that reads the environment, prints, and builds concrete classes (the API client,
the file store). Exit codes: 0 success, 1 error, 2 `plan --detailed-exitcode` with changes, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    from reconciler.cli._parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    module_name, _, function_name = args.handler.partition(":")
    try:
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
