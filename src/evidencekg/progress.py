"""Progress on stderr while a long command runs: each stage's name, a bar or spinner, then what it made.

Nothing is shown unless asked for: :data:`NO_PROGRESS`, the default everywhere, does nothing, so
building a graph from Python prints nothing. The command line asks with :meth:`Progress.for_terminal`,
which shows progress only when stderr is a terminal, so piped or captured stderr still carries only
messages and errors. rich is imported only once something is to be shown.

>>> with NO_PROGRESS.stage("reading records", total=3) as stage:
...     stage.advance()
...     stage.done(lambda: "never computed")
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import rich.console
    import rich.progress

Summary = str | Callable[[], str]
"""What a stage made, or a function giving it: called only when progress is shown, so counting costs nothing
otherwise."""


class Stage:
    """A running stage: its bar advances as its steps finish, and its summary is shown when it ends."""

    def __init__(self, bar: rich.progress.Progress | None = None, task: rich.progress.TaskID | None = None) -> None:
        self._bar, self._task = bar, task
        self._summary: Summary = ""

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, steps)

    def done(self, summary: Summary) -> None:
        """Say what the stage made (counts), shown after its name once it ends."""
        self._summary = summary

    def summary(self) -> str:
        return self._summary() if callable(self._summary) else self._summary


class Progress:
    """Where a command reports its stages; shows them only when given a stream, else every call is a no-op."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._console: rich.console.Console | None = None
        self._bar: rich.progress.Progress | None = None
        self._depth = 0

    @classmethod
    def for_terminal(cls, *, quiet: bool = False, stream: TextIO | None = None) -> Progress:
        """Progress on ``stream`` (default: stderr) if it is a terminal and not ``quiet``; else none."""
        stream = sys.stderr if stream is None else stream
        try:
            shown = not quiet and stream.isatty()
        except (AttributeError, ValueError):  # a replaced or closed stream is no terminal
            shown = False
        return cls(stream if shown else None)

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Stage]:
        """A stage while it runs: a bar of ``total`` steps, or a spinner when the number of steps is unknown.

        When it ends, one line stays: its name, its summary and how long it took. A stage that fails
        leaves no line (the error says what happened). Stages may nest; they share one display.
        """
        if self._stream is None:
            yield Stage()
            return
        bar = self._start()
        task = bar.add_task(name, total=total)
        started = time.perf_counter()
        self._depth += 1
        try:
            stage = Stage(bar, task)
            yield stage
            self._finished(name, stage.summary(), time.perf_counter() - started)
        finally:
            self._depth -= 1
            bar.remove_task(task)
            if not self._depth:
                bar.stop()
                self._bar = None

    def _start(self) -> rich.progress.Progress:
        if self._bar is not None:
            return self._bar
        from rich.console import Console
        from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Display

        if self._console is None:
            self._console = Console(file=self._stream, highlight=False)
        # stdout is left alone: it may be a pipe while stderr is the terminal.
        self._bar = Display(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), _steps_column()(),
                            TimeElapsedColumn(), console=self._console, transient=True, redirect_stdout=False)
        self._bar.start()
        return self._bar

    def _finished(self, name: str, summary: str, seconds: float) -> None:
        from rich.text import Text

        assert self._console is not None
        line = Text.assemble(name, (f": {summary}" if summary else ""), (f" ({seconds:.1f} s)", "dim"))
        self._console.print(line)


def _steps_column() -> type[rich.progress.ProgressColumn]:
    from rich.progress import MofNCompleteColumn, Task
    from rich.text import Text

    class Steps(MofNCompleteColumn):
        """Steps done of all, only where the number of steps is known (no "0/?" beside a spinner)."""

        def render(self, task: Task) -> Text:
            return super().render(task) if task.total is not None else Text("")

    return Steps


NO_PROGRESS = Progress()
"""Shows nothing: the default of every function that can report progress."""
