"""Where command output goes: stdout for results, stderr for messages, colour only on a terminal.

Every line written through the console is shown as text: a control character in it (an escape sequence that
came from an API answer or a state file, say) is printed as a visible escape (`\\x1b`), whatever the colour
setting. The only escape sequences that reach the terminal are the console's own colours (`style`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from reconciler._text import escape_controls

__all__ = ["Console"]

_STYLES = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36", "dim": "2"}
# What `style` writes: `ESC[<codes>m` with the codes above, and `ESC[0m`.
_OWN_SGR = re.compile(r"(\x1b\[(?:0|(?:1|2|31|32|33|36)(?:;(?:1|2|31|32|33|36))*)m)")


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

    def shown(self, text: str) -> str:
        """`text` as it may reach the terminal: newlines kept, the console's own colours kept (when colour is
        on), every other control character escaped."""
        if not self.color:
            return escape_controls(text, keep="\n")
        parts = _OWN_SGR.split(text)  # odd items are the console's own colour sequences
        return "".join(part if index % 2 else escape_controls(part, keep="\n") for index, part in enumerate(parts))

    def print(self, text: str = "") -> None:
        self.out.write(self.shown(text) + "\n")

    def json(self, document: Any) -> None:
        """One JSON document (or one NDJSON line) on stdout (JSON escapes every control character itself)."""
        self.out.write(json.dumps(document, separators=(",", ":"), sort_keys=False) + "\n")
        self.out.flush()

    def message(self, text: str) -> None:
        """A line on stderr."""
        self.err.write(self.shown(text) + "\n")
        self.err.flush()

    def warn(self, text: str) -> None:
        self.message(self.style("Warning: ", "yellow", "bold") + text)

    def error(self, text: str) -> None:
        self.message(self.style("Error: ", "red", "bold") + text)
