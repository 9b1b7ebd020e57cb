"""The analyst loop: how long a notebook waits after changing one choice.

One warm process: the national scenario is run in memory once (filling the stage cache), then
each change is timed with the cache (only the stages whose inputs changed run) against the
same change without it (every stage runs), which is the reference. Goals from the issue:
a pillar-weight change → new scores, rank intervals and hubs under 1 s; a k change under 0.5 s.
"""

from __future__ import annotations

import os
import statistics
import time

from geo.pipeline import CACHE, run_in_memory, variant

NATIONAL = "data/scenarios/national.yaml"


def _time(fn, repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (forked workers not counted):
    on a shared machine the CPU time says what the wall time would be without the others."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def run(repeats: int = 3) -> list[dict]:
    base = variant(NATIONAL)
    run_in_memory(base)  # warm: fills the cache for the base scenario
    changes = [
        ("pillar weight need 1 → 2 (scores, rank intervals, hubs)", lambda i: variant(base, pillar_weights={"need": 2 + i}),
         "< 1 s"),
        ("k 10 → 9, 8, 7 (hubs)", lambda i: variant(base, k=9 - i % 3), "< 0.5 s"),
    ]
    rows = []
    for task, make, goal in changes:
        scen = [make(i) for i in range(repeats)]
        it = iter(scen)
        CACHE.misses.clear()
        ours, cpu = _time(lambda: run_in_memory(next(it)), repeats)  # each a new variant: its own stages rerun
        stages = list(CACHE.misses)
        ref = _time(lambda: run_in_memory(scen[0], cache=False), repeats)[0]
        rows.append({"task": task, "ours_s": ours, "ref_s": ref, "ratio": ref / ours, "goal": goal,
                     "note": f"ref = the same change with every stage rerun; recomputed: "
                             f"{', '.join(dict.fromkeys(stages))}; CPU of this process {cpu:.2f} s, "
                             f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"})
    return rows
