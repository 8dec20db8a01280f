"""Progress of a stage on stderr, never stdout: a live bar (rich) on a terminal, else a
timestamped log line every NEWSDEDUP_PROGRESS_EVERY seconds (default 10) for a log file or
the journal. Off unless the CLI turns it on (`enable`): library calls stay quiet.

A stage asks for a meter with `meter(step, total)` (total None when unknown, as while
ingest walks its folders), calls `advance(n)` as work is stored and `close()` at the end.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Protocol


class Meter(Protocol):
    def advance(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


class _Quiet:
    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class _Lines:
    """Periodic lines: `clean: 1,200 / 5,000 documents (24%), 240/s, about 16 s left`."""

    def __init__(self, step: str, total: int | None, unit: str, every: float) -> None:
        self.step, self.total, self.unit, self.every = step, total, unit, every
        self.done = 0
        self.start = self.last = time.monotonic()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._line(now)

    def _line(self, now: float) -> None:
        rate = self.done / max(now - self.start, 1e-9)
        if self.total:
            left = (self.total - self.done) / rate if rate > 0 else float("inf")
            text = (
                f"{self.step}: {self.done:,} / {self.total:,} {self.unit} "
                f"({100 * self.done / self.total:.0f}%), {rate:,.0f}/s, about {left:,.0f} s left"
            )
        else:
            text = f"{self.step}: {self.done:,} {self.unit}, {rate:,.0f}/s"
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        sys.stderr.write(f"{stamp} newsdedup: progress: {text}\n")
        sys.stderr.flush()

    def close(self) -> None:
        pass


class _Bar:
    """A rich bar with counts, rate and time left; it stays on screen when done."""

    def __init__(self, step: str, total: int | None, unit: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(f"{task.speed or 0:,.0f}/s")

        self._progress: Any = Progress(
            TextColumn(f"{step:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit),
            TaskProgressColumn(),
            Rate(),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(step, total=total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)

    def close(self) -> None:
        self._progress.stop()


_ENABLED = False


def enable(on: bool = True) -> None:
    """Show progress from now on (the CLI does; a library caller may)."""
    global _ENABLED
    _ENABLED = on


def every() -> float:
    value = os.environ.get("NEWSDEDUP_PROGRESS_EVERY", "10").strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        return 10.0


def meter(step: str, total: int | None, unit: str = "documents") -> Meter:
    """A meter for one step of a stage (see the module's docstring)."""
    if not _ENABLED or total == 0:
        return _Quiet()
    if sys.stderr.isatty():
        return _Bar(step, total, unit)
    return _Lines(step, total, unit, every())
