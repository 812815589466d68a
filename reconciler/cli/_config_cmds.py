"""`reconciler validate` and `reconciler schema`: the configuration alone (no network, no state).

`validate` has three views, chosen once from `--format`: text (problems on stderr), json (one document) and github
(GitHub Actions annotations on stdout, so that each problem shows on the pull request's diff at its line).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.cli._console import Console
from reconciler.cli._paths import config_path
from reconciler.config import Config
from reconciler.errors import ConfigError

__all__ = ["run_schema", "run_validate"]


def run_validate(args: argparse.Namespace) -> int:
    """Exit 0 with a summary (warnings on stderr) when the configuration is valid; 1 with every problem."""
    from reconciler.config import load_config

    view = _VIEWS[args.format](Console.from_args(no_color=args.no_color))
    try:
        config = load_config(config_path(args.config), os.environ, allow_missing_env=args.allow_missing_env)
    except ConfigError as error:
        view.invalid(error)
        return 1
    view.valid(config)
    return 0


@dataclass
class _Text:
    console: Console

    def invalid(self, error: ConfigError) -> None:
        for line in error.problems:
            self.console.error(line)
        count = len(error.problems)
        self.console.message(f"Invalid: {count} problem{_plural(count)} found.")

    def valid(self, config: Config) -> None:
        for warning in config.warnings:
            self.console.warn(warning)
        if config.missing_env:
            self.console.message(
                f"Not checked: the values that use {', '.join(config.missing_env)} (not set; --allow-missing-env)."
            )
        meetings, recordings = config.meeting_count, len(config.recordings)
        summary = f"Valid: {meetings} meeting{_plural(meetings)}, {recordings} recording{_plural(recordings)}."
        self.console.print(self.console.style(summary, "green"))


@dataclass
class _Json:
    console: Console

    def invalid(self, error: ConfigError) -> None:
        problems = [problem.to_json() for problem in error.details] or [{"message": line} for line in error.problems]
        self.console.json({"valid": False, "problems": problems})

    def valid(self, config: Config) -> None:
        self.console.json(
            {
                "valid": True,
                "files": [str(file) for file in config.files],
                "meetings": config.meeting_count,
                "recordings": len(config.recordings),
                "moved": len(config.moved),
                "warnings": list(config.warnings),
                "missing_env": list(config.missing_env),
            }
        )


@dataclass
class _Github:
    console: Console

    def invalid(self, error: ConfigError) -> None:
        from reconciler.config import Problem
        from reconciler.views.documents import github_annotations

        details = error.details or [Problem(config_path(None), (), "", "", summary=line) for line in error.problems]
        for line in github_annotations(details):
            self.console.print(line)

    def valid(self, config: Config) -> None:
        from reconciler.views.documents import github_annotations

        for line in github_annotations((), config.warnings):
            self.console.print(line)
        meetings, recordings = config.meeting_count, len(config.recordings)
        self.console.print(
            f"Valid: {meetings} meeting{_plural(meetings)}, {recordings} recording{_plural(recordings)}."
        )


_VIEWS: dict[str, Callable[[Console], _Text | _Json | _Github]] = {"text": _Text, "json": _Json, "github": _Github}


def run_schema(args: argparse.Namespace) -> int:
    """Print the configuration file's JSON Schema (for editors: see README)."""
    from reconciler.config import config_json_schema

    Console.from_args(no_color=args.no_color).print(json.dumps(config_json_schema(), indent=2))
    return 0


def _plural(count: int) -> str:
    return "" if count == 1 else "s"
