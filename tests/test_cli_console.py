"""What the console lets reach a terminal: its own colours, newlines, and every other control character escaped."""

from __future__ import annotations

import io

import pytest

from reconciler._text import escape_controls
from reconciler.cli._console import Console

HOSTILE = "id\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b1m\x7f\x00\r\tend"
SHOWN = "id\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\x9b1m\\x7f\\x00\\r\\tend"


def test_escape_controls_shows_every_control_character() -> None:
    assert escape_controls(HOSTILE) == SHOWN
    assert escape_controls("line\nnext") == "line\\nnext"
    assert escape_controls("line\nnext", keep="\n") == "line\nnext"
    assert escape_controls("plain text, ünïcode ✓") == "plain text, ünïcode ✓"


@pytest.mark.parametrize("color", [False, True])
def test_the_console_escapes_what_came_from_outside_and_keeps_its_own_colours(color: bool) -> None:
    out, err = io.StringIO(), io.StringIO()
    console = Console(out=out, err=err, color=color)
    console.print(console.style("ok", "green", "bold") + " " + HOSTILE)
    console.warn(HOSTILE)
    console.error(HOSTILE + "\nsecond line of our own")
    console.message(HOSTILE)
    own = "\x1b[32;1mok\x1b[0m" if color else "ok"
    assert out.getvalue() == f"{own} {SHOWN}\n"
    warning = "\x1b[33;1mWarning: \x1b[0m" if color else "Warning: "
    error = "\x1b[31;1mError: \x1b[0m" if color else "Error: "
    assert err.getvalue() == f"{warning}{SHOWN}\n{error}{SHOWN}\nsecond line of our own\n{SHOWN}\n"
