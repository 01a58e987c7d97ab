"""The one progress display of every command: a bar on a terminal, plain lines elsewhere.

On a terminal (stderr is a TTY) a rich bar shows the count, the elapsed and the remaining time
and disappears when the run ends. When stderr is not a terminal (CI logs, pipes, `2> log`)
a background thread prints one plain line every `INTERVAL` seconds, e.g.

    theory-check train: step 3000/20000 (15 %), 4 active, 12 s elapsed, ~1.1 min left

so a long run can be watched without filling the log. Runs shorter than `INTERVAL` print nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

#: Seconds between two plain progress lines when stderr is not a terminal.
INTERVAL = 10.0


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class Tracker:
    """Progress of one run: `update(completed, note=...)` or `advance(n, note=...)`."""

    def __init__(self, label: str, total: float | None, show: Callable[[float, float | None], str]):
        self.label, self.total, self._show = label, total, show
        self.completed: float = 0.0
        self.note = ""
        self.t0 = time.monotonic()
        self._listeners: list[Callable[[], None]] = []

    def update(self, completed: float | None = None, *, note: str | None = None) -> None:
        """Set the amount done so far (in the unit of `total`) and/or the note shown after it."""
        if completed is not None:
            self.completed = completed
        if note is not None:
            self.note = note
        for f in self._listeners:
            f()

    def advance(self, n: float = 1, *, note: str | None = None) -> None:
        """Add `n` to the amount done."""
        self.update(self.completed + n, note=note)

    def line(self) -> str:
        """The plain progress line: count, share, note, elapsed and (when known) remaining time."""
        elapsed = time.monotonic() - self.t0
        parts = [self._show(self.completed, self.total)]
        if self.total:
            frac = min(max(self.completed / self.total, 0.0), 1.0)
            parts[0] += f" ({100 * frac:.0f} %)"
        if self.note:
            parts.append(self.note)
        parts.append(f"{_duration(elapsed)} elapsed")
        if self.total and 0 < self.completed < self.total:
            left = elapsed * (self.total - self.completed) / self.completed
            parts.append(f"~{_duration(left)} left")
        return f"theory-check {self.label}: " + ", ".join(parts)


def count(unit: str) -> Callable[[float, float | None], str]:
    """A counter display: "3/16 claims" (or "3 claims" without a total)."""
    def show(done: float, total: float | None) -> str:
        return f"{done:.0f}/{total:.0f} {unit}".rstrip() if total else f"{done:.0f} {unit}".rstrip()
    return show


def steps(done: float, total: float | None) -> str:
    """A training display: "step 3000/20000"."""
    return f"step {done:.0f}/{total:.0f}" if total else f"step {done:.0f}"


def time_reached(done: float, total: float | None) -> str:
    """A gradient-flow display: "t = 12.5 / 50"."""
    return f"t = {done:.4g} / {total:.4g}" if total else f"t = {done:.4g}"


@contextmanager
def progress(label: str, total: float | None, *, show: Callable[[float, float | None], str] | None = None,
             enabled: bool | None = None, stream: TextIO | None = None,
             interval: float | None = None) -> Iterator[Tracker]:
    """Show the progress of a run of `total` units (None: unknown) while the block runs.

    `enabled` None: a bar if `stream` (default stderr) is a terminal, plain lines every
    `interval` (default `INTERVAL`) seconds otherwise; False: nothing."""
    stream = sys.stderr if stream is None else stream
    tracker = Tracker(label, total, show or count(""))
    if enabled is False:
        yield tracker
        return
    if stream.isatty():
        with _rich_bar(tracker, stream):
            yield tracker
        return
    every = INTERVAL if interval is None else interval
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            print(tracker.line(), file=stream, flush=True)

    thread = threading.Thread(target=beat, name=f"progress-{label}", daemon=True)
    thread.start()
    try:
        yield tracker
    finally:
        stop.set()
        thread.join()


@contextmanager
def _rich_bar(tracker: Tracker, stream: TextIO) -> Iterator[None]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = [TextColumn(f"{tracker.label}"), BarColumn(), TextColumn("{task.fields[count]}"),
               TextColumn("{task.fields[note]}"), TimeElapsedColumn()]
    if tracker.total:
        columns.append(TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(tracker.label, total=tracker.total or None, count="", note="")

        def refresh() -> None:
            bar.update(task, completed=tracker.completed,
                       count=tracker._show(tracker.completed, tracker.total), note=tracker.note)

        tracker._listeners.append(refresh)
        refresh()
        yield
