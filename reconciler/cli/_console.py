"""Where command output goes: stdout for results, stderr for messages, colour only on a terminal.

Every line written through the console is shown as text: a control character in it (an escape sequence that
came from an API answer or a state file, say) is printed as a visible escape (`\\x1b`), whatever the colour
setting. The only escape sequences that reach the terminal are the console's own colours: `style` marks them
with a tag made at random when the process starts, which text from outside cannot know, and the writers turn the
marks into colours after escaping everything else.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from reconciler._text import escape_controls

__all__ = ["Console"]

_STYLES = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36", "dim": "2"}
_TAG = secrets.token_hex(8)
_MARK = re.compile(f"\x00{_TAG}:([0-9;]+)\x00")  # what `style` writes around its codes


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
        return f"\x00{_TAG}:{codes}\x00{text}\x00{_TAG}:0\x00"  # made colours by `shown`

    def shown(self, text: str) -> str:
        """`text` as it may reach the terminal: newlines kept, the marks of `style` made colours, every other
        control character escaped."""
        if not self.color:
            return escape_controls(text, keep="\n")
        parts = _MARK.split(text)  # odd items: the codes of the marks of `style`
        return "".join(
            f"\x1b[{part}m" if index % 2 else escape_controls(part, keep="\n") for index, part in enumerate(parts)
        )

    def print(self, text: str = "") -> None:
        self.out.write(self.shown(text) + "\n")

    def write(self, text: str) -> None:
        """`text` as it is (a whole document: Markdown, say), its control characters but newlines escaped."""
        self.out.write(self.shown(text))
        self.out.flush()

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
