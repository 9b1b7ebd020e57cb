"""Hub-and-spoke siting on the region tables: the DataFrame adapter and the pipeline's plan.

:func:`site_hubs` checks the units and the cost matrix and calls the array core
(:mod:`geo.solver`); :func:`choose_k_frame` compares k over a range. :func:`plan` is the
pipeline's siting: the demand (manufacturing at stake, :func:`demand_columns`), the capability
frontier, the price of every programme rule and ``placed_by``, the robustness families (core
and contested hubs) and each hub's best alternative. The solver's objective order and
algorithms are described in :mod:`geo.solver`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from geo.errors import InfeasibleError, InputError
from geo.solver import (DrawSolves, access_cost, capability_cost, choose_k, frontier_parts, pick_frontier,
                        selection_frequency, solve, solve_draws, swap_alternatives)

__all__ = ["site_hubs", "choose_k_frame", "demand_columns", "plan", "CORE_SHARE"]

# --------------------------------------------------------------------------------------------
# DataFrame adapter

_UNIT_COLUMNS = ("megaregion", "name_ko", "name_en")


def _codes(values, known: pd.Index, name: str) -> list:
    vals = [str(v) for v in (values or ())]
    unknown = [v for v in vals if v not in known]
    if unknown:
        raise InputError(f"{name} names unknown region codes", column=name,
                         expected="codes of the units table", got=unknown)
    return vals


def _per_group(value, labels: pd.Series, name: str) -> dict | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {str(g): v for g, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name} must be an integer or a dict 권역 -> integer", got=value)
    return {g: int(value) for g in labels.unique()}


def _frame_inputs(units, cost, *, demand, model, reach_km, max_spoke_km, per_megaregion_max,
                  per_megaregion_min, fixed, excluded, eligibility, near=None, near_min=None, matrix=None):
    """Checked arrays and solver constraints from the DataFrame inputs of :func:`site_hubs`
    (``matrix``: the cost matrix in the order of ``units``, already taken from ``cost``)."""
    missing = [c for c in (*_UNIT_COLUMNS, demand) if c not in units.columns]
    if missing:
        raise InputError("units lacks columns", expected=f"{[*_UNIT_COLUMNS, demand]}", got=missing)
    if not units.index.is_unique:
        dup = units.index[units.index.duplicated()].unique().tolist()
        raise InputError("units has duplicate region codes", got=dup[:5])
    codes = pd.Index([str(c) for c in units.index], name="region_code")
    need = pd.to_numeric(units[demand], errors="coerce").to_numpy(dtype=float)
    bad = codes[~np.isfinite(need)].tolist()
    if bad:
        raise InputError(f"demand has {len(bad)} missing or non-numeric values", column=demand,
                         expected="a number for every region", got=bad[:5],
                         hint="fill or drop them explicitly before siting")
    if (need < 0).any():
        raise InputError("demand has negative values", column=demand, expected=">= 0",
                         got=codes[need < 0].tolist()[:5])

    C = matrix if matrix is not None else _cost_matrix(cost, codes)

    elig = np.ones(len(codes), bool)
    for col, lo in (eligibility or {}).items():
        if col not in units.columns:
            raise InputError("eligibility names an unknown column", column=col,
                             expected="a column of units", got=col)
        v = pd.to_numeric(units[col], errors="coerce").to_numpy(dtype=float)
        nan = codes[np.isnan(v)].tolist()
        if nan:
            raise InputError(f"eligibility column has {len(nan)} missing values", column=col,
                             expected="a number for every region", got=nan[:5],
                             hint="fill or drop them explicitly before siting")
        elig &= v >= lo

    fx = _codes(fixed, codes, "fixed")
    ex = _codes(excluded, codes, "excluded")
    pos = pd.Series(np.arange(len(codes)), index=codes)
    mega = units["megaregion"].astype(str).set_axis(codes)
    subset = _near_mask(near, codes) if near_min else None
    constraints = dict(
        model=model, reach=reach_km, candidates=elig, fixed=pos[fx].to_numpy(),
        excluded=pos[ex].to_numpy(), group=mega.to_numpy(),
        group_max=_per_group(per_megaregion_max, mega, "per_megaregion_max"),
        group_min=_per_group(per_megaregion_min, mega, "per_megaregion_min"),
        max_distance=max_spoke_km, names=list(codes))
    if subset is not None:
        constraints.update(subset=subset, subset_min=int(near_min))
    return codes, C, need, fx, mega, constraints


def _cost_matrix(cost: pd.DataFrame, codes: pd.Index) -> np.ndarray:
    cm = cost.copy()
    cm.index = [str(c) for c in cm.index]
    cm.columns = [str(c) for c in cm.columns]
    for axis, have in (("rows", cm.index), ("columns", cm.columns)):
        lack = codes.difference(have)
        if len(lack):
            raise InputError(f"cost matrix {axis} lack units", expected="every region code of units",
                             got=lack.tolist()[:5])
    return cm.loc[codes, codes].to_numpy(dtype=float)


def _near_mask(near, codes: pd.Index) -> np.ndarray:
    """``near`` (bool Series on region codes) as a mask in the order of ``codes``."""
    if not isinstance(near, pd.Series):
        raise InputError("near_min needs near: a True/False Series on region codes", column="near",
                         expected="a boolean Series (e.g. geo.plan.near_organisation)", got=type(near).__name__)
    s = near.copy()
    s.index = [str(c) for c in s.index]
    lack = codes.difference(s.index)
    if len(lack):
        raise InputError("near lacks regions", column="near", expected="a value for every region code of units",
                         got=lack.tolist()[:5])
    v = s.reindex(codes)
    if v.dtype != bool:
        raise InputError("near must be True/False for every region", column="near", expected="bool",
                         got=str(v.dtype))
    return v.to_numpy(dtype=bool)


def choose_k_frame(units: pd.DataFrame, cost: pd.DataFrame, *, demand: str, k_range: Iterable[int],
                   share: float = 0.1, **kw) -> tuple[int, pd.DataFrame]:
    """:func:`choose_k` on the DataFrame inputs of :func:`site_hubs` (same keywords)."""
    _, C, need, _, _, constraints = _frame_inputs(units, cost, demand=demand, **{
        key: kw.get(key) for key in ("model", "reach_km", "max_spoke_km", "per_megaregion_max",
                                     "per_megaregion_min", "fixed", "excluded", "eligibility", "near",
                                     "near_min")})
    constraints = {k: v for k, v in constraints.items() if k != "model"}
    return choose_k(C, need, k_range, share=share, model=kw.get("model") or "pmedian", **constraints)


def site_hubs(units: pd.DataFrame, cost: pd.DataFrame, *, demand: str, k: int,
              model: str = "pmedian", reach_km: float | None = None,
              max_spoke_km: float | None = None, per_megaregion_max=None, per_megaregion_min=None,
              fixed: Iterable[str] = (), excluded: Iterable[str] = (),
              eligibility: Mapping[str, float] | None = None, method: str = "auto",
              time_limit: float | None = None, seed: int = 0,
              demand_draws: np.ndarray | None = None,
              open_cost: np.ndarray | None = None,
              start: Iterable[str] | None = None, near: pd.Series | None = None,
              near_min: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Site k hubs among the regions of ``units`` and assign every region to one.

    Parameters
    ----------
    units : DataFrame
        Index ``region_code``; columns megaregion, name_ko, name_en, the ``demand`` column
        and any eligibility columns.
    cost : DataFrame
        Distance in km, region_code x region_code, covering every unit (extra codes ignored).
    demand : str
        Column of ``units`` with the need of each region (>= 0, no NaN).
    k : int
        Number of hubs.
    model : {"pmedian", "mclp"}
    reach_km : float, optional
        Coverage radius: the objective of MCLP (required there); reported for both models.
    max_spoke_km : float, optional
        Regions farther than this from every hub stay unassigned (``covered`` False).
    per_megaregion_max, per_megaregion_min : int or dict 권역 -> int, optional
        At most / at least so many hubs per 권역 (an int applies to every 권역).
    fixed, excluded : iterable of region codes
        Regions that must / must not be hubs.
    eligibility : dict column -> minimum, optional
        A region can be a hub only if each column is >= its minimum (NaN is an error).
    method, time_limit, seed, open_cost
        As for :func:`solve` (``open_cost`` in the order of ``units``).
    start : iterable of region codes, optional
        Hubs of a similar solution to start the search from (as ``start`` of :func:`solve`).
    near, near_min : bool Series on region codes, int, optional
        Consolidation rule: at least ``near_min`` hubs where ``near`` is True (regions within
        reach of an existing organisation, :func:`geo.plan.near_organisation`).

    Returns
    -------
    hubs : DataFrame
        Index region_code, ordered by hub_rank (1 = most need served); columns hub_rank,
        name_ko, name_en, megaregion, fixed, n_spokes, spokes (';'-joined codes, the hub
        itself excluded), need_served (hub included), need_covered_within_reach,
        mean_spoke_distance_km, max_spoke_distance_km (NaN without spokes). ``hubs.attrs
        ["siting"]`` holds the objective, bounds, gap, optimality and method.
    assignments : DataFrame
        Index region_code (order of ``units``); columns name_ko, name_en, megaregion,
        hub_code (NA if uncovered), distance_km (NaN if uncovered), covered, is_hub,
        within_reach (NA without ``reach_km``), nearest_hub_code, nearest_hub_km.
    """
    codes, C, need, fx, mega, constraints = _frame_inputs(
        units, cost, demand=demand, model=model, reach_km=reach_km, max_spoke_km=max_spoke_km,
        per_megaregion_max=per_megaregion_max, per_megaregion_min=per_megaregion_min,
        fixed=fixed, excluded=excluded, eligibility=eligibility, near=near, near_min=near_min)
    st = None if start is None else [codes.get_loc(str(c)) for c in start if str(c) in codes]
    r = solve(C, need, k, method=method, time_limit=time_limit, seed=seed, open_cost=open_cost, start=st,
              **constraints)
    freq = None
    if demand_draws is not None:
        # Robustness: the same problem re-solved on each Monte Carlo draw of the demand
        # (eligibility held at its nominal value, so only the need weights move).
        freq = pd.Series(selection_frequency(C, demand_draws, k, seed=seed, open_cost=open_cost,
                                             **constraints),
                         index=codes, name="selection_frequency")

    hub_codes = codes[r.hubs]
    covered = r.assignment >= 0
    near = r.hubs[C[:, r.hubs].argmin(axis=1)]
    a = pd.DataFrame({
        "name_ko": units["name_ko"].to_numpy(), "name_en": units["name_en"].to_numpy(),
        "megaregion": mega.to_numpy(),
        "hub_code": pd.array(np.where(covered, codes[np.maximum(r.assignment, 0)], None), dtype="string"),
        "distance_km": r.distance,
        "covered": covered,
        "is_hub": codes.isin(hub_codes),
        "within_reach": (pd.array(covered & (np.nan_to_num(r.distance, nan=np.inf) <= reach_km),
                                  dtype="boolean") if reach_km is not None
                         else pd.array([pd.NA] * len(codes), dtype="boolean")),
        "nearest_hub_code": pd.array(codes[near], dtype="string"),
        "nearest_hub_km": C[np.arange(len(codes)), near],
    }, index=codes)

    rows = []
    for h in r.hubs:
        hc = codes[h]
        mine = covered & (r.assignment == h)
        spokes = mine & (codes != hc)
        d = r.distance[spokes]
        rows.append({
            "region_code": hc, "name_ko": units["name_ko"].iloc[h], "name_en": units["name_en"].iloc[h],
            "megaregion": mega.iloc[h], "fixed": hc in fx, "n_spokes": int(spokes.sum()),
            "spokes": ";".join(sorted(codes[spokes])), "need_served": float(need[mine].sum()),
            "need_covered_within_reach": (float(need[mine & (np.nan_to_num(r.distance, nan=np.inf)
                                                             <= reach_km)].sum())
                                          if reach_km is not None else np.nan),
            "mean_spoke_distance_km": float(d.mean()) if d.size else np.nan,
            "max_spoke_distance_km": float(d.max()) if d.size else np.nan,
        })
    hubs = pd.DataFrame(rows).set_index("region_code")
    if freq is not None:
        hubs["selection_frequency"] = freq.reindex(hubs.index)
        a["selection_frequency"] = freq
    hubs.insert(0, "hub_rank", hubs["need_served"].rank(ascending=False, method="first").astype(int))
    hubs = hubs.sort_values("hub_rank")
    hubs.attrs["siting"] = {
        "model": r.model, "k": int(k), "demand": demand, "objective": r.objective,
        "lower_bound": r.lower_bound, "upper_bound": r.upper_bound, "gap": r.gap,
        "optimal": r.optimal, "method": r.method, "uncovered_need": r.uncovered_weight,
        "reach_km": reach_km, "max_spoke_km": max_spoke_km,
    }
    return hubs, a


