"""Find the line of a key path in TOML source, for messages (tomli reports no positions).

`KeyLines(source).line_of(keys)` answers the line of the deepest part of `keys` written in the file, so a key
that comes from elsewhere (a default, a missing required key) points at its nearest enclosing table. It knows
`[table]` and `[[array]]` headers, dotted keys, inline tables, arrays (elements by index) and multi-line
strings.

The source is scanned only when a line is asked for (errors and warnings), and only as far as needed: simple
lines (`[a.b]`, `key = 1`, `key = "text"`) are matched whole by one regex, the rest is tokenised. The file was
already parsed by tomli, so the scanner can stay small, but it never raises on odd input: it stops where it
does not understand, keeping what it found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

__all__ = ["KeyLines"]

Keys = tuple[str | int, ...]

_DOTTED = r"[A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*"
_SHORT_STRING = r""""(?:\\.|[^"\\\n])*"(?!")|'[^'\n]*'(?!')"""
_EOL = r"[ \t]*(?:\#[^\n]*)?(?:\r?\n|\Z)"
# One line matched whole: a blank or comment line, a header, or `key = value` where the value is a one-line
# string, a scalar, or a flat inline table whose strings hold no ',', '{' or '}'.
_SIMPLE_LINE = re.compile(
    rf"""[ \t]*(?:
      (?:\#[^\n]*)?\r?\n
    | (?P<header>\[\[?)[ \t]*(?P<table>{_DOTTED})[ \t]*\]\]?{_EOL}
    | (?P<key>{_DOTTED})[ \t]*=[ \t]*
      (?:\{{(?P<inline>(?:[^{{}}\[\]"'\n]|"[^"\\\n,{{}}]*"|'[^'\n,{{}}]*')*)\}}|{_SHORT_STRING}|[^\s"'{{\[\#][^\n\#]*?)
      {_EOL}
    )""",
    re.VERBOSE,
)
_TOKEN = re.compile(
    r"""[ \t]*(?:\#[^\n]*)?(?:
      (?P<newline>\r?\n)
    | (?P<string>\"\"\"(?:\\[\s\S]|[^\\])*?\"\"\"\"{0,2}|'''[\s\S]*?''''{0,2}|"(?:\\.|[^"\\\n])*"|'[^'\n]*')
    | (?P<bare>[A-Za-z0-9_-]+)
    | (?P<punct>[\[\]{}=.,])
    | (?P<other>\S)
    )""",
    re.VERBOSE,
)


class KeyLines:
    """The lines of the keys of one TOML document, found on demand."""

    def __init__(self, source: str) -> None:
        self._scanner = _Scanner(source)

    def line_of(self, keys: Sequence[str | int]) -> int | None:
        """The line of `keys`, or of its deepest enclosing part written in the file; None if nothing is."""
        path = tuple(keys)
        found = self._scanner.lines
        while path not in found and self._scanner.step():
            pass
        while path:
            if path in found:
                return found[path]
            path = path[:-1]
        return None


class _Scanner:
    """Walks the source one statement at a time, recording the line of every key path it defines."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._pos = 0
        self._line = 1  # line of self._pos
        self._table: Keys = ()
        self._arrays: dict[Keys, int] = {}  # last index of each array of tables
        self._done = False
        self.lines: dict[Keys, int] = {}

    def step(self) -> bool:
        """Scan one more statement; False once the end (or something not understood) is reached."""
        if self._done or self._pos >= len(self._source):
            return False
        match = _SIMPLE_LINE.match(self._source, self._pos)
        if match is None:
            try:
                self._statement()
            except (IndexError, ValueError):  # odd input: keep what was found, stop here
                self._done = True
                return False
            return True
        header, table, key, inline = match.group("header", "table", "key", "inline")
        if header:
            self._header(header == "[[", _split(table), self._line)
        elif key:
            keys = (*self._table, *_split(key))
            for depth in range(len(self._table) + 1, len(keys) + 1):
                self.lines.setdefault(keys[:depth], self._line)
            if inline:
                for pair in inline.split(","):
                    inner = _split(pair.partition("=")[0])
                    for depth in range(1, len(inner) + 1):
                        self._record((*keys, *inner[:depth]), self._line)
        self._pos = match.end()
        self._line += 1
        return True

    # Tokenised scanning, for the statements _SIMPLE_LINE does not match whole.

    def _statement(self) -> None:
        kind, text, line = self._peek()
        if text == "[":
            self._next()
            is_array = self._source.startswith("[", self._pos)
            if is_array:
                self._next()
            keys = self._key()
            self._expect("]")
            if is_array:
                self._expect("]")
            self._header(is_array, keys, line)
        elif kind in ("bare", "string"):
            keys = self._key()
            for depth in range(1, len(keys) + 1):
                self._record((*self._table, *keys[:depth]), line)
            self._expect("=")
            self._value((*self._table, *keys))
        elif kind != "newline":
            raise ValueError(text)
        self._expect_end()

    def _header(self, is_array: bool, raw: Keys, line: int) -> None:
        parent = self._resolve(raw[:-1])
        for depth in range(1, len(parent) + 1):  # `[a.b.c]` defines `a` and `a.b` too, if nothing did before
            self._record(parent[:depth], line)
        path = (*parent, raw[-1])
        self._record(path, line)
        if is_array:
            index = self._arrays.get(path, -1) + 1
            self._arrays[path] = index
            path = (*path, index)
            self._record(path, line)
        else:
            path = self._resolve(raw)
        self._table = path

    def _resolve(self, raw: Keys) -> Keys:
        """Header keys with the current index of every array of tables on the way inserted."""
        path: Keys = ()
        for part in raw:
            path = (*path, part)
            if path in self._arrays:
                path = (*path, self._arrays[path])
        return path

    def _key(self) -> Keys:
        parts: list[str | int] = []
        while True:
            kind, text, _ = self._next()
            if kind not in ("bare", "string"):
                raise ValueError(text)
            parts.append(_unquote(text) if kind == "string" else text)
            if self._peek()[1] != ".":
                return tuple(parts)
            self._next()

    def _value(self, path: Keys) -> None:
        kind, text, _ = self._next()
        if text == "{":
            self._inline_table(path)
        elif text == "[":
            self._array(path)
        elif kind != "string":  # a number, bool or date: everything up to the next separator
            while self._peek()[1] not in (",", "]", "}") and self._peek()[0] != "newline":
                self._next()

    def _inline_table(self, path: Keys) -> None:
        while True:
            _, text, line = self._skip_newlines()
            if text in ("}", ","):
                self._next()
                if text == "}":
                    return
                continue
            keys = self._key()
            for depth in range(1, len(keys) + 1):
                self._record((*path, *keys[:depth]), line)
            self._expect("=")
            self._value((*path, *keys))

    def _array(self, path: Keys) -> None:
        index = 0
        while True:
            _, text, line = self._skip_newlines()
            if text in ("]", ","):
                self._next()
                if text == "]":
                    return
                index += 1
                continue
            self._record((*path, index), line)
            self._value((*path, index))

    def _skip_newlines(self) -> tuple[str, str, int]:
        while self._peek()[0] == "newline":
            self._next()
        return self._peek()

    def _expect(self, text: str) -> None:
        if self._next()[1] != text:
            raise ValueError(text)

    def _expect_end(self) -> None:
        if self._pos < len(self._source) and self._next()[0] != "newline":
            raise ValueError("end of line")

    def _peek(self) -> tuple[str, str, int]:
        return self._token(self._match())

    def _next(self) -> tuple[str, str, int]:
        match = self._match()
        token = self._token(match)
        self._line += self._source.count("\n", self._pos, match.end())
        self._pos = match.end()
        return token

    def _match(self) -> re.Match[str]:
        match = _TOKEN.match(self._source, self._pos)
        if match is None:
            raise IndexError(self._pos)
        return match

    def _token(self, match: re.Match[str]) -> tuple[str, str, int]:
        kind = match.lastgroup or ""
        return kind, match.group(kind), self._line + self._source.count("\n", self._pos, match.start(kind))

    def _record(self, path: Keys, line: int) -> None:
        self.lines.setdefault(path, line)


def _split(dotted: str) -> Keys:
    if " " in dotted or "\t" in dotted:
        return tuple(part.strip() for part in dotted.split("."))
    return tuple(dotted.split("."))


def _unquote(text: str) -> str:
    if text.startswith("'"):
        return text.strip("'") if text.startswith("'''") else text[1:-1]
    try:
        value = json.loads(text)
    except ValueError:  # a TOML escape JSON lacks (\U0001F600, \e): close enough for finding a line
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]
