"""Benchmarks against the reference tools, in one run: ``python3 tasks.py bench``.

Each ``bench/<topic>.py`` exposes ``run(repeats) -> list[dict]`` (keys: task, ours_s, ref_s,
ratio, diff, goal, note). This runner prints one table with the machine and writes
``bench/results.md``. Not part of the test suite: timings are noisy, so goals are printed
next to the figures instead of asserted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

TOPICS = ["pipeline", "scoring", "centrality", "siting", "points", "maps"]
HERE = Path(__file__).resolve().parent


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def fmt(v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", epilog="example:\n  python -m bench --only scoring siting",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=TOPICS, help="topics to run (default: all)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    cols = ["task", "ours_s", "ref_s", "ratio", "diff", "goal", "note"]
    rows = []
    for topic in args.only or TOPICS:
        try:
            mod = importlib.import_module(f"bench.{topic}")
        except ModuleNotFoundError:
            print(f"{topic}: no benchmark module yet", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        for r in mod.run(repeats=args.repeats):
            rows.append({c: r.get(c, "") for c in cols})
            print(" | ".join(fmt(rows[-1][c]) for c in cols), flush=True)
        print(f"({topic}: {time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    lines = [
        "# Benchmark results", "",
        f"Machine: {machine()}. Medians over {args.repeats} repeats; ratio = reference time / our time "
        "(> 1: we are faster) unless the note says otherwise.", "",
        "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for r in rows]
    (HERE / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
