"""End-to-end national run in a cold process: wall time and peak memory, per stage.

There is no reference tool for the whole pipeline; the goal (< 15 s on 2 cores) is printed
next to the figure, and each stage's time and memory high-water mark come from the run's
own manifest.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run(repeats: int = 3) -> list[dict]:
    walls, cpus, manifests = [], [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            t, c = time.perf_counter(), _children_cpu()
            subprocess.run([sys.executable, "-m", "geo", "run", "--scenario", "data/scenarios/national.yaml",
                            "--out", f"{tmp}/out", "--maps-dir", f"{tmp}/maps"], cwd=ROOT, check=True,
                           capture_output=True)
            walls.append(time.perf_counter() - t)
            cpus.append(_children_cpu() - c)  # the run and chromium: steadier than wall time on a busy machine
            manifests.append(json.loads(Path(tmp, "out", "manifest.json").read_text()))
    peak = max(max(m["stage_peak_rss_mb"].values()) for m in manifests)
    rows = [{"task": "national run, cold process (all stages)", "ours_s": statistics.median(walls),
             "goal": "< 15 s on 2 cores",
             "note": f"peak RSS {peak:.0f} MB; CPU time {statistics.median(cpus):.1f} s (user + system, with chromium)"}]
    for stage in manifests[0]["stage_seconds"]:
        rows.append({"task": f"  stage {stage}",
                     "ours_s": statistics.median(m["stage_seconds"][stage] for m in manifests),
                     "note": f"memory high-water mark after it: "
                             f"{statistics.median(m['stage_peak_rss_mb'][stage] for m in manifests):.0f} MB"})
    return rows
