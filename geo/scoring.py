"""Composite index: normalise → weight → aggregate, and its rank uncertainty.

Follows the OECD/JRC *Handbook on Constructing Composite Indicators* (2008) and COINr.
Every choice comes from the scenario (:mod:`geo.scenario`).

Method
------
For every indicator of the scenario (raw values ``x`` over the regions that have one):

1. **Winsorising** (optional): clip ``x`` to its ``[lower, upper]`` quantiles (linear
   interpolation), computed on the raw values before anything else.
2. **Direction**: ``y = direction * x``, so higher ``y`` is always more need (need pillar) or
   more capability (the other pillars).
3. **Normalisation** (``n``):

   - ``minmax``: ``100 (y - min y) / (max y - min y)``; a constant column gives 50.
   - ``rank``: ``100 (r - 1) / (m - 1)`` with ``r`` the average rank of ``y`` among the ``m``
     regions that have a value (ties share their mean rank); a constant column gives 50.
   - ``zscore``: the z-score ``(y - mean) / sd`` (``sd`` with ``ddof=1``), shifted so that the
     lowest region is 0, i.e. ``(y - min y) / sd``; a constant column gives 0. Because z-scores
     have no fixed range, the *pillar* (step 4) is then multiplied by one factor per pillar so
     that its best region scores 100 (a pillar without any variation scores 50). With
     complete data the shift and the factor change no ranking: within a pillar the
     indicators still count in proportion to ``weight / sd``, which is what distinguishes
     z-scores from min-max (``weight / range``).

4. **Pillar score** ``s_p`` = weighted arithmetic mean of the normalised indicators of the
   pillar that the region has (weights renormalised over the available ones; see *missing
   data*). Within a pillar indicators measure one thing and may compensate each other, so the
   mean is always linear; the scenario's aggregation choice applies between pillars.
5. **Overall score** from the pillar scores and the pillar weights ``w`` (sum 1):

   - ``linear``: ``S = sum_p w_p s_p``;
   - ``geometric``: ``S = (exp(sum_p w_p ln(1 + 0.99 s_p)) - 1) / 0.99``, the weighted
     geometric mean computed on ``1 + 0.99 s`` (which runs from 1 to 100, so that a pillar
     score of 0 does not zero the product) and mapped back to 0–100. A weak pillar is then
     compensated less by a strong one: with two equal-weight pillars at 100 and 0 the linear
     score is 50, the geometric one 9.09.

   Scores are clipped to ``[0, 100]`` only to remove floating-point fuzz (1e-13).
6. **Rank**: 1 = highest overall score; scores equal to 1e-9 points share the best rank
   (``method="min"``). In the Monte Carlo draws such ties are broken by region code.

Missing data
------------
Never filled with zero. ``policy: error`` refuses any missing value of an indicator with a
positive weight. ``policy: mean_of_available`` averages the indicators the region has,
provided the share of the pillar's (positive-weight) indicators that is missing is at most
``max_missing_share``; otherwise :class:`~geo.errors.InputError` names the regions.

Contributions
-------------
``contrib_<id>`` is the number of overall-score points owed to an indicator; the
contributions of a region sum to its ``score`` (missing indicators show NaN, i.e. none).

- linear: ``contrib_i = w_p * c_i`` with ``c_i = v_i n_i / sum_avail v`` (times the pillar
  factor under z-scores) the indicator's points in its pillar score (``sum_i c_i = s_p``).
- geometric: the score is a product, which has no additive split. The score is shared among
  the pillars in proportion to their terms ``w_p ln(1 + 0.99 s_p)`` of the log of the product
  (the share of the geometric mean each pillar accounts for), and each pillar's share among
  its indicators in proportion to ``c_i / s_p``. These are exact shares of ``S`` but not
  marginal effects: raising one indicator changes the others' points too.

Uncertainty
-----------
:func:`monte_carlo` repeats the scoring ``draws`` times. Per draw: pillar weights from a
Dirichlet with mean equal to the scenario weights and concentration ``c`` (``alpha = c w``;
pillars with weight 0 stay at 0; e.g. with ``c = 20`` a weight of 0.25 has a 90 % range of
about 0.10–0.43); optionally indicator weights within each pillar likewise
(``indicator_concentration``); the normalisation and the aggregation drawn uniformly from
the scenario's lists. All random numbers are drawn up front from
``numpy.random.default_rng(seed)``, so a seed gives identical results. Regions are processed
in ``region_code`` order, which makes the results independent of the row order and breaks
ties in a draw's ranking by code.

Sensitivity: first-order (Sobol main-effect) share of the rank variance explained by each
pillar weight and by each method choice, ``V(E[R | X]) / V(R)``, by the given-data binned
estimator (Plischke, Borgonovo & Smith 2013): draws are sorted by the sampled weight into
``bins`` equal-count bins (for a method choice the bins are its options), the variance of the
bin means of the rank is taken and its finite-bin bias ``(B - 1) / N * MS_within`` (one-way
ANOVA; ``MS_within`` the pooled within-bin variance, ``B`` bins, ``N`` draws) is subtracted.
Dirichlet weights are dependent (they sum to 1), so the shares need not add to 1; what is left
over is interaction plus the indicator-weight perturbation. The shares are pooled over regions
(``sum_r V(E[R_r | X]) / sum_r V(R_r)``) and given per region as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from geo.errors import InputError
from geo.scenario import Scenario

_GEO_A = 0.99  # geometric mean on 1 + 0.99 s: maps 0..100 to 1..100


# ---------------------------------------------------------------------------------------------
# Preparation (checks, winsorising, direction)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    index: pd.Index
    ids: list[str]                  # every scenario indicator, pillar by pillar
    pillars: list[str]
    groups: list[np.ndarray]        # column positions of each pillar's indicators
    y: np.ndarray                   # n × K, winsorised, direction applied, NaN = missing
    avail: np.ndarray               # n × K bool
    v: np.ndarray                   # K fixed indicator weights (sum 1 within each pillar)
    w: np.ndarray                   # P pillar weights (sum 1)


def _prepare(values: pd.DataFrame, metadata: pd.DataFrame, scenario: Scenario) -> _Prepared:
    if not isinstance(values, pd.DataFrame):
        raise InputError("values must be a DataFrame", expected="DataFrame indexed by region_code",
                         got=type(values).__name__)
    if len(values) == 0:
        raise InputError("the values table has no regions", expected="at least one region")
    if not values.index.is_unique:
        dup = values.index[values.index.duplicated()].unique()[:5].tolist()
        raise InputError("duplicate region codes in the values index", expected="unique region_code",
                         got=dup)
    ids = list(scenario.indicator_ids)
    absent = [i for i in ids if i not in values.columns]
    if absent:
        raise InputError("indicator columns missing from the values table",
                         expected="every indicator the scenario names", got=absent,
                         hint="check the scenario's indicator ids against the indicator table")
    not_meta = [i for i in ids if i not in metadata.index]
    if not_meta:
        raise InputError("indicators missing from the metadata table", column="id", got=not_meta)
    if "direction" not in metadata.columns:
        raise InputError("metadata has no direction column", column="direction",
                         expected="+1 or -1 per indicator")
    direction = pd.to_numeric(metadata.loc[ids, "direction"], errors="coerce")
    bad = direction[~direction.isin([1, -1])]
    if len(bad):
        raise InputError("indicator direction must be +1 or -1", column="direction",
                         got=dict(zip(bad.index, metadata.loc[bad.index, "direction"])))
    raw = values[ids]
    non_num = [c for c in ids if not pd.api.types.is_numeric_dtype(raw[c])
               or pd.api.types.is_bool_dtype(raw[c])]
    if non_num:
        raise InputError("indicator columns must be numeric", expected="numbers", got=non_num)
    x = raw.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(x).any():
        cols = [ids[j] for j in np.where(np.isinf(x).any(axis=0))[0]]
        raise InputError("infinite indicator values", expected="finite numbers or NaN", got=cols)

    pillars = list(scenario.pillar_names)
    groups, v = [], np.zeros(len(ids))
    pos = {i: j for j, i in enumerate(ids)}
    for p in scenario.pillars:
        idx = np.array([pos[i] for i in p.indicators], dtype=int)
        groups.append(idx)
        for i, wi in p.indicator_weights().items():
            v[pos[i]] = wi
    w = np.array([scenario.pillar_weights()[p] for p in pillars])

    avail = ~np.isnan(x)
    used = v > 0
    empty = [ids[j] for j in range(len(ids)) if used[j] and not avail[:, j].any()]
    if empty:
        raise InputError("indicators with no values at all", expected="at least one region with a value",
                         got=empty, hint="drop them from the scenario or give them weight 0")
    opts = scenario.scoring
    if opts.missing == "error":
        holes = [(ids[j], int((~avail[:, j]).sum())) for j in range(len(ids))
                 if used[j] and not avail[:, j].all()]
        if holes:
            j = ids.index(holes[0][0])
            first = values.index[~avail[:, j]][:3].tolist()
            raise InputError(
                "missing indicator values with scoring.missing.policy 'error'",
                expected="no missing values",
                got={i: f"{k} regions" for i, k in holes},
                hint=f"e.g. {holes[0][0]} in {first}; or use policy 'mean_of_available'",
            )
    else:
        offenders = []
        for p, idx in zip(pillars, groups):
            u = idx[used[idx]]
            share = (~avail[:, u]).sum(axis=1) / len(u)
            for r in np.where(share > opts.max_missing_share)[0]:
                offenders.append(f"{values.index[r]} {p} {share[r]:.0%}")
        if offenders:
            raise InputError(
                f"regions missing more than {opts.max_missing_share:.0%} of a pillar's indicators",
                expected=f"at most scoring.missing.max_missing_share = {opts.max_missing_share}",
                got=offenders[:8] + ([f"... {len(offenders)} in all"] if len(offenders) > 8 else []),
                hint="raise max_missing_share or drop the sparse indicator from the pillar",
            )

    if opts.winsorise is not None:
        x = x.copy()
        for j in range(x.shape[1]):
            col = x[avail[:, j], j]
            if col.size:
                lo, hi = np.quantile(col, [opts.winsorise.lower, opts.winsorise.upper])
                x[:, j] = np.clip(x[:, j], lo, hi)
    y = x * direction.to_numpy(dtype=float)[None, :]
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is what is checked here
        spread = [(np.ptp(y[avail[:, j], j]), np.std(y[avail[:, j], j])) if avail[:, j].any() else (0, 0)
                  for j in range(len(ids))]
    huge = [j for j, (r, sd) in enumerate(spread) if not (np.isfinite(r) and np.isfinite(sd))]
    if huge:  # min-max and z-score would divide by infinity: NaN or all-zero scores
        col = raw[ids[huge[0]]].astype(float)
        raise InputError(
            f"indicator {ids[huge[0]]!r}: values too large to normalise (their range or standard "
            "deviation overflows a float)",
            expected="values whose spread fits in a float (rescale them, e.g. to thousands)",
            got=f"{col.min():.3g} to {col.max():.3g}",
        )
    return _Prepared(values.index, ids, pillars, groups, y, avail, v, w)


# ---------------------------------------------------------------------------------------------
# Kernels shared by score() and monte_carlo()
# ---------------------------------------------------------------------------------------------


def _normalise(y: np.ndarray, avail: np.ndarray, method: str) -> np.ndarray:
    """Normalised n × K matrix (NaN where missing)."""
    n = np.full_like(y, np.nan)
    for j in range(y.shape[1]):
        a = avail[:, j]
        col = y[a, j]
        if col.size == 0:
            continue
        if method == "minmax":
            lo, hi = col.min(), col.max()
            n[a, j] = 100.0 * ((col - lo) / (hi - lo)) if hi > lo else 50.0
        elif method == "rank":
            m = col.size
            n[a, j] = 100.0 * (rankdata(col) - 1.0) / (m - 1) if m > 1 else 50.0
        elif method == "zscore":
            sd = col.std(ddof=1) if col.size > 1 else 0.0
            n[a, j] = (col - col.min()) / sd if sd > 0 else 0.0
        else:  # pragma: no cover - the scenario validator admits only the three
            raise ValueError(method)
    return n


def _pillar_scores(prep: _Prepared, norm: np.ndarray, method: str, v: np.ndarray):
    """Pillar scores (P × n × D) for D indicator-weight vectors ``v`` (D × K, each pillar's
    part summing to 1), with the z-score factor per pillar and draw (P × D) and the flag of
    z-score pillars without variation (P × D; scored 50).
    """
    nz = np.where(prep.avail, norm, 0.0)  # masked: only available values enter the sums below
    n_reg, d = norm.shape[0], v.shape[0]
    scores = np.empty((len(prep.groups), n_reg, d))
    scale = np.ones((len(prep.groups), d))
    const = np.zeros((len(prep.groups), d), dtype=bool)
    for p, idx in enumerate(prep.groups):
        vp = v[:, idx].T                      # k_p × D
        s = nz[:, idx] @ vp                   # n × D
        gaps = ~prep.avail[:, idx].all(axis=1)
        if gaps.any():  # divide by the weight of the available indicators (1 where none is missing)
            s[gaps] /= prep.avail[np.ix_(gaps, idx)].astype(float) @ vp
        if method == "zscore":
            top = s.max(axis=0)
            const[p] = ~(top > 0)
            safe = np.where(const[p], 1.0, top)
            scale[p] = np.where(const[p], 1.0, 100.0 / safe)
            s = np.where(const[p][None, :], 50.0, 100.0 * (s / safe[None, :]))
        scores[p] = np.clip(s, 0.0, 100.0)  # float fuzz only (a mean of values in 0..100)
    return scores, scale, const


def _aggregate(scores: np.ndarray, w: np.ndarray, geometric: bool) -> np.ndarray:
    """Overall score n × D from pillar scores (P × n × D or P × n × 1) and weights D × P."""
    if scores.shape[2] == 1:
        s = scores[:, :, 0].T                 # n × P
        if geometric:
            out = np.expm1(np.log1p(_GEO_A * s) @ w.T) / _GEO_A
        else:
            out = s @ w.T
    elif geometric:
        out = np.expm1(np.einsum("pnd,dp->nd", np.log1p(_GEO_A * scores), w)) / _GEO_A
    else:
        out = np.einsum("pnd,dp->nd", scores, w)
    return np.clip(out, 0.0, 100.0)


# ---------------------------------------------------------------------------------------------
# Nominal scores
# ---------------------------------------------------------------------------------------------


def score(values: pd.DataFrame, metadata: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Pillar scores, overall score, rank and per-indicator contributions.

    Parameters
    ----------
    values
        Index ``region_code``; one column per indicator id (extra columns are ignored).
    metadata
        Index ``id``; column ``direction`` (+1 or -1). The pillar each indicator counts in
        is the scenario's choice, not the metadata's ``pillar`` column.
    scenario
        Weights, normalisation, aggregation, winsorising and missing-data policy.

    Returns
    -------
    DataFrame
        Indexed like ``values`` (same order): one column per scenario pillar (``need``,
        ``base``, ``knowledge``, ``connectivity``; 0–100), ``score`` (0–100), ``rank``
        (1 = best), ``n_missing`` (missing positive-weight indicators) and
        ``contrib_<id>`` per indicator (see the module docstring).

    Raises
    ------
    InputError
        Missing columns or metadata, bad directions, infinite values, or missing data the
        policy does not allow.
    """
    prep = _prepare(values, metadata, scenario)
    opts = scenario.scoring
    norm = _normalise(prep.y, prep.avail, opts.normalisation)
    scores, scale, const = _pillar_scores(prep, norm, opts.normalisation, prep.v[None, :])
    geometric = opts.aggregation == "geometric"
    total = _aggregate(scores, prep.w[None, :], geometric)[:, 0]
    s = scores[:, :, 0]                                        # P × n

    # points of each indicator in its pillar score (sum over the pillar = s_p)
    k = len(prep.ids)
    pts = np.full((len(values), k), np.nan)
    nz = np.where(prep.avail, norm, 0.0)
    for p, idx in enumerate(prep.groups):
        vp = prep.v[idx]
        den = prep.avail[:, idx].astype(float) @ vp
        if const[p, 0]:  # z-scores of a pillar without variation: 50 split by weight
            c = 50.0 * np.where(prep.avail[:, idx], vp[None, :], 0.0) / den[:, None]
        else:
            c = nz[:, idx] * vp[None, :] / den[:, None] * scale[p, 0]
        pts[:, idx] = np.where(prep.avail[:, idx], c, np.nan)

    pillar_of = np.empty(k, dtype=int)
    for p, idx in enumerate(prep.groups):
        pillar_of[idx] = p
    if geometric:
        terms = prep.w[:, None] * np.log1p(_GEO_A * s)            # P × n
        tsum = terms.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(tsum > 0, terms / tsum, 0.0)         # pillar share of the score
            within = np.where(s[pillar_of].T > 0, pts / s[pillar_of].T, 0.0)
        contrib = total[:, None] * share[pillar_of].T * within
        contrib = np.where(prep.avail, contrib, np.nan)
    else:
        contrib = prep.w[pillar_of][None, :] * pts

    # a new Index object, so that the caller's index keeps its name
    index = values.index.rename(values.index.name or "region_code")
    out = pd.DataFrame(s.T, index=index, columns=prep.pillars)
    out["score"] = total
    # scores within 1e-9 points tie (so float noise cannot order two equal scores)
    out["rank"] = out["score"].round(9).rank(method="min", ascending=False).astype(int)
    out["n_missing"] = (~prep.avail[:, prep.v > 0]).sum(axis=1)
    contrib_df = pd.DataFrame(contrib, index=index, columns=[f"contrib_{i}" for i in prep.ids])
    return pd.concat([out, contrib_df], axis=1)


