"""Work spread over processes in ordered chunks, with the results exactly those of a serial run.

Reading a large dataset is mostly YAML parsing in Python, which one core does one file at a time;
:func:`map_chunks` hands chunks of such work to a :class:`~concurrent.futures.ProcessPoolExecutor`
and yields each chunk's result in submission order, so what the caller builds from them is the same,
in the same order, as without workers.

``EVIDENCEKG_WORKERS`` sets how many processes do such work, this one included: ``1`` runs everything
here (for debugging, or a profiler), ``N`` starts N - 1 worker processes beside this one. Unset, it is
the number of cores this process may use, at most :data:`DEFAULT_MAX_WORKERS`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from ..errors import EvidenceKGError

if TYPE_CHECKING:
    from concurrent.futures import Future

WORKERS_ENV = "EVIDENCEKG_WORKERS"
DEFAULT_MAX_WORKERS = 4
"""Reading is a part of a build only (checks and triples stay in one process): more processes gain
little, and take cores from whatever else runs on the machine."""

QUEUED_PER_WORKER = 2
"""Chunks handed to each worker ahead: one to work on, one to start when it is done."""

Item = TypeVar("Item")
Result = TypeVar("Result")


def worker_count() -> int:
    """How many processes to use, this one included: ``EVIDENCEKG_WORKERS``, or the usable cores up to
    :data:`DEFAULT_MAX_WORKERS`."""
    setting = os.environ.get(WORKERS_ENV, "").strip()
    if setting:
        try:
            count = int(setting)
        except ValueError:
            count = 0
        if count < 1:
            raise EvidenceKGError(f"{WORKERS_ENV} must be a whole number of processes, 1 or more (1: no workers), "
                                  f"not {setting!r}")
        return count
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on every platform
        usable = os.cpu_count() or 1
    return max(1, min(usable, DEFAULT_MAX_WORKERS))


def start_method() -> str | None:
    """'fork' on Linux while this process has a single thread, else 'spawn' where that is safe, else None.

    A forked worker starts in milliseconds and imports nothing, but forking a process with other
    threads can copy a lock some thread holds and deadlock the child. 'forkserver' is no way out:
    it talks to its server over a socket, which the network guard of :mod:`evidencekg.offline`
    refuses while records load. 'spawn' is correct everywhere, at the cost of an interpreter and
    the imports per worker, but a spawned worker first runs the main script again: None (no
    workers) when that script would do its work a second time (see :func:`_main_reruns_safely`).
    """
    import multiprocessing  # here, not above: a small dataset never needs it, and every command would import it

    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        try:
            threads = len(os.listdir("/proc/self/task"))
        except OSError:
            threads = 0
        if threads == 1:
            return "fork"
    return "spawn" if _main_reruns_safely() else None


def _main_reruns_safely() -> bool:
    """Whether a spawned worker can run this process's main module again without redoing its work.

    multiprocessing re-runs the main script in every spawned worker (as ``__mp_main__``), and skips
    only an interactive session, ``python -c`` and a package's ``__main__``. A script without an
    ``if __name__ == "__main__":`` guard would build, write or print everything again in each worker,
    and one read from stdin cannot be re-run at all.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None:
        return True
    spec = getattr(main, "__spec__", None)
    if spec is not None and (spec.name == "__main__" or spec.name.endswith(".__main__")):
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            source = handle.read()
    except OSError:
        return False
    return "__name__" in source and "__main__" in source


def chunked(items: Sequence[Item], workers: int, per_worker: int = 32) -> list[list[Item]]:
    """``items`` cut in order into about ``per_worker`` chunks per worker.

    Many small chunks even out files of different sizes and a machine's other load: whichever
    process is free takes the next one.
    """
    size = max(1, -(-len(items) // (workers * per_worker)))
    return [list(items[start:start + size]) for start in range(0, len(items), size)]


def map_chunks(work: Callable[[Item], Result], chunks: Sequence[Item], workers: int,
               method: str | None = None) -> Iterator[Result]:
    """``work(chunk)`` for every chunk, in order, spread over ``workers`` processes, this one included.

    ``workers - 1`` worker processes take chunks from the front while this process takes them from the
    back: its own results need no pickling. ``work`` must be a module-level function (spawned workers
    import it by name) and should catch the errors it reports as results. A chunk that fails in a worker
    (an exception, a worker that died, a pool that could not start) is run again here, so it gives what
    a serial run gives: its result, or the very exception the serial run raises, with a traceback of
    this process; of several failing chunks, the first in order raises, as it would serially.
    ``method`` is the start method, :func:`start_method`'s by default.
    """
    method = method or start_method()
    helpers = min(workers - 1, len(chunks) - 1)
    if helpers < 1 or method is None:
        yield from map(work, chunks)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        pool = ProcessPoolExecutor(max_workers=helpers, mp_context=multiprocessing.get_context(method))
    except (OSError, ValueError, NotImplementedError):  # no processes here (a sandbox, a platform without them)
        yield from map(work, chunks)
        return
    try:
        futures: dict[int, Future[Result]] = {}
        local: dict[int, Result] = {}
        failed: dict[int, Exception] = {}
        waiting: list[Future[Result]] = []
        front, back = 0, len(chunks)  # chunks[front:back] are not handed out yet
        pool_usable = True
        while front < back:
            # A few chunks at a time, so that this process takes the rest without cancelling futures: after a
            # worker dies the pool fails every pending future, and a cancelled one breaks that clean-up (3.11).
            waiting = [future for future in waiting if not future.done()]
            if pool_usable and len(waiting) < QUEUED_PER_WORKER * helpers:
                try:
                    futures[front] = pool.submit(work, chunks[front])
                except Exception:  # the pool broke or could not start a worker: the rest runs here
                    pool_usable = False
                    continue
                waiting.append(futures[front])
                front += 1
            else:
                back -= 1
                try:
                    local[back] = work(chunks[back])
                except Exception as exc:  # raised in chunk order below: a serial run meets an earlier failure first
                    failed[back] = exc
        for index, chunk in enumerate(chunks):
            if index in failed:
                raise failed.pop(index)
            if index in local:
                yield local.pop(index)
                continue
            future = futures[index]
            try:
                result = future.result()
            except Exception:
                result = work(chunk)
            yield result
    finally:
        pool.shutdown(wait=True)
