"""Compiled inner loops of the siting solver (numba): the subgradient steps of the Lagrangian
bound, which the exact solver runs tens of thousands of times per national run, the single-swap
values of its local search and the exact bounds of its reduced-cost fixing under group limits.

:func:`subgradient` is the loop of :func:`geo.solver._lagrangian` (visiting row prefixes), with
the hub-set pick of :func:`geo.solver._group_picker` (fixed hubs, per-group minimum and
maximum) written out: the same steps, the same bound (a value computed from the multipliers and
the exact relaxed subproblem), without the per-step overhead of a dozen small numpy calls.
Compiled code is cached beside the module, so only the first run on a machine compiles it.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _pick(rho, fixed, gid, need, room, free_slots, grouped, order_buf, out):
    """Hub set of least ``rho`` under the group limits, into ``out``; returns its size
    (-1: no feasible set). Columns of a group in rho order (ties by index): ranks below the
    group's deficit are taken, ranks below its room are offered, the cheapest offers fill up."""
    m = rho.shape[0]
    order = np.argsort(rho, kind="mergesort")
    n_groups = need.shape[0]
    seen = np.zeros(n_groups, np.int64)
    nt = 0
    no = 0
    for t in range(m):
        j = order[t]
        if fixed[j] or not np.isfinite(rho[j]):
            continue
        if grouped:
            g = gid[j]
            r = seen[g]
            seen[g] = r + 1
            if r < need[g]:
                out[nt] = j
                nt += 1
            elif r < room[g]:
                order_buf[no] = j
                no += 1
        else:
            order_buf[no] = j
            no += 1
    for g in range(n_groups):
        if grouped and seen[g] < need[g]:
            return -1  # too few available columns in the group for its minimum
    left = free_slots - nt
    if left < 0 or no < left:
        return -1
    for t in range(left):
        out[nt + t] = order_buf[t]
    size = nt + left
    for j in range(m):
        if fixed[j]:
            out[size] = j
            size += 1
    out[:size].sort()
    return size


@njit(cache=True, nogil=True)
def subgradient(ws, srt, lam, f, ub, hubs, max_iter, goal, pi0, stall_limit, pi_min, rel_tol,
                fixed, gid, need, room, free_slots, grouped):
    """Subgradient steps on ``min_S sum_i min_j (ws_ij) [+ f_j]`` relaxed by ``lam``.

    Each row is visited in its own cost order (``srt``: an ascending order of each row of
    ``ws``) and only as far as it matters: its columns cheaper than ``lam_i`` (the only terms
    of ``rho``) and its nearest chosen hub. The terms are added in row order, as a sum over
    the whole matrix would add them; which of equal costs comes first changes no sum.
    Returns (best bound, its multipliers, best hub set seen, its value, steps taken).
    """
    n, m = ws.shape
    wss = np.empty((n, m))
    for i in range(n):
        for t in range(m):
            wss[i, t] = ws[i, srt[i, t]]
    lam = lam.copy()
    best = -np.inf
    best_lam = lam.copy()
    pi = pi0
    stall = 0
    best_hubs = hubs.copy()
    best_val = ub
    rho = np.empty(m)
    buf = np.empty(m, np.int64)
    S = np.empty(m, np.int64)
    inS = np.zeros(m, np.bool_)
    sub = np.empty(n)
    steps = 0
    for _ in range(max_iter):
        steps += 1
        for j in range(m):
            rho[j] = 0.0
        for i in range(n):
            li = lam[i]
            for t in range(m):
                d = wss[i, t] - li
                if not d < 0.0:
                    break
                rho[srt[i, t]] += d
        for j in range(m):
            rho[j] += f[j]
        size = _pick(rho, fixed, gid, need, room, free_slots, grouped, buf, S)
        if size < 0:
            break
        val = 0.0
        for i in range(n):
            val += lam[i]
        rs = 0.0
        for t in range(size):
            rs += rho[S[t]]
            inS[S[t]] = True
        val += rs
        primal = 0.0
        norm = 0.0
        for i in range(n):
            li = lam[i]
            mn = np.inf
            found = False
            below = 0
            for t in range(m):
                x = wss[i, t]
                cheap = x < li
                if not cheap and found:
                    break
                if inS[srt[i, t]]:
                    if not found:
                        mn = x
                        found = True
                    if cheap:
                        below += 1
            primal += mn
            sub[i] = 1.0 - below
            norm += sub[i] * sub[i]
        fs = 0.0
        for t in range(size):
            fs += f[S[t]]
            inS[S[t]] = False
        primal += fs
        if primal < best_val:
            best_hubs = S[:size].copy()
            best_val = primal
        if val > best:
            if val > best + 1e-6 * (best_val - best):
                stall = 0
            else:
                stall += 1
            best = val
            best_lam[:] = lam
        else:
            stall += 1
        if stall >= stall_limit:
            pi = pi / 2
            stall = 0
        if best_val - best <= rel_tol * max(abs(best_val), 1e-300) or pi < pi_min or best > goal:
            break
        if norm == 0.0:
            break
        step = pi * (best_val - val) / norm
        for i in range(n):
            lam[i] += step * sub[i]
    return min(best, best_val), best_lam, best_hubs, best_val, steps


