"""The statistics around the two headline indices (OECD/JRC Handbook, COINr practice).

Plain functions on arrays and frames, used by :mod:`geo.scoring`:

- :func:`treat_column` / :func:`treat`: outlier treatment as COINr's ``qTreat``;
- :func:`correlation_audit`: indicator–indicator, indicator–pillar and pillar–index
  correlations with the Handbook's flags;
- :func:`effective_weights` and :func:`solve_weights`: effective (squared-correlation) weights
  beside nominal ones, and nominal weights solved for target effective weights;
- :func:`sobol_indices`: first-order (Saltelli 2010) and total-order (Jansen 1999) sensitivity
  indices from a Saltelli design, with bootstrap intervals;
- :func:`tiers`: A/B/C/D from a rank interval and the probability of the top places;
- :func:`at_stake`: the manufacturing value added at stake;
- :func:`need_capability_matrix`: the 2-D need × capability figure.

Outlier treatment
-----------------
COINr's rule (``qTreat`` with its defaults): an indicator is treated only when its sample
skewness ``|g1| > 2`` *and* its sample excess kurtosis ``g2 > 3.5`` (both the bias-corrected
estimators of e1071 ``type = 2``, as Excel's ``SKEW``/``KURT``). Treatment first winsorises
one extreme at a time, on the side of the skew, replacing the most extreme value (all points
tied at it) with the next one, up to ``winmax`` points (default 5), stopping as soon as the
rule is met. If it is still not met, the winsorising is undone and the indicator is
log-transformed instead (COINr ``log_CT``, skew-corrected): ``log(x − min + a)`` for a right
skew, ``−log(max + a − x)`` for a left one, with ``a = 0.01 (max − min)``. Both are monotone,
so a count keeps its order and all its levels, unlike clipping at fixed quantiles.

Effective weights
-----------------
The effective weight of a component ``i`` (an indicator in its pillar, a pillar in an index)
is ``r_i² / Σ_j r_j²``, the share of the squared Pearson correlations between the components
and the aggregate (over regions with both values), the main-effect measure COINr reports.
:func:`solve_weights` finds the nominal weights (on the simplex) whose effective weights come
closest to targets (least squares, Nelder–Mead on a softmax parametrisation), as COINr's
``get_opt_weights``.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

from geo.errors import InputError

SKEW_MAX = 2.0
KURT_MAX = 3.5
WINMAX = 5
OUTLIER_RULES = ("qtreat", "winsorise", "none")

#: Tier rule (see :func:`tiers`).
TIER_A_P_TOP = 0.5
TIER_B_SHARE = 0.25
TIER_C_SHARE = 0.5


# ---------------------------------------------------------------------------------------------
# Outlier treatment
# ---------------------------------------------------------------------------------------------


def skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis (bias-corrected, e1071 ``type = 2``); NaN for
    fewer than 4 values or a constant column."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n < 4:
        return np.nan, np.nan
    if x.max() == x.min():
        return np.nan, np.nan
    d = (x - x.mean()) / (x.max() - x.min())  # scaled: both statistics are scale-free
    m2 = (d**2).sum()
    with np.errstate(all="ignore"):
        g1 = np.sqrt(n) * (d**3).sum() / m2**1.5
        skew = g1 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * (d**4).sum() / m2**2
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    if not (np.isfinite(skew) and np.isfinite(kurt)):
        return np.nan, np.nan
    return float(skew), float(kurt)


def _outlying(x, skew_max, kurt_max) -> bool:
    s, k = skew_kurt(x)
    return bool(np.isfinite(s) and abs(s) > skew_max and k > kurt_max)


def treat_column(x: np.ndarray, *, winmax: int = WINMAX, skew_max: float = SKEW_MAX,
                 kurt_max: float = KURT_MAX) -> tuple[np.ndarray, dict]:
    """COINr ``qTreat`` on one indicator (NaN kept as NaN).

    Returns
    -------
    treated, info
        ``info``: ``skew_before``, ``kurtosis_before``, ``treatment`` (``none`` /
        ``winsorised`` / ``log``), ``points_winsorised``, ``side`` (``high``/``low``/""),
        ``skew_after``, ``kurtosis_after``, ``levels_before``, ``levels_after``.
    """
    x = np.asarray(x, dtype=float)
    have = ~np.isnan(x)
    v = x[have]
    s0, k0 = skew_kurt(v)
    info = {"skew_before": s0, "kurtosis_before": k0, "treatment": "none", "points_winsorised": 0,
            "side": "", "levels_before": int(np.unique(v).size)}
    out = v.copy()
    if _outlying(v, skew_max, kurt_max):
        w = v.copy()
        count = 0
        side = "high" if s0 > 0 else "low"
        while _outlying(w, skew_max, kurt_max):
            ext = w.max() if side == "high" else w.min()
            at = w == ext
            rest = w[~at]
            if rest.size == 0 or count + int(at.sum()) > winmax:
                break
            w[at] = rest.max() if side == "high" else rest.min()
            count += int(at.sum())
        if not _outlying(w, skew_max, kurt_max) and count:
            out, info["treatment"], info["points_winsorised"], info["side"] = w, "winsorised", count, side
        else:
            lo, hi = v.min(), v.max()
            a = 0.01 * (hi - lo)
            out = np.log(v - lo + a) if s0 > 0 else -np.log(hi + a - v)
            info["treatment"], info["side"] = "log", "high" if s0 > 0 else "low"
    s1, k1 = skew_kurt(out)
    info.update(skew_after=s1, kurtosis_after=k1, levels_after=int(np.unique(out).size))
    res = np.full_like(x, np.nan)
    res[have] = out
    return res, info


def winsorise_quantiles(x: np.ndarray, lower: float, upper: float) -> tuple[np.ndarray, dict]:
    """Clip to the ``[lower, upper]`` quantiles (linear interpolation): outlier rule ``winsorise``."""
    x = np.asarray(x, dtype=float)
    have = ~np.isnan(x)
    v = x[have]
    s0, k0 = skew_kurt(v)
    info = {"skew_before": s0, "kurtosis_before": k0, "treatment": "none", "points_winsorised": 0,
            "side": "", "levels_before": int(np.unique(v).size)}
    out = x.copy()
    if v.size:
        lo, hi = np.quantile(v, [lower, upper])
        c = np.clip(v, lo, hi)
        n = int((c != v).sum())
        out[have] = c
        if n:
            info.update(treatment=f"quantiles {lower:g}-{upper:g}", points_winsorised=n,
                        side="both" if (v < lo).any() and (v > hi).any() else ("low" if (v < lo).any() else "high"))
    s1, k1 = skew_kurt(out[have])
    info.update(skew_after=s1, kurtosis_after=k1, levels_after=int(np.unique(out[have]).size))
    return out, info


class ColumnMemo:
    """Results of a pure function of one column, kept in this process by the column's exact
    bytes and the function's options: the Monte Carlo's data variants share most of their
    columns, and an analyst's next run (other weights) shares all of them.

    Least recently used entries go first once the kept arrays pass ``max_bytes``. Kept arrays
    are read-only, so a caller cannot change what another call will get.
    """

    def __init__(self, max_bytes: int = 64 * 2**20):
        self.max_bytes = max_bytes
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return None if item is None else item[0]

    def put(self, key, array: np.ndarray, extra=None) -> None:
        array = np.array(array)  # an own copy, then read-only
        array.setflags(write=False)
        size = array.nbytes + sum(len(k) for k in key if isinstance(k, bytes))
        with self._lock:
            if key in self._items:
                return
            self._items[key] = ((array, extra), size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._items) > 1:
                self._bytes -= self._items.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


#: Treated columns (:func:`treat`), by rule, options and values.
TREATED = ColumnMemo()


def treat_values(x: np.ndarray, ids, *, rule: str = "qtreat", quantiles: tuple[float, float] = (0.025, 0.975),
                 winmax: int = WINMAX, skew_max: float = SKEW_MAX, kurt_max: float = KURT_MAX):
    """The treated matrix of :func:`treat` and one info dict per column (no table)."""
    if rule not in OUTLIER_RULES:
        raise InputError("unknown outlier rule", expected=f"one of {OUTLIER_RULES}", got=rule)
    x = np.asarray(x, dtype=float)
    out = x.copy()
    infos = []
    for j in range(len(ids)):
        key = (rule, float(quantiles[0]), float(quantiles[1]), winmax, skew_max, kurt_max, x[:, j].tobytes())
        kept = TREATED.get(key)
        if kept is None:
            col, info = _treat_one(x[:, j], rule, quantiles, winmax, skew_max, kurt_max)
            TREATED.put(key, col, info)
            kept = (col, info)
        out[:, j] = kept[0]
        infos.append(dict(kept[1]))
    return out, infos


def treat(x: np.ndarray, ids, *, rule: str = "qtreat", quantiles: tuple[float, float] = (0.025, 0.975),
          winmax: int = WINMAX, skew_max: float = SKEW_MAX, kurt_max: float = KURT_MAX):
    """Treat every column of ``x`` (regions × indicators) by ``rule``.

    ``rule``: ``qtreat`` (:func:`treat_column`), ``winsorise`` (clip to ``quantiles``) or
    ``none``. Returns the treated matrix and one row per indicator (index ``id``). Each
    column's treatment is kept by its values (:data:`TREATED`), so a column met again (in
    another data variant, or another run in this process) is not treated twice.
    """
    out, infos = treat_values(x, ids, rule=rule, quantiles=quantiles, winmax=winmax, skew_max=skew_max,
                              kurt_max=kurt_max)
    rows = [{"id": i, "rule": rule, **info} for i, info in zip(ids, infos)]
    cols = ["rule", "skew_before", "kurtosis_before", "treatment", "points_winsorised", "side",
            "skew_after", "kurtosis_after", "levels_before", "levels_after"]
    return out, pd.DataFrame(rows).set_index("id")[cols]


def _treat_one(x, rule, quantiles, winmax, skew_max, kurt_max) -> tuple[np.ndarray, dict]:
    if rule == "qtreat":
        return treat_column(x, winmax=winmax, skew_max=skew_max, kurt_max=kurt_max)
    if rule == "winsorise":
        return winsorise_quantiles(x, *quantiles)
    s, k = skew_kurt(x)
    lv = int(np.unique(x[~np.isnan(x)]).size)
    return x.copy(), {"skew_before": s, "kurtosis_before": k, "treatment": "none", "points_winsorised": 0,
                      "side": "", "skew_after": s, "kurtosis_after": k, "levels_before": lv, "levels_after": lv}


# ---------------------------------------------------------------------------------------------
# Correlations and effective weights
# ---------------------------------------------------------------------------------------------


def pearson(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Pearson correlation over the pairs where both are known, and the number of pairs
    (NaN when fewer than 3 pairs or either side is constant)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    n = int(ok.sum())
    if n < 3:
        return np.nan, n
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = np.sqrt((x * x).sum() * (y * y).sum())
    return (float((x * y).sum() / den) if den > 0 else np.nan), n


WITHIN_MAX = 0.9
ACROSS_MAX = 0.8


def correlation_audit(indicators: pd.DataFrame, pillar_of: dict, pillars: pd.DataFrame,
                      indices: pd.DataFrame, index_of: dict) -> pd.DataFrame:
    """Every correlation a composite-indicator audit looks at, with the Handbook's flags.

    Parameters
    ----------
    indicators
        Regions × indicators, the values that enter the pillars (treated, direction applied,
        normalised).
    pillar_of
        Indicator id → pillar name.
    pillars
        Regions × pillar scores.
    indices
        Regions × index scores (``need_index``, ``capability_index``, ``score``).
    index_of
        Pillar → the headline index it belongs to.

    Returns
    -------
    DataFrame with ``kind`` (``indicator-indicator within``, ``indicator-indicator across``,
    ``indicator-pillar``, ``indicator-index``, ``pillar-index``, ``pillar-pillar``,
    ``index-index``), ``a``, ``b``, ``group_a``, ``group_b``, ``pearson``, ``n`` and ``flag``:
    ``|r| >= 0.9 within a pillar`` (the two measure the same thing), ``|r| >= 0.8 across
    pillars`` (one concept counted in two pillars), ``negative within a pillar`` (they pull
    against each other) or "".
    """
    rows = []
    ids = list(indicators.columns)
    # the columns as arrays once (each pair below reads two of them)
    col = {c: indicators[c].to_numpy(dtype=float) for c in ids}
    pcol = {c: pillars[c].to_numpy(dtype=float) for c in pillars.columns}
    kcol = {c: indices[c].to_numpy(dtype=float) for c in indices.columns}
    for x in range(len(ids)):
        for y in range(x + 1, len(ids)):
            a, b = ids[x], ids[y]
            r, n = pearson(col[a], col[b])
            same = pillar_of[a] == pillar_of[b]
            flag = ""
            if np.isfinite(r):
                if same and abs(r) >= WITHIN_MAX:
                    flag = f"|r| >= {WITHIN_MAX} within a pillar"
                elif same and r < 0:
                    flag = "negative within a pillar"
                elif not same and abs(r) >= ACROSS_MAX:
                    flag = f"|r| >= {ACROSS_MAX} across pillars"
            rows.append(("indicator-indicator " + ("within" if same else "across"), a, b,
                         pillar_of[a], pillar_of[b], r, n, flag))
    for a in ids:
        p = pillar_of[a]
        r, n = pearson(col[a], pcol[p])
        rows.append(("indicator-pillar", a, p, p, index_of.get(p, ""), r, n,
                     "negative with its own pillar" if np.isfinite(r) and r < 0 else ""))
        k = index_of.get(p)
        if k in indices.columns:
            r, n = pearson(col[a], kcol[k])
            rows.append(("indicator-index", a, k, p, k, r, n, ""))
    pl = list(pillars.columns)
    for x in range(len(pl)):
        for y in range(x + 1, len(pl)):
            r, n = pearson(pcol[pl[x]], pcol[pl[y]])
            rows.append(("pillar-pillar", pl[x], pl[y], index_of.get(pl[x], ""), index_of.get(pl[y], ""), r, n,
                         f"|r| >= {ACROSS_MAX} across pillars" if np.isfinite(r) and abs(r) >= ACROSS_MAX else ""))
    for p in pl:
        for k in indices.columns:
            r, n = pearson(pcol[p], kcol[k])
            rows.append(("pillar-index", p, k, index_of.get(p, ""), k, r, n, ""))
    ks = list(indices.columns)
    for x in range(len(ks)):
        for y in range(x + 1, len(ks)):
            r, n = pearson(kcol[ks[x]], kcol[ks[y]])
            rows.append(("index-index", ks[x], ks[y], ks[x], ks[y], r, n, ""))
    return pd.DataFrame(rows, columns=["kind", "a", "b", "group_a", "group_b", "pearson", "n", "flag"])


def effective_weights(components: pd.DataFrame, aggregate: pd.Series,
                      nominal: pd.Series | None = None) -> pd.DataFrame:
    """Effective weights ``r_i² / Σ r_j²`` of the components of one aggregate.

    Returns one row per component (index = the columns of ``components``): ``nominal``,
    ``pearson`` (r with the aggregate), ``r2`` and ``effective``.
    """
    r = np.array([pearson(components[c], aggregate)[0] for c in components.columns])
    r2 = np.where(np.isfinite(r), r * r, 0.0)
    tot = r2.sum()
    out = pd.DataFrame({
        "nominal": np.nan if nominal is None else nominal.reindex(components.columns).to_numpy(dtype=float),
        "pearson": r, "r2": r2, "effective": r2 / tot if tot > 0 else np.nan,
    }, index=components.columns)
    return out


def _effective(comp: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Effective weights of the columns of ``comp`` (n × k, complete rows) in ``comp @ w``."""
    agg = comp @ w
    c = comp - comp.mean(axis=0)
    a = agg - agg.mean()
    den = np.sqrt((c * c).sum(axis=0) * (a * a).sum())
    r = np.divide((c * a[:, None]).sum(axis=0), den, out=np.zeros(comp.shape[1]), where=den > 0)
    r2 = r * r
    return r2 / r2.sum() if r2.sum() > 0 else np.full(comp.shape[1], np.nan)


