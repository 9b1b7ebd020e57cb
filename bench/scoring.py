"""Monte Carlo rank uncertainty: draws per second, against a naive per-draw pandas loop.

The indicator values are SYNTHETIC random numbers (log-normal, a few missing) under the
indicator ids of ``data/scenarios/national.yaml``: the benchmark measures speed only. The
scenario is the national one (10,000 draws of a Saltelli design; pillar and indicator weights
from Dirichlet draws; three normalisations × two aggregations), with the outlier rule fixed to
quantile winsorising and no drop-one, period or access factor, so that the reference can score
the same draws; a second row times the full national design (outlier rules, drop-one, periods,
access half-distances).

The reference scores the first 200 draws one at a time with pandas, as a straightforward
implementation would (normalise, weight, aggregate, rank per draw), using exactly the draws
of :func:`geo.scoring.monte_carlo`; its time is extrapolated to 10,000 draws and
``diff`` is the largest score difference between the two on those 200 draws.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

import numpy as np
import pandas as pd

from geo import indices, scoring
from geo.scenario import load_scenario, shipped_scenarios
from geo.scoring import monte_carlo

N_REF = 200


def _synthetic(scenario, n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    u = scenario.uncertainty
    ids = list(scenario.indicator_ids) + [b for _, sub in (*u.periods, *u.access) for _, b in sub]
    x = rng.lognormal(mean=0.0, sigma=1.0, size=(n, len(ids)))
    gap = np.flatnonzero(rng.random(n) < 0.3)       # some gaps for the missing-data path: one
    x[gap, rng.integers(0, len(ids), gap.size)] = np.nan  # per region at most, as the policy allows
    values = pd.DataFrame(x, columns=ids, index=pd.Index([f"{10000 + i:05d}" for i in range(n)],
                                                         name="region_code"))
    direction = [-1 if ("change" in i) else 1 for i in ids]  # the loss ids stay +1
    metadata = pd.DataFrame({"direction": direction}, index=pd.Index(ids, name="id"))
    return values, metadata


def _cold_monte_carlo(values, metadata, scenario):
    """One timed Monte Carlo with nothing kept from an earlier call (the treated and
    normalised columns are kept by value across calls in a process)."""
    indices.TREATED.clear()
    scoring.NORMALISED.clear()
    t, c = time.perf_counter(), time.process_time()
    u = monte_carlo(values, metadata, scenario)
    return u, time.perf_counter() - t, time.process_time() - c


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _naive(values: pd.DataFrame, metadata: pd.DataFrame, scenario, u, j: int) -> pd.Series:
    """One draw, scored with plain pandas (the reference)."""
    opts = scenario.scoring
    x = values[list(scenario.indicator_ids)]
    if opts.winsorise is not None:
        x = x.clip(x.quantile(opts.winsorise.lower), x.quantile(opts.winsorise.upper), axis=1)
    y = x * metadata.loc[x.columns, "direction"]
    method = u.normalisation[j]
    if method == "minmax":
        norm = 100 * ((y - y.min()) / (y.max() - y.min()))
    elif method == "rank":
        norm = 100 * (y.rank() - 1) / (y.count() - 1)
    else:
        norm = (y - y.min()) / y.std()
    pillars = {}
    for p in scenario.pillars:
        w = u.indicator_weights.loc[j, list(p.indicators)]
        sub = norm[list(p.indicators)]
        s = sub.mul(w).sum(axis=1) / sub.notna().mul(w).sum(axis=1)
        if method == "zscore":
            s = 100 * (s / s.max())
        pillars[p.name] = s
    pw = u.weights.loc[j]
    if u.aggregation[j] == "linear":
        total = sum(pw[p] * s for p, s in pillars.items())
    else:
        total = (np.exp(sum(pw[p] * np.log1p(0.99 * s) for p, s in pillars.items())) - 1) / 0.99
    total.rank(ascending=False, method="min")
    return total


def run(repeats: int = 3) -> list[dict]:
    national = load_scenario(shipped_scenarios()["national"])
    rows = []
    for n in (229, 3500):
        scenario = dataclasses.replace(
            national, siting=dataclasses.replace(national.siting, robustness_draws=N_REF),
            scoring=dataclasses.replace(national.scoring, outliers="winsorise"),
            uncertainty=dataclasses.replace(national.uncertainty, outlier_rules=(), drop_one=False, periods=(),
                                            access=()))
        values, metadata = _synthetic(national, n)
        d = scenario.uncertainty.draws
        ours, cpu = [], []
        for _ in range(repeats):
            u, t, c = _cold_monte_carlo(values, metadata, scenario)
            ours.append(t)
            cpu.append(c)
        o, oc = statistics.median(ours), statistics.median(cpu)
        row = {"task": f"Monte Carlo {d:,} draws × {n:,} regions", "ours_s": o}
        if n == 229:
            ref, ref_cpu = [], []
            for _ in range(repeats):
                t, c = time.perf_counter(), time.process_time()
                naive = [_naive(values, metadata, scenario, u, j) for j in range(N_REF)]
                ref.append((time.perf_counter() - t) * d / N_REF)
                ref_cpu.append((time.process_time() - c) * d / N_REF)
            r = statistics.median(ref)
            diff = max(float(np.abs(u.draw_score[j] - naive[j].to_numpy()).max()) for j in range(N_REF))
            row.update(ref_s=r, ratio=r / o, diff=diff, goal="10,000 draws × 229 well under 1 s",
                       note=f"{d / o:,.0f} draws/s; ref = per-draw pandas loop on {N_REF} draws "
                            f"× {d // N_REF}; diff = largest absolute score difference on those draws; "
                            f"CPU ours {oc:.2f} s, ref {statistics.median(ref_cpu):.1f} s; {_load()}; "
                            "synthetic values (speed only)")
            rows.append(row)
            full, full_cpu = [], []
            for _ in range(repeats):
                u, t, c = _cold_monte_carlo(values, metadata, national)
                full.append(t)
                full_cpu.append(c)
            f = statistics.median(full)
            rows.append({"task": f"Monte Carlo, full national design ({u.draws:,} draws, {len(u.factors)} factors) "
                                 f"× {n:,} regions", "ours_s": f, "goal": "report",
                         "note": f"outlier rules, drop-one, periods and access added: {f / o:.1f}× the time of the row above; "
                                 f"CPU {statistics.median(full_cpu):.2f} s; {_load()}; synthetic values"})
            continue
        else:
            row.update(goal="읍면동 scale: report", note=f"{d / o:,.0f} draws/s; CPU {oc:.2f} s; {_load()}; synthetic values")
        rows.append(row)
    return rows
