"""How apply's text view reports each outcome as it happens: a progress bar on a terminal (each outcome's line
printed above it, so the IDs of the recordings started stay on screen), a line per action otherwise. Called from
worker threads, always under the applier's lock."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reconciler._outcome import Outcome
from reconciler.cli._console import Console
from reconciler.views.text import outcome_line

__all__ = ["ApplyProgress"]

_BAR_WIDTH = 30


@dataclass
class ApplyProgress:
    console: Console
    total: int
    bar: bool  # a bar on stderr (a terminal), or only lines
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def for_console(cls, console: Console, total: int) -> ApplyProgress:
        return cls(console, total, bar=console.err.isatty())

    def __call__(self, outcome: Outcome) -> None:
        self.counts[outcome.result] += 1
        if self.bar:
            self._clear()
        line = outcome_line(outcome, self.console.style)
        if self.bar and outcome.attempted_and_failed:
            self.console.message(line)
        else:
            self.console.print(line)
            self.console.out.flush()
        if self.bar:
            self._draw()

    def finish(self) -> None:
        if self.bar:
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