# ---------------------------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uncertainty:
    """Result of :func:`monte_carlo`.

    Attributes
    ----------
    summary
        Index ``region_code`` (order of ``values``): ``rank_p05``, ``rank_p50``,
        ``rank_p95`` (empirical quantiles of the rank, Hyndman–Fan type 1, so always ranks
        that occurred), ``p_top10`` (share of draws with rank <= ``top``), ``score_mean``,
        ``score_sd``, ``rank_nominal`` (the rank of :func:`score`).
    sensitivity
        Index factor (``w_<pillar>``, ``normalisation``, ``aggregation``): ``first_order``
        (share of the rank variance of all regions together explained by the factor),
        ``first_order_top`` (the same over the contenders: regions with ``rank_p05 <= top``),
        ``p05``/``p95`` (range of a sampled weight; NaN for method choices). A factor that
        does not vary has share 0.
    sensitivity_by_region
        Region × factor first-order shares; NaN where the region's rank never moves.
    methods
        Index (factor, option), e.g. ("normalisation", "rank"), plus ("all", "all"):
        ``draws``, ``mean_abs_rank_shift`` (mean |rank − nominal rank| over draws and
        regions), ``top_overlap`` (mean share of the nominal top ``top`` still in a draw's
        top ``top``).
    weights
        Draw × pillar: the sampled pillar weights (each row sums to 1).
    indicator_weights
        Draw × indicator sampled weights, or None when they are fixed.
    normalisation, aggregation
        Per draw, the method used (arrays of str).
    ranks
        Draw × region (order of ``values``) rank matrix.
    draw_pillars, draw_score
        Pillar scores (dict pillar → array) and overall scores, each ``keep × n_regions``
        (order of ``values``), for the first ``keep`` draws; draws are independent, so these
        are a random sample of all draws (for re-solving the siting per draw).
    regions
        The column order of the per-draw arrays (= ``values.index``).
    """

    summary: pd.DataFrame
    sensitivity: pd.DataFrame
    sensitivity_by_region: pd.DataFrame
    methods: pd.DataFrame
    weights: pd.DataFrame
    indicator_weights: pd.DataFrame | None
    normalisation: np.ndarray
    aggregation: np.ndarray
    ranks: np.ndarray
    draw_pillars: dict
    draw_score: np.ndarray
    regions: pd.Index
    seed: int
    draws: int
    top: int

    @property
    def draw_need(self) -> np.ndarray:
        """Need pillar per kept draw (``keep × n_regions``)."""
        return self.draw_pillars["need"]


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray, d: int) -> np.ndarray:
    """Dirichlet draws; a single component is exactly 1 (no draw)."""
    if alpha.size == 1:
        return np.ones((d, 1))
    return rng.dirichlet(alpha, size=d)


