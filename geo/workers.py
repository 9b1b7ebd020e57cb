"""Work in a second process: the second core of a small machine, without pickling the inputs.

The expensive parts of a run that do not depend on each other (the siting's re-solves, shared
with this process; the maps while the report is written; half of the report's figures) run in a child process
forked from the run: the child sees every array and frame of the parent as they are, and only
its result travels back (pickled). Where forking is not safe or not possible (other than
Linux, one core, ``GEO_PROCESSES=1``) the same functions run one after the other in this
process, with the same results: callers split their work the same way either way, so the
output never depends on the machine.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence

_TASKS: dict[int, Callable[[], object]] = {}


def processes() -> int:
    """Processes a run may use: the cores this process may run on (``GEO_PROCESSES`` caps it;
    1 everywhere but Linux, where forking a process with threads and native libraries is safe)."""
    if not sys.platform.startswith("linux"):
        return 1
    n = len(os.sched_getaffinity(0))
    cap = os.environ.get("GEO_PROCESSES", "").strip()
    if cap.isdigit() and int(cap) >= 1:
        n = min(n, int(cap))
    return max(n, 1)


def _call(key: int):
    return _TASKS[key]()


class Later:
    """``fn()`` started in a forked child (:meth:`result` waits for its value), or run in this
    process when :meth:`result` is first called if there is no second core."""

    def __init__(self, fn: Callable[[], object]):
        self._fn, self._pool, self._job, self._done = fn, None, None, False
        if processes() > 1:
            key = id(self)
            _TASKS[key] = fn  # the child is forked below and finds it here
            try:
                self._pool = multiprocessing.get_context("fork").Pool(1)
                self._job = self._pool.apply_async(_call, (key,))
            finally:
                _TASKS.pop(key, None)

    def result(self):
        """The value of ``fn()``; an exception it raised is raised here."""
        if self._done:
            return self._value
        try:
            self._value = self._fn() if self._pool is None else self._job.get()
        finally:
            self.close()
        self._done = True
        return self._value

    def close(self) -> None:
        """Stop the child if it is still running (e.g. after an error elsewhere)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def share_map(fn: Callable[[object], object], items: Sequence) -> list:
    """``[fn(x) for x in items]``, shared between this process and forked children (one per
    spare core) that each take the next item not yet taken, so a few slow items do not leave a
    core idle. ``fn`` must depend only on its item: then who computed which item never shows
    in the result. Serially here without spare cores."""
    items = list(items)
    spare = max(min(processes(), len(items)) - 1, 0)
    if not spare:
        return [fn(x) for x in items]
    counter = multiprocessing.get_context("fork").Value("q", 0)  # shared with the children

    def work() -> dict:
        done = {}
        while True:
            with counter.get_lock():
                i = counter.value
                counter.value = i + 1
            if i >= len(items):
                return done
            done[i] = fn(items[i])

    later = [Later(work) for _ in range(spare)]
    try:
        done = work()
        for job in later:
            done.update(job.result())
    finally:
        for job in later:
            job.close()
    return [done[i] for i in range(len(items))]
