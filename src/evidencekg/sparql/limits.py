"""A time limit on query evaluation, and evaluation that Ctrl-C can stop.

Oxigraph evaluates a query in native code with the interpreter lock released,
where neither a signal handler nor a timer can reach it. So each evaluation runs
in a worker thread while the calling thread waits, and the wait is what a
time limit or Ctrl-C ends: :class:`QueryTimeout` or :class:`KeyboardInterrupt`
is raised in the caller at once. The abandoned evaluation cannot be cancelled;
it runs on in its daemon thread until it finishes or the process exits, which
for the command line is immediately.

>>> with time_limit(5):
...     run_stoppable(lambda: sum(range(10)), "a sum")
45
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from ..errors import QueryError

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 600.0
"""The command line's limit unless told otherwise: far above any bundled query, a bound on a runaway one."""


class QueryTimeout(QueryError):
    """Query evaluation went past the time limit of the block it ran in."""


@dataclass(frozen=True)
class _Limit:
    seconds: float
    deadline: float


_limit: ContextVar[_Limit | None] = ContextVar("evidencekg_query_time_limit", default=None)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Stop query evaluation started inside the block once ``seconds`` have passed since it was entered.

    ``None`` or ``0`` means no limit. The limit covers the block as a whole, not each query.
    """
    if seconds is not None and seconds < 0:
        raise ValueError(f"a time limit cannot be negative: {seconds}")
    token = _limit.set(_Limit(seconds, time.monotonic() + seconds) if seconds else None)
    try:
        yield
    finally:
        _limit.reset(token)


def current_deadline() -> float | None:
    """When the limit of the block the caller runs in ends (``time.monotonic()``), or ``None``."""
    limit = _limit.get()
    return None if limit is None else limit.deadline


class _Job(Generic[T]):
    """One evaluation handed to a worker, and what came of it."""

    def __init__(self, work: Callable[[], T]) -> None:
        self.work = work
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None
        self.abandoned = False

    def run(self) -> None:
        try:
            self.value = self.work()
        except BaseException as exc:  # handed to the waiting thread, which raises it
            self.error = exc
        self.done.set()


class _Worker:
    """A daemon thread that runs jobs one at a time; reused while no job of it is abandoned.

    Reusing it costs a tenth of starting a thread per evaluation, which a build runs hundreds of.
    """

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job[Any]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="evidencekg-evaluation", daemon=True).start()

    def _serve(self) -> None:
        while True:
            job = self.jobs.get()
            job.run()
            if job.abandoned:  # its caller gave up on it and took another worker: this one is done
                return


_idle: list[_Worker] = []
_idle_lock = threading.Lock()


def run_stoppable(work: Callable[[], T], what: str) -> T:
    """``work()``, evaluated so that the block's time limit and Ctrl-C stop the wait for it."""
    with _idle_lock:
        worker = _idle.pop() if _idle else _Worker()
    job: _Job[T] = _Job(work)
    worker.jobs.put(job)
    limit = _limit.get()
    finished = False
    try:
        # Event.wait is interrupted by Ctrl-C on POSIX; with a timeout, it wakes at the deadline.
        finished = job.done.wait(None if limit is None else max(0.0, limit.deadline - time.monotonic()))
    finally:
        if finished:
            with _idle_lock:
                _idle.append(worker)
        else:
            job.abandoned = True
    if not finished:
        assert limit is not None
        raise QueryTimeout(f"{what}: stopped after {limit.seconds:g} s, the time limit (--timeout)")
    if job.error is not None:
        raise job.error
    return cast(T, job.value)  # set by the worker, which finished without error
