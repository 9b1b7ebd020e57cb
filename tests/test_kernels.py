"""The compiled loops of the solver agree with the numpy code they replace."""

import itertools

import numpy as np
import pytest

from geo import solver
from geo.errors import InfeasibleError


def _toy(seed: int, *, forbid: bool):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(3, 30)), int(rng.integers(3, 12))
    s = rng.integers(0, 25, (n, m)).astype(float)
    if forbid:
        s[rng.random((n, m)) < 0.15] = np.inf
    w = rng.integers(0, 6, n).astype(float)
    return rng, s, w


@pytest.mark.parametrize("seed", range(60))
def test_swap_values_match_numpy(monkeypatch, seed):
    rng, s, w = _toy(seed, forbid=seed % 2 == 0)
    hubs = np.sort(rng.choice(s.shape[1], int(rng.integers(1, min(s.shape[1], 5) + 1)), replace=False))
    f = rng.random(s.shape[1]) if seed % 3 == 0 else None
    monkeypatch.setattr(solver, "_KERNELS", False)
    with np.errstate(invalid="ignore"):  # inf - inf where a row reaches no hub: nan on both paths
        ref = solver._swap_values(s, w, hubs, f)
    monkeypatch.setattr(solver, "_KERNELS", True)
    got = solver._swap_values(s, w, hubs, f)
    assert np.array_equal(np.isnan(ref), np.isnan(got))
    assert np.allclose(ref, got, equal_nan=True)


@pytest.mark.parametrize("seed", range(25))
def test_exact_solve_same_optimum_with_and_without_kernels(monkeypatch, seed):
    """Both paths prove the brute-force optimum (groups with limits on half the cases)."""
    rng, s, w = _toy(seed, forbid=False)
    n, m = s.shape
    k = int(rng.integers(1, min(m, 4) + 1))
    group = np.array(["a", "b"])[rng.integers(0, 2, m)] if seed % 2 else None
    kw = {} if group is None else {"group": group, "group_max": {"a": max(1, k - 1), "b": k}}
    best = min((float(w @ s[:, list(c)].min(axis=1)), c) for c in itertools.combinations(range(m), k)
               if group is None or (group[list(c)] == "a").sum() <= kw["group_max"]["a"])[0]
    for kern in (False, True):
        monkeypatch.setattr(solver, "_KERNELS", kern)
        r = solver.solve(s, w, k, method="exact", **kw)
        assert r.optimal and r.objective == pytest.approx(best, abs=1e-9)


def test_fixing_matches_numpy(monkeypatch):
    """Reduced-cost fixing under group limits: the compiled exact bounds keep and force the
    same columns as the reference greedy, at limits from loose to tight."""
    problems = decided = 0
    for seed in range(60):
        rng, s, w = _toy(seed, forbid=seed % 2 == 0)
        n, m = s.shape
        labels = rng.integers(0, 3, m)
        gmin = {g: int(rng.integers(0, 2)) for g in np.unique(labels)}
        gmax = {g: max(gmin[g], int(rng.integers(1, 4))) for g in np.unique(labels)}
        try:
            p = solver._prepare(np.where(np.isinf(s), 99.0, s), int(rng.integers(1, min(m, 4) + 1)),
                                group=labels, group_max=gmax, group_min=gmin,
                                fixed=rng.choice(m, int(rng.integers(0, 2)), replace=False))
        except InfeasibleError:
            continue  # group limits no hub set meets: nothing to fix
        lam = w * rng.uniform(0, 20, n)
        f = rng.random(p.m) * 5 if seed % 3 == 0 else None
        for ub in np.linspace(float(lam.sum()) - 30, float(lam.sum()) + 30, 7):
            monkeypatch.setattr(solver, "_KERNELS", False)
            ref = solver._fixing(p, s, w, lam, float(ub), 1e-9, f=f)
            monkeypatch.setattr(solver, "_KERNELS", True)
            got = solver._fixing(p, s, w, lam, float(ub), 1e-9, f=f)
            assert np.array_equal(ref[0], got[0]) and np.array_equal(ref[1], got[1])
            decided += int((~ref[0]).sum() + ref[1].sum())
        problems += not p.groups_plain
    assert problems > 30 and decided > 100, (problems, decided)
