"""The second process: the same results as one after the other, errors with their type."""

import os

import pytest

from geo import workers
from geo.errors import InputError, ScenarioError


def _square(x):
    return x * x


@pytest.mark.parametrize("cap", ["1", ""])
def test_share_map_equals_serial(monkeypatch, cap):
    monkeypatch.setenv("GEO_PROCESSES", cap)
    big = list(range(57))
    offset = 3  # a closure: the child sees the parent's objects without pickling them
    assert workers.share_map(lambda x: _square(x) + offset, big) == [x * x + 3 for x in big]
    assert workers.share_map(_square, []) == []
    assert workers.share_map(_square, [4]) == [16]


def test_share_map_shares_the_items(monkeypatch):
    """With a spare core both processes take items; an error in either is raised with its type."""
    monkeypatch.setenv("GEO_PROCESSES", "")
    import time

    def who(x):
        time.sleep(0.002)
        return os.getpid()

    pids = workers.share_map(who, range(40))
    assert os.getpid() in pids and (len(set(pids)) >= 2 if workers.processes() > 1 else set(pids) == {os.getpid()})

    def bad(x):
        if x == 30:
            raise InputError("bad item", got=x)
        time.sleep(0.001)
        return x

    with pytest.raises(InputError, match="bad item"):
        workers.share_map(bad, range(40))


def test_processes_respects_the_cap(monkeypatch):
    monkeypatch.setenv("GEO_PROCESSES", "1")
    assert workers.processes() == 1
    monkeypatch.setenv("GEO_PROCESSES", "")
    assert workers.processes() == (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def test_later_runs_in_a_child_and_keeps_error_types(monkeypatch):
    monkeypatch.setenv("GEO_PROCESSES", "")
    pid = workers.Later(os.getpid).result()
    assert pid != os.getpid() or workers.processes() == 1

    def bad():
        raise ScenarioError("demo.yaml", ["siting.k: expected an integer, got 'ten'"])

    with pytest.raises(ScenarioError) as e:
        workers.Later(bad).result()
    assert e.value.problems == ["siting.k: expected an integer, got 'ten'"]
    assert str(e.value) == "demo.yaml: 1 problem: siting.k: expected an integer, got 'ten'"

    def bad_input():
        raise InputError("bad column", column="x", expected="a number", got="abc")

    with pytest.raises(InputError) as e:
        workers.Later(bad_input).result()
    assert str(e.value) == "column 'x': bad column; expected a number, got 'abc'"


def test_children_do_not_print_the_parents_unflushed_output(tmp_path):
    """Buffered stdout (a pipe, a log file): what the parent printed before a fork appears once,
    not once more per child."""
    import subprocess
    import sys

    code = ("from geo import workers\nprint('before the children')\n"
            "workers.Later(lambda: 1).result()\nworkers.share_map(lambda i: i, range(4))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "GEO_PROCESSES")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.splitlines() == ["before the children"]


def test_a_bug_in_a_child_keeps_its_traceback(monkeypatch):
    """A plain error (a bug, not a GeoError) raised in a child comes back with the child's
    traceback as its cause, so --debug shows where it happened."""
    monkeypatch.setenv("GEO_PROCESSES", "")

    def buggy():
        return {}["missing key"]

    with pytest.raises(KeyError) as e:
        workers.Later(buggy).result()
    if workers.processes() > 1:
        assert isinstance(e.value.__cause__, workers.ChildTraceback)
        assert "in buggy" in str(e.value.__cause__)
