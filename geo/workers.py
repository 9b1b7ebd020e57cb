"""Work in a second process: the second core of a small machine, without pickling the inputs.

The expensive parts of a run that do not depend on each other (the siting's re-solves, shared
with this process; the maps while the report is written; half of the report's figures) run in
a child process forked from the run: the child sees every array and frame of the parent as
they are, and only its result travels back (pickled, through a pipe). Where forking is not safe or not possible (other than
Linux, one core, ``GEO_PROCESSES=1``) the same functions run one after the other in this
process, with the same results: callers split their work the same way either way, so the
output never depends on the machine.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Sequence

from geo.errors import GeoError

def processes() -> int:
    """Processes a run may use: the cores this process may run on (``GEO_PROCESSES`` caps it;
    1 everywhere but Linux). The children are forked; where this process has other threads,
    the callers fork before they start them or while they hold no lock a child needs."""
    if not sys.platform.startswith("linux"):
        return 1
    n = len(os.sched_getaffinity(0))
    cap = os.environ.get("GEO_PROCESSES", "").strip()
    if cap.isdigit() and int(cap) >= 1:
        n = min(n, int(cap))
    return max(n, 1)


_ZOMBIES: list[int] = []  # children whose result has been read, left to exit in their own time


def _reap() -> None:
    for pid in list(_ZOMBIES):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _ZOMBIES.remove(pid)


class ChildTraceback(Exception):
    """The traceback of an error in a child process, shown as the cause of the error raised here."""

    def __str__(self) -> str:
        return "\n\n" + self.args[0]


def _child(fn: Callable[[], object], fd: int) -> None:
    """In the forked child: write ``(True, fn())`` or ``(False, exception)``, pickled, to ``fd``
    and leave at once (no interpreter teardown, no handlers of the parent run twice)."""
    try:
        try:
            data = pickle.dumps((True, fn()), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as e:  # noqa: BLE001 - every error travels back to the parent
            if not isinstance(e, GeoError):  # a bug: its traceback in the child goes along
                try:
                    e.child_traceback = traceback.format_exc()  # (in __dict__, so it is pickled)
                except AttributeError:
                    pass
            try:
                data = pickle.dumps((False, e), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # an exception that cannot be pickled: its text
                data = pickle.dumps((False, RuntimeError(f"{type(e).__name__}: {e}")))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


class Later:
    """``fn()`` started in a forked child (:meth:`result` waits for its value), or run in this
    process when :meth:`result` is first called if there is no second core."""

    def __init__(self, fn: Callable[[], object]):
        self._fn, self._pid, self._fd, self._done = fn, None, None, False
        if processes() > 1:
            _reap()
            sys.stdout.flush()  # else the child would print what this process had not yet
            sys.stderr.flush()
            r, w = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no memory or process slot for a child: run here when asked
                os.close(r)
                os.close(w)
                return
            if pid == 0:
                os.close(r)
                _child(fn, w)
            os.close(w)
            self._pid, self._fd = pid, r

    def result(self):
        """The value of ``fn()``; an exception it raised is raised here."""
        if not self._done:
            if self._pid is None:
                self._ok, self._value = True, self._fn()
            else:
                with os.fdopen(self._fd, "rb") as f:
                    self._fd = None
                    data = f.read()
                _ZOMBIES.append(self._pid)  # its exit (unmapping a large process) is not waited for
                self._pid = None
                if not data:
                    raise GeoError("a child process ended without a result (killed, e.g. out of memory?)",
                                   hint="run with GEO_PROCESSES=1 to do all the work in one process")
                self._ok, self._value = pickle.loads(data)
            self._done = True
        if not self._ok:
            tb = getattr(self._value, "child_traceback", None)
            if tb is not None:
                raise self._value from ChildTraceback(tb)
            raise self._value
        return self._value

    def close(self) -> None:
        """Stop the child if it is still running (e.g. after an error elsewhere)."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _ZOMBIES.append(self._pid)
            self._pid = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


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
