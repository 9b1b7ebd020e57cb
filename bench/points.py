"""Point assignment: points per second into the 229 시군구 and the 3,501 읍면동,
against geopandas.sjoin (the reference) on the same points."""

from __future__ import annotations

import statistics
import time

import geopandas as gpd
import numpy as np

from geo.regions import assign_points, load_units


def _points(units, n, seed=0):
    # Synthetic points spread over the units' bounding box: the benchmark measures speed only.
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = units.total_bounds
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def run(repeats: int = 3, n: int = 1_000_000) -> list[dict]:
    rows = []
    for level in ("sgg", "emd"):
        units = load_units(level)
        x, y = _points(units, n)
        ours, ref = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            a = assign_points(x, y, units, snap_m=0)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=units.crs)
            j = gpd.sjoin(pts, units[["geometry"]], how="left", predicate="intersects")
            ref.append(time.perf_counter() - t)
        inside = (a["how"] == "inside").sum()
        ref_inside = j["region_code"].notna().groupby(level=0).any().sum()
        o, r = statistics.median(ours), statistics.median(ref)
        rows.append({"task": f"assign {n:,} points → {len(units):,} units", "ours_s": o, "ref_s": r,
                     "ratio": r / o, "diff": int(inside - ref_inside),
                     "goal": "report points/s", "note": f"{n / o:,.0f} points/s; diff = points inside (ours − sjoin)"})
    return rows