def _hub_codes(units: pd.DataFrame, cost: pd.DataFrame, *, demand: str, k: int, open_cost=None, start=None,
               **kw) -> list[str]:
    """The hubs of :func:`site_hubs` (same arguments, same order: by need served), without
    building its tables: the re-solves of a plan need only the set."""
    codes, C, need, _, _, constraints = _frame_inputs(units, cost, demand=demand, **kw)
    st = None if start is None else [codes.get_loc(str(c)) for c in start if str(c) in codes]
    r = solve(C, need, k, open_cost=open_cost, start=st, **constraints)
    covered = r.assignment >= 0
    served = [float(need[covered & (r.assignment == h)].sum()) for h in r.hubs]
    order = sorted(range(len(r.hubs)), key=lambda i: -served[i])  # stable: ties by column, as rank "first"
    return [str(codes[r.hubs[i]]) for i in order]


def demand_columns(units: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """``units`` with ``at_stake``, ``capability_index`` and ``uniform`` filled in if absent.

    at_stake = need pillar score / 100 × manufacturing value added 2015 (``mfg_va_2015``,
    million KRW): the manufacturing a region stands to lose. capability_index = mean of the
    base, knowledge and connectivity pillar scores (0–100). Columns already present (from the
    scoring stage) are kept as they are.
    """
    u = units.copy()
    if "at_stake" not in u.columns:
        if "mfg_va_2015" not in values.columns or "need" not in u.columns:
            raise InputError("at-stake demand needs the need pillar and mfg_va_2015", column="at_stake",
                             expected="need score and mfg_va_2015 for every region",
                             got=[c for c in ("need", "mfg_va_2015") if c not in (*u.columns, *values.columns)])
        va = pd.to_numeric(values["mfg_va_2015"].reindex(u.index), errors="coerce")
        u["at_stake"] = u["need"] / 100.0 * va
    if "capability_index" not in u.columns:
        have = [c for c in ("base", "knowledge", "connectivity") if c in u.columns]
        u["capability_index"] = u[have].mean(axis=1) if have else 0.0
    u["uniform"] = 1.0
    return u



# --------------------------------------------------------------------------------------------
# the pipeline's plan

# The memo of a plan (``memo``): its re-solves keyed by a digest of exactly their inputs, so a
# second plan that shares some of them (a notebook changing the pillar weights changes the
# index draws but not the frontier, the rules or the other families) reuses those results.
_MEMO_ENTRIES = 256  # hub sets and frames of a few hundred rows (a plan keeps about 16)


def _digest(*parts) -> str:
    """SHA-256 of nested inputs (frames, arrays, dicts, sequences, scalars), by value."""
    h = hashlib.sha256()

    def feed(x):
        if isinstance(x, (pd.DataFrame, pd.Series)):
            h.update(b"frame")
            feed([str(c) for c in x.columns] if isinstance(x, pd.DataFrame) else str(x.name))
            feed([str(i) for i in x.index])
            dtypes = list(x.dtypes) if isinstance(x, pd.DataFrame) else [x.dtype]
            feed([str(t) for t in dtypes])
            if all(isinstance(t, np.dtype) and t.kind in "biuf" for t in dtypes):  # numbers: their bytes
                one = isinstance(x, pd.Series) or len(set(dtypes)) == 1  # one block: its bytes at once
                for c in [x] if one else [x.iloc[:, i] for i in range(x.shape[1])]:
                    h.update(np.ascontiguousarray(c.to_numpy()).tobytes())
            else:
                h.update(pd.util.hash_pandas_object(x, index=False).to_numpy().tobytes())
        elif isinstance(x, np.ndarray):
            h.update(f"array{x.dtype}{x.shape}".encode())
            if x.dtype == object:
                feed(x.tolist())
            else:
                h.update(np.ascontiguousarray(x).tobytes())
        elif isinstance(x, Mapping):
            h.update(b"{")
            for k in sorted(x, key=str):
                feed(str(k))
                feed(x[k])
            h.update(b"}")
        elif isinstance(x, (list, tuple, pd.Index)) and all(type(v) is str for v in x):
            h.update(b"strs" + json.dumps(list(x), ensure_ascii=False).encode())  # one update, unambiguous
        elif isinstance(x, (list, tuple, pd.Index)):
            h.update(b"[")
            for v in x:
                feed(v)
            h.update(b"]")
        else:
            h.update(f"{type(x).__name__}:{x!r};".encode())

    feed(parts)
    return h.hexdigest()


def _memoised(memo: dict | None, parts: tuple, compute: Callable[[], object]):
    """``compute()``, or a copy of its value kept in ``memo`` under the digest of ``parts``
    (None: no memo).

    An infeasible re-solve (InfeasibleError, InputError) is remembered and raised again.
    """
    if memo is None:
        return compute()
    key = _digest(*parts)
    if key not in memo:
        try:
            _remember(memo, key, (True, compute()))
        except (InfeasibleError, InputError) as e:
            _remember(memo, key, (False, e))
    ok, value = memo.pop(key)
    memo[key] = (ok, value)  # most recently used last
    if not ok:
        raise copy.copy(value)
    return copy.deepcopy(value)


def _remember(memo: dict, key: str, entry: tuple) -> None:
    """Keep ``entry`` under ``key`` (a :func:`_digest`), the oldest entries going beyond the limit."""
    memo[key] = entry
    while len(memo) > _MEMO_ENTRIES:
        memo.pop(next(iter(memo)))


def _solve_missing(memo: dict, specs: list, parts: Callable, compute: Callable, *, draws=None,
                   extra: Callable | None = None):
    """Solve the re-solves of a plan that ``memo`` lacks, all at once on every core
    (:func:`geo.workers.share_map`), and remember them: the hub set of each spec ``(over,
    demand, k)`` and, if ``draws`` = (memo parts, DrawSolves factory, codes) is given, the
    index draws. Each re-solve depends on its own inputs only, so the result is the same on
    any number of cores. ``extra()`` (e.g. the frontier's ε-constraint points) runs beside
    them; its value is returned (the ε-constraint fill stops at a time budget of seconds,
    which a siting of a few hundred regions, at tens of milliseconds, does not reach)."""
    from geo.workers import share_map

    keys = {_digest(*parts(*sp)): sp for sp in specs}
    todo = [(key, sp) for key, sp in keys.items() if key not in memo]
    draws_key = None if draws is None else _digest(*draws[0])
    solves = None
    if draws is not None and draws_key not in memo:
        solves = draws[1]()
    items = ([("extra", None)] if extra is not None else []) + [("set", sp) for _, sp in todo]
    items += [("draw", d) for d in range(len(solves) if solves else 0)]

    def task(item):
        kind, x = item
        if kind == "extra":
            return extra()
        if kind == "draw":
            return solves(x)
        try:
            return True, compute(*x)
        except (InfeasibleError, InputError) as e:
            return False, e

    out = share_map(task, items)
    value = out.pop(0) if extra is not None else None
    for (key, _), entry in zip(todo, out):
        _remember(memo, key, entry)
    if solves is not None:
        _remember(memo, draws_key, (True, [list(draws[2][h]) for h in out[len(todo):]]))
    return value


def _chosen_point(fr: pd.DataFrame, rule) -> int:
    """Row of the frontier the plan uses: the rule (:func:`pick_frontier`) among the supported
    points. The hub table and every re-solve use the chosen point's trade-off mu, which only a
    supported point has: an ε-constraint point (mu NaN) is shown but not chosen."""
    supported = np.flatnonzero(fr["mu"].notna().to_numpy())
    return int(supported[pick_frontier(fr.iloc[supported].reset_index(drop=True), rule)])


_HUB_INDEX_COLUMNS = ("need_index", "need_rank", "need_tier", "capability_rank", "capability_tier")
CORE_SHARE = 0.8  # a hub chosen in at least this share of the re-solves (families averaged) is "core"

_RULE_LABELS = {
    "per_megaregion_max": "per_megaregion.max", "per_megaregion_min": "per_megaregion.min",
    "max_spoke_km": "max_spoke", "fixed": "fixed", "excluded": "excluded", "near_min": "near_organisation",
}


def plan(units: pd.DataFrame, cost: pd.DataFrame, *, demand: str, k: int, capability: str = "capability_index",
         frontier_rule=("knee", None), frontier_points: int = 8, draws: dict | None = None,
         memo: dict | None = None, **kw) -> dict:
    """The siting with its capability trade-off, the price of every rule and robustness families.

    Parameters
    ----------
    units, cost, demand, k, **kw
        As for :func:`site_hubs` (``kw``: model, reach_km, max_spoke_km, per_megaregion_max,
        per_megaregion_min, fixed, excluded, eligibility, near, near_min).
    capability : str
        Column of ``units`` with each region's capability (0–100).
    frontier_rule
        Passed to :func:`pick_frontier`; the chosen point's trade-off (mu) is then used for
        the hub table, the price of each rule and every re-solve.
    draws : dict, optional
        ``{"demand": array (n_draws, n_regions), "capability": array (same shape)}`` (order of
        ``units``): Monte Carlo draws of the two indices, re-solved together as the family
        "index draws".
    memo : dict, optional
        Re-solves of earlier plans in this process, by a digest of their inputs (filled here;
        the pipeline's in-memory runs pass their cache's): the frontier, each re-solve of the
        rules and families and the index draws are taken from it when their inputs are equal.

    Returns
    -------
    dict with hubs, assignments (as :func:`site_hubs`; hubs also with placed_by, capability,
    best alternative and swap cost, freq_<family>, freq_combined, robustness (core /
    contested), contested_alternatives), frontier, policy_costs, robustness (region x family
    selection frequency) and info (the solve: model, k, bounds, gap, method, trade-off).
    """
    cap = pd.to_numeric(units[capability], errors="coerce").to_numpy(float)
    if not np.isfinite(cap).all():
        raise InputError("capability has missing values", column=capability, expected="a number for every region",
                         got=units.index[~np.isfinite(cap)].tolist()[:5])
    keys = ("model", "reach_km", "max_spoke_km", "per_megaregion_max", "per_megaregion_min", "fixed",
            "excluded", "eligibility", "near", "near_min")
    kw = {key: kw.get(key) for key in keys}
    model = kw["model"] = kw.get("model") or "pmedian"
    # only the columns read below, so that the memo keys hold exactly what the results depend on
    used = dict.fromkeys((*_UNIT_COLUMNS, demand, capability, "at_stake", "need", "uniform", "sido_name_ko",
                          *_HUB_INDEX_COLUMNS, *(kw["eligibility"] or {})))
    units = units[[c for c in used if c in units.columns]]
    inputs = _digest(units, cost, kw, demand, capability)
    memo = {} if memo is None else memo  # without one, a memo of this plan's own re-solves

    def arrays(over: dict, dem: str = demand):
        a = {**kw, **over}
        codes, C, need, _, mega, cons = _frame_inputs(units, cost, demand=dem, **a)
        return codes, C, need, mega, {key: v for key, v in cons.items() if key != "model"}

    codes, C, need, mega, cons = arrays({})
    fr_parts, fill = ("frontier", inputs, k, frontier_points), None
    fr_key = _digest(*fr_parts)
    if model == "pmedian":
        if fr_key in memo:
            fr = _memoised(memo, fr_parts, lambda: None)
        else:
            # The supported points fix mu; the ε-constraint points between them are solved
            # below, beside the re-solves that need mu.
            try:
                fr, fill = frontier_parts(C, need, k, cap, n_points=frontier_points, **cons)
            except (InfeasibleError, InputError) as e:
                _remember(memo, fr_key, (False, e))
                raise
            if fill is None:
                _remember(memo, fr_key, (True, copy.deepcopy(fr)))
        chosen = _chosen_point(fr, frontier_rule)
        mu = float(fr.loc[chosen, "mu"])
        chosen_hubs = fr.loc[chosen, "hubs"]
        # the chosen point solved this very problem: its hubs start (and usually prove) the hub table
        start = list(codes[[int(x) for x in chosen_hubs.split(";")]])
    else:  # MCLP: no trade-off (open costs apply to the p-median only)
        fr, mu, start = pd.DataFrame(), 0.0, None
    f = capability_cost(cap, mu) if mu > 0 else None

    first: list = []

    def set_parts(over: dict, dem: str, kk: int) -> tuple:
        return ("set", inputs, over, dem, kk, f, first)

    def set_compute(over: dict, dem: str, kk: int) -> list[str]:
        return _hub_codes(units, cost, demand=dem, k=kk, open_cost=f, start=first or None, matrix=C,
                          **{**kw, **over})

    def hub_set(over: dict | None = None, *, dem: str = demand, kk: int = k) -> list[str]:
        over = over or {}
        return _memoised(memo, set_parts(over, dem, kk), lambda: set_compute(over, dem, kk))

    hubs, assign = _memoised(memo, ("site", inputs, k, f, start), lambda: site_hubs(units, cost, demand=demand, k=k,
                                                                         open_cost=f, start=start, **kw))
    first.extend(hubs.index)
    nominal = list(hubs.index)
    hub_idx = [codes.get_loc(c) for c in nominal]
    access = access_cost(C, need, hub_idx)
    cap_mean = float(cap[hub_idx].mean())

    # Price of each rule: the same model (same trade-off) without it. access = demand-weighted
    # cost of every region to its nearest hub, capability = mean hub capability: the two axes
    # a committee reads (a rule can improve one while it costs the other); objective = access
    # plus the capability term of the trade-off, over every region (the solver puts coverage
    # first, so a rule that changes coverage can also lower this).
    rules = []
    for key in ("per_megaregion_max", "per_megaregion_min", "max_spoke_km", "fixed", "excluded", "near_min"):
        if kw.get(key):
            rules.append((_RULE_LABELS[key], {key: () if key in ("fixed", "excluded") else None}))
    elig = dict(kw["eligibility"] or {})
    for col in elig:
        rules.append((f"eligibility.min_{col}", {"eligibility": {c: v for c, v in elig.items() if c != col}}))
    if len(rules) > 1:  # rules that force a hub only together (each alone is redundant)
        together = {}
        for _, over in rules:
            together.update(over)
        together["eligibility"] = {}
        rules.append(("all rules together", together))
    elig_sets = [{"eligibility": {c: v + delta for c, v in elig.items()}} for delta in (-5, 5)] if elig else []
    group_off = ({"per_megaregion_max": None, "per_megaregion_min": None}
                 if kw.get("per_megaregion_max") or kw.get("per_megaregion_min") else None)
    alt_demands = [dem for dem in ("at_stake", "need", "uniform") if dem != demand and dem in units.columns]
    specs = ([(over, demand, k) for _, over in rules] + [({}, dem, k) for dem in alt_demands]
             + [(over, demand, k) for over in elig_sets] + [({}, demand, k + dk) for dk in (-1, 1)]
             + ([(group_off, demand, k)] if group_off else []))
    Wd = fd = None
    if draws and draws.get("demand") is not None:
        Wd = np.asarray(draws["demand"], dtype=float)
        Cd = draws.get("capability")
        if f is not None and Cd is not None:
            fd = np.array([capability_cost(np.asarray(c, float), mu) for c in Cd])
    draw_parts = ("index draws", inputs, k, Wd, f, fd)
    full = _solve_missing(memo, specs, set_parts, set_compute,
                          draws=None if Wd is None else (draw_parts, lambda: DrawSolves(
                              C, Wd, k, model=model, open_cost=f, open_cost_draws=fd, start=hub_idx, **cons),
                              codes), extra=fill)
    if fill is not None:
        _remember(memo, fr_key, (True, copy.deepcopy(full)))
        fr = full
        if fr.loc[_chosen_point(fr, frontier_rule), "hubs"] != chosen_hubs:  # not met so far: the
            # rule chose differently on the whole frontier, so plan again with it (now in the memo)
            return plan(units, cost, demand=demand, k=k, capability=capability, frontier_rule=frontier_rule,
                        frontier_points=frontier_points, draws=draws, memo=memo, **kw)
    if len(fr):
        fr["chosen"] = fr["hubs"].to_numpy() == chosen_hubs
        fr.insert(int(fr.columns.get_loc("hubs")), "hub_codes",
                  [";".join(codes[[int(x) for x in h.split(";")]]) for h in fr["hubs"]])
        fr = fr.drop(columns="hubs")

    placed, prow = {c: [] for c in nominal}, []
    kept = {c: [] for c in nominal}  # spokes the spoke time limit keeps within reach through this hub
    limit = cons.get("max_distance")
    for label, over in rules:
        try:
            s2 = hub_set(over)
        except InfeasibleError:
            continue
        i2 = [codes.get_loc(c) for c in s2]
        acc2, cap2 = access_cost(C, need, i2), float(cap[i2].mean())
        only = sorted(set(nominal) - set(s2))
        for c in only:
            if label != "all rules together" or not placed[c]:
                placed[c].append(label)
        if label == "max_spoke" and limit is not None:
            # within the limit of a hub now, beyond it from every hub of the solution without the rule
            saved = (C[:, hub_idx].min(axis=1) <= limit) & (C[:, i2].min(axis=1) > limit)
            for c in only:
                kept[c] = list(codes[saved & (assign["hub_code"].astype(object) == c).to_numpy()])
        fo = np.zeros(len(codes)) if f is None else f
        obj1, obj2 = access + float(fo[hub_idx].sum()), acc2 + float(fo[i2].sum())
        prow.append({"rule": label, "objective_with": obj1, "objective_without": obj2,
                     "d_objective_pct": 100 * (obj1 - obj2) / obj2 if obj2 else 0.0,
                     "access_with": access, "access_without": acc2,
                     "d_access_pct": 100 * (access - acc2) / acc2 if acc2 else 0.0,
                     "capability_with": cap_mean, "capability_without": cap2, "d_capability": cap_mean - cap2,
                     "hubs_moved": len(only), "hubs_only_with_rule": ";".join(only),
                     "hubs_without_rule": ";".join(sorted(set(s2) - set(nominal)))})
    policy = pd.DataFrame(prow, columns=["rule", "objective_with", "objective_without", "d_objective_pct",
                                         "access_with", "access_without", "d_access_pct",
                                         "capability_with", "capability_without", "d_capability",
                                         "hubs_moved", "hubs_only_with_rule", "hubs_without_rule"])

    # robustness families: re-solve over what is uncertain
    fam: dict[str, list[list]] = {}
    if Wd is not None:
        fam["index draws"] = _memoised(memo, draw_parts, lambda: [  # solved above, unless evicted since
            list(codes[h]) for h in solve_draws(C, Wd, k, model=model, open_cost=f, open_cost_draws=fd,
                                                start=hub_idx, **cons)])
    fam["demand definition"] = [hub_set(dem=dem) for dem in alt_demands]
    sets = []
    for over in elig_sets:
        try:
            sets.append(hub_set(over))
        except InfeasibleError:
            pass
    fam["thresholds ±5"] = sets
    sets = []
    for dk in (-1, 1):
        try:
            sets.append(hub_set(kk=k + dk))
        except (InfeasibleError, InputError):
            pass
    fam["k ± 1"] = sets
    if group_off:
        try:
            fam["권역 rule off"] = [hub_set(group_off)]
        except InfeasibleError:
            pass
    fam = {name: s for name, s in fam.items() if s}
    at = {c: i for i, c in enumerate(codes)}

    def share(sets: list[list]) -> np.ndarray:  # per region, the share of the sets holding it
        hits = np.zeros(len(codes))
        for x in sets:
            hits[[at[c] for c in set(x)]] += 1
        return hits / len(sets)

    freq = pd.DataFrame({name: share(ss) for name, ss in fam.items()}, index=codes)
    freq["combined"] = freq.mean(axis=1)  # every family counts equally, however many re-solves it has

    # per hub: placed_by, capability, best alternative and swap cost, frequencies
    e_mask = np.asarray(cons["candidates"], bool).copy()
    e_mask[np.asarray(cons["excluded"], dtype=np.int64)] = False
    asg = np.array([at[h] if isinstance(h, str) else -1 for h in assign["hub_code"].astype(object)])
    alts = swap_alternatives(C, need, hub_idx, cap, e_mask, mega.to_numpy(), asg,
                             max_distance=cons.get("max_distance"), group_max=cons.get("group_max"),
                             group_min=cons.get("group_min"), subset=cons.get("subset"),
                             subset_min=cons.get("subset_min", 0))
    hubs = hubs.copy()
    hubs["placed_by"] = ["fixed" if hubs.loc[c, "fixed"] else ("; ".join(placed[c]) or "optimisation")
                         for c in nominal]
    hubs["kept_within_spoke_limit"] = [";".join(kept[c]) for c in nominal]
    hubs["capability"] = cap[hub_idx]
    if cons.get("subset_min"):
        hubs["near_organisation"] = np.asarray(cons["subset"], bool)[hub_idx]
    if demand == "at_stake":
        hubs["at_stake_served"] = hubs["need_served"]
    for col in _HUB_INDEX_COLUMNS:
        if col in units.columns:
            hubs[col] = units.loc[nominal, col].to_numpy()
    hubs["best_alternative"] = [codes[a["alt"]] if a["alt"] >= 0 else "" for a in alts]
    label = (units["sido_name_ko"].astype(str) + " " + units["name_ko"].astype(str)
             if "sido_name_ko" in units.columns else units["name_ko"].astype(str))
    hubs["best_alternative_name"] = [label.iloc[a["alt"]] if a["alt"] >= 0 else "" for a in alts]
    hubs["swap_d_access_pct"] = [a["d_access_pct"] for a in alts]
    hubs["swap_d_capability"] = [a["d_capability"] for a in alts]
    for name in freq.columns:
        hubs[f"freq_{name}"] = freq[name].reindex(nominal).to_numpy()
    hubs["robustness"] = np.where(hubs["freq_combined"] >= CORE_SHARE, "core", "contested")
    hubs["selection_frequency"] = hubs["freq_combined"]  # the maps and the report read this name
    others = freq["combined"].drop(index=nominal).sort_values(ascending=False, kind="stable")
    alt_txt = []
    for c in nominal:
        if hubs.loc[c, "robustness"] == "core":
            alt_txt.append("")
            continue
        same = others[(mega.reindex(others.index).to_numpy() == mega[c]) & (others.to_numpy() > 0)].iloc[:3]
        alt_txt.append(";".join(f"{x}:{v:.2f}" for x, v in same.items()))
    hubs["contested_alternatives"] = alt_txt
    info = {**hubs.attrs.pop("siting", {}), "capability_mu": mu, "access_cost": access,
            "mean_capability": cap_mean, "robustness_families": {name: len(s) for name, s in fam.items()}}
    return {"hubs": hubs, "assignments": assign, "frontier": fr, "policy_costs": policy, "robustness": freq,
            "info": info}
