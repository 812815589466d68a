"""The view objects of `show` (the state) and the `state` commands: one per output format, chosen once from
`--format` (`state_view(format, console)`). Text reads like Terraform's `state list` / `state show`; JSON is the
documents README describes; Markdown is a table and fenced blocks, for a pull request or a step summary.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from reconciler._text import escape_controls
from reconciler._toml import toml_lines
from reconciler.cli._console import Console
from reconciler.errors import UsageError
from reconciler.views._md import code, fence, plain
from state import VANISHED, Binding, State

__all__ = ["PENDING", "Row", "StateView", "state_view"]

PENDING = "PENDING"
_STATUS_STYLES = {"RECORDING": "green", "PAUSED": "yellow", PENDING: "yellow", "ERRORED": "red", VANISHED: "red"}

Row = tuple[str, str, str | None, str]  # address, meeting, recording (None: a pending start), status


class StateView(Protocol):
    def state(self, location: str, state: State, document: dict[str, Any], addresses: Sequence[str]) -> None: ...
    def listing(self, rows: Sequence[Row]) -> None: ...
    def address(self, address: str, document: dict[str, Any]) -> None: ...
    def done(self, text: str, document: dict[str, Any]) -> None:
        """An edit's result: `text` for people, `document` for machines."""


@dataclass
class _Text:
    console: Console

    def state(self, location: str, state: State, document: dict[str, Any], addresses: Sequence[str]) -> None:
        console = self.console
        if state.serial == 0 and not state.recordings and not state.pending:
            console.print("No state.")
            return
        console.print(console.style(f"# state {location}: serial {state.serial}, lineage {state.lineage}", "dim"))
        bound = (
            f"bound to {state.binding}" if state.binding is not None else "not bound yet (the next refresh binds it)"
        )
        console.print(console.style(f"# {bound}", "dim"))
        for address in addresses:
            console.print()
            for line in self._block(address, document):
                console.print(line)

    def listing(self, rows: Sequence[Row]) -> None:
        console = self.console
        if not rows:
            console.print("The state has no recordings.")
            return
        # Addresses and statuses are read from the file: shown escaped, one line each.
        table = [("ADDRESS", "MEETING", "RECORDING", "STATUS")]
        table += [(escape_controls(a), m, r or "-", escape_controls(s)) for a, m, r, s in rows]
        widths = [max(len(row[column]) for row in table) for column in range(3)]
        for number, (address, meeting, recording, status) in enumerate(table):
            line = f"{address:<{widths[0]}}  {meeting:<{widths[1]}}  {recording:<{widths[2]}}  "
            styled = console.style(status, "bold") if number == 0 else console.style(status, *_status_style(status))
            console.print((console.style(line, "bold") if number == 0 else line) + styled)

    def address(self, address: str, document: dict[str, Any]) -> None:
        for line in self._block(address, document):
            self.console.print(line)

    def done(self, text: str, document: dict[str, Any]) -> None:
        del document
        self.console.print(text)

    def _block(self, address: str, document: dict[str, Any]) -> list[str]:
        """An address as Terraform shows a resource: a heading, then `name = value` lines."""
        console = self.console
        lines = [console.style(f"# {address}:", "bold")]
        pending = document["pending"].get(address)
        if pending is not None:
            lines.append(
                console.style(
                    f"    a start sent at {pending['time']} has no known outcome yet; the next plan, apply or "
                    "refresh resolves it from the API",
                    "yellow",
                )
            )
        values = _values(address, document)
        width = max(len(name) for name in values)
        for name, value in values.items():
            text = json.dumps(value, indent=4, sort_keys=True)
            if name == "status":
                text = console.style(text, *_status_style(value))
            lines.append(f"    {name:<{width}} = " + text.replace("\n", "\n    "))
        return lines


@dataclass
class _Json:
    console: Console

    def state(self, location: str, state: State, document: dict[str, Any], addresses: Sequence[str]) -> None:
        del location, state, addresses
        self.console.json(document)

    def listing(self, rows: Sequence[Row]) -> None:
        keys = ("address", "meeting_id", "recording_id", "status")
        self.console.json([dict(zip(keys, row, strict=True)) for row in rows])

    def address(self, address: str, document: dict[str, Any]) -> None:
        self.console.json(
            {
                "address": address,
                "recording": document["recordings"].get(address),
                "pending": document["pending"].get(address),
            }
        )

    def done(self, text: str, document: dict[str, Any]) -> None:
        del text
        self.console.json(document)


@dataclass
class _Markdown:
    console: Console

    def state(self, location: str, state: State, document: dict[str, Any], addresses: Sequence[str]) -> None:
        bound = f"bound to {state.binding}" if state.binding is not None else "not bound yet"
        lines = [
            f"### State {code(location)}: serial {state.serial}",
            "",
            f"Lineage {code(state.lineage)}, {plain(bound)}.",
            "",
        ]
        for address in addresses:
            lines += self._block(address, document)
        self.console.write("\n".join(lines).rstrip("\n") + "\n")

    def listing(self, rows: Sequence[Row]) -> None:
        lines = ["| address | meeting | recording | status |", "| --- | --- | --- | --- |"]
        lines += [f"| {code(a)} | {code(m)} | {code(r) if r else '-'} | {code(s)} |" for a, m, r, s in rows]
        self.console.write("\n".join(lines) + "\n")

    def address(self, address: str, document: dict[str, Any]) -> None:
        self.console.write("\n".join(self._block(address, document)).rstrip("\n") + "\n")

    def done(self, text: str, document: dict[str, Any]) -> None:
        del document
        self.console.write(plain(text) + "\n")

    @staticmethod
    def _block(address: str, document: dict[str, Any]) -> list[str]:
        lines = [f"#### {code(address)}", ""]
        if document["pending"].get(address) is not None:
            lines += ["A start has no known outcome yet; the next plan, apply or refresh resolves it.", ""]
        return [*lines, *fence(list(toml_lines(_values(address, document))), "toml"), ""]


def _values(address: str, document: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = dict(document["recordings"].get(address) or {})
    pending = document["pending"].get(address)
    if pending is not None:
        values["pending_start"] = pending
    return values


def _status_style(status: str) -> tuple[str, ...]:
    style = _STATUS_STYLES.get(status)
    return (style,) if style else ()


_VIEWS: dict[str, Callable[[Console], StateView]] = {"text": _Text, "json": _Json, "markdown": _Markdown}


def state_view(output_format: str, console: Console) -> StateView:
    if output_format not in _VIEWS:
        raise UsageError(f"--format {output_format} is for plans; the state is shown as text, json or markdown")
    return _VIEWS[output_format](console)


def binding_document(binding: Binding) -> dict[str, str]:
    return asdict(binding)
