"""GitHub Actions' step summary: inside a workflow (`GITHUB_STEP_SUMMARY` names a file), `plan` and `apply` append
their Markdown to it, so the run's page shows what was planned or done; `--no-summary` says not to."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from reconciler.cli._console import Console

__all__ = ["append_step_summary"]


def append_step_summary(args: argparse.Namespace, console: Console, markdown: Callable[[], str]) -> None:
    """Append `markdown()` to the step summary file, if there is one and `--no-summary` was not given. A summary
    that cannot be written is a warning: the command did its work."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path or getattr(args, "no_summary", False):
        return
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(markdown() + "\n")
    except OSError as error:
        console.warn(f"cannot append to the step summary {path} (GITHUB_STEP_SUMMARY): {error.strerror or error}")
