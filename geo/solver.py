"""The siting solver core on plain arrays: p-median and MCLP under the programme rules.

``cost`` is an ``(n_demand, n_candidate)`` matrix (kilometres or minutes) and ``weight`` the
demand of each row. :func:`solve` handles the p-median model (minimise demand-weighted cost to
the nearest hub) and the maximal covering location problem (MCLP: maximise the demand within
``reach`` of a hub) with the programme constraints: hubs fixed in advance, excluded or
ineligible candidates, at most / at least so many hubs per group (권역), at least m hubs from
a set of candidates (``subset``, e.g. those near an existing organisation: consolidation rather
than new building), and a maximum spoke cost. :func:`choose_k` and :func:`selection_frequency`
support the choice of k and re-solves over demand draws (:func:`solve_draws`); :func:`frontier`
and :func:`pick_frontier` give the access–capability trade-off, :func:`swap_alternatives` each
hub's best replacement, and :func:`read_orlib_pmedian` reads the OR-Library benchmark instances. The DataFrame adapter
and the pipeline's siting plan are in :mod:`geo.siting`, the committee prose in :mod:`geo.explain`.

How the objective is ordered (lexicographic)
--------------------------------------------
Every model is a sequence of criteria compared in order; a later one only breaks ties in the
earlier ones:

* ``model="mclp"``: (1) maximise the need within ``reach``; (2) with ``max_distance``,
  maximise the need within ``max_distance``; (3) minimise the need-weighted distance.
* ``model="pmedian"``: (1) with ``max_distance``, maximise the need within ``max_distance``;
  (2) minimise the need-weighted distance of the covered demand.

A demand farther than ``max_distance`` from every open hub is *uncovered*: it is reported in
``SitingResult.uncovered`` with assignment -1 and is never counted as served. Coverage comes
first because a programme rule ("every spoke within D km of its hub") is a constraint the
planners hold, not a cost to trade against kilometres: no saving in distance elsewhere can
justify leaving more need outside the limit. A penalty per uncovered unit would make the
answer depend on an arbitrary penalty size, and a penalty large enough to be safe ruins the
numerics of the distance criterion. Within the lexicographic order the uncovered need is a
fixed total, so the distance criterion equals the distance with costs capped at
``max_distance`` minus a constant; the solvers use that capped form.

Algorithms
----------
* Heuristic: greedy construction, then steepest-descent vertex substitution (swap one open
  hub for one closed candidate), every swap of a step evaluated at once with numpy from the
  nearest and second-nearest open hub of each demand (Whitaker's fast interchange).
  Constraint-aware throughout (fixed hubs never leave, group counts stay within bounds, the
  subset keeps its minimum: a column enters only if the set can still be completed).
* Lower bound: Lagrangian relaxation of the assignment constraints with subgradient steps
  (Beasley 1993), the relaxed subproblem solved exactly under the fixed and group constraints
  and the subset rule (greedy on the group matroid, then the cheapest swaps into the subset);
  every relaxed hub set is also tried as a solution. In heuristic mode, if the bound has not
  met the incumbent, seeded perturbation rounds follow (iterated local search). At 읍면동 scale
  the bound is the evidence for "within x %" (``gap``).
* Exact (``method="exact"``, the default up to 400,000 matrix cells): the Lagrangian bound
  often proves the heuristic optimal by itself; otherwise reduced-cost fixing drops candidates
  that cannot be in any solution as good as the incumbent, and HiGHS (:func:`scipy.optimize.milp`)
  searches what is left for a better incumbent: a covering model for the coverage criteria,
  and for the distance the radius formulation of Elloumi (2010) / García, Labbé & Marín (2011)
  over the sorted distinct distances of each demand (truncated at the incumbent's distances
  when large, and extended where the optimum reaches the cut).
* Proof: a result is ``optimal`` only when a lower bound that we compute ourselves meets the
  incumbent's objective, re-evaluated in numpy from its hubs, within 1e-9 relative (integer
  costs: the bound, rounded up, equals it). The bound is the Lagrangian one, and when it does
  not close, our own branch and bound on Lagrangian bounds (:func:`_branch_and_bound`); the
  MILP's dual bound is a claim of the solver (tolerances and all) and is never used as proof.
  HiGHS once returned OR-Library pmed18 at 4811 "optimal" (optimum 4809) with a too tight
  ``mip_feasibility_tolerance``; that can no longer pass as a proof.
* Open costs (``open_cost``): a cost per opened candidate added to the distance criterion;
  the capability trade-off (:func:`frontier`) uses it.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import LinearConstraint, milp

from geo.errors import InfeasibleError, InputError

__all__ = ["SitingResult", "solve", "choose_k", "selection_frequency", "DrawSolves", "solve_draws",
           "read_orlib_pmedian", "access_cost", "capability_cost", "frontier", "pick_frontier", "swap_alternatives"]

_REL_TOL = 1e-9  # relative tolerance for "proven optimal"
# HiGHS searches for the incumbent only (the proof is our own, see _branch_and_bound), so it
# runs at its default feasibility tolerances: tightening mip_feasibility_tolerance below what
# its LP solves deliver (1e-10 against 1e-7) made it prune good nodes and return a worse
# solution as optimal (OR-Library pmed18: 4811 for 4809). The objective is scaled to ~1e6 so
# that the absolute gap below stops far past the 1e-9 relative level.
_HIGHS_TOLERANCES = {"mip_abs_gap": 1e-9}
_AUTO_EXACT_CELLS = 400_000  # method="auto" solves exactly up to this many demand x candidate cells
_ILS_CHAINS = 3  # heuristic: independent iterated-local-search chains
_PERTURB_ROUNDS = 100  # heuristic: iterated local search stops after this many rounds without progress
# subgradient steps: the first step size, halved after so many steps without progress, down to the last
_PI0, _STALL, _PI_MIN = 2.0, 30, 1e-5
_BB_MAX_NODES = 20_000  # our branch and bound gives up (no proof) after this many nodes ...
_BB_QUICK_NODES = 200  # ... and on this many before the MILP's incumbent search
_KERNELS = True  # Lagrangian steps in compiled code (geo.kernels) ...
_KERNEL_CELLS = 200_000  # ... up to this many cells (beyond, the row-prefix steps below visit fewer)
_LAGRANGE_ITER = 1000  # subgradient steps (fewer leave the exact MILP with weaker fixing: slower)
_DENSE_RHO_CELLS = 30_000  # Lagrangian steps on the whole matrix up to this many cells, else on row prefixes


@dataclass(frozen=True)
class SitingResult:
    """Outcome of :func:`solve`.

    Attributes
    ----------
    hubs
        Candidate column indices of the open hubs, sorted.
    assignment
        Per demand row, the column index of its hub (the nearest open hub), or -1 if the row
        is uncovered (farther than ``max_distance`` from every hub).
    distance
        Per demand row, the distance to its hub (NaN if uncovered).
    objective
        p-median: need-weighted distance of the covered demand (need x km), plus the open
        costs of the hubs when ``open_cost`` is given.
        MCLP: need within ``reach`` of a hub.
    lower_bound, upper_bound
        The optimum lies in ``[lower_bound, upper_bound]``. For p-median ``upper_bound`` is the
        objective; for MCLP (a maximisation) ``lower_bound`` is. NaN when no bound is known
        (a heuristic run whose coverage criterion could not be proven).
    optimal
        True only when every criterion is proven optimal (bounds within 1e-9 relative).
    gap
        ``(upper_bound - lower_bound) / |objective|`` (0 when proven, NaN if unknown).
    method
        "exact" or "heuristic".
    uncovered
        Demand rows farther than ``max_distance`` from every open hub.
    uncovered_weight
        Their total need.
    model
        "pmedian" or "mclp".
    """

    hubs: np.ndarray
    assignment: np.ndarray
    distance: np.ndarray
    objective: float
    lower_bound: float
    upper_bound: float
    optimal: bool
    gap: float
    method: str
    uncovered: np.ndarray
    uncovered_weight: float
    model: str
    stats: dict = field(default_factory=dict, compare=False, repr=False)


# --------------------------------------------------------------------------------------------
# problem preparation and validation


@dataclass
class _Problem:
    cost: np.ndarray  # n x m working cost (eligible columns only)
    cols: np.ndarray  # working column -> original column index
    k: int
    fixed: np.ndarray  # working positions of fixed hubs
    gid: np.ndarray  # group id per working column (all 0 without groups)
    gmax: np.ndarray
    gmin: np.ndarray
    radii: list  # coverage radii, in lexicographic order
    max_distance: float | None
    model: str
    stages: list  # per criterion: n x m matrix whose row-min is the criterion's cost
    open_cost: np.ndarray | None = None  # cost of opening each working column (last criterion)
    subset: np.ndarray | None = None  # bool per working column: the set of the subset rule
    subset_min: int = 0  # at least so many hubs from ``subset``
    # per row, the working columns by cost: every matrix the bounds use (stage matrices, their
    # forbidden far pairs, penalties) is a non-decreasing function of the cost, so this is
    # also an ascending order of each of their rows
    order: np.ndarray | None = None

    @property
    def m(self) -> int:
        return self.cost.shape[1]

    @property
    def plain(self) -> bool:
        """No group constraints and no subset rule bind."""
        return self.groups_plain and self.subset_min == 0

    @property
    def groups_plain(self) -> bool:
        """No group constraints bind."""
        return len(self.gmax) == 1 and self.gmin[0] == 0 and self.gmax[0] >= self.k

    def restrict(self, keep: np.ndarray, force: np.ndarray) -> tuple[_Problem, np.ndarray]:
        """The problem on the kept working columns, with ``force`` columns fixed open."""
        idx = np.flatnonzero(keep)
        fx = np.zeros(self.m, bool)
        fx[self.fixed] = True
        fx |= force
        order = None
        if self.order is not None:
            pos = np.full(self.m, -1)
            pos[idx] = np.arange(len(idx))
            o = pos[self.order]
            order = o[o >= 0].reshape(self.cost.shape[0], len(idx))
        q = _Problem(cost=self.cost[:, idx], cols=self.cols[idx], k=self.k, order=order,
                     fixed=np.flatnonzero(fx[idx]), gid=self.gid[idx], gmax=self.gmax, gmin=self.gmin,
                     radii=self.radii, max_distance=self.max_distance, model=self.model,
                     stages=[t[:, idx] for t in self.stages],
                     open_cost=None if self.open_cost is None else self.open_cost[idx],
                     subset=None if self.subset is None else self.subset[idx], subset_min=self.subset_min)
        return q, idx

    @property
    def f(self) -> np.ndarray:
        """Open cost per working column (zeros when none was given)."""
        return np.zeros(self.m) if self.open_cost is None else self.open_cost


def _as_cost(cost) -> np.ndarray:
    c = np.asarray(cost, dtype=float)
    if c.ndim != 2 or c.shape[0] == 0 or c.shape[1] == 0:
        raise InputError("cost must be a non-empty 2-D matrix", expected="shape (n_demand, n_candidate)",
                         got=getattr(c, "shape", None))
    if not np.isfinite(c).all():
        raise InputError("cost has NaN or infinite entries", expected="finite km",
                         got=f"{int((~np.isfinite(c)).sum())} bad cells")
    if (c < 0).any():
        raise InputError("cost has negative entries", expected="km >= 0", got=float(c.min()))
    return c


def _as_weight(weight, n: int) -> np.ndarray:
    w = np.asarray(weight, dtype=float)
    if w.shape != (n,):
        raise InputError("weight must have one value per demand row", expected=f"shape ({n},)", got=w.shape)
    if not np.isfinite(w).all():
        raise InputError("weight has NaN or infinite values", expected="finite need >= 0",
                         got=f"{int((~np.isfinite(w)).sum())} bad values")
    if (w < 0).any():
        raise InputError("weight has negative values", expected="need >= 0", got=float(w.min()))
    return w


def _index_list(values, m: int, name: str) -> np.ndarray:
    arr = np.unique(np.asarray(list(values if values is not None else ()), dtype=np.int64))
    bad = arr[(arr < 0) | (arr >= m)]
    if bad.size:
        raise InputError(f"{name} has column indices outside the cost matrix", expected=f"0..{m - 1}",
                         got=bad.tolist())
    return arr


def _prepare(cost, k, *, model="pmedian", reach=None, candidates=None, fixed=(), excluded=(),
             group=None, group_max=None, group_min=None, max_distance=None, names=None,
             open_cost=None, subset=None, subset_min=0) -> _Problem:
    c = _as_cost(cost)
    n, m = c.shape
    if open_cost is not None:
        oc = np.asarray(open_cost, dtype=float)
        if oc.shape != (m,) or not np.isfinite(oc).all() or (oc < 0).any():
            raise InputError("open_cost must give a finite cost >= 0 per candidate column",
                             expected=f"shape ({m},), finite, >= 0", got=getattr(oc, "shape", None))
        if model != "pmedian":
            raise InputError("open_cost applies to the p-median model only", got=model)
    if names is not None and len(names) != m:
        raise InputError("names must label every candidate column", expected=f"{m} names", got=len(names))

    def lab(idx) -> list:
        return [names[j] for j in idx] if names is not None else [int(j) for j in idx]

    if model not in ("pmedian", "mclp"):
        raise InputError("unknown model", expected="'pmedian' or 'mclp'", got=model)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError("k must be a positive integer", expected="int >= 1", got=k)
    k = int(k)
    if model == "mclp":
        if reach is None or not np.isfinite(reach) or reach < 0:
            raise InputError("model 'mclp' needs a reach", expected="reach >= 0 (km)", got=reach)
    if max_distance is not None and (not np.isfinite(max_distance) or max_distance < 0):
        raise InputError("max_distance must be a distance", expected="finite km >= 0", got=max_distance)
    if model == "mclp" and max_distance is not None and reach > max_distance:
        raise InputError("reach exceeds max_distance: demand within reach would be left unassigned",
                         expected=f"reach <= {max_distance}", got=reach)

    elig = np.ones(m, bool)
    if candidates is not None:
        cm = np.asarray(candidates)
        if cm.shape != (m,) or cm.dtype != bool:
            raise InputError("candidates must be a boolean mask over the cost columns",
                             expected=f"bool array of shape ({m},)", got=f"{cm.dtype} {cm.shape}")
        elig &= cm
    fx = _index_list(fixed, m, "fixed")
    ex = _index_list(excluded, m, "excluded")
    elig[ex] = False
    if isinstance(subset_min, bool) or not isinstance(subset_min, (int, np.integer)) or subset_min < 0:
        raise InputError("subset_min must be a non-negative integer", expected="int >= 0", got=subset_min)
    sub = None
    if subset is not None:
        sub = np.asarray(subset)
        if sub.shape != (m,) or sub.dtype != bool:
            raise InputError("subset must be a boolean mask over the cost columns",
                             expected=f"bool array of shape ({m},)", got=f"{sub.dtype} {sub.shape}")
    elif subset_min:
        raise InputError("subset_min needs a subset", expected="subset=<bool mask over the columns>",
                         got=None)

    if group is not None:
        labels = np.asarray(group, dtype=object)
        if labels.shape != (m,):
            raise InputError("group must give one label per candidate column", expected=f"length {m}",
                             got=labels.shape)
    elif group_max or group_min:
        raise InputError("group_max / group_min need group labels", expected="group=<label per column>",
                         got=None)
    else:
        labels = np.zeros(m, dtype=object)
    uniq = list(dict.fromkeys(labels.tolist()))
    for name, caps in (("group_max", group_max), ("group_min", group_min)):
        unknown = [g for g in (caps or {}) if g not in uniq]
        if unknown:
            raise InputError(f"{name} names groups that no candidate has", expected=f"one of {uniq}",
                             got=unknown)
        bad = {g: v for g, v in (caps or {}).items()
               if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0}
        if bad:
            raise InputError(f"{name} values must be non-negative integers", got=bad)

    problems = []
    if len(fx) > k:
        problems.append(f"{len(fx)} fixed hubs {lab(fx)} but k={k}")
    clash = np.intersect1d(fx, ex)
    if clash.size:
        problems.append(f"fixed hubs {lab(clash)} are also excluded")
    inel = np.setdiff1d(fx[~elig[fx]], clash)
    if inel.size:
        problems.append(f"fixed hubs {lab(inel)} are not eligible candidates")
    n_elig = int(elig.sum())
    if n_elig < k:
        problems.append(f"k={k} exceeds the {n_elig} eligible candidates "
                        f"({len(ex)} excluded, {m - n_elig - len(ex)} ineligible of {m})")
    gmax = {g: int((group_max or {}).get(g, m)) for g in uniq}
    gmin = {g: int((group_min or {}).get(g, 0)) for g in uniq}
    n_in = {g: int((elig & (labels == g)).sum()) for g in uniq}
    n_fx = {g: int((labels[fx] == g).sum()) for g in uniq}
    if sum(gmin.values()) > k:
        problems.append(f"group_min sums to {sum(gmin.values())} > k={k}")
    elif sum(max(n_fx[g], gmin[g]) for g in uniq) > k:
        problems.append(f"fixed hubs plus group_min need {sum(max(n_fx[g], gmin[g]) for g in uniq)} hubs"
                        f" > k={k}")
    for g in uniq:
        if gmin[g] > gmax[g]:
            problems.append(f"group_min[{g!r}]={gmin[g]} > group_max[{g!r}]={gmax[g]}")
        elif gmin[g] > n_in[g]:
            problems.append(f"group_min[{g!r}]={gmin[g]} but only {n_in[g]} eligible candidates in {g!r}")
        if n_fx[g] > gmax[g]:
            problems.append(f"{n_fx[g]} fixed hubs in {g!r} exceed group_max[{g!r}]={gmax[g]}")
    slots = sum(min(gmax[g], n_in[g]) for g in uniq)
    if group_max and slots < k and n_elig >= k:
        problems.append(f"group_max leaves only {slots} hub slots among eligible candidates for k={k}")
    if not problems and subset_min:
        gl = np.array([uniq.index(g) for g in labels.tolist()])
        chosen = np.zeros(m, bool)
        chosen[fx] = True
        most = _most_from_subset(k, gl, np.array([gmin[g] for g in uniq]), np.array([gmax[g] for g in uniq]),
                                 chosen, elig, sub)
        n_sub = int((elig & sub).sum())
        if n_sub < subset_min:
            problems.append(f"subset rule: at least {subset_min} hubs from the subset but only {n_sub} "
                            f"eligible candidates are in it")
        elif most is None or most < subset_min:
            problems.append(f"subset rule: at least {subset_min} hubs from the subset but the other rules "
                            f"allow at most {0 if most is None else most} of them")
    if problems:
        raise InfeasibleError("infeasible siting constraints: " + "; ".join(problems))

    cols = np.flatnonzero(elig)
    pos = np.full(m, -1)
    pos[cols] = np.arange(len(cols))
    gindex = {g: i for i, g in enumerate(uniq)}
    gid = np.array([gindex[g] for g in labels[cols]], dtype=np.int64)
    work = np.ascontiguousarray(c[:, cols])

    radii = []
    if model == "mclp":
        radii.append(float(reach))
    if max_distance is not None and (not radii or max_distance > radii[-1]):
        radii.append(float(max_distance))
    dist = np.minimum(work, max_distance) if max_distance is not None else work
    stages = [(work > r).astype(float) for r in radii] + [dist]
    return _Problem(cost=work, cols=cols, k=k, fixed=np.sort(pos[fx]), gid=gid,
                    order=np.argsort(work, axis=1, kind="stable") if work.size <= _KERNEL_CELLS else None,
                    gmax=np.array([gmax[g] for g in uniq]), gmin=np.array([gmin[g] for g in uniq]),
                    radii=radii, max_distance=max_distance, model=model, stages=stages,
                    open_cost=None if open_cost is None else np.asarray(open_cost, float)[cols],
                    subset=None if sub is None else sub[cols].copy(), subset_min=int(subset_min))


def _most_from_subset(k: int, gid: np.ndarray, gmin: np.ndarray, gmax: np.ndarray, chosen: np.ndarray,
                      avail: np.ndarray, sub: np.ndarray) -> int | None:
    """Most ``sub`` columns a feasible k-set containing ``chosen`` can hold (None: no such set).

    The other columns come from ``avail``; each group's count stays within [gmin, gmax]. Per
    group, x_g more columns (between what its minimum still needs and what its maximum and its
    available columns allow) hold at most min(x_g, available sub columns): a concave gain, so
    starting every group at its lower end and adding the remaining picks where they still gain
    is optimal.
    """
    G = len(gmax)
    cnt = np.bincount(gid[chosen], minlength=G)
    free = avail & ~chosen
    a = np.bincount(gid[free], minlength=G)
    a_s = np.bincount(gid[free & sub], minlength=G)
    r = k - int(chosen.sum())
    lo = np.maximum(gmin - cnt, 0)
    hi = np.minimum(gmax - cnt, a)
    if r < 0 or (hi < lo).any() or lo.sum() > r or hi.sum() < r:
        return None
    base = np.minimum(lo, a_s)
    extra = int((np.minimum(hi, a_s) - base).sum())
    return int((chosen & sub).sum()) + int(base.sum()) + min(r - int(lo.sum()), extra)


def _subset_ok(p: _Problem, hubs) -> np.ndarray:
    """Per working column j not in ``hubs``: can ``hubs`` + j still be completed (rules kept)?

    Decided per kind of column (its group, in the subset or not) by :func:`_most_from_subset`.
    """
    chosen = np.zeros(p.m, bool)
    chosen[np.asarray(hubs, dtype=np.int64)] = True
    avail = np.ones(p.m, bool)
    ok = np.zeros(p.m, bool)
    for g in range(len(p.gmax)):
        for s in (False, True):
            kind = ~chosen & (p.gid == g) & (p.subset == s)
            if not kind.any():
                continue
            j = int(np.flatnonzero(kind)[0])
            c2 = chosen.copy()
            c2[j] = True
            most = _most_from_subset(p.k, p.gid, p.gmin, p.gmax, c2, avail, p.subset)
            ok[kind] = most is not None and most >= p.subset_min
    return ok


# --------------------------------------------------------------------------------------------
# heuristic: greedy + fast vertex substitution + perturbation


def _tols(p: _Problem, w: np.ndarray) -> np.ndarray:
    tw = float(w.sum()) or 1.0
    t = np.array([1e-11 * tw * max(float(s.max()), 1e-12) for s in p.stages])
    if p.open_cost is not None:
        t[-1] += 1e-11 * p.k * float(p.open_cost.max(initial=0.0))
    return t


def _keys(p: _Problem, w: np.ndarray, hubs: np.ndarray) -> np.ndarray:
    key = np.array([w @ s[:, hubs].min(axis=1) for s in p.stages])
    if p.open_cost is not None:
        key[-1] += float(p.open_cost[hubs].sum())
    return key


def _lex_less(a: np.ndarray, b: np.ndarray, tol: np.ndarray) -> bool:
    for x, y, t in zip(a, b, tol):
        if x < y - t:
            return True
        if x > y + t:
            return False
    return False


def _lex_pick(values: list, ok: np.ndarray, tol: np.ndarray):
    """Flat index of the lexicographically smallest allowed entry (ties: smallest index)."""
    ok = ok.copy()
    for v, t in zip(values, tol):
        vv = np.where(ok, v, np.inf)
        ok &= vv <= vv.min() + t
    return int(np.flatnonzero(ok.ravel())[0])


def _greedy(p: _Problem, w: np.ndarray, tol: np.ndarray) -> np.ndarray:
    n = p.cost.shape[0]
    hubs = list(p.fixed)
    count = np.bincount(p.gid[hubs], minlength=len(p.gmax)) if hubs else np.zeros(len(p.gmax), int)
    d1 = [s[:, hubs].min(axis=1) if hubs else np.full(n, np.inf) for s in p.stages]
    while len(hubs) < p.k:
        deficit = np.maximum(p.gmin - count, 0)
        gok = deficit > 0 if deficit.sum() >= p.k - len(hubs) else count < np.minimum(p.gmax, p.m)
        ok = gok[p.gid] if not p.subset_min else _subset_ok(p, hubs)
        ok[hubs] = False
        vals = [w @ np.minimum(s, d[:, None]) for s, d in zip(p.stages, d1)]
        vals[-1] = vals[-1] + p.f  # open costs: a constant for the hubs already open, plus j's
        j = _lex_pick(vals, ok, tol)
        hubs.append(j)
        count[p.gid[j]] += 1
        d1 = [np.minimum(d, s[:, j]) for s, d in zip(p.stages, d1)]
    return np.sort(np.array(hubs, dtype=np.int64))


def _swap_values(s: np.ndarray, w: np.ndarray, hubs: np.ndarray, f: np.ndarray | None = None) -> np.ndarray:
    """Criterion value after swapping hub ``hubs[r]`` for column j, for every (r, j)."""
    if _KERNELS and s.size <= _KERNEL_CELLS:
        from geo.kernels import swap_values

        out = swap_values(np.ascontiguousarray(s, dtype=float), np.ascontiguousarray(w, dtype=float),
                          np.asarray(hubs, dtype=np.int64))
        if f is not None:
            out += float(f[hubs].sum()) - f[hubs][:, None] + f[None, :]
        return out
    n, k = s.shape[0], len(hubs)
    sh = s[:, hubs]
    if k > 1:
        part = np.partition(sh, 1, axis=1)
        d1, d2 = part[:, 0], part[:, 1]
    else:
        d1, d2 = sh[:, 0], np.full(n, np.inf)
    c1 = sh.argmin(axis=1)
    m1 = np.minimum(s, d1[:, None])
    diff = np.minimum(s, d2[:, None])
    diff -= m1
    # row r of the correction: sum of w_i * diff_i over the demands whose nearest hub is r
    # (a grouped sum over the rows sorted by nearest hub: O(n m), not a k x n product)
    order = np.argsort(c1, kind="stable")
    wo = w[order, None]
    wd = np.where(wo > 0, diff[order] * wo, 0.0)  # zero need counts 0, also on forbidden pairs
    starts = np.searchsorted(c1[order], np.arange(k))
    present = np.bincount(c1, minlength=k) > 0
    corr = np.zeros((k, s.shape[1]))
    if present.any():
        corr[present] = np.add.reduceat(wd, starts[present], axis=0)
    out = (w @ m1)[None, :] + corr
    if f is not None:  # open costs after swapping hubs[r] for j
        out += float(f[hubs].sum()) - f[hubs][:, None] + f[None, :]
    return out


def _swap_ok(p: _Problem, hubs: np.ndarray) -> np.ndarray:
    count = np.bincount(p.gid[hubs], minlength=len(p.gmax))
    add_ok = count[p.gid] < p.gmax[p.gid]
    rem_ok = count[p.gid[hubs]] > p.gmin[p.gid[hubs]]
    ok = (p.gid[hubs][:, None] == p.gid[None, :]) | (rem_ok[:, None] & add_ok[None, :])
    if p.subset_min:
        n_sub = int(p.subset[hubs].sum())
        ok &= (n_sub - p.subset[hubs][:, None].astype(int) + p.subset[None, :]) >= p.subset_min
    ok[np.isin(hubs, p.fixed)] = False
    ok[:, hubs] = False
    return ok


def _local_search(p: _Problem, w: np.ndarray, hubs: np.ndarray, tol: np.ndarray,
                  deadline: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    hubs = np.sort(np.asarray(hubs, dtype=np.int64))
    key = _keys(p, w, hubs)
    while time.perf_counter() < deadline:
        ok = _swap_ok(p, hubs)
        if not ok.any():
            break
        improved = False
        last = len(p.stages) - 1
        for si, s in enumerate(p.stages):
            v = _swap_values(s, w, hubs, p.open_cost if si == last else None)
            vv = np.where(ok, v, np.inf)
            best = vv.min()
            if best < key[si] - tol[si]:
                rest = [v] + [_swap_values(t, w, hubs, p.open_cost if si + 1 + ti == last else None)
                              for ti, t in enumerate(p.stages[si + 1:])]
                flat = _lex_pick(rest, ok & (v <= best + tol[si]), tol[si:])
                r, j = divmod(flat, p.m)
                hubs = hubs.copy()
                hubs[r] = j
                hubs.sort()
                key = _keys(p, w, hubs)
                improved = True
                break
            ok &= v <= key[si] + tol[si]
            if not ok.any():
                break
        if not improved:
            break
    return hubs, key


def _construct(p: _Problem, w: np.ndarray, tol: np.ndarray, start=None, deadline: float = np.inf, *,
               greedy: bool = True):
    """Greedy + local search, and local search from ``start`` if given; the better of the two
    (``greedy`` False and a ``start``: only the latter)."""
    if start is not None and not greedy:
        return _local_search(p, w, np.asarray(start), tol, deadline)
    hubs, key = _local_search(p, w, _greedy(p, w, tol), tol, deadline)
    if start is not None:
        h2, k2 = _local_search(p, w, np.asarray(start), tol, deadline)
        if _lex_less(k2, key, tol):
            hubs, key = h2, k2
    return hubs, key


def _perturb(p: _Problem, w: np.ndarray, hubs: np.ndarray, key: np.ndarray, tol: np.ndarray, *,
             seed: int, rounds: int, deadline: float = np.inf):
    """Iterated local search from the best solution.

    Each round swaps a few random hubs out (1 to about a tenth of k, more after rounds
    without progress) for random candidates, each entering near the hub it replaces (among
    its closest candidates by column distance), descends again, and moves to the result if it
    is at least as good (plateaus are walked). Stops after ``rounds`` rounds in a row without
    an improvement of the best.
    """
    free = p.k - len(p.fixed)
    if free == 0 or p.m == p.k:
        return hubs, key
    rng = np.random.default_rng(seed)
    cur, ckey = hubs, key
    # candidate-to-candidate proximity: the demand rows' cost profile of two columns
    near = None
    if p.cost.shape[0] * p.m <= 4_000_000 and p.m <= 4000:
        prof = p.cost.T
        sq = (prof * prof).sum(axis=1)
        d2 = sq[:, None] + sq[None, :] - 2.0 * (prof @ prof.T)
        near = np.argsort(d2, axis=1)[:, 1:min(p.m, 11)]
    idle = 0
    strength_max = max(2, min(free, p.k // 10 + 2))
    while idle < rounds and time.perf_counter() < deadline:
        trial = cur.copy()
        n_swap = int(rng.integers(1, min(strength_max, 1 + 1 + idle // 5) + 1))
        for _ in range(min(free, n_swap)):
            ok = _swap_ok(p, trial)
            if not ok.any():
                break
            rows = np.flatnonzero(ok.any(axis=1))
            r = int(rng.choice(rows))
            opts = np.flatnonzero(ok[r])
            if near is not None and rng.random() < 0.7:
                close = np.intersect1d(near[trial[r]], opts)
                if close.size:
                    opts = close
            trial[r] = int(rng.choice(opts))
            trial.sort()
        trial, tkey = _local_search(p, w, trial, tol, deadline)
        if _lex_less(tkey, key, tol):
            hubs, key, idle = trial, tkey, 0
        else:
            idle += 1
        if not _lex_less(ckey, tkey, tol):
            cur, ckey = trial, tkey
    return hubs, key


# --------------------------------------------------------------------------------------------
# Lagrangian lower bound (heuristic mode)


def _best_subset(p: _Problem, rho: np.ndarray, force=None) -> np.ndarray | None:
    """k columns minimising sum(rho) under fixed (and ``force``) hubs, group min/max and the
    subset rule.

    Greedy is exact without the subset rule: the forced columns first, then each group's
    cheapest columns up to its minimum, then the cheapest columns overall while their group has
    room. The hub sets that meet the group limits are the bases of a matroid, so with the rule
    the cheapest set is that greedy set followed by, while it holds too few columns of the
    subset, the cheapest single swap of one of its other columns for a subset column
    (:func:`_subset_swaps`). None if no feasible set exists (columns with rho = inf are
    unavailable).
    """
    S = _group_subset(p, rho, force)
    if S is None or not p.subset_min:
        return S
    forced = np.zeros(p.m, bool)
    forced[p.fixed] = True
    if force is not None:
        forced[force] = True
    return _subset_swaps(p, rho, S, forced)


def _subset_swaps(p: _Problem, rho: np.ndarray, S: np.ndarray, forced: np.ndarray) -> np.ndarray | None:
    """The cheapest feasible set with the subset rule, from the cheapest set without it.

    With q subset columns in an optimal set for "exactly q", the cheapest swap that adds one
    (one column out, a subset column in, the group limits kept) gives an optimal set for q + 1
    (Gabow & Tarjan 1984, "Efficient algorithms for a family of matroid intersection
    problems"), and the optimum over "at least m" is at m when the unconstrained optimum holds
    fewer. A swap within a group is always allowed; across groups the losing group must stay
    above its minimum and the gaining one below its maximum, so the cheapest swap is found
    from each group's dearest removable and cheapest addable column.
    """
    need = p.subset_min - int(p.subset[S].sum())
    if need <= 0:
        return S
    # Few columns take part (the set's removable ones, the subset's addable ones), so the swaps
    # run on per-group lists: removable dearest first, addable cheapest first (ties by index).
    G = len(p.gmax)
    chosen = np.zeros(p.m, bool)
    chosen[S] = True
    gid = p.gid
    outs: list[list[int]] = [[] for _ in range(G)]
    o = np.flatnonzero(chosen & ~p.subset & ~forced)
    for j in o[np.argsort(-rho[o], kind="stable")].tolist():
        outs[gid[j]].append(j)
    ins: list[list[int]] = [[] for _ in range(G)]
    a = np.flatnonzero(~chosen & p.subset & np.isfinite(rho))
    for j in a[np.argsort(rho[a], kind="stable")].tolist():
        ins[gid[j]].append(j)
    count = np.bincount(gid[S], minlength=G).tolist()
    gmin, gmax = p.gmin.tolist(), p.gmax.tolist()
    r = rho.tolist()
    for _ in range(need):
        best, pair = np.inf, None
        for gx in range(G):
            if not outs[gx]:
                continue
            x = r[outs[gx][0]]
            for gy in range(G):
                if ins[gy] and (gx == gy or (count[gx] > gmin[gx] and count[gy] < gmax[gy])):
                    d = r[ins[gy][0]] - x
                    if d < best:
                        best, pair = d, (gx, gy)
        if pair is None:
            return None
        gx, gy = pair
        chosen[outs[gx].pop(0)] = False
        chosen[ins[gy].pop(0)] = True
        count[gx] -= 1
        count[gy] += 1
    return np.flatnonzero(chosen)


def _group_subset(p: _Problem, rho: np.ndarray, force=None) -> np.ndarray | None:
    """:func:`_best_subset` without the subset rule."""
    chosen = np.zeros(p.m, bool)
    chosen[p.fixed] = True
    if force is not None:
        chosen[force] = True
    if p.groups_plain:
        left = p.k - int(chosen.sum())
        if left < 0:
            return None
        r = np.where(chosen, np.inf, rho)
        if left:
            part = np.argpartition(r, left - 1)[:left]
            if not np.isfinite(r[part]).all():
                return None
            chosen[part] = True
        return np.flatnonzero(chosen)
    count = np.bincount(p.gid[chosen], minlength=len(p.gmax))
    if (count > p.gmax).any() or np.maximum(count, p.gmin).sum() > p.k:
        return None
    order = np.argsort(rho, kind="stable")
    order = order[np.isfinite(rho[order]) & ~chosen[order]]
    for g in np.flatnonzero(p.gmin > count):
        pick = order[p.gid[order] == g][: p.gmin[g] - count[g]]
        if len(pick) < p.gmin[g] - count[g]:
            return None  # too few columns left in the group for its minimum
        chosen[pick] = True
        count[g] += len(pick)
    left = p.k - int(chosen.sum())
    if left == 0:
        return np.flatnonzero(chosen)
    # Greedy on a partition matroid, vectorised: each group offers its cheapest columns up to
    # its remaining room; the `left` cheapest of those offers are what greedy would pick.
    order = order[~chosen[order]]
    g = p.gid[order]
    by_group = np.argsort(g, kind="stable")  # positions grouped, each group still by rho
    starts = np.searchsorted(g[by_group], g[by_group])
    rank = np.empty(len(order), int)
    rank[by_group] = np.arange(len(order)) - starts
    offer = order[rank < (p.gmax - count)[g]]
    if len(offer) < left:
        return None
    chosen[offer[:left]] = True
    return np.flatnonzero(chosen)


def _subset_picker(p: _Problem):
    """``rho -> _best_subset(p, rho)`` with everything that does not depend on rho done once.

    The subgradient loop calls it thousands of times per problem. Same sets as
    :func:`_best_subset`: with groups, the columns of a group in rho order (ties by index)
    ranked ``r = 0, 1, ...``; ranks below the group's deficit are taken, ranks from there up to
    the group's room are offered, and the ``left`` cheapest offers complete the set; with the
    subset rule, :func:`_subset_swaps` follows.
    """
    pick = _group_picker(p)
    if not p.subset_min:
        return pick
    forced = np.zeros(p.m, bool)
    forced[p.fixed] = True

    def with_subset(rho):
        S = pick(rho)
        return None if S is None else _subset_swaps(p, rho, S, forced)

    return with_subset


def _group_picker(p: _Problem):
    """:func:`_subset_picker` without the subset rule."""
    fixed = np.zeros(p.m, bool)
    fixed[p.fixed] = True
    nfix = int(fixed.sum())
    if p.groups_plain:
        left = p.k - nfix
        if left < 0:
            return lambda rho: None
        if not left:
            S0 = np.flatnonzero(fixed)
            return lambda rho: S0.copy()

        def plain(rho):
            r = np.where(fixed, np.inf, rho)
            part = np.argpartition(r, left - 1)[:left]
            if not np.isfinite(r[part]).all():
                return None
            chosen = fixed.copy()
            chosen[part] = True
            return np.flatnonzero(chosen)

        return plain
    count = np.bincount(p.gid[fixed], minlength=len(p.gmax))
    if (count > p.gmax).any() or np.maximum(count, p.gmin).sum() > p.k:
        return lambda rho: None
    # Plain Python over the columns in rho order: at a few hundred columns this beats a dozen
    # numpy calls per step. With every rho finite the number of columns taken for the group
    # minimums is known in advance, so the scan stops once enough columns are offered; a
    # group whose cheapest columns lie beyond that point gets them from its own sorted rho.
    need = np.maximum(p.gmin - count, 0).tolist()
    room = (p.gmax - count).tolist()
    gid, is_fixed = p.gid.tolist(), fixed.tolist()
    fixed_cols = np.flatnonzero(fixed).tolist()
    n_groups, free_slots = len(need), p.k - nfix
    group_cols = [np.flatnonzero((p.gid == g) & ~fixed) for g in range(n_groups)]
    if any(len(group_cols[g]) < need[g] for g in range(n_groups)):
        return lambda rho: None  # a group has too few columns for its minimum
    stop = free_slots - sum(need)
    isfinite = math.isfinite

    def grouped(rho):
        finite = bool(np.isfinite(rho).all())
        vals = None if finite else rho.tolist()
        seen = [0] * n_groups
        taken, offers = [], []
        for j in np.argsort(rho, kind="stable").tolist():
            if is_fixed[j] or not (finite or isfinite(vals[j])):
                continue
            g = gid[j]
            r = seen[g]
            seen[g] = r + 1
            if r < need[g]:
                taken.append(j)
            elif r < room[g]:
                offers.append(j)
                if finite and len(offers) >= stop:
                    break
        for g in range(n_groups):
            if seen[g] < need[g]:
                if not finite:  # the scan saw every available column: too few in the group
                    return None
                cg = group_cols[g]
                taken.extend(cg[np.argsort(rho[cg], kind="stable")][seen[g]:need[g]].tolist())
        left = free_slots - len(taken)
        if len(offers) < left:
            return None
        return np.array(sorted(fixed_cols + taken + offers[:left]), dtype=np.int64)

    return grouped


def _weighted(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``w_i * s_ij`` with forbidden (inf) pairs kept inf, also for zero need."""
    return np.where(np.isinf(s), np.inf, w[:, None] * np.where(np.isinf(s), 0.0, s))


def _kernel_args(p: _Problem):
    """The hub-set rule of ``p`` as arguments of :func:`geo.kernels.subgradient` (None where the
    compiled loop does not apply: the subset rule, or group limits no set can meet)."""
    if p.subset_min or not _KERNELS:
        return None
    fixed = np.zeros(p.m, bool)
    fixed[p.fixed] = True
    nfix = int(fixed.sum())
    if p.groups_plain:
        if p.k - nfix < 0:
            return None
        return fixed, np.zeros(p.m, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64), p.k - nfix, False
    count = np.bincount(p.gid[fixed], minlength=len(p.gmax))
    if (count > p.gmax).any() or np.maximum(count, p.gmin).sum() > p.k:
        return None
    need = np.maximum(p.gmin - count, 0).astype(np.int64)
    room = (p.gmax - count).astype(np.int64)
    return fixed, p.gid.astype(np.int64), need, room, p.k - nfix, True


def _lagrangian(p: _Problem, s: np.ndarray, w: np.ndarray, ub: float, hubs: np.ndarray, *,
                deadline: float, max_iter: int = _LAGRANGE_ITER, lam0: np.ndarray | None = None,
                goal: float = np.inf, f: np.ndarray | None = None):
    """Lagrangian lower bound of ``min_S sum_i w_i min_{j in S} s_ij`` over feasible hub sets.

    Relaxes "each demand is assigned once" with multipliers ``lam`` and runs subgradient steps
    (Beasley 1993); every relaxed hub set is also tried as a solution. Returns the best bound,
    its multipliers, and the best hub set seen with its value (``hubs``/``ub`` if none better).
    ``lam0`` warm-starts the multipliers (e.g. from a similar problem: the parent node of a
    branch and bound, the neighbouring point of a frontier). The steps stop early once the
    bound exceeds ``goal`` (enough to prune a branch-and-bound node).

    Any multipliers give a valid bound: the value returned is computed here from ``lam`` and
    the exact relaxed subproblem, never taken from a solver.
    """
    ws = _weighted(s, w)
    if lam0 is not None:
        lam = np.asarray(lam0, dtype=float).copy()
    else:
        sh = np.sort(s[:, hubs], axis=1)
        sh = np.where(np.isfinite(sh), sh, sh[np.isfinite(sh)].max(initial=0.0))
        lam = w * sh[:, min(1, sh.shape[1] - 1)]  # start at the second-nearest hub
    # (the compiled steps do not look at the clock: a call overruns a deadline by at most
    # max_iter steps, a few milliseconds)
    kern = _kernel_args(p) if ws.size <= _KERNEL_CELLS else None
    if kern is not None:
        from geo.kernels import subgradient

        best, best_lam, best_hubs, best_val, _ = subgradient(
            np.ascontiguousarray(ws), p.order if p.order is not None else np.argsort(ws, axis=1, kind="stable"),
            np.ascontiguousarray(lam, dtype=float),
            np.zeros(p.m) if f is None else np.ascontiguousarray(f, dtype=float),
            float(ub), np.ascontiguousarray(hubs, dtype=np.int64), int(max_iter), float(goal), _PI0, _STALL, _PI_MIN,
            _REL_TOL, *kern)
        return best, best_lam, best_hubs, best_val
    best, best_lam, pi, stall = -np.inf, lam.copy(), _PI0, 0
    best_hubs, best_val = np.asarray(hubs), float(ub)
    pick = _subset_picker(p)
    wsT = np.ascontiguousarray(ws.T)  # rows of the chosen columns are gathered every step
    # rho_j = sum_i min(ws_ij - lam_i, 0) has few nonzero terms: per row, the columns cheaper
    # than lam_i, a prefix of the row sorted by cost. Only those are visited: one search finds
    # every row's prefix (complex numbers sort by real part, then imaginary: row, then cost),
    # and bincount adds the terms in row order, the order of ``red.sum(axis=0)`` on the full
    # matrix, so rho is the same to the last bit.
    # On a small matrix three passes over all of it (no allocation) cost less than the
    # bookkeeping of the prefixes, and add the same terms in the same row order.
    n, m = ws.shape
    dense = n * m <= _DENSE_RHO_CELLS
    if dense:
        buf = np.empty_like(ws)
    else:
        srt = np.argsort(ws, axis=1).ravel()
        wss = np.take_along_axis(ws, srt.reshape(n, m), axis=1).ravel()
        rows = np.arange(n)
        flat = np.empty(n * m, complex)  # built by parts: 1j * inf would be nan + inf j
        flat.real, flat.imag = np.repeat(rows, m), wss
        key = np.empty(n, complex)
        key.real = rows
        first = rows * m
    for _ in range(max_iter):
        if time.perf_counter() >= deadline:
            break
        if dense:
            np.subtract(ws, lam[:, None], out=buf)
            np.minimum(buf, 0.0, out=buf)
            rho = buf.sum(axis=0)
        else:
            key.imag = lam
            cnt = np.searchsorted(flat, key) - first
            ii = np.repeat(rows, cnt)
            at = np.arange(len(ii)) + np.repeat(first - (np.cumsum(cnt) - cnt), cnt)
            rho = np.bincount(srt[at], weights=wss[at] - lam[ii], minlength=m)
        if f is not None:
            rho += f
        S = pick(rho)
        val = float(lam.sum() + rho[S].sum())
        wS = wsT[S]
        primal = float(wS.min(axis=0).sum()) + (float(f[S].sum()) if f is not None else 0.0)
        if primal < best_val:
            best_hubs, best_val = S, primal
        if val > best:
            stall = 0 if val > best + 1e-6 * (best_val - best) else stall + 1
            best, best_lam = val, lam.copy()
        else:
            stall += 1
        if stall >= _STALL:
            pi, stall = pi / 2, 0
        if best_val - best <= _REL_TOL * max(abs(best_val), 1e-300) or pi < _PI_MIN or best > goal:
            break
        sub = 1.0 - (wS < lam).sum(axis=0)  # red[:, S] < 0, without the column gather
        norm = float(sub @ sub)
        if norm == 0:  # the relaxed solution is feasible, hence optimal
            break
        lam = lam + pi * (best_val - val) / norm * sub
    return min(best, best_val), best_lam, best_hubs, best_val


def _fixing(p: _Problem, s: np.ndarray, w: np.ndarray, lam: np.ndarray, ub: float, tol: float,
            f: np.ndarray | None = None):
    """Reduced-cost fixing: columns that cannot be open (closed) in any solution worth <= ub.

    Returns (keep mask, forced-open mask) over the working columns.
    """
    red = np.minimum(_weighted(s, w) - lam[:, None], 0.0)
    rho = red.sum(axis=0)
    if f is not None:
        rho += f
    base = float(lam.sum())
    S = _best_subset(p, rho)
    inS = np.zeros(p.m, bool)
    inS[S] = True
    keep = np.ones(p.m, bool)
    force = np.zeros(p.m, bool)
    fixed = np.zeros(p.m, bool)
    fixed[p.fixed] = True
    # Bounds with the group limits dropped (a relaxation, so never above the exact ones) are
    # vectorised: with j forced open, the fixed hubs, j and the q cheapest other free columns;
    # with j closed, the q + 1 cheapest free columns other than j. Without groups they are
    # exact; with groups the exact bound is computed only where the relaxed one cannot decide.
    free = ~fixed & np.isfinite(rho)
    q = p.k - int(fixed.sum()) - 1
    lo_open = np.full(p.m, -np.inf)
    lo_close = np.full(p.m, -np.inf)
    fr = np.sort(rho[free])
    if q >= 0 and len(fr) > q:
        csum = np.concatenate([[0.0], np.cumsum(fr)])
        head = csum[q]  # q cheapest free columns
        nxt = fr[q] if len(fr) > q else np.inf
        nxt2 = fr[q + 1] if len(fr) > q + 1 else np.inf
        rank = np.searchsorted(fr, rho)  # rho[j] below fr[q] means j is among the q cheapest
        fsum = float(rho[fixed].sum())
        inq = rank < q
        lo_open = base + fsum + rho + np.where(inq, head - rho + nxt, head)
        inq1 = rank < q + 1
        lo_close = base + fsum + np.where(inq1, csum[q + 1] - rho + nxt2, csum[q + 1])
    cand = ~fixed & np.isfinite(rho)
    keep[cand & ~inS & (lo_open > ub + tol)] = False
    force[cand & inS & (lo_close > ub + tol)] = True
    if p.plain:
        return keep, force  # the relaxed bounds were exact
    todo = np.flatnonzero(cand & keep & ~force)
    kern = _kernel_args(p)  # None without kernels or with the subset rule
    if kern is not None:
        from geo.kernels import fixing_exact

        fx, gid, need, room, free_slots, _ = kern
        k2, f2 = fixing_exact(np.ascontiguousarray(rho, dtype=float), todo, inS, fx, gid, need, room, free_slots,
                              ub + tol - base - float(rho[fixed].sum()))
        return keep & k2, force | f2
    for j in todo:
        if not inS[j]:
            T = _best_subset(p, rho, force=[j])
            if T is None or base + rho[T].sum() > ub + tol:
                keep[j] = False
        else:
            r2 = rho.copy()
            r2[j] = np.inf
            T = _best_subset(p, r2)
            if T is None or base + r2[T].sum() > ub + tol:
                force[j] = True
    return keep, force


def _integral(s: np.ndarray, w: np.ndarray) -> bool:
    """Whether every finite weighted cost is an integer (then objectives are integers)."""
    ws = _weighted(s, w)
    f = ws[np.isfinite(ws)]
    return bool(np.all(f == np.round(f))) and bool(np.abs(f).max(initial=0.0) < 2**50)


def _branch_and_bound(p: _Problem, s: np.ndarray, w: np.ndarray, ub: float, hubs: np.ndarray,
                      lam: np.ndarray, *, integral: bool, deadline: float,
                      max_nodes: int = _BB_MAX_NODES, abs_tol: float | None = None,
                      f: np.ndarray | None = None, primal=None, node_ok=None):
    """Prove a lower bound on ``min_S sum_i w_i min_{j in S} s_ij`` by our own branch and bound.

    Every node bound is a Lagrangian bound computed here (:func:`_lagrangian`), less a margin
    for floating-point rounding, so no solver tolerance enters the proof. A node is pruned
    when its bound exceeds the incumbent minus 1 (integer objectives: no better integer value
    is left in it) or the incumbent minus the relative tolerance. Nodes fix candidates open or
    closed; reduced-cost fixing runs at each node, then the node branches on the open
    candidate of the relaxed solution whose closing costs the bound most.

    ``primal(hubs) -> value`` (p's columns; inf if not allowed) values the relaxed hub sets
    met on the way when the problem has a side constraint that the bound relaxes, and
    ``node_ok(q, idx)`` prunes nodes where it cannot hold.

    Returns (lower bound, best hubs, their value, nodes, complete). The bound is the
    incumbent's value (integer objectives) or within the relative tolerance of it when the
    search completes; otherwise the root bound.
    """
    m = p.m
    best_h, best_v = np.asarray(hubs), float(ub)

    def threshold() -> float:
        if integral:
            return best_v - 1.0
        # half the tolerance of the claim, so that rounding never leaves it just short
        return best_v - (0.5 * _REL_TOL * abs(best_v) if abs_tol is None else abs_tol)

    stack = [(np.zeros(m, bool), np.zeros(m, bool), lam)]
    nodes, root_lb = 0, -np.inf
    while stack:
        if nodes >= max_nodes or time.perf_counter() >= deadline:
            return root_lb, best_h, best_v, nodes, False
        F, X, lam0 = stack.pop()
        nodes += 1
        q, idx = p.restrict(~X, F)
        seed = _best_subset(q, np.zeros(q.m))
        if seed is None or (node_ok is not None and not node_ok(q, idx)):
            continue  # no feasible hub set in this node
        sq = s[:, idx]
        fq = None if f is None else f[idx]
        lb, lam_n, lh, lv = _lagrangian(q, sq, w, best_v, seed, deadline=deadline, lam0=lam0,
                                        goal=threshold() + 1e-9 * max(abs(best_v), 1.0), f=fq)
        pv = lv if primal is None else primal(idx[lh])
        if pv < best_v:
            best_h, best_v = np.sort(idx[lh]), pv
        red = np.minimum(_weighted(sq, w) - lam_n[:, None], 0.0)
        rho = red.sum(axis=0)
        if fq is not None:
            rho += fq
        S = _best_subset(q, rho)
        # rounding of the sums behind the bound: far below any tolerance used here
        margin = 1e-12 * (float(np.abs(lam_n).sum()) + float(np.abs(rho).sum())) * max(len(w), 1) ** 0.5
        lbm = lb - margin
        if nodes == 1:
            root_lb = min(lbm, best_v)
        if lbm > threshold():
            continue
        keep, force = _fixing(q, sq, w, lam_n, threshold() + margin, 0.0, f=fq)
        free = np.ones(q.m, bool)
        free[q.fixed] = False
        if (~keep).any() or (force & free).any():
            X2, F2 = X.copy(), F.copy()
            X2[idx[~keep]] = True
            F2[idx[force & keep]] = True
            stack.append((F2, X2, lam_n))
            continue
        cand = [j for j in S if free[j]]
        if not cand:  # every hub of the node is fixed: its value is known
            continue
        base = float(rho[S].sum())
        pen = []
        for j in cand:
            r2 = rho.copy()
            r2[j] = np.inf
            T = _best_subset(q, r2)
            pen.append(np.inf if T is None else float(r2[T].sum()) - base)
        j = idx[cand[int(np.argmax(pen))]]
        Xc, Fo = X.copy(), F.copy()
        Xc[j] = True
        Fo[j] = True
        stack.append((F, Xc, lam_n))  # closed: explored second
        stack.append((Fo, X, lam_n))  # open: explored first (same bound as this node)
    lb = best_v if integral else threshold()
    return lb, best_h, best_v, nodes, True


# --------------------------------------------------------------------------------------------
# exact: truncated radius formulation with HiGHS


class _Levels:
    """Sorted distinct distance levels of every demand row (working columns)."""

    def __init__(self, p: _Problem):
        c = p.cost
        n, m = c.shape
        self.order = np.argsort(c, axis=1, kind="stable")
        cs = np.take_along_axis(c, self.order, axis=1)
        dist = p.stages[-1]
        vs = np.take_along_axis(dist, self.order, axis=1)
        new = np.zeros((n, m), bool)
        new[:, 0] = True
        new[:, 1:] = vs[:, 1:] != vs[:, :-1]
        for r in p.radii:
            f = cs > r
            new[:, 1:] |= f[:, 1:] != f[:, :-1]
        self.lev = np.cumsum(new, axis=1) - 1
        self.K = self.lev[:, -1] + 1
        # value of each level: first value of the level, padded per row
        self.vals = np.full((n, m), np.nan)
        rows, cols = np.nonzero(new)
        self.vals[rows, self.lev[rows, cols]] = vs[rows, cols]
        # level holding the last column within each radius (-1: none within)
        self.grad = []
        for r in p.radii:
            cnt = (cs <= r).sum(axis=1)
            g = np.where(cnt > 0, self.lev[np.arange(n), np.maximum(cnt - 1, 0)], -1)
            self.grad.append(g)
        self.inv = np.argsort(self.order, axis=1)  # column -> sorted position

    def level_of(self, hubs: np.ndarray) -> np.ndarray:
        """Level of each row's nearest open hub."""
        pos = self.inv[:, hubs].min(axis=1)
        return self.lev[np.arange(len(pos)), pos]


def _solve_milp(c, integrality, bounds, cons, time_limit):
    opts = {"disp": False, "mip_rel_gap": 1e-10, "presolve": True, **_HIGHS_TOLERANCES}
    if time_limit is not None:
        opts["time_limit"] = max(float(time_limit), 0.01)
    with warnings.catch_warnings():
        # scipy passes the tolerance options to HiGHS verbatim and says so with a warning
        warnings.filterwarnings("ignore", message="Unrecognized options detected",
                                category=RuntimeWarning)
        res = milp(c, integrality=integrality, bounds=bounds, constraints=cons, options=opts)
    if res.x is None:
        return None, -np.inf, False
    bound = res.get("mip_dual_bound", None)
    bound = res.fun if bound is None or not np.isfinite(bound) else bound
    if res.status == 0:
        bound = min(bound, res.fun)
    return res.x, bound, res.status == 0


def _cap_row(vec: np.ndarray, cap: float, w: np.ndarray) -> LinearConstraint:
    """``vec @ x <= cap`` scaled by the smallest positive need, with a slack far below it.

    Scaling by the smallest need (not the total) keeps HiGHS's absolute feasibility tolerance
    from letting extra demand slip out of coverage, which would weaken the bound.
    """
    unit = float(w[w > 0].min()) if (w > 0).any() else 1.0
    return LinearConstraint(vec[None, :] / unit, -np.inf, cap / unit + 1e-6)


def _milp_cover(p: _Problem, w: np.ndarray, stage: int, caps: list, time_limit: float | None):
    """Coverage stage: minimise the need farther than ``radii[stage]`` from every hub.

    Compact covering form (u_i + sum_{j within r} y_j >= 1), earlier coverage stages held at
    their optimum. Returns (hubs, lower bound of the stage value, solved to optimality).
    """
    n, m = p.cost.shape
    blocks, rows_c, consts, cols_u = [], [], [], []
    nu = 0
    for r_i in range(stage + 1):
        A = p.cost <= p.radii[r_i]
        cnt = A.sum(axis=1)
        var = (cnt > 0) & (cnt < m)  # rows that some but not every hub set covers
        consts.append(float(w[cnt == 0].sum()))
        rows_c.append(np.flatnonzero(var))
        cols_u.append(m + nu + np.arange(var.sum()))
        blocks.append(A[var])
        nu += int(var.sum())
    nv = m + nu
    cons = []
    for A, cu in zip(blocks, cols_u):
        ri, cj = np.nonzero(A)
        k_ = len(cu)
        M = sparse.csr_array((np.ones(len(ri) + k_), (np.concatenate([ri, np.arange(k_)]),
                                                     np.concatenate([cj, cu]))), shape=(k_, nv))
        cons.append(LinearConstraint(M, 1.0, np.inf))
    cons.append(LinearConstraint(np.concatenate([np.ones(m), np.zeros(nu)])[None, :], p.k, p.k))
    G = len(p.gmax)
    if not p.groups_plain:
        Ag = sparse.csr_array((np.ones(m), (p.gid, np.arange(m))), shape=(G, nv))
        cons.append(LinearConstraint(Ag, p.gmin.astype(float), np.minimum(p.gmax, m).astype(float)))
    if p.subset_min:
        cons.append(LinearConstraint(np.concatenate([p.subset.astype(float), np.zeros(nu)])[None, :],
                                     p.subset_min, np.inf))
    tw = float(w.sum()) or 1.0
    ub = np.ones(nv)
    for r_i, cap in enumerate(caps):
        vec = np.zeros(nv)
        vec[cols_u[r_i]] = w[rows_c[r_i]]
        if cap <= consts[r_i] + _tols(p, w)[r_i]:
            ub[cols_u[r_i][w[rows_c[r_i]] > 0]] = 0.0  # coverable need stays covered (zero need may not)
        else:
            cons.append(_cap_row(vec, cap - consts[r_i], w))
    scale = tw / 1e6
    c = np.zeros(nv)
    c[cols_u[stage]] = w[rows_c[stage]] / scale
    lb = np.zeros(nv)
    lb[p.fixed] = 1.0
    integrality = np.concatenate([np.ones(m), np.zeros(nu)])
    x, bound, ok = _solve_milp(c, integrality, (lb, ub), cons, time_limit)
    if x is None:
        return None, -np.inf, False
    return np.flatnonzero(x[:m] > 0.5), bound * scale + consts[stage], ok


def _milp_stage(p: _Problem, L: _Levels, w: np.ndarray, T: np.ndarray, caps: list,
                time_limit: float | None):
    """Distance stage on the radius formulation truncated at levels T.

    Returns (hubs, lower bound of the stage value, z at the cut > 0.5 per row, status ok).
    """
    n, m = p.cost.shape
    nz = T + 1  # z variables per row (levels 0..T)
    zoff = m + np.concatenate([[0], np.cumsum(nz)[:-1]])
    nzt = int(nz.sum())
    roff = zoff - m
    # y entries: sorted positions whose level <= T
    mask = L.lev <= T[:, None]
    ri, pi = np.nonzero(mask)
    rows_y = roff[ri] + L.lev[ri, pi]
    cols_y = L.order[ri, pi]
    zi = np.repeat(np.arange(n), nz)
    zt = np.arange(nzt) - np.repeat(roff, nz)
    zc = m + np.arange(nzt)
    prev = zt > 0
    rows = np.concatenate([rows_y, np.arange(nzt), np.arange(nzt)[prev]])
    cols = np.concatenate([cols_y, zc, zc[prev] - 1])
    data = np.concatenate([np.ones(len(rows_y)), np.ones(nzt), -np.ones(int(prev.sum()))])
    A = sparse.csr_array((data, (rows, cols)), shape=(nzt, m + nzt))
    lo = np.where(zt == 0, 1.0, 0.0)
    cons = [LinearConstraint(A, lo, np.inf)]
    cons.append(LinearConstraint(np.concatenate([np.ones(m), np.zeros(nzt)])[None, :], p.k, p.k))
    G = len(p.gmax)
    if not p.groups_plain:
        Ag = sparse.csr_array((np.ones(m), (p.gid, np.arange(m))), shape=(G, m + nzt))
        cons.append(LinearConstraint(Ag, p.gmin.astype(float), np.minimum(p.gmax, m).astype(float)))
    if p.subset_min:
        cons.append(LinearConstraint(np.concatenate([p.subset.astype(float), np.zeros(nzt)])[None, :],
                                     p.subset_min, np.inf))

    def cover_row(ri_):
        g = L.grad[ri_]
        has = (g >= 0) & (g <= T) & (g < L.K - 1)
        vec = np.zeros(m + nzt)
        vec[zoff[has] + g[has]] = w[has]
        const = float(w[g < 0].sum())
        return vec, const

    tw = float(w.sum()) or 1.0
    zub = np.ones(nzt)
    for ri_, cap in enumerate(caps):  # earlier stages held at their optimum
        vec, const = cover_row(ri_)
        if cap <= const + _tols(p, w)[ri_]:
            zub[vec[m:] > 0] = 0.0  # nothing coverable may stay uncovered: an exact bound
        else:
            cons.append(_cap_row(vec, cap - const, w))
    c = np.zeros(m + nzt)
    c[:m] = p.f
    inc = np.diff(L.vals, axis=1)  # NaN past the last level, never indexed
    c[m:] = w[zi] * inc[zi, zt]
    const = float(w @ L.vals[:, 0])
    # HiGHS stops at an absolute gap of 1e-6: scale the objective to ~1e6 so that this is far
    # below the 1e-9 relative tolerance
    scale = (tw * max(float(p.stages[-1].max()), 1e-12) + p.k * float(p.f.max(initial=0.0))) / 1e6
    integrality = np.concatenate([np.ones(m), np.zeros(nzt)])
    lb = np.zeros(m + nzt)
    lb[p.fixed] = 1.0
    x, bound, ok = _solve_milp(c / scale, integrality, (lb, np.concatenate([np.ones(m), zub])), cons,
                               time_limit)
    if x is None:
        return None, -np.inf, None, False
    hubs = np.flatnonzero(x[:m] > 0.5)
    at_cut = (T >= 0) & (x[np.where(T >= 0, zoff + T, 0)] > 0.5)
    return hubs, bound * scale + const, at_cut, ok


def _bound_matrix(p: _Problem, w: np.ndarray, stage: int, caps: list) -> np.ndarray:
    """Stage matrix for the Lagrangian bound and fixing.

    When an earlier coverage stage is held at its trivial minimum (only demand that no
    candidate can reach is uncovered), every coverable demand must be served within that
    radius, so its pairs beyond it are forbidden (inf), which the Lagrangian handles exactly.
    A row of zero need is not forced: leaving it uncovered costs the coverage nothing, so
    forbidding its far pairs would cut off optimal hub sets and make the bound invalid.
    """
    s = p.stages[stage]
    for r_i, cap in enumerate(caps):
        far = p.cost > p.radii[r_i]
        forced = ~far.all(axis=1) & (w > 0)
        if cap <= float(w[~forced].sum()) + _tols(p, w)[r_i]:
            s = np.where(far & forced[:, None], np.inf, s)
    return s


def _trivial_bound(s: np.ndarray, w: np.ndarray) -> float:
    """Every demand at its nearest candidate."""
    return float(w @ s.min(axis=1))


def _exact(p: _Problem, w: np.ndarray, hubs: np.ndarray, key: np.ndarray, *, deadline: float,
           warm: dict | None = None, stats: dict | None = None):
    """Prove (or improve) the heuristic solution stage by stage. Returns hubs, key, bounds, proven.

    Each stage: a Lagrangian bound (often enough on its own), then reduced-cost fixing to drop
    candidates that cannot be in any solution as good as the incumbent, then a MILP on what is
    left (a covering model for coverage stages; for the distance stage the radius formulation,
    truncated and extended until the bound meets the incumbent).
    ``warm`` (a dict kept between calls on similar problems) carries each stage's Lagrange
    multipliers to the next call, rescaled to its weights.
    """
    tol = _tols(p, w)
    bounds = np.full(len(p.stages), -np.inf)
    caps = []
    q, idx = p, np.arange(p.m)  # restricted problem and its columns in p
    last = len(p.stages) - 1
    for stage in range(len(p.stages)):
        ttol = max(tol[stage], _REL_TOL * abs(key[stage]))
        qhubs = np.searchsorted(idx, hubs)
        smat = _bound_matrix(q, w, stage, caps)
        lam0 = None
        if warm is not None and stage in warm:
            prev_lam, prev_w = warm[stage]
            ratio = np.divide(w, prev_w, out=np.ones_like(w), where=prev_w > 0)
            lam0 = prev_lam * ratio
        fq = q.open_cost if stage == last else None
        trivial = _trivial_bound(q.stages[stage], w)
        if stage < last and key[stage] <= trivial + ttol:
            # A coverage criterion at its trivial bound (every demand that some candidate can
            # reach is covered) is proven by that bound: no subgradient steps needed.
            lb, lam, lh = trivial, None, qhubs
        else:
            lb, lam, lh, _ = _lagrangian(q, smat, w, float(key[stage]), qhubs, deadline=deadline,
                                         lam0=lam0, f=fq)
            if warm is not None:
                warm[stage] = (lam, w.copy())
        bounds[stage] = max(lb, trivial)
        integral = _integral(smat, w) and (fq is None or bool(np.all(fq == np.round(fq))))
        if integral:  # integer objective: the bound rounds up (less a rounding margin)
            bounds[stage] = np.ceil(bounds[stage] - 1e-9 * max(abs(bounds[stage]), 1.0))
        hk = _keys(p, w, idx[lh])
        if _lex_less(hk, key, tol):
            hubs, key = np.sort(idx[lh]), hk
            ttol = max(tol[stage], _REL_TOL * abs(key[stage]))
        if key[stage] > bounds[stage] + ttol:
            keep, force = _fixing(q, smat, w, lam, float(key[stage]), tol[stage], f=fq)
            keep[np.searchsorted(idx, hubs)] = True  # the incumbent survives fixing; keep it anyway
            q, sub = q.restrict(keep, force & keep)
            smat = _bound_matrix(q, w, stage, caps)  # coverage caps may turn trivial on fewer columns
            fq = q.open_cost if stage == last else None
            idx = idx[sub]
            qhubs = np.searchsorted(idx, hubs)

        def prove(max_nodes: int) -> None:
            nonlocal hubs, key, ttol
            qhubs = np.searchsorted(idx, hubs)
            # Earlier coverage stages hold at their optimum (cover_r(S) <= cap_r). When that is
            # not already in smat (forbidden pairs), relax it with a multiplier mu: every stage
            # is a non-decreasing function of the cost, so the nearest hub minimises them all and
            # value(S) + mu * sum_r cover_r(S) is a p-median on smat + mu * sum_r f_r. Its bound,
            # less mu * sum_r cap_r, bounds this stage; mu = the stage's range per smallest need
            # makes leaving more need uncovered never pay (an exact penalty when needs differ by
            # at least the smallest need).
            open_caps = [r_i for r_i, cap in enumerate(caps)
                         if cap > float(w[(q.cost > q.radii[r_i]).all(axis=1)].sum()) + tol[r_i]]
            # Hub sets that leave more need uncovered are valued inf (``primal``), so the search
            # is exact for any mu even where needs differ by less than the smallest need.
            bmat, shift, primal = smat, 0.0, None
            if open_caps:
                unit = float(w[w > 0].min()) if (w > 0).any() else 1.0
                mu = np.ceil(1.01 * max(float(key[stage]) - bounds[stage], 0.0) / unit + 1.0)
                far = [q.cost > q.radii[r_i] for r_i in open_caps]
                bmat = smat + mu * sum(x.astype(float) for x in far)
                shift = mu * sum(caps[r_i] for r_i in open_caps)
                limit = [caps[r_i] + tol[r_i] for r_i in open_caps]
                fo = np.zeros(q.m) if fq is None else fq

                def primal(h):
                    if any(float(w[x[:, h].all(axis=1)].sum()) > c for x, c in zip(far, limit)):
                        return np.inf
                    return float(w @ bmat[:, h].min(axis=1)) + float(fo[h].sum())

            lb, bh, bv, nodes, done = _branch_and_bound(
                q, bmat, w, float(key[stage]) + shift, qhubs, lam if not open_caps else None,
                integral=integral and _integral(bmat, w) and float(shift).is_integer(), deadline=deadline,
                abs_tol=0.5 * ttol if open_caps else None, f=fq, max_nodes=max_nodes, primal=primal)
            if stats is not None:
                stats.setdefault("bb_nodes", {})[stage] = stats.get("bb_nodes", {}).get(stage, 0) + nodes
            bounds[stage] = max(bounds[stage], lb - shift)
            hk = _keys(p, w, idx[bh])
            if _lex_less(hk, key, tol):
                hubs, key = np.sort(idx[bh]), hk
                ttol = max(tol[stage], _REL_TOL * abs(key[stage]))

        # Our branch and bound on a small budget first: most problems end there. Then the MILP,
        # which only searches for a better incumbent (its own bound is a claim of the solver,
        # tolerances and all, kept in the stats but never used as a proof), and the full search.
        if key[stage] > bounds[stage] + ttol:
            prove(_BB_QUICK_NODES)
        solver_lb = bounds[stage]
        L = None
        while key[stage] > solver_lb + ttol and time.perf_counter() < deadline:
            left = deadline - time.perf_counter() if np.isfinite(deadline) else None
            if stage < last:
                h, lb, ok = _milp_cover(q, w, stage, caps, left)
                at_cut = None
            else:
                if L is None:
                    L = _Levels(q)
                    T = L.level_of(qhubs)
                    for r in range(len(q.radii)):
                        T = np.maximum(T, L.grad[r])
                    if (L.K - 1).sum() <= 60_000:
                        T = L.K - 2  # small enough to solve untruncated
                    T = np.minimum(np.maximum(T, 0), L.K - 2)
                h, lb, at_cut, ok = _milp_stage(q, L, w, T, caps, left)
            if h is None:
                break
            solver_lb = max(solver_lb, lb)
            if len(h) == p.k:
                hk = _keys(p, w, idx[h])
                if _lex_less(hk, key, tol):
                    hubs, key = np.sort(idx[h]), hk
                    ttol = max(tol[stage], _REL_TOL * abs(key[stage]))
            if at_cut is None or not ok:
                break
            grow = at_cut & (T < L.K - 2)
            if not grow.any():
                break
            lvl = L.level_of(h) if len(h) == p.k else T
            T = np.where(grow, np.minimum(np.maximum(lvl, 2 * T + 1), L.K - 2), T)
        if stats is not None:
            stats.setdefault("solver_bound", {})[stage] = float(solver_lb)
        if key[stage] > bounds[stage] + ttol:
            prove(_BB_MAX_NODES)
        if key[stage] > bounds[stage] + ttol:
            return hubs, key, bounds, False
        bounds[stage] = min(bounds[stage], key[stage])
        if stage < len(p.radii):
            caps.append(float(key[stage]))
    return hubs, key, bounds, True


# --------------------------------------------------------------------------------------------
# public API


def _result(p: _Problem, w: np.ndarray, hubs: np.ndarray, key: np.ndarray, bounds: np.ndarray,
            proven: bool, method: str, stats: dict) -> SitingResult:
    n = p.cost.shape[0]
    sh = p.cost[:, hubs]
    a = sh.argmin(axis=1)
    d = sh[np.arange(n), a]
    unc = d > p.max_distance if p.max_distance is not None else np.zeros(n, bool)
    assign = np.where(unc, -1, p.cols[hubs][a])
    dist = np.where(unc, np.nan, d)
    uw = float(w[unc].sum())
    tw = float(w.sum())
    tol = _tols(p, w)
    if p.model == "mclp":
        obj = tw - float(key[0])
        lo, hi = obj, tw - float(bounds[0]) if np.isfinite(bounds[0]) else np.nan
    else:
        obj = float(w[~unc] @ d[~unc]) + float(p.f[hubs].sum())
        lo, hi = np.nan, obj
        # the distance bound holds once the coverage criterion (if any) is proven
        if all(key[s] <= bounds[s] + max(tol[s], _REL_TOL * abs(key[s])) for s in range(len(p.radii))):
            if np.isfinite(bounds[-1]):
                lo = float(bounds[-1]) - (p.max_distance * uw if p.max_distance is not None else 0.0)
                lo = min(lo, obj)
    gap = (hi - lo) / abs(obj) if np.isfinite(lo) and np.isfinite(hi) and obj != 0 else (
        0.0 if np.isfinite(lo) and np.isfinite(hi) and hi - lo <= 0 else np.nan)
    if np.isfinite(gap) and gap <= _REL_TOL:
        gap = max(gap, 0.0)
    optimal = bool(proven)
    return SitingResult(hubs=np.sort(p.cols[hubs]), assignment=assign, distance=dist, objective=obj,
                        lower_bound=lo, upper_bound=hi, optimal=optimal, gap=gap, method=method,
                        uncovered=np.flatnonzero(unc), uncovered_weight=uw, model=p.model, stats=stats)


def _is_proven(p: _Problem, key, bounds, w) -> bool:
    tol = _tols(p, w)
    return all(np.isfinite(bounds[s]) and key[s] <= bounds[s] + max(tol[s], _REL_TOL * abs(key[s]))
               for s in range(len(p.stages)))


def _run(p: _Problem, w: np.ndarray, *, method: str, time_limit: float | None, seed: int,
         start=None, rounds: int = _PERTURB_ROUNDS, warm: dict | None = None) -> SitingResult:
    t0 = time.perf_counter()
    deadline = t0 + time_limit if time_limit is not None else np.inf
    if method not in ("auto", "exact", "heuristic"):
        raise InputError("unknown method", expected="'auto', 'exact' or 'heuristic'", got=method)
    if method == "auto":
        method = "exact" if p.cost.size <= _AUTO_EXACT_CELLS else "heuristic"
    tol = _tols(p, w)
    # an exact solve proves (or improves) its start whatever it is: a warm start needs no greedy
    hubs, key = _construct(p, w, tol, start, deadline, greedy=method != "exact")
    stats = {"construct_s": time.perf_counter() - t0, "construct_key": key.copy()}
    if method == "exact":
        hubs, key, bounds, proven = _exact(p, w, hubs, key, deadline=deadline, warm=warm, stats=stats)
        proven = proven and _is_proven(p, key, bounds, w)
    else:
        # Lagrangian bound of each criterion while the earlier ones are proven; its relaxed
        # solutions double as restarts. Then perturbation rounds unless already proven.
        bounds = np.full(len(p.stages), -np.inf)
        for s in range(len(p.stages)):
            mat = _bound_matrix(p, w, s, [float(x) for x in key[:s]])
            lb, _, lh, _ = _lagrangian(p, mat, w, float(key[s]), hubs, deadline=deadline,
                                       f=p.open_cost if s == len(p.stages) - 1 else None)
            bounds[s] = max(lb, _trivial_bound(p.stages[s], w))
            if _lex_less(_keys(p, w, lh), key, tol):
                hubs, key = _local_search(p, w, lh, tol, deadline)
            if key[s] > bounds[s] + max(tol[s], _REL_TOL * abs(key[s])):
                break
        proven = _is_proven(p, key, bounds, w)
        if not proven:
            # a few independent chains (restarts from the best so far, other seeds)
            for chain in range(_ILS_CHAINS):
                hubs, key = _perturb(p, w, hubs, key, tol, seed=seed + 7919 * chain, rounds=rounds,
                                     deadline=deadline)
    stats["total_s"] = time.perf_counter() - t0
    return _result(p, w, hubs, key, bounds, proven, method, stats)


def solve(cost, weight, k: int, *, model: str = "pmedian", reach: float | None = None,
          candidates=None, fixed: Iterable[int] = (), excluded: Iterable[int] = (),
          group: Sequence | None = None, group_max: Mapping | None = None,
          group_min: Mapping | None = None, max_distance: float | None = None,
          method: str = "auto", time_limit: float | None = None, seed: int = 0,
          names: Sequence | None = None, open_cost=None, start: Iterable[int] | None = None,
          subset=None, subset_min: int = 0) -> SitingResult:
    """Choose ``k`` hubs among the columns of a cost matrix.

    Parameters
    ----------
    cost : array (n_demand, n_candidate)
        Distance from each demand row to each candidate column, km (finite, >= 0).
    weight : array (n_demand,)
        Need of each demand row (>= 0).
    k : int
        Number of hubs to open.
    model : {"pmedian", "mclp"}
        Minimise need-weighted distance, or maximise need within ``reach``.
    reach : float, optional
        Coverage radius (km) for MCLP.
    candidates : bool array (n_candidate,), optional
        Eligible candidate columns (default: all).
    fixed, excluded : iterable of int
        Columns that must / must not be hubs.
    group : sequence (n_candidate,), optional
        Group label per candidate column (e.g. 권역).
    group_max, group_min : dict label -> int, optional
        At most / at least so many hubs per group.
    max_distance : float, optional
        Maximum spoke distance (km); demand beyond it from every hub is uncovered (see the
        module docstring for how it enters the objective).
    method : {"auto", "exact", "heuristic"}
        "auto" is exact up to 400,000 matrix cells (시군구 scale), heuristic above.
    time_limit : float, optional
        Seconds; an exact run stopped by it returns the best solution with its bound.
    seed : int
        Seed of the perturbation rounds of the heuristic (results are deterministic for a
        given seed unless ``time_limit`` cuts a run short).
    names : sequence (n_candidate,), optional
        Labels of the candidate columns (e.g. region codes), used in error messages.
    open_cost : array (n_candidate,), optional
        p-median only: a cost (>= 0) for opening each candidate, added to the objective
        (used for the capability trade-off: see :func:`frontier`).
    start : iterable of int, optional
        Candidate columns of a known solution (e.g. of a similar problem) to start the local
        search from as well; only eligible columns are used, the set is completed greedily.
    subset : bool array (n_candidate,), optional
        A set of candidate columns (e.g. those near an existing organisation) of which at
        least ``subset_min`` must be hubs; exact in every solver path (the Lagrangian
        subproblem, branch and bound, the MILPs).
    subset_min : int
        Default 0 (no rule).

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        Malformed arrays or options.
    InfeasibleError
        Constraints that admit no solution; the message names every clash.
    """
    p = _prepare(cost, k, model=model, reach=reach, candidates=candidates, fixed=fixed,
                 excluded=excluded, group=group, group_max=group_max, group_min=group_min,
                 max_distance=max_distance, names=names, open_cost=open_cost, subset=subset,
                 subset_min=subset_min)
    w = _as_weight(weight, p.cost.shape[0])
    st = None
    if start is not None:
        st = _feasible_start(p, w, np.asarray(list(start), dtype=np.int64))
    return _run(p, w, method=method, time_limit=time_limit, seed=seed, start=st)


def _feasible_start(p: _Problem, w: np.ndarray, cols: np.ndarray) -> np.ndarray | None:
    """Working positions of a feasible hub set close to the given original columns, or None."""
    pos = np.searchsorted(p.cols, cols)
    ok = (pos < p.m) & (p.cols[np.minimum(pos, p.m - 1)] == cols)
    if p.subset_min:
        return _subset_start(p, w, [*p.fixed.tolist(), *pos[ok].tolist()])
    hubs = list(dict.fromkeys([*p.fixed.tolist(), *pos[ok].tolist()]))[: p.k]
    count = np.bincount(p.gid[hubs], minlength=len(p.gmax)) if hubs else np.zeros(len(p.gmax), int)
    if (count > p.gmax).any():
        return None
    s = p.stages[-1]
    d = s[:, hubs].min(axis=1) if hubs else np.full(s.shape[0], np.inf)
    while len(hubs) < p.k:
        deficit = np.maximum(p.gmin - count, 0)
        gok = deficit > 0 if deficit.sum() >= p.k - len(hubs) else count < p.gmax
        okj = gok[p.gid]
        okj[hubs] = False
        if not okj.any():
            return None
        j = int(np.argmin(np.where(okj, w @ np.minimum(s, d[:, None]), np.inf)))
        hubs.append(j)
        count[p.gid[j]] += 1
        d = np.minimum(d, s[:, j])
    if (np.maximum(count, 0) < p.gmin).any():
        return None
    return np.sort(np.array(hubs, dtype=np.int64))


def _subset_start(p: _Problem, w: np.ndarray, order: list) -> np.ndarray | None:
    """:func:`_feasible_start` with the subset rule: the start's columns in order while the set
    can still be completed, then the cheapest completing columns."""
    hubs: list = []
    for j in dict.fromkeys(order):
        if len(hubs) < p.k and (j in p.fixed or _subset_ok(p, hubs)[j]):
            hubs.append(int(j))
    s = p.stages[-1]
    d = s[:, hubs].min(axis=1) if hubs else np.full(s.shape[0], np.inf)
    while len(hubs) < p.k:
        okj = _subset_ok(p, hubs)
        okj[hubs] = False
        if not okj.any():
            return None
        j = int(np.argmin(np.where(okj, w @ np.minimum(s, d[:, None]), np.inf)))
        hubs.append(j)
        d = np.minimum(d, s[:, j])
    return np.sort(np.array(hubs, dtype=np.int64))


def choose_k(cost, weight, k_range: Iterable[int], *, share: float = 0.1, model: str = "pmedian",
             method: str = "auto", **constraints) -> tuple[int, pd.DataFrame]:
    """Choose the number of hubs by an elbow rule on the objective curve.

    The curve is, per k: p-median, the need-weighted distance with uncovered need counted at
    ``max_distance`` (so that covering more need never looks like a loss); MCLP, the need
    within reach. The *gain* of a step is the improvement per added hub from the previous k in
    ``k_range``. The rule: take the first k after which the next step gains less than ``share``
    of the first step's gain (adding a hub beyond it buys less than, by default, a tenth of
    what the first added hub bought); the largest k if that never happens, the smallest if the
    first step gains nothing.

    Parameters
    ----------
    cost, weight
        As for :func:`solve`.
    k_range : iterable of int
        At least two values of k (sorted and de-duplicated here).
    share : float
        Threshold on the gain, as a share of the first step's gain (0 < share < 1).
    model, method, **constraints
        Passed to :func:`solve`.

    Returns
    -------
    k : int
        The chosen number of hubs.
    table : DataFrame
        Index ``k``; columns objective, uncovered_weight, curve, gain (per added hub),
        gain_share (of the first step's gain), lower_bound, upper_bound, optimal, chosen.
    """
    ks = sorted({int(k) for k in k_range})
    if len(ks) < 2:
        raise InputError("k_range needs at least two values of k", got=ks)
    if not 0 < share < 1:
        raise InputError("share must lie strictly between 0 and 1", got=share)
    rows = []
    for k in ks:
        r = solve(cost, weight, k, model=model, method=method, **constraints)
        md = constraints.get("max_distance")
        curve = r.objective if model == "mclp" else r.objective + (md or 0.0) * r.uncovered_weight
        rows.append({"k": k, "objective": r.objective, "uncovered_weight": r.uncovered_weight,
                     "curve": curve, "lower_bound": r.lower_bound, "upper_bound": r.upper_bound,
                     "optimal": r.optimal})
    t = pd.DataFrame(rows).set_index("k")
    sign = 1.0 if model == "mclp" else -1.0
    steps = np.diff(np.asarray(ks, dtype=float))
    gain = np.concatenate([[np.nan], sign * np.diff(t["curve"].to_numpy()) / steps])
    t["gain"] = gain
    first = gain[1]
    t["gain_share"] = gain / first if first > 0 else np.nan
    chosen = ks[0]
    if first > 0:
        chosen = ks[-1]
        for i in range(1, len(ks) - 1):
            if gain[i + 1] < share * first:
                chosen = ks[i]
                break
    t["chosen"] = t.index == chosen
    t = t[["objective", "uncovered_weight", "curve", "gain", "gain_share", "lower_bound",
           "upper_bound", "optimal", "chosen"]]
    return chosen, t


def selection_frequency(cost, weight_draws, k: int, *, method: str = "auto", seed: int = 0,
                        **constraints) -> np.ndarray:
    """Share of weight draws in which each candidate column is a hub.

    Each draw is solved with the same constraints, warm-started from the previous draw's
    hubs. "auto" (default) and "exact" solve every draw as :func:`solve` does (exact at
    시군구 scale: about 1-5 s for 200 draws at 229 x 229 with the warm start); "heuristic" runs only greedy +
    local search from greedy and from the previous hubs, keeping the better (about 1-2 s for
    200 draws, but a local optimum: at k=8 it missed the optimum in about a third of
    lognormal(0, 0.3) draws, by up to 2 %).

    Parameters
    ----------
    cost : array (n_demand, n_candidate)
    weight_draws : array (n_draws, n_demand)
        One need vector per draw (e.g. Monte Carlo draws of the composite score).
    k : int
    method : {"heuristic", "auto", "exact"}
    seed : int
    **constraints
        model, reach, candidates, fixed, excluded, group, group_max, group_min,
        max_distance, names (as for :func:`solve`).

    Returns
    -------
    numpy.ndarray (n_candidate,)
        Share of draws in which each column is a hub (0 for ineligible columns).
    """
    p = _prepare(cost, k, **constraints)
    n = p.cost.shape[0]
    W = np.asarray(weight_draws, dtype=float)
    if W.ndim != 2 or W.shape[1] != n or W.shape[0] == 0:
        raise InputError("weight_draws must be one row of need per draw", expected=f"shape (n_draws, {n})",
                         got=W.shape)
    from geo.io import progress

    counts = np.zeros(np.asarray(cost).shape[1])
    prev, warm = None, {}
    for d in progress(iterable=range(W.shape[0]), desc="siting robustness", unit="draw"):
        w = _as_weight(W[d], n)
        if method == "heuristic":
            hubs, _ = _construct(p, w, _tols(p, w), start=prev)
        else:
            r = _run(p, w, method=method, time_limit=None, seed=seed, start=prev, warm=warm)
            hubs = np.searchsorted(p.cols, r.hubs)
        counts[p.cols[hubs]] += 1
        prev = hubs
    return counts / W.shape[0]


class DrawSolves:
    """The exact re-solve of each row of ``weight_draws``: ``solves(d)`` -> hub columns of draw d.

    Parameters
    ----------
    cost, k, model, open_cost, **constraints
        As for :func:`solve` (``constraints``: candidates, fixed, excluded, group, group_max,
        group_min, max_distance, names).
    weight_draws : array (n_draws, n_demand)
        One demand vector per draw.
    open_cost_draws : array (n_draws, n_candidate), optional
        One open-cost vector per draw (e.g. :func:`capability_cost` of drawn capabilities),
        replacing ``open_cost``.
    start : sequence of int, optional
        Hub columns to start every draw from (e.g. the nominal solution).

    Draw 0 is solved on construction; every other draw is warm-started from ``start`` and from
    draw 0's Lagrangian multipliers (rescaled to its weights). Draws scatter around the nominal
    problem, so one anchor near it starts each closer than the previous draw would, and each
    solve depends on its draw alone: any process can solve any draw with the same result.
    """

    def __init__(self, cost, weight_draws, k: int, *, open_cost=None, open_cost_draws=None,
                 model: str = "pmedian", start=None, **constraints):
        self.W = np.asarray(weight_draws, dtype=float)
        self.open_cost_draws = open_cost_draws
        self.p0 = _prepare(cost, k, model=model, open_cost=open_cost, **constraints)
        self.first = None if start is None else np.searchsorted(self.p0.cols, np.asarray(start, dtype=np.int64))
        self.anchor: dict = {}
        self.hubs0 = self._solve(0, self.anchor) if len(self) else None

    def __len__(self) -> int:
        return self.W.shape[0]

    def _solve(self, d: int, warm: dict) -> np.ndarray:
        p = self.p0
        if self.open_cost_draws is not None:
            p = replace(p, open_cost=np.asarray(self.open_cost_draws[d], dtype=float)[p.cols])
        return _run(p, _as_weight(self.W[d], p.cost.shape[0]), method="auto", time_limit=None, seed=0,
                    start=self.first, warm=warm).hubs

    def __call__(self, d: int) -> np.ndarray:
        return self.hubs0 if d == 0 else self._solve(d, dict(self.anchor))  # _exact replaces entries


def solve_draws(cost, weight_draws, k: int, **kw) -> list[np.ndarray]:
    """Hub columns of an exact re-solve for every row of ``weight_draws`` (arguments as
    :class:`DrawSolves`), shared between the cores (:func:`geo.workers.share_map`)."""
    from geo.workers import share_map

    solves = DrawSolves(cost, weight_draws, k, **kw)
    return share_map(solves, range(len(solves)))


# --------------------------------------------------------------------------------------------
# benchmark instances


def read_orlib_pmedian(path) -> tuple[np.ndarray, int]:
    """(cost matrix, p) of an OR-Library p-median file (Beasley 1985, ``pmedN.txt``).

    First line ``n edges p``, then one undirected edge ``i j cost`` per line (vertices 1..n);
    a later line for the same pair overrides an earlier one (the OR-Library convention); the
    cost matrix is the all-pairs shortest path length. Every vertex is a unit-weight demand
    and a candidate.
    """
    from pathlib import Path

    from scipy.sparse.csgraph import shortest_path

    lines = Path(path).read_text().split("\n")
    try:
        n, e, p = (int(x) for x in lines[0].split())
        edges = np.array([[float(x) for x in ln.split()] for ln in lines[1:1 + e]])
    except ValueError as exc:
        raise InputError("not an OR-Library p-median file", expected="'n edges p' then 'i j cost' lines",
                         got=str(path)) from exc
    if edges.shape != (e, 3):
        raise InputError("OR-Library file is short of edge lines", expected=f"{e} lines of 'i j cost'",
                         got=f"{path}: {edges.shape[0]}")
    c = np.full((n, n), np.inf)
    i, j = edges[:, 0].astype(int) - 1, edges[:, 1].astype(int) - 1
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    # the last line of each unordered pair wins
    _, last = np.unique((lo * n + hi)[::-1], return_index=True)
    last = e - 1 - last
    c[lo[last], hi[last]] = edges[last, 2]
    c[hi[last], lo[last]] = edges[last, 2]
    np.fill_diagonal(c, 0.0)
    return shortest_path(c, method="D", directed=False), p


# --------------------------------------------------------------------------------------------
# capability trade-off, price of the rules, robustness families, alternatives


def access_cost(C: np.ndarray, w: np.ndarray, hubs) -> float:
    """Demand-weighted cost from every region to its nearest hub (uncovered ones included)."""
    return float(w @ C[:, np.asarray(list(hubs), dtype=np.int64)].min(axis=1))


def capability_cost(capability: np.ndarray, mu: float) -> np.ndarray:
    """Open cost ``mu * (max capability - capability)`` per candidate (>= 0)."""
    cap = np.asarray(capability, dtype=float)
    return mu * (float(np.nanmax(cap)) - cap)


def _eps_point(p: _Problem, w: np.ndarray, smat: np.ndarray, cap: np.ndarray, need_sum: float,
               start: np.ndarray, mu: float, *, deadline: float):
    """Least access cost with the hubs' capability summing to at least ``need_sum``.

    ``smat`` is the distance criterion with the coverage rules as forbidden pairs; ``cap``
    per working column; ``start`` a feasible hub set (working positions). A descent over
    single swaps that keep the capability requirement finds the solution; the proof is
    :func:`_branch_and_bound` on the Lagrangian relaxation of the requirement with multiplier
    ``mu`` (open cost mu * (max capability - cap_j), less its largest value for a set that
    meets the requirement), candidate sets valued only if they meet it, and nodes pruned
    where the most capable hub set cannot. Returns (hubs, access, lower bound, proven).
    """
    slack = 1e-9 * max(abs(need_sum), 1.0)

    def access(h):
        return float(w @ smat[:, h].min(axis=1))

    hubs = np.sort(np.asarray(start, dtype=np.int64))
    cur = access(hubs)
    tol = 1e-11 * max(abs(cur), 1.0)
    while time.perf_counter() < deadline:
        ok = _swap_ok(p, hubs)
        total = float(cap[hubs].sum())
        ok &= (total - cap[hubs][:, None] + cap[None, :]) >= need_sum - slack
        if not ok.any():
            break
        v = np.where(ok, _swap_values(smat, w, hubs), np.inf)
        flat = int(np.argmin(v))
        if not v.flat[flat] < cur - tol:
            break
        r, j = divmod(flat, p.m)
        hubs = hubs.copy()
        hubs[r] = j
        hubs.sort()
        cur = access(hubs)
    capmax = float(cap.max())
    f = mu * (capmax - cap)
    shift = mu * (p.k * capmax - need_sum)

    def primal(h):
        return access(h) + shift if cap[h].sum() >= need_sum - slack else np.inf

    def node_ok(q, idx):
        best = _best_subset(q, -cap[idx])
        return best is not None and cap[idx][best].sum() >= need_sum - slack

    lb, bh, bv, _, done = _branch_and_bound(p, smat, w, cur + shift, hubs, None, integral=False,
                                            deadline=deadline, abs_tol=0.5 * _REL_TOL * abs(cur), f=f,
                                            primal=primal, node_ok=node_ok)
    if bv - shift < cur - tol:
        hubs, cur = np.sort(bh), bv - shift
    lower = lb - shift
    return hubs, cur, lower, bool(done and lower >= cur - _REL_TOL * abs(cur))


def frontier(C: np.ndarray, w: np.ndarray, k: int, capability: np.ndarray, *, n_points: int = 10,
             max_solves: int = 40, eps_seconds: float = 4.0, **constraints) -> pd.DataFrame:
    """Access cost against mean hub capability: the Pareto frontier, each point proven optimal.
    (:func:`frontier_parts` gives the supported points first and the ε-constraint fill apart.)

    Each point solves the p-median (all ``constraints`` kept, coverage first as in
    :func:`solve`) with an open cost ``mu * (max capability - capability_j)`` per hub, i.e.
    minimises access cost - mu * k * mean hub capability. A solution optimal for some mu is
    optimal for the ε-constraint problem "minimise access cost subject to mean hub
    capability >= ε" with ε its own mean capability (any cheaper set with as much capability
    would have a smaller weighted value), so every point with ``optimal`` True is a proven
    ε-constraint optimum. The values of mu come from the dichotomic (Aneja–Nair) search: start
    from mu = 0 (least access cost) and a mu large enough that capability dominates (most
    capable hubs), then solve at the slope between two neighbouring points until no new point
    appears between them (or ``max_solves``). This finds every *supported* point of the
    frontier (the corners of its convex hull). Points in its dents need the constraint
    itself: while there are fewer than ``n_points`` points (and for at most ``eps_seconds``),
    the widest gap between neighbours gets an ε-constraint solve at its middle capability
    (:func:`_eps_point`, proven by our branch and bound; ``optimal`` False if the proof did not
    finish). Those are done only when the coverage rule, if any, leaves only unreachable
    demand uncovered (it is then a set of forbidden pairs).

    Returns
    -------
    DataFrame
        One row per point, by increasing mean capability: mu (NaN for ε-constraint points),
        epsilon (the required mean capability of those), method, access (the model's distance
        criterion: demand-weighted cost of the covered demand), access_cost (every region to
        its nearest hub), mean_capability, min_hub_capability, hubs (';'-joined column
        indices), optimal, gap. More than ``n_points`` points are thinned to ``n_points``
        (end points kept).
    """
    supported, fill = frontier_parts(C, w, k, capability, n_points=n_points, max_solves=max_solves,
                                     eps_seconds=eps_seconds, **constraints)
    return supported if fill is None else fill()


def frontier_parts(C: np.ndarray, w: np.ndarray, k: int, capability: np.ndarray, *, n_points: int = 10,
                   max_solves: int = 40, eps_seconds: float = 4.0, **constraints):
    """The frontier in two parts: (table of the supported points, ``fill``), where ``fill()``
    returns the whole :func:`frontier` table with the ε-constraint points (None when there are
    none to add). ``fill`` needs nothing else, so it can run beside other work; its points lie
    in the dents between supported ones and never change which supported points there are.
    """
    cap = np.asarray(capability, dtype=float)
    w = _as_weight(w, np.asarray(C).shape[0])
    solves = [0]
    base_p = _prepare(C, k, open_cost=np.zeros(np.asarray(C).shape[1]), **constraints)
    # Every point is warm-started from the Lagrangian multipliers of the first (mu = 0): the
    # open costs move the relaxed hub choice but hardly the multipliers of the assignment, and
    # each point then depends on its own mu and start only.
    anchor: dict = {}

    def point(mu: float, start=None) -> dict:
        f = capability_cost(cap, mu)
        pm = replace(base_p, open_cost=f[base_p.cols])
        st = None if start is None else np.searchsorted(base_p.cols, [int(x) for x in start.split(";")])
        wm = dict(anchor)  # the multipliers of the first point (mu = 0): see above
        r = _run(pm, w, method="auto", time_limit=None, seed=0, start=st, warm=wm)
        if not anchor:  # this was the first point
            anchor.update(wm)
        solves[0] += 1
        acc = float(r.objective - f[r.hubs].sum())
        return {"mu": mu, "access": acc, "access_cost": access_cost(C, w, r.hubs),
                "mean_capability": float(cap[r.hubs].mean()), "min_hub_capability": float(cap[r.hubs].min()),
                "hubs": ";".join(str(int(h)) for h in r.hubs), "optimal": r.optimal, "gap": r.gap,
                "weighted": r.objective, "uncovered": r.uncovered_weight}

    lo = point(0.0)
    span = float(np.nanmax(cap) - np.nanmin(cap)) or 1.0
    hi = point(1e3 * max(lo["access"], 1e-12) / (k * span))
    pts = {lo["hubs"]: lo, hi["hubs"]: hi}
    todo = [(lo, hi)] if hi["hubs"] != lo["hubs"] else []
    while todo and solves[0] < max_solves:
        a, b = todo.pop(0)
        dc = k * (b["mean_capability"] - a["mean_capability"])
        if dc <= 0 or b["access"] <= a["access"]:
            continue
        mu = (b["access"] - a["access"]) / dc
        p = point(mu, start=a["hubs"])
        base = a["access"] - mu * k * a["mean_capability"]
        val = p["access"] - mu * k * p["mean_capability"]
        if p["hubs"] in pts or val >= base - 1e-9 * max(abs(base), 1.0):
            continue  # a and b are neighbours on the hull
        pts[p["hubs"]] = p
        todo += [(a, p), (p, b)]
    hull = sorted(pts.values(), key=lambda d: d["mean_capability"])
    if len(hull) < 2 or len(hull) >= n_points:
        return _frontier_table(pts, n_points), None

    def fill() -> pd.DataFrame:
        return _frontier_table(_fill_dents(pts, hull, C, w, k, cap, n_points, eps_seconds, constraints), n_points)

    return _frontier_table(pts, n_points), fill


def _fill_dents(pts: dict, hull: list, C, w, k: int, cap, n_points: int, eps_seconds: float,
                constraints: dict) -> dict:
    """``pts`` with the ε-constraint points of the widest gaps between neighbours (see :func:`frontier`)."""
    pts = dict(pts)
    # Between neighbouring supported points the frontier may dent inwards: fill it with
    # ε-constraint solves at the middle capability of the widest gap (see _eps_point), while
    # the coverage rules, if any, hold trivially (only unreachable demand is uncovered).
    p0 = _prepare(C, k, **constraints)
    trivial = [float(w[(p0.cost > r).all(axis=1)].sum()) for r in p0.radii]
    caps_ok = all(abs(d["uncovered"] - trivial[-1]) <= 1e-9 * max(float(w.sum()), 1.0)
                  for d in hull) if p0.radii else True
    extra = []
    if caps_ok and len(hull) >= 2:
        smat = _bound_matrix(p0, w, len(p0.stages) - 1, trivial)
        capw = cap[p0.cols]
        segs = [(hull[i], hull[i + 1]) for i in range(len(hull) - 1)]
        deadline = time.perf_counter() + eps_seconds
        while len(hull) + len(extra) < n_points and segs and time.perf_counter() < deadline:
            span_a = max(float(hull[-1]["access"] - hull[0]["access"]), 1e-12)
            span_c = max(float(hull[-1]["mean_capability"] - hull[0]["mean_capability"]), 1e-12)
            widths = [np.hypot((b["access"] - a["access"]) / span_a,
                               (b["mean_capability"] - a["mean_capability"]) / span_c) for a, b in segs]
            a, b = segs.pop(int(np.argmax(widths)))
            dc = k * (b["mean_capability"] - a["mean_capability"])
            if dc <= 0:
                continue
            mu = max((b["access"] - a["access"]) / dc, 0.0)
            eps = 0.5 * (a["mean_capability"] + b["mean_capability"])
            start = np.searchsorted(p0.cols, [int(x) for x in b["hubs"].split(";")])
            # smat counts the unreachable demand at the spoke limit; the model leaves it out
            offset = float(w @ smat[:, start].min(axis=1)) - b["access"]
            h, acc, lb, proven = _eps_point(p0, w, smat, capw, k * eps, start, mu,
                                            deadline=time.perf_counter() + max(deadline - time.perf_counter(), 0.0))
            acc, lb = acc - offset, lb - offset
            hubs = p0.cols[h]
            key = ";".join(str(int(x)) for x in hubs)
            if key in pts:
                continue
            pt = {"mu": np.nan, "access": acc, "access_cost": access_cost(C, w, hubs),
                  "mean_capability": float(cap[hubs].mean()), "min_hub_capability": float(cap[hubs].min()),
                  "hubs": key, "optimal": proven, "gap": (acc - lb) / abs(acc) if acc else 0.0,
                  "weighted": np.nan, "uncovered": np.nan, "epsilon": eps}
            pts[key] = pt
            extra.append(pt)
            segs += [(a, pt), (pt, b)]
    return pts


def _frontier_table(pts: dict, n_points: int) -> pd.DataFrame:
    t = pd.DataFrame(list(pts.values())).drop(columns=["weighted", "uncovered"])
    if "epsilon" not in t.columns:
        t["epsilon"] = np.nan
    t["method"] = np.where(t["mu"].notna(), "weighted sum (supported)", "epsilon-constraint")
    t = t.sort_values(["mean_capability", "access"], kind="stable").reset_index(drop=True)
    # a point is on the frontier only if no other point is at least as good on both axes
    dom = [bool(((t["access"] <= a) & (t["mean_capability"] >= c)
                 & ((t["access"] < a - 1e-9 * abs(a)) | (t["mean_capability"] > c + 1e-12))).any())
           for a, c in zip(t["access"], t["mean_capability"])]
    t = t[~np.array(dom)].reset_index(drop=True)
    if len(t) > n_points:
        pick = np.unique(np.round(np.linspace(0, len(t) - 1, n_points)).astype(int))
        t = t.iloc[pick].reset_index(drop=True)
    return t


def pick_frontier(table: pd.DataFrame, rule=("knee", None)) -> int:
    """Row of :func:`frontier` chosen by the scenario rule.

    * ``("knee", None)``: the point farthest from the chord between the two end points, both
      axes scaled to [0, 1] (access cost from its minimum to its maximum on the frontier,
      capability likewise): where giving up more access buys the least extra capability.
    * ``("min_capability", x)``: the cheapest point whose mean hub capability is >= x (the most
      capable one if none reaches x).
    * ``("max_access_increase", s)``: the most capable point whose access cost is at most
      (1 + s) times the cheapest one.
    """
    kind, x = rule
    a = table["access"].to_numpy(float)
    c = table["mean_capability"].to_numpy(float)
    if kind == "min_capability":
        ok = np.flatnonzero(c >= x)
        return int(ok[np.argmin(a[ok])]) if ok.size else int(np.argmax(c))
    if kind == "max_access_increase":
        ok = np.flatnonzero(a <= (1 + x) * a.min())
        return int(ok[np.argmax(c[ok])])
    if len(table) < 3:
        return 0
    an = (a - a.min()) / (np.ptp(a) or 1.0)
    cn = (c - c.min()) / (np.ptp(c) or 1.0)
    x0, y0, x1, y1 = an[0], cn[0], an[-1], cn[-1]
    dist = np.abs((x1 - x0) * (y0 - cn) - (x0 - an) * (y1 - y0)) / (np.hypot(x1 - x0, y1 - y0) or 1.0)
    return int(np.argmax(dist))


def swap_alternatives(C: np.ndarray, w: np.ndarray, hubs, capability: np.ndarray, eligible: np.ndarray,
                      group: np.ndarray, assignment: np.ndarray, *, max_distance: float | None = None,
                      group_max: Mapping | None = None, group_min: Mapping | None = None,
                      subset=None, subset_min: int = 0) -> list[dict]:
    """Per hub, the best other site in its catchment or 권역 and the cost of swapping to it.

    For hub h, every eligible non-hub region j in h's catchment (its spokes) or in h's group
    is tried as a replacement (all other hubs kept) that the rules allow: the 권역 limits hold,
    at least ``subset_min`` hubs stay in ``subset`` and, with ``max_distance``, every region
    within it of a hub stays so; the one with the least access cost wins.
    Returns per hub: alt (column index or -1), d_access_pct (access cost change, %),
    d_capability (change of the mean hub capability, points).
    """
    hubs = np.asarray(list(hubs), dtype=np.int64)
    base_a = access_cost(C, w, hubs)
    base_c = float(capability[hubs].mean())
    covered = C[:, hubs].min(axis=1) <= max_distance if max_distance is not None else None
    out = []
    for r, h in enumerate(hubs):
        pool = eligible & ((group == group[h]) | (assignment == h))
        pool[hubs] = False
        best = None
        for j in np.flatnonzero(pool):
            trial = hubs.copy()
            trial[r] = j
            if group[j] != group[h]:
                n_to = int((group[trial] == group[j]).sum())
                n_from = int((group[trial] == group[h]).sum())
                if n_to > (group_max or {}).get(group[j], len(trial)) or n_from < (group_min or {}).get(group[h], 0):
                    continue
            if subset_min and int(np.asarray(subset)[trial].sum()) < subset_min:
                continue
            if covered is not None and (C[covered][:, trial].min(axis=1) > max_distance).any():
                continue
            a = access_cost(C, w, trial)
            if best is None or a < best[1]:
                best = (int(j), a, float(capability[trial].mean()))
        if best is None:
            out.append({"alt": -1, "d_access_pct": np.nan, "d_capability": np.nan})
        else:
            out.append({"alt": best[0], "d_access_pct": 100 * (best[1] - base_a) / base_a if base_a else 0.0,
                        "d_capability": best[2] - base_c})
    return out
