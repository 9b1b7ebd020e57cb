"""The compiled loops of the solver agree with the numpy code they replace."""

import itertools

import numpy as np
import pytest

from geo import solver


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
