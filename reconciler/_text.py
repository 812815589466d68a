"""Text that came from outside (API answers, state files, configuration values), made safe to print.

A terminal obeys control characters: an API error message holding `ESC]0;…BEL` retitles the window, `ESC[2J`
clears the screen, a newline forges a line of our output. `escape_controls` shows each control character
(C0, DEL, C1) as a visible escape (`\\x1b`, `\\n`) instead, so the text reads as what it is.
"""

from __future__ import annotations

import re

__all__ = ["escape_controls"]

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def escape_controls(text: str, *, keep: str = "") -> str:
    """`text` with every control character not in `keep` shown as an escape (`\\x1b`, `\\n`, `\\x9b`)."""
    if _CONTROLS.search(text) is None:
        return text
    if not keep:
        return _CONTROLS.sub(_visible, text)
    return _CONTROLS.sub(lambda match: match.group() if match.group() in keep else _visible(match), text)
