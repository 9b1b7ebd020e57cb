"""Travel-time matrix: the multimodal build (road bands, road + rail + road min-plus over
the station graph, sea/air links) at 시군구 and 읍면동 scale, from cached inputs (station
placement, origins, station graph and census populations loaded once before timing).

Reference at 시군구 scale: ``scipy.sparse.csgraph.dijkstra`` from every origin over a
layered graph of the same model (origin → destination by road, or origin → boarding station
→ alighting station → destination), the textbook way to get the same fastest road/rail
times. ``diff`` is the largest |ours − reference| in minutes over mainland pairs.
The 읍면동 matrix uses the 5 nearest stations and 2 nearest KTX stops at each end (no
reference: an all-pairs Dijkstra on 3,501 origins is what the min-plus avoids).
"""

from __future__ import annotations

import resource
import statistics
import time

import numpy as np

from geo import network, stations, traveltime
from geo.regions import load_units


def _time(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _reference(sgg, rail, placement):
    """A csgraph Dijkstra solver of the same model: origins → (road) destinations, or origins →
    (access + wait) boarding stations → (rail) alighting stations → (egress) destinations, in
    a layered graph (one rail leg per trip, as in the model)."""
    from scipy import sparse
    from scipy.sparse.csgraph import dijkstra

    where, st = traveltime.rail_network(sgg, rail, placement=placement)
    org = traveltime.origins(sgg)
    n = len(sgg)
    lon, lat = org["lon"].to_numpy(), org["lat"].to_numpy()
    road = traveltime.road_minutes(network.haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) * 1.26)
    pos = {s: i for i, s in enumerate(st.names)}
    spos = np.array([pos[s] for s in where.index])
    S = len(spos)
    p = org.loc[where.to_numpy()]
    acc = traveltime.road_minutes(network.haversine_km(lon[:, None], lat[:, None], p["lon"].to_numpy()[None, :],
                                                       p["lat"].to_numpy()[None, :]) * 1.26)
    R = st.minutes[np.ix_(spos, spos)]
    eps = 1e-9  # csgraph reads 0 as "no edge"
    o, b1, b2, d = 0, n, n + S, n + 2 * S  # node blocks: origins, boarding, alighting, destinations
    rows, cols, vals = [], [], []

    def block(r0, c0, M):
        i, j = np.nonzero(np.isfinite(M))
        rows.append(r0 + i)
        cols.append(c0 + j)
        vals.append(np.maximum(M[i, j], eps))

    block(o, d, road)
    block(o, b1, acc + traveltime._p("rail_wait_minutes"))
    block(b1, b2, R)
    block(b2, d, acc.T)
    G = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(2 * n + 2 * S, 2 * n + 2 * S))

    def solve():
        D = dijkstra(G, directed=True, indices=np.arange(n))[:, d:]
        np.fill_diagonal(D, 0.0)
        return D

    return solve


def run(repeats: int = 3) -> list[dict]:
    rows = []
    sgg = load_units("sgg")
    rail = stations.load_rail()
    placement, _ = stations.place_stations(sgg, rail)
    traveltime.travel_times(sgg, rail=rail, placement=placement)  # warm the caches
    ours, tt = _time(lambda: traveltime.travel_times(sgg, rail=rail, placement=placement), repeats)
    solve = _reference(sgg, rail, placement)
    ref, D = _time(solve, repeats)
    island = np.isin(sgg.index, ["39010", "39020", "37430", "23320"])
    main = ~island[:, None] & ~island[None, :]
    diff = float(np.abs(tt.minutes.to_numpy() - D)[main].max())
    rows.append(dict(task="travel times 229×229 (cached inputs)", ours_s=ours, ref_s=ref, ratio=ref / ours,
                     diff=diff, goal="< 1 s, diff 0",
                     note="ours: the whole build; ref: only the Dijkstra solve on the layered road/rail graph built beforehand"))
    emd = load_units("emd")
    traveltime.travel_times(emd, rail=rail, station_level_units=sgg, placement=placement)  # warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t_emd, _ = _time(lambda: traveltime.travel_times(emd, rail=rail, station_level_units=sgg, placement=placement),
                     max(1, repeats // 3))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(dict(task=f"travel times {len(emd):,}×{len(emd):,} 읍면동", ours_s=t_emd, ref_s="", ratio="",
                     diff="", goal="seconds, bounded memory",
                     note=f"process peak RSS {after:.0f} MB ({after - before:+.0f} MB during timing)"))
    return rows
