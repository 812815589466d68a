"""Where command output goes: stdout for results, stderr for messages, colour only on a terminal."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = ["Console"]

_STYLES = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36", "dim": "2"}


@dataclass
class Console:
    """Prints results and messages. Colour is on only for a terminal, without `--no-color` or `NO_COLOR`."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    color: bool = False

    @classmethod
    def from_args(cls, no_color: bool = False) -> Console:
        color = sys.stdout.isatty() and not no_color and not os.environ.get("NO_COLOR")
        return cls(color=color)

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty() and self.out.isatty()

    def style(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_STYLES[name] for name in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def json(self, document: Any) -> None:
        """One JSON document (or one NDJSON line) on stdout."""
        self.out.write(json.dumps(document, separators=(",", ":"), sort_keys=False) + "\n")
        self.out.flush()

    def warn(self, text: str) -> None:
        self.err.write(self.style("Warning: ", "yellow", "bold") + text + "\n")

    def error(self, text: str) -> None:
        self.err.write(self.style("Error: ", "red", "bold") + text + "\n")