def solve_weights(components: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nominal weights (sum 1) of a weighted arithmetic mean whose effective weights come
    closest to ``target`` (normalised to sum 1), by least squares.

    ``components``: n × k normalised values; rows with a missing value are left out of the
    fit. Returns the weights and the effective weights they give.
    """
    from scipy.optimize import minimize

    comp = np.asarray(components, dtype=float)
    comp = comp[~np.isnan(comp).any(axis=1)]
    t = np.asarray(target, dtype=float)
    if comp.shape[1] != t.size or (t < 0).any() or t.sum() <= 0:
        raise InputError("bad target effective weights", expected=f"{comp.shape[1]} weights >= 0, not all 0",
                         got=t.tolist())
    t = t / t.sum()
    if t.size == 1:
        return np.ones(1), np.ones(1)

    def weights(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    def loss(z):
        return float(((_effective(comp, weights(z)) - t) ** 2).sum())

    z0 = np.log(np.maximum(t, 1e-6))
    best = minimize(loss, z0, method="Nelder-Mead",
                    options={"xatol": 1e-8, "fatol": 1e-14, "maxiter": 4000 * t.size})
    w = weights(best.x)
    return w, _effective(comp, w)


# ---------------------------------------------------------------------------------------------
# Sensitivity (Saltelli design)
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _resampling_weights(n: int, boot: int, seed: int) -> np.ndarray:
    """Counts of each of ``n`` rows in each of ``boot`` bootstrap resamples, the sample itself
    first, divided by ``n`` ((boot + 1) × n, read-only): the same for every output and call
    with these arguments."""
    rng = np.random.default_rng(seed)
    counts = np.vstack([np.ones(n), rng.multinomial(n, np.full(n, 1.0 / n), size=boot)]) / n
    counts.setflags(write=False)
    return counts


def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: list[np.ndarray], *, boot: int = 200,
                  seed: int = 0, level: float = 0.95, columns: np.ndarray | None = None) -> pd.DataFrame:
    """First- and total-order Sobol indices from a Saltelli design, pooled over outputs.

    Parameters
    ----------
    f_a, f_b
        Model outputs on the base matrices A and B: ``N`` rows (or ``N × m`` for ``m``
        outputs, e.g. the rank of each region).
    f_ab
        For each factor ``i``, the outputs on A with factor ``i`` taken from B.
    boot
        Bootstrap resamples of the ``N`` rows for the intervals.
    columns
        Optional boolean mask of the outputs to pool (default all).

    Returns
    -------
    One row per factor: ``first_order`` (Saltelli 2010: ``E[f_B (f_ABi − f_A)] / V``),
    ``total_order`` (Jansen 1999: ``E[(f_A − f_ABi)²] / 2V``), and their ``_lo``/``_hi``
    percentile bootstrap interval at ``level``. ``V`` is the variance of ``f`` over A and B;
    with several outputs numerators and variances are summed over outputs first.
    """
    def as2d(f):
        f = np.asarray(f, dtype=float)
        f = f[:, None] if f.ndim == 1 else f
        return f if columns is None else f[:, columns]

    a, b = as2d(f_a), as2d(f_b)
    n = a.shape[0]
    counts = _resampling_weights(n, boot, seed)
    # sums over outputs commute with the resampling, so only the means need a matrix product
    mean = counts @ ((a + b) / 2)
    msq = counts @ (((a * a) + (b * b)).sum(axis=1) / 2)
    var = np.maximum(msq - (mean * mean).sum(axis=1), 0.0)       # (boot + 1,)
    rows = []
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    for fab in f_ab:
        ab = as2d(fab)
        s1 = counts @ (b * (ab - a)).sum(axis=1)
        st = counts @ ((a - ab) ** 2).sum(axis=1) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            s1 = np.where(var > 0, s1 / var, 0.0)
            st = np.where(var > 0, st / var, 0.0)
        rows.append({"first_order": s1[0], "first_order_lo": np.quantile(s1[1:], lo_q) if boot else np.nan,
                     "first_order_hi": np.quantile(s1[1:], hi_q) if boot else np.nan,
                     "total_order": st[0], "total_order_lo": np.quantile(st[1:], lo_q) if boot else np.nan,
                     "total_order_hi": np.quantile(st[1:], hi_q) if boot else np.nan})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Tiers, at stake
# ---------------------------------------------------------------------------------------------


def tiers(rank_p50: np.ndarray, p_top: np.ndarray, n: int) -> np.ndarray:
    """A/B/C/D tiers from the rank interval and the probability of the top places.

    - **A**: in the top places (``p_top``, e.g. the top 10) in at least half of the draws;
    - **B**: otherwise, median rank in the top quarter (rank <= ceil(n / 4));
    - **C**: otherwise, median rank in the top half (rank <= ceil(n / 2));
    - **D**: the rest.

    A tier reads "where the region stands whatever the weights and methods", so regions whose
    ranks overlap mostly share a tier while a bare rank would split them.
    """
    r = np.asarray(rank_p50, dtype=float)
    p = np.asarray(p_top, dtype=float)
    out = np.full(r.shape, "D", dtype=object)
    out[r <= np.ceil(n * TIER_C_SHARE)] = "C"
    out[r <= np.ceil(n * TIER_B_SHARE)] = "B"
    out[p >= TIER_A_P_TOP] = "A"
    return out


def at_stake(need_index, size):
    """Manufacturing at stake: ``need_index / 100 × size`` (``size`` e.g. the region's
    manufacturing value added before the decline), in the unit of ``size``.

    A region whose whole base is at stake (need 100) counts with its whole base; a region with
    little manufacturing counts little, however steep its decline.
    """
    return np.asarray(need_index, dtype=float) / 100.0 * np.asarray(size, dtype=float)


# ---------------------------------------------------------------------------------------------
# The need × capability matrix
# ---------------------------------------------------------------------------------------------

QUADRANTS = {
    (True, True): ("거점 후보: 필요·역량 모두 높음", "Hub candidates: high need, high capability"),
    (True, False): ("지원 대상: 필요 높음·역량 낮음", "Spokes to serve: high need, low capability"),
    (False, True): ("역량 자원: 필요 낮음·역량 높음", "Capability to draw on: low need, high capability"),
    (False, False): ("관찰: 둘 다 낮음", "Watch: low need, low capability"),
}


def quadrant(need, capability, *, need_cut: float | None = None, capability_cut: float | None = None,
             lang: str = "en") -> pd.Series:
    """Quadrant label of each region; the cuts default to the medians."""
    need = pd.Series(need, dtype=float)
    cap = pd.Series(capability, dtype=float, index=need.index)
    nc = need.median() if need_cut is None else need_cut
    cc = cap.median() if capability_cut is None else capability_cut
    k = 0 if lang == "ko" else 1
    return pd.Series([QUADRANTS[(bool(a > nc), bool(b > cc))][k] for a, b in zip(need, cap)],
                     index=need.index, dtype=object)


def need_capability_matrix(scores: pd.DataFrame, *, label: pd.Series | None = None, n_labels: int = 12,
                           size: str | None = "at_stake", ax=None, title: str | None = None,
                           korean: bool = False):
    """The 2-D matrix: need index (x) × capability index (y), quadrants at the medians.

    Parameters
    ----------
    scores
        ``need_index`` and ``capability_index`` (and ``size`` for the marker area, if given).
    label
        Text per region (default ``name_ko`` if present): the ``n_labels`` regions with the
        largest ``size`` (or need) are labelled.
    ax
        A matplotlib axis to draw on (a new figure otherwise).
    korean
        Quadrant labels and axis titles in Korean and English (needs a font with Hangul).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    if ax is None:  # no pyplot: no global figure state, safe beside other threads
        fig = Figure(figsize=(8, 7))
        ax = fig.subplots()
    else:
        fig = ax.figure
    x = scores["need_index"].astype(float)
    y = scores["capability_index"].astype(float)
    xc, yc = x.median(), y.median()
    if size and size in scores.columns:
        s = scores[size].astype(float).fillna(0)
        area = 10 + 400 * (s / s.max() if s.max() > 0 else s)
        order = s.sort_values(ascending=False, kind="stable").index
    else:
        area = 25
        order = x.sort_values(ascending=False, kind="stable").index
    quad = quadrant(x, y)
    colours = {QUADRANTS[(True, True)][1]: "#c0392b", QUADRANTS[(True, False)][1]: "#e67e22",
               QUADRANTS[(False, True)][1]: "#2e86c1", QUADRANTS[(False, False)][1]: "#95a5a6"}
    ax.scatter(x, y, s=area, c=[colours[q] for q in quad], alpha=0.6, edgecolors="white", linewidths=0.5)
    ax.axvline(xc, color="grey", lw=0.8, ls="--")
    ax.axhline(yc, color="grey", lw=0.8, ls="--")
    for (hi_n, hi_c), (ko, en) in QUADRANTS.items():
        ax.text(0.98 if hi_n else 0.02, 0.98 if hi_c else 0.02, f"{ko}\n{en}" if korean else en,
                transform=ax.transAxes,
                ha="right" if hi_n else "left", va="top" if hi_c else "bottom", fontsize=8,
                color=colours[en])
    if label is None and "name_en" in scores.columns:
        label = scores["name_en"]
    if label is not None:
        for c in list(order[:n_labels]):
            ax.annotate(str(label.get(c, c)), (x[c], y[c]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xlabel(("필요 지수 · " if korean else "") + "Need index (manufacturing at stake), 0-100")
    ax.set_ylabel(("역량 지수 · " if korean else "") + "Capability index (base, knowledge, connectivity), 0-100")
    ax.set_xlim(-2, 102)
    ax.set_ylim(-2, 102)
    if title:
        ax.set_title(title)
    return fig


__all__ = ["treat", "treat_values", "ColumnMemo", "TREATED", "treat_column", "skew_kurt", "correlation_audit",
           "effective_weights", "solve_weights", "sobol_indices", "tiers", "at_stake", "quadrant", "need_capability_matrix", "pearson"]