@njit(cache=True, nogil=True)
def _pick_sum(rho, order, fixed, gid, need, room, free_slots, force_j, skip_j, seen):
    """Sum of ``rho`` over the cheapest free columns that complete a hub set under the group
    limits (as :func:`_pick`, ``order`` the columns by rho), with column ``force_j`` taken first
    and ``skip_j`` unavailable (-1: none); inf if no set exists."""
    n_groups = need.shape[0]
    for g in range(n_groups):
        seen[g] = 0
    total = 0.0
    slots = free_slots
    gf = -1
    if force_j >= 0:
        gf = gid[force_j]
        if room[gf] < 1:
            return np.inf
        total += rho[force_j]
        slots -= 1
    taken = 0
    offered = 0
    offer_sum = 0.0
    # deficits first: with force_j in its group, that group needs one column less
    deficit = 0
    for g in range(n_groups):
        d = need[g] - 1 if g == gf and need[g] > 0 else need[g]
        deficit += d
    left = slots - deficit
    if left < 0:
        return np.inf
    for t in range(order.shape[0]):
        j = order[t]
        if fixed[j] or j == force_j or j == skip_j or not np.isfinite(rho[j]):
            continue
        g = gid[j]
        r = seen[g]
        seen[g] = r + 1
        nd = need[g] - 1 if g == gf and need[g] > 0 else need[g]
        rm = room[g] - 1 if g == gf else room[g]
        if r < nd:
            total += rho[j]
            taken += 1
        elif r < rm and offered < left:
            offer_sum += rho[j]
            offered += 1
    if taken < deficit or offered < left:
        return np.inf
    return total + offer_sum


@njit(cache=True, nogil=True)
def fixing_exact(rho, todo, in_set, fixed, gid, need, room, free_slots, limit):
    """The exact bounds of reduced-cost fixing under group limits, for the columns ``todo``:
    a column out of the relaxed set is dropped if the cheapest set with it open exceeds
    ``limit``; a column in it is forced open if the cheapest set without it does. ``rho`` of
    the fixed columns and the multipliers' constant are in ``limit`` already.
    Returns (keep, force) over the columns."""
    m = rho.shape[0]
    order = np.argsort(rho, kind="mergesort")
    seen = np.zeros(need.shape[0], np.int64)
    keep = np.ones(m, np.bool_)
    force = np.zeros(m, np.bool_)
    for t in range(todo.shape[0]):
        j = todo[t]
        if not in_set[j]:
            if _pick_sum(rho, order, fixed, gid, need, room, free_slots, j, -1, seen) > limit:
                keep[j] = False
        elif _pick_sum(rho, order, fixed, gid, need, room, free_slots, -1, j, seen) > limit:
            force[j] = True
    return keep, force


@njit(cache=True, nogil=True)
def swap_values(s, w, hubs):
    """``sum_i w_i min_{j in S'} s_ij`` for every single swap S' = S - hubs[r] + j, as a
    (len(hubs), m) array: each demand keeps its nearest hub unless that one leaves, when it
    falls back to its second nearest (or j, if nearer)."""
    n, m = s.shape
    k = hubs.shape[0]
    out = np.zeros((k, m))
    base = np.zeros(m)
    for i in range(n):
        d1 = np.inf
        d2 = np.inf
        c1 = 0
        for r in range(k):
            x = s[i, hubs[r]]
            if x < d1:
                d2 = d1
                d1 = x
                c1 = r
            elif x < d2:
                d2 = x
        wi = w[i]
        for j in range(m):
            x = s[i, j]
            a = x if x < d1 else d1
            base[j] += wi * a
            if wi > 0:
                b = x if x < d2 else d2
                out[c1, j] += wi * (b - a)
    for r in range(k):
        for j in range(m):
            out[r, j] += base[j]
    return out


def warm() -> None:
    """Compile (or load from the cache) every kernel with the argument types the solver uses,
    so that the first siting of a fresh install does not wait for the compiler."""
    ws = np.ones((2, 3))
    no = np.zeros(3, np.bool_)
    order = np.zeros((2, 3), np.int64) + np.arange(3)
    subgradient(ws, order, np.zeros(2), np.zeros(3), 1.0, np.arange(1, dtype=np.int64), 2, np.inf, 2.0, 30, 1e-5, 1e-9,
                no, np.zeros(3, np.int64), np.zeros(1, np.int64), np.ones(1, np.int64), 1, True)
    swap_values(ws, np.ones(2), np.arange(1, dtype=np.int64))
    fixing_exact(np.zeros(3), np.arange(1, dtype=np.int64), no, no, np.zeros(3, np.int64), np.zeros(1, np.int64),
                 np.ones(1, np.int64), 1, 0.0)
