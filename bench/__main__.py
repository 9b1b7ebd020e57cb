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

TOPICS = ["pipeline", "whatif", "scoring", "centrality", "siting", "points", "maps", "establishments", "traveltime"]
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
    sections = _read_sections()  # topic -> table lines, so a partial run keeps the others
    for topic in args.only or TOPICS:
        try:
            mod = importlib.import_module(f"bench.{topic}")
        except ModuleNotFoundError:
            print(f"{topic}: no benchmark module yet", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        lines = []
        for r in mod.run(repeats=args.repeats):
            row = {c: r.get(c, "") for c in cols}
            print(" | ".join(fmt(row[c]) for c in cols), flush=True)
            lines.append("| " + " | ".join(fmt(row[c]) for c in cols) + " |")
        took = time.perf_counter() - t0
        print(f"({topic}: {took:.0f} s)", file=sys.stderr)
        sections[topic] = [f"Run on {machine()}, medians over {args.repeats} repeats ({took:.0f} s).", "",
                           "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols), *lines]
    out = ["# Benchmark results", "",
           "Written by `python3 tasks.py bench` (`python -m bench [--only TOPIC ...]`). Ratio = reference "
           "time / our time (> 1: we are faster) unless the note says otherwise; the goal stands next "
           "to each figure.", ""]
    for topic in TOPICS:
        if topic in sections:
            out += [f"## {topic}", "", *sections[topic], ""]
    (HERE / "results.md").write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {HERE / 'results.md'}")
    return 0


def _read_sections() -> dict[str, list[str]]:
    """The per-topic sections of an existing results.md (``## topic`` headings)."""
    path = HERE / "results.md"
    sections: dict[str, list[str]] = {}
    if not path.exists():
        return sections
    topic = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            topic = line[3:].strip()
            sections[topic] = []
        elif topic:
            sections[topic].append(line)
    def strip(lines):  # the blank lines around a section are written again by main
        while lines and not lines[0].strip():
            lines = lines[1:]
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        return lines

    return {t: strip(lines) for t, lines in sections.items()}


if __name__ == "__main__":
    sys.exit(main())
