"""How apply reports each outcome as it happens: a progress bar on a terminal, a line per action otherwise, NDJSON
with `--json`. Called from worker threads, always under the applier's lock."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reconciler._outcome import Outcome
from reconciler.cli._console import Console
from reconciler.render import outcome_line

__all__ = ["ApplyProgress"]

_BAR_WIDTH = 30


@dataclass
class ApplyProgress:
    console: Console
    total: int
    mode: str  # "bar", "lines" or "json"
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def for_console(cls, console: Console, total: int, *, json_output: bool) -> ApplyProgress:
        if json_output:
            return cls(console, total, "json")
        return cls(console, total, "bar" if console.err.isatty() else "lines")

    def __call__(self, outcome: Outcome) -> None:
        self.counts[outcome.result] += 1
        if self.mode == "json":
            self.console.json(outcome.to_json())
        elif self.mode == "lines":
            self.console.print(outcome_line(outcome, self.console.style))
            self.console.out.flush()
        else:
            if outcome.attempted_and_failed:
                self._clear()
                self.console.message(outcome_line(outcome, self.console.style))
            self._draw()

    def finish(self) -> None:
        if self.mode == "bar":
            self._clear()

    def _draw(self) -> None:
        done = sum(self.counts.values())
        filled = _BAR_WIDTH * done // max(self.total, 1)
        bar = "█" * filled + "·" * (_BAR_WIDTH - filled)
        failing = self.counts["failed"] + self.counts["uncertain"]
        failed = f", {failing} failed" if failing else ""
        self.console.err.write(f"\r{bar} {done}/{self.total}{failed}")
        self.console.err.flush()

    def _clear(self) -> None:
        self.console.err.write("\r\x1b[K")
        self.console.err.flush()
