"""`reconciler validate` and `reconciler schema`: the configuration alone (no network, no state)."""

from __future__ import annotations

import argparse
import json
import os

from reconciler.cli._console import Console
from reconciler.cli._paths import config_path

__all__ = ["run_schema", "run_validate"]


def run_validate(args: argparse.Namespace) -> int:
    """Exit 0 with a summary (warnings on stderr) when the configuration is valid; 1 with every problem."""
    from reconciler.config import load_config
    from reconciler.errors import ConfigError

    console = Console.from_args(no_color=args.no_color)
    try:
        config = load_config(config_path(args.config), os.environ)
    except ConfigError as error:
        if args.json:
            problems = [problem.to_json() for problem in error.details] or [
                {"message": line} for line in error.problems
            ]
            console.json({"valid": False, "problems": problems})
        else:
            for line in error.problems:
                console.error(line)
            count = len(error.problems)
            console.err.write(f"Invalid: {count} problem{_plural(count)} found.\n")
        return 1
    meetings, recordings = config.meeting_count, len(config.recordings)
    if args.json:
        console.json(
            {
                "valid": True,
                "files": [str(file) for file in config.files],
                "meetings": meetings,
                "recordings": recordings,
                "moved": len(config.moved),
                "warnings": list(config.warnings),
            }
        )
    else:
        for warning in config.warnings:
            console.warn(warning)
        summary = f"Valid: {meetings} meeting{_plural(meetings)}, {recordings} recording{_plural(recordings)}."
        console.print(console.style(summary, "green"))
    return 0


def run_schema(args: argparse.Namespace) -> int:
    """Print the configuration file's JSON Schema (for editors: see README)."""
    from reconciler.config import config_json_schema

    Console.from_args(no_color=args.no_color).print(json.dumps(config_json_schema(), indent=2))
    return 0


def _plural(count: int) -> str:
    return "" if count == 1 else "s"
