"""Establishment lists of national size (about 4 million rows) into root-industry counts:
time and peak memory of :func:`geo.rootindustry.read_establishments` (streamed in chunks)
against pandas reading the whole file and grouping it (the reference), each in its own
process so that the peak resident memory of one does not hide the other's.

The file is generated here (synthetic codes and employees on the real 시군구 codes): the
benchmark measures speed and memory only, and its figures are not data."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
N_ROWS = 4_000_000
# Synthetic KSIC-shaped codes (999xx is not used by KSIC) and a mapping for them.
MAPPING = """ksic_revision,ksic_code,process,source,source_url
10,99921,heat,synthetic benchmark mapping,https://example.org/benchmark
10,99922,surface,synthetic benchmark mapping,https://example.org/benchmark
10,9993,mold,synthetic benchmark mapping,https://example.org/benchmark
"""
CODES = ["99921", "99922", "99931", "99932", "99990", "99991", "99992", "99993"]

OURS = """
import json, resource, sys, time
from geo import rootindustry as ri
t = time.perf_counter()
m = ri.read_mapping(sys.argv[2])
tab = ri.read_establishments(sys.argv[1], m, revision=10, chunksize=500_000)
s = time.perf_counter() - t
print(json.dumps({"s": s, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "employees": tab.totals["employees"].to_dict(), "rows": tab.rows_read,
                  "reported": len(tab.report)}))
"""

REF = """
import json, resource, sys, time
import pandas as pd
t = time.perf_counter()
d = pd.read_csv(sys.argv[1], dtype={"ksic": str, "region": str})
tot = d.groupby("region")["employees"].sum()
s = time.perf_counter() - t
print(json.dumps({"s": s, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "employees": {k: float(v) for k, v in tot.items()}}))
"""


def _generate(path: Path, n: int, seed: int = 0) -> None:
    from geo.regions import unit_attributes

    rng = np.random.default_rng(seed)
    regions = np.array(sorted(unit_attributes().index))
    step = 1_000_000
    with open(path, "w", encoding="utf-8") as f:
        f.write("name,address,ksic,region,employees\n")
        for start in range(0, n, step):
            k = min(step, n - start)
            # The registry's other columns (name, address) make the file as wide as a real one.
            ids = rng.integers(0, 10**7, k)
            pd.DataFrame({"name": [f"업체{i}" for i in ids], "address": [f"도로명 {i % 997}길 {i % 89}" for i in ids],
                          "ksic": rng.choice(CODES, k), "region": rng.choice(regions, k),
                          "employees": rng.integers(1, 300, k)}).to_csv(f, header=False, index=False)


def _child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(repeats: int = 3, sizes: tuple[int, ...] = (1_000_000, N_ROWS)) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mapping = Path(tmp) / "mapping.csv"
        mapping.write_text(MAPPING, encoding="utf-8")
        for n in sizes:
            csv = Path(tmp) / f"establishments_{n}.csv"
            # generated in a child process too: Linux keeps a process's peak RSS across exec,
            # so a parent that built the file itself would lend its peak to every child
            subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                            "from bench.establishments import _generate; _generate(Path(sys.argv[1]), int(sys.argv[2]))",
                            str(csv), str(n)], cwd=ROOT, check=True)
            mb = csv.stat().st_size / 2**20
            ours = [_child(OURS, str(csv), str(mapping)) for _ in range(repeats)]
            ref = [_child(REF, str(csv)) for _ in range(repeats)]
            csv.unlink()
            o, r = statistics.median(x["s"] for x in ours), statistics.median(x["s"] for x in ref)
            om, rm = max(x["rss_mb"] for x in ours), max(x["rss_mb"] for x in ref)
            a, b = pd.Series(ours[0]["employees"]), pd.Series(ref[0]["employees"])
            diff = float((a - b.reindex(a.index)).abs().max())
            rows.append({
                "task": f"establishment list {n:,} rows ({mb:.0f} MB CSV) → process counts", "ours_s": o, "ref_s": r,
                "ratio": r / o, "diff": diff, "goal": "peak memory < 2 GB, flat in the rows",
                "note": f"peak RSS ours {om:.0f} MB (chunks of 500,000 rows; includes the code tables of "
                        f"geo.codes), pandas whole-file read + groupby {rm:.0f} MB; {n / o:,.0f} rows/s; "
                        f"diff = largest difference of a region's employees; rows read {ours[0]['rows']:,}, "
                        f"reported {ours[0]['reported']}; synthetic file"})
    return rows