def _draw(prep: _Prepared, scenario: Scenario, rng: np.random.Generator):
    u = scenario.uncertainty
    d = u.draws
    w = np.zeros((d, len(prep.w)))
    pos = prep.w > 0
    w[:, pos] = _dirichlet(rng, u.concentration * prep.w[pos], d)
    if u.indicator_concentration is None:
        v = None
    else:
        v = np.zeros((d, len(prep.ids)))
        for idx in prep.groups:
            sub = idx[prep.v[idx] > 0]
            v[:, sub] = _dirichlet(rng, u.indicator_concentration * prep.v[sub], d)
        if not (v[:, prep.v > 0] > 0).all():
            raise InputError("indicator weight draws underflowed to zero",
                             expected="a larger uncertainty.indicator_concentration",
                             got=u.indicator_concentration)
    norm_idx = rng.integers(0, len(u.normalisations), size=d)
    agg_idx = rng.integers(0, len(u.aggregations), size=d)
    return w, v, norm_idx, agg_idx


def _first_order(ranks: np.ndarray, labels: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Variance of the bin means of the rank minus its finite-bin bias, per region (n,).

    ANOVA form: ``between - (B - 1) / N * MS_within``, with ``between`` the (population)
    variance of the bin means and ``MS_within`` the pooled within-bin variance.
    """
    d = ranks.shape[0]
    o = np.argsort(labels, kind="stable")
    lab = labels[o]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    cnt = np.diff(np.r_[starts, d]).astype(float)
    sums = np.add.reduceat(ranks[o], starts, axis=0, dtype=np.int64)   # exact integer sums
    grand = sums.sum(axis=0) / d
    means = sums / cnt[:, None]
    between = ((cnt / d)[:, None] * (means - grand) ** 2).sum(axis=0)
    nb = len(starts)
    ms_within = d * np.maximum(var - between, 0.0) / max(d - nb, 1)
    return np.clip(between - (nb - 1) / d * ms_within, 0.0, var)


def monte_carlo(values: pd.DataFrame, metadata: pd.DataFrame, scenario: Scenario, *,
                top: int = 10, keep: int | None = None, bins: int = 20,
                chunk: int | None = None) -> Uncertainty:
    """Rank uncertainty over pillar weights and method choices.

    Parameters
    ----------
    values, metadata, scenario
        As for :func:`score`; ``scenario.uncertainty`` sets draws, seed, concentrations and
        the methods sampled.
    top
        The "top" of ``p_top10`` (kept under that column name for the output contract).
    keep
        Draws whose per-draw pillar and overall scores are kept (default
        ``scenario.siting.robustness_draws``).
    bins
        Bins of a sampled weight for the first-order estimator (fewer if there are fewer
        than 50 draws per bin).
    chunk
        Draws scored at once (default about half a million region-draws: cache-friendly and
        bounded memory at 읍면동 scale; the results do not depend on it, but for the
        rounding of ``score_mean``).

    Returns
    -------
    Uncertainty
    """
    order = np.argsort(np.asarray(values.index, dtype=str), kind="stable")
    sv = values.iloc[order]
    prep = _prepare(sv, metadata, scenario)
    u = scenario.uncertainty
    d, n = u.draws, len(sv)
    keep = min(scenario.siting.robustness_draws if keep is None else keep, d)
    chunk = int(np.clip(2**19 // n, 64, 2048)) if chunk is None else chunk
    if not (isinstance(chunk, (int, np.integer)) and chunk >= 1 and top >= 1):
        raise InputError("bad monte_carlo option", expected="chunk >= 1 and top >= 1",
                         got={"chunk": chunk, "top": top})
    rng = np.random.default_rng(u.seed)
    w, v, norm_idx, agg_idx = _draw(prep, scenario, rng)

    norms = {m: _normalise(prep.y, prep.avail, m) for m in u.normalisations}
    fixed = {}
    if v is None:  # indicator weights fixed: one pillar matrix per normalisation
        for m, nm in norms.items():
            fixed[m] = _pillar_scores(prep, nm, m, prep.v[None, :])[0]

    nominal = score(sv, metadata, scenario)["rank"].to_numpy()
    top_nom = nominal <= top
    rdtype = np.int16 if n < np.iinfo(np.int16).max else np.int32
    ranks = np.empty((d, n), dtype=rdtype)
    s_sum, s_sq = np.zeros(n), np.zeros(n)
    r_sum, r_sq, in_top = (np.zeros(n, dtype=np.int64) for _ in range(3))
    shift, overlap = np.empty(d), np.empty(d)   # per draw: mean |rank - nominal|, top overlap
    kept_p = np.empty((len(prep.pillars), keep, n))
    kept_s = np.empty((keep, n))
    steps = np.arange(1, n + 1, dtype=rdtype)[None, :]
    for a in range(0, d, chunk):
        b = min(a + chunk, d)
        total = np.empty((n, b - a))
        for mi, m in enumerate(u.normalisations):
            for gi, g in enumerate(u.aggregations):
                j = np.where((norm_idx[a:b] == mi) & (agg_idx[a:b] == gi))[0]
                if j.size == 0:
                    continue
                if v is None:
                    sc = fixed[m]
                else:
                    sc = _pillar_scores(prep, norms[m], m, v[a + j])[0]
                total[:, j] = _aggregate(sc, w[a + j], g == "geometric")
                kj = j[a + j < keep]
                if kj.size:
                    kept_p[:, a + kj, :] = (sc[:, :, np.searchsorted(j, kj)] if sc.shape[2] > 1
                                            else np.repeat(sc, kj.size, axis=2)).transpose(0, 2, 1)
        kk = max(0, min(b, keep) - a)
        if kk:
            kept_s[a:a + kk] = total[:, :kk].T
        s_sum += total.sum(axis=1)
        s_sq += (total * total).sum(axis=1)
        neg = -np.round(total.T, 9)                 # draws × regions; 1e-9 ties break by code
        rc = ranks[a:b]
        np.put_along_axis(rc, np.argsort(neg, axis=1, kind="stable"), steps, axis=1)
        r64 = rc.astype(np.int64)
        r_sum += r64.sum(axis=0)
        r_sq += (r64 * r64).sum(axis=0)
        hit = rc <= top
        in_top += hit.sum(axis=0)
        shift[a:b] = np.abs(r64 - nominal[None, :]).mean(axis=1)
        overlap[a:b] = (hit & top_nom[None, :]).sum(axis=1) / max(top_nom.sum(), 1)

    q = np.empty((3, n), dtype=int)
    for c in range(0, n, 256):  # blocks of regions: np.quantile works on a float copy
        q[:, c:c + 256] = np.quantile(ranks[:, c:c + 256], [0.05, 0.5, 0.95], axis=0,
                                      method="inverted_cdf")
    mean = s_sum / d
    summary = pd.DataFrame(
        {
            "rank_p05": q[0], "rank_p50": q[1], "rank_p95": q[2],
            "p_top10": in_top / d,
            "score_mean": mean,
            "score_sd": np.sqrt(np.maximum(s_sq / d - mean**2, 0.0)),
            "rank_nominal": nominal,
        },
        index=sv.index.rename(values.index.name or "region_code"),
    )

    # sensitivity: first-order shares
    var = np.maximum(r_sq / d - (r_sum / d) ** 2, 0.0)
    contenders = summary["rank_p05"].to_numpy() <= top
    nb = max(2, min(bins, d // 50))
    factors, rows, by_region = [], [], {}
    for p, name in enumerate(prep.pillars):
        col = w[:, p]
        varies = col.max() > col.min()
        labels = (np.argsort(np.argsort(col, kind="stable"), kind="stable") * nb) // d
        factors.append((f"w_{name}", labels, varies, *np.quantile(col, [0.05, 0.95])))
    for key, idx, opts in (("normalisation", norm_idx, u.normalisations),
                           ("aggregation", agg_idx, u.aggregations)):
        factors.append((key, idx, len(np.unique(idx)) > 1, np.nan, np.nan))
    for fname, labels, varies, lo, hi in factors:
        explained = _first_order(ranks, labels, var) if varies else np.zeros(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            by_region[fname] = np.where(var > 0, explained / var, np.nan)
        tot = var.sum()
        tot_top = var[contenders].sum()
        rows.append({
            "factor": fname,
            "first_order": explained.sum() / tot if tot > 0 else 0.0,
            "first_order_top": explained[contenders].sum() / tot_top if tot_top > 0 else 0.0,
            "p05": lo, "p95": hi,
        })
    sensitivity = pd.DataFrame(rows).set_index("factor")
    sens_region = pd.DataFrame(by_region, index=summary.index)

    # effect of each method option on the ranking
    mrows = [{"factor": "all", "option": "all", "draws": d,
              "mean_abs_rank_shift": shift.mean(), "top_overlap": overlap.mean()}]
    for key, idx, opts in (("normalisation", norm_idx, u.normalisations),
                           ("aggregation", agg_idx, u.aggregations)):
        for oi, opt in enumerate(opts):
            sel = idx == oi
            mrows.append({"factor": key, "option": opt, "draws": int(sel.sum()),
                          "mean_abs_rank_shift": shift[sel].mean() if sel.any() else np.nan,
                          "top_overlap": overlap[sel].mean() if sel.any() else np.nan})
    methods = pd.DataFrame(mrows).set_index(["factor", "option"])

    # back to the order of `values`
    back = np.argsort(order, kind="stable")
    return Uncertainty(
        summary=summary.iloc[back],
        sensitivity=sensitivity,
        sensitivity_by_region=sens_region.iloc[back],
        methods=methods,
        weights=pd.DataFrame(w, columns=prep.pillars).rename_axis("draw"),
        indicator_weights=None if v is None else pd.DataFrame(v, columns=prep.ids).rename_axis("draw"),
        normalisation=np.asarray(u.normalisations, dtype=object)[norm_idx],
        aggregation=np.asarray(u.aggregations, dtype=object)[agg_idx],
        ranks=ranks[:, back],
        draw_pillars={p: kept_p[i][:, back] for i, p in enumerate(prep.pillars)},
        draw_score=kept_s[:, back],
        regions=values.index,
        seed=u.seed,
        draws=d,
        top=top,
    )


__all__ = ["score", "monte_carlo", "Uncertainty"]
