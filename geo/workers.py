"""Work in a second process: the second core of a small machine, without pickling the inputs.

The expensive parts of a run that do not depend on each other (half of the siting's re-solves,
the maps while the report is written, half of the report's figures) run in a child process
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


def fork_map(fn: Callable[[object], object], items: Sequence) -> list:
    """``[fn(x) for x in items]``, the first item in this process and the others in forked
    children running at the same time (one per spare core; serially here without them)."""
    items = list(items)
    if not items:
        return []
    spare = max(min(processes(), len(items)) - 1, 0)
    later = [Later(lambda x=x: fn(x)) for x in items[1:1 + spare]]
    try:
        out = [fn(items[0])]
        out += [job.result() for job in later]
    finally:
        for job in later:
            job.close()
    out += [fn(x) for x in items[1 + spare:]]
    return out
