"""Centralities: the fast path (betweenness and closeness from scipy's all-pairs Dijkstra) against networkx
(the reference) on the 229 시군구 and the 3,501 읍면동 distance networks (borders, island
links and rail links, cost ``distance_km``).

networkx takes one to two minutes per call at 읍면동 scale, so its side runs once there. The
"closeness" fast path also yields harmonic closeness from the same Dijkstra pass.
"""

from __future__ import annotations

import statistics
import time

from geo import network
from geo.regions import load_units

GOAL_EMD = "≥ 20× faster, diff < 1e-9"
GOAL_SGG = "diff < 1e-9"


def _time(fn, repeats: int):
    """Median wall and CPU seconds of ``fn()`` and its last result. Both sides run in one
    thread, so their CPU times compare them even when other work shares the machine."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times), statistics.median(cpu), out


def run(repeats: int = 3) -> list[dict]:
    rows = []
    for level in ("sgg", "emd"):
        units = load_units(level)
        G = network.build_network(units)
        ref_repeats = repeats if level == "sgg" else 1
        network.centrality(G, fast=True)  # warm-up: imports scipy.sparse.csgraph
        for measure in ("betweenness", "closeness"):
            ours_s, ours_cpu, ours = _time(
                lambda: network.centrality(G, measures=(measure,), fast=True), repeats)
            ref_s, ref_cpu, ref = _time(
                lambda: network.centrality(G, measures=(measure,), fast=False), ref_repeats)
            diff = float((ours[measure] - ref[measure]).abs().max())
            rows.append({
                "task": f"{measure}, {G.number_of_nodes():,} units / {G.number_of_edges():,} edges",
                "ours_s": ours_s,
                "ref_s": ref_s,
                "ratio": ref_s / ours_s,
                "diff": diff,
                "goal": GOAL_EMD if level == "emd" else GOAL_SGG,
                "note": f"networkx {'median of ' + str(ref_repeats) if ref_repeats > 1 else 'single run'}; "
                        f"ours median of {repeats}; CPU {ours_cpu:.3g} s vs {ref_cpu:.3g} s "
                        f"({ref_cpu / ours_cpu:.1f}x)",
            })
    return rows


if __name__ == "__main__":
    for row in run(1):
        print(row)
