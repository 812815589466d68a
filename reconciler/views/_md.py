"""Markdown pieces that hold whatever text they are given: code spans and fences as long as the backticks inside
need, plain text with Markdown's and HTML's special characters escaped, and control characters shown as escapes.

Also the cap on a document's length (GitHub refuses a comment over 65,536 characters): `fit` keeps a document's
fixed parts and as many of its items as fit, from the head and the tail, and says how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from reconciler._text import escape_controls

__all__ = ["LIMIT", "code", "fence", "fit", "plain"]

LIMIT = 65_000  # characters; GitHub's limit for a comment or a step summary is 65,536
_BACKTICKS = re.compile(r"`+")
_SPECIAL = re.compile(r"([\\`*_\[\]<>&#|~!()@])")


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code(text: str) -> str:
    """An inline code span that shows `text` as it is (its control characters escaped), whatever it holds. A `|`
    is escaped too, so that the span may stand in a table cell."""
    text = escape_controls(text).replace("|", "\\|")
    ticks = "`" * (_longest_backticks(text) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") or not text.strip() else text
    return f"{ticks}{padded}{ticks}"


def fence(lines: Sequence[str], language: str = "", indent: str = "") -> list[str]:
    """A fenced code block holding `lines` (each with its control characters escaped): its fence is longer than any
    run of backticks inside, so no content can close it."""
    body = [escape_controls(line) for line in lines]
    ticks = "`" * max(3, _longest_backticks("\n".join(body)) + 1)
    return [f"{indent}{ticks}{language}", *(f"{indent}{line}" for line in body), f"{indent}{ticks}"]


def plain(text: str) -> str:
    """`text` as Markdown text that renders as itself: control characters shown as escapes, every character that
    Markdown or HTML would read as markup escaped with a backslash (an `@` too: no mention pings anyone)."""
    return _SPECIAL.sub(r"\\\1", escape_controls(text))


def fit(render: Callable[[Callable[[int], bool]], str], items: int, limit: int = LIMIT) -> str:
    """The longest rendering within `limit` characters. `render(keep)` renders the document with the items for
    which `keep(index)` is true (and says itself what it left out); with every item when that fits, else with as
    many as fit taken alternately from the head and the tail."""
    whole = render(lambda index: True)
    if len(whole) <= limit:
        return whole
    low, high = 0, items  # how many items are kept: the most that fit, found by bisection
    best = render(lambda index: False)
    while low < high:
        middle = (low + high + 1) // 2
        head = (middle + 1) // 2
        tail_start = items - (middle - head)
        candidate = render(_ends(head, tail_start))
        if len(candidate) <= limit:
            low, best = middle, candidate
        else:
            high = middle - 1
    return best


def _ends(head: int, tail_start: int) -> Callable[[int], bool]:
    def keep(index: int) -> bool:
        return index < head or index >= tail_start

    return keep
