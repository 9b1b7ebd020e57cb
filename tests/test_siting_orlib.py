"""geo.siting against Beasley's OR-Library p-median instances (published optima)."""

from pathlib import Path

import numpy as np
import pytest

from geo import solver

DATA = Path(__file__).parent / "data" / "or-library-pmed"
OPTIMA = {ln.split()[0]: int(ln.split()[1])
          for ln in (DATA / "pmedopt.txt").read_text().splitlines()[1:] if ln.strip()}


def _instance(name):
    cost, p = solver.read_orlib_pmedian(DATA / f"{name}.txt")
    return cost, np.ones(len(cost)), p


def test_reader_follows_the_orlib_convention():
    cost, _, p = _instance("pmed1")
    assert cost.shape == (100, 100) and p == 5
    assert np.allclose(cost, cost.T) and (np.diag(cost) == 0).all() and np.isfinite(cost).all()


@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed3", "pmed4", "pmed5", "pmed18"])
def test_exact_proves_the_published_optimum(name):
    cost, w, p = _instance(name)
    r = solver.solve(cost, w, p)
    assert r.method == "exact" and r.optimal
    assert r.objective == OPTIMA[name] and r.lower_bound == OPTIMA[name]
    # the objective is the incumbent's re-evaluated in numpy
    assert r.objective == cost[:, r.hubs].min(axis=1).sum() and len(r.hubs) == p


def test_proof_does_not_trust_the_milp_bound(monkeypatch):
    """A MILP that claims a worse solution optimal (what HiGHS did at 1e-10 tolerances on
    pmed18) must neither be reported optimal nor stop the search for the optimum."""
    cost, w, p = _instance("pmed18")

    def lying_milp(q, L, w_, T, caps, left):
        h = np.arange(q.k)  # some feasible hub set, claimed optimal with its own value
        val = float(w_ @ q.stages[-1][:, h].min(axis=1))
        return h, val, np.zeros(q.cost.shape[0], bool), True

    monkeypatch.setattr(solver, "_milp_stage", lying_milp)
    r = solver.solve(cost, w, p)
    assert r.objective == OPTIMA["pmed18"] and r.optimal and r.lower_bound == OPTIMA["pmed18"]


def test_exact_gives_up_honestly_without_time():
    cost, w, p = _instance("pmed6")  # needs branching: the root bound is 7783.5
    r = solver.solve(cost, w, p, time_limit=0.05)
    assert not r.optimal or r.objective == OPTIMA["pmed6"]
    assert r.lower_bound <= OPTIMA["pmed6"] <= r.objective


@pytest.mark.parametrize("name", ["pmed9", "pmed15", "pmed20"])
def test_heuristic_within_a_tenth_of_a_percent(name):
    cost, w, p = _instance(name)
    r = solver.solve(cost, w, p, method="heuristic")
    assert r.objective <= OPTIMA[name] * 1.001
    assert r.lower_bound <= OPTIMA[name]
