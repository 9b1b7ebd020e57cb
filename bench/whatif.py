"""The analyst loop: how long a notebook waits after changing one choice.

One warm process: the national scenario is run in memory once (filling the stage cache), then
each change is timed with the cache (only the stages whose inputs changed run) against the
same change without it (every stage runs), which is the reference. Goals from the issue:
a pillar-weight change → new scores, rank intervals and hubs under 1 s; a k change under 0.5 s.
"""

from __future__ import annotations

import statistics
import time

from geo.pipeline import CACHE, run_in_memory, variant

NATIONAL = "data/scenarios/national.yaml"


def _time(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


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
        ours = _time(lambda: run_in_memory(next(it)), repeats)  # each a new variant: its own stages rerun
        stages = list(CACHE.misses)
        ref = _time(lambda: run_in_memory(scen[0], cache=False), repeats)
        rows.append({"task": task, "ours_s": ours, "ref_s": ref, "ratio": ref / ours, "goal": goal,
                     "note": f"ref = the same change with every stage rerun; recomputed: {', '.join(dict.fromkeys(stages))}"})
    return rows
