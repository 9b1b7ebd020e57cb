"""Where decline clusters: global Moran's I and local Moran (LISA) hot and cold spots.

Spatial weights come from the region network (:func:`geo.network.build_network`): units are
neighbours when joined by a ``border`` edge (rook contiguity, shared boundary > 5 m) and, by
default, by an ``island_link`` edge, so 제주, 울릉 and the other island units get their
mainland link as neighbour. With ``kinds=("border",)`` island units have no neighbours: their
local statistic is 0 and they are flagged ``"island"`` rather than tested. Rail edges are not
used (a rail link is not adjacency). Weights are row-standardised.

Statistics follow Anselin (1995) and PySAL ``esda`` (the reference in the tests):

* global ``I = n / S0 * z'Wz / z'z`` with ``z = y - mean(y)``; E[I] = -1/(n-1); variance under
  randomisation (Cliff & Ord), two-sided normal p; and a permutation pseudo p-value;
* local ``I_i = (n-1) z_i (Wz)_i / z'z``;
* conditional permutation: for unit i, its own value is held and its ``k_i`` neighbours are
  replaced by ``k_i`` values drawn without replacement from the other n-1 units; the pseudo
  p-value is folded like esda's, ``(min(#{I_sim >= I}, M - #{I_sim >= I}) + 1) / (M + 1)``
  (a draw equal to the observed value up to floating-point noise counts as ``>=``).
  One table of draws is shared by all units (as esda does), generated with
  ``numpy.random.default_rng(seed)``;
* Benjamini–Hochberg false-discovery-rate q-values over the tested units; a unit is
  significant when its q (or p with ``fdr=False``) is at most ``alpha``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse, special

from geo.errors import InputError
from geo.labels import LISA


def _values(values: pd.Series, G: nx.Graph) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise InputError("values must be a pandas Series indexed by region_code",
                         expected="Series", got=type(values).__name__)
    y = pd.to_numeric(values, errors="coerce")
    bad = y.isna() | ~np.isfinite(y)
    if bad.any():
        raise InputError(
            "values are missing or not numeric", column=str(values.name), expected="a number for every unit",
            got=values.index[bad][:5].tolist(), hint="drop these units explicitly (values.dropna()) to analyse the rest",
        )
    unknown = [c for c in y.index if c not in G]
    if unknown:
        raise InputError("values name units that are not in the network", column=str(values.name),
                         expected="codes of the graph's nodes", got=unknown[:5])
    if not y.index.is_unique:
        raise InputError("values index is not unique", column=str(values.name), expected="one value per unit",
                         got=y.index[y.index.duplicated()][:5].tolist())
    if len(y) < 4:
        raise InputError("too few units for Moran's I", expected="at least 4", got=len(y))
    if np.ptp(y.to_numpy(dtype=float)) == 0:
        raise InputError("values are constant; Moran's I is undefined", column=str(values.name))
    return y.astype(float)


def contiguity(
    G: nx.Graph, index: pd.Index, *, kinds: tuple[str, ...] = ("border", "island_link")
) -> sparse.csr_matrix:
    """Binary symmetric adjacency between the units of ``index`` from the network's edges.

    Parameters
    ----------
    G
        Graph from :func:`geo.network.build_network` (edges with ``is_<kind>`` flags).
    index
        Units, in the order of the matrix rows.
    kinds
        Edge kinds that make two units neighbours.

    Returns
    -------
    scipy.sparse.csr_matrix of 0/1, shape (n, n).
    """
    allowed = {"border", "island_link", "rail"}
    if not set(kinds) <= allowed:
        raise InputError("unknown edge kind", column="kinds", expected=", ".join(sorted(allowed)),
                         got=sorted(set(kinds) - allowed))
    pos = {c: i for i, c in enumerate(index)}
    rows, cols = [], []
    for u, v, d in G.edges(data=True):
        if u in pos and v in pos and any(d.get(f"is_{k}", d.get("kind") == k) for k in kinds):
            rows += [pos[u], pos[v]]
            cols += [pos[v], pos[u]]
    n = len(index)
    A = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    A.data[:] = 1.0
    return A


def _row_standardise(A: sparse.csr_matrix) -> sparse.csr_matrix:
    k = np.asarray(A.sum(axis=1)).ravel()
    inv = np.zeros_like(k)
    inv[k > 0] = 1.0 / k[k > 0]
    return (sparse.diags(inv) @ A).tocsr()


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN entries stay NaN and are not counted."""
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def _draws(rng: np.random.Generator, m: int, n_other: int, kmax: int) -> np.ndarray:
    """``m`` rows, each ``kmax`` distinct indices in [0, n_other) in uniformly random order."""
    r = rng.random((m, n_other))
    if kmax < n_other:
        part = np.argpartition(r, kmax - 1, axis=1)[:, :kmax]
    else:
        part = np.tile(np.arange(n_other), (m, 1))
    order = np.argsort(np.take_along_axis(r, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)


def global_moran(
    values: pd.Series,
    G: nx.Graph,
    *,
    kinds: tuple[str, ...] = ("border", "island_link"),
    permutations: int = 9999,
    seed: int = 0,
) -> pd.Series:
    """Global Moran's I of ``values`` on the row-standardised network contiguity.

    Returns
    -------
    Series with I, EI, VI_rand, z (randomisation), p (two-sided normal, randomisation),
    p_sim (permutation pseudo p, folded as esda), n, n_islands, permutations.
    """
    y = _values(values, G)
    W = _row_standardise(contiguity(G, y.index, kinds=kinds))
    z = y.to_numpy() - y.mean()
    n = len(z)
    s0 = W.sum()
    s1 = 0.5 * (W + W.T).power(2).sum()
    s2 = float(((np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()) ** 2).sum())
    zz = (z * z).sum()
    I = n / s0 * (z @ (W @ z)) / zz
    EI = -1.0 / (n - 1)
    k = ((z**4).sum() / n) / (zz / n) ** 2
    A = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    B = k * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    VI = (A - B) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - EI * EI
    zr = (I - EI) / np.sqrt(VI)
    p = special.erfc(abs(zr) / np.sqrt(2))  # two-sided normal p, = 2 * norm.sf(|z|)
    p_sim = np.nan
    if permutations:
        rng = np.random.default_rng(seed)
        larger = 0
        chunk = max(1, 2_000_000 // n)
        for start in range(0, permutations, chunk):
            m = min(chunk, permutations - start)
            Z = rng.permuted(np.broadcast_to(z, (m, n)), axis=1)
            sims = n / s0 * np.einsum("ij,ij->i", Z, (W @ Z.T).T) / zz
            larger += int((sims >= I).sum())
        larger = min(larger, permutations - larger)
        p_sim = (larger + 1.0) / (permutations + 1.0)
    n_isl = int((np.asarray(W.sum(axis=1)).ravel() == 0).sum())
    return pd.Series({"I": I, "EI": EI, "VI_rand": VI, "z": zr, "p": p, "p_sim": p_sim, "n": n,
                      "n_islands": n_isl, "permutations": permutations}, name="moran")


def local_moran(
    values: pd.Series,
    G: nx.Graph,
    *,
    kinds: tuple[str, ...] = ("border", "island_link"),
    permutations: int = 9999,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.DataFrame:
    """Local Moran's I (LISA) with conditional-permutation pseudo p-values and FDR q-values.

    Parameters
    ----------
    values
        The variable (e.g. ``decline_index``) indexed by ``region_code``; no NaN.
    G
        The region network (:func:`geo.network.build_network`).
    kinds
        Edge kinds that define neighbours (default borders and island links).
    permutations
        Conditional permutations per unit.
    seed
        Seed of ``numpy.random.default_rng``.
    alpha
        Significance level for the cluster labels.
    fdr
        Label by Benjamini–Hochberg q (``True``) or by the raw pseudo p (``False``).

    Returns
    -------
    DataFrame indexed by ``region_code``: lisa_I, lisa_z (standardised value), lisa_lag (its
    spatial lag), lisa_p, lisa_q, lisa_quadrant (HH/LH/LL/HL by sign, as esda's ``q``),
    lisa_cluster (the quadrant where significant, else ``"ns"``; ``"island"`` for units without
    neighbours), lisa_label_en, lisa_label_ko.
    """
    if not (0 < alpha < 1):
        raise InputError("bad significance level", column="alpha", expected="0 < alpha < 1", got=alpha)
    if not (isinstance(permutations, (int, np.integer)) and permutations >= 99):
        raise InputError("too few permutations", column="permutations", expected="an integer ≥ 99", got=permutations)
    y = _values(values, G)
    A = contiguity(G, y.index, kinds=kinds)
    W = _row_standardise(A)
    n = len(y)
    z = (y.to_numpy() - y.mean()) / y.to_numpy().std()
    zz = (z * z).sum()
    lag = W @ z
    Is = (n - 1) * z * lag / zz
    card = np.diff(W.indptr)
    kmax = int(card.max())

    larger = np.zeros(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(permutations, 4_000_000 // max(n, 1)))
    active = np.flatnonzero(card > 0)
    for start in range(0, permutations, chunk):
        m = min(chunk, permutations - start)
        P = _draws(rng, m, n - 1, kmax)
        for i in active:
            k = card[i]
            idx = P[:, :k]
            idx = idx + (idx >= i)  # skip unit i itself
            w_i = W.data[W.indptr[i]:W.indptr[i + 1]]
            sims = (n - 1) * z[i] * (z[idx] @ w_i) / zz
            larger[i] += int((sims >= Is[i] - 1e-12 * (abs(Is[i]) + 1.0)).sum())
    larger = np.minimum(larger, permutations - larger)
    p = (larger + 1.0) / (permutations + 1.0)
    island = card == 0
    p[island] = np.nan
    q = benjamini_hochberg(p)

    quad = np.where(z > 0, np.where(lag > 0, "HH", "HL"), np.where(lag > 0, "LH", "LL"))
    sig = (q if fdr else p) <= alpha
    cluster = np.where(island, "island", np.where(sig, quad, "ns"))
    out = pd.DataFrame(
        {"lisa_I": Is, "lisa_z": z, "lisa_lag": lag, "lisa_p": p, "lisa_q": q,
         "lisa_quadrant": quad, "lisa_cluster": cluster},
        index=pd.Index(y.index, name="region_code"),
    )
    out["lisa_label_en"] = out["lisa_cluster"].map(lambda c: LISA[c][1])
    out["lisa_label_ko"] = out["lisa_cluster"].map(lambda c: LISA[c][0])
    out.attrs.update(alpha=alpha, fdr=fdr, permutations=permutations, seed=seed, kinds=tuple(kinds))
    return out


def hotspots(
    values: pd.Series,
    G: nx.Graph,
    *,
    kinds: tuple[str, ...] = ("border", "island_link"),
    permutations: int = 9999,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = True,
) -> tuple[pd.DataFrame, pd.Series]:
    """LISA table and global Moran's I of one variable (see :func:`local_moran`, :func:`global_moran`).

    Returns
    -------
    (local, global)
        ``local``: DataFrame indexed by ``region_code`` (lisa_* columns; ``local.attrs`` holds
        alpha, fdr, permutations, seed, kinds); ``global``: Series with I, EI, VI_rand, z, p,
        p_sim, n, n_islands, permutations.
    """
    local = local_moran(values, G, kinds=kinds, permutations=permutations, seed=seed, alpha=alpha, fdr=fdr)
    glob = global_moran(values, G, kinds=kinds, permutations=permutations, seed=seed)
    return local, glob
