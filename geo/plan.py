"""The network plan: a theme for every hub, hub-to-hub links, existing organisations folded in.

    siting (hubs, spokes) ─► plan ─► network_plan.csv, organisations.csv

- **Themes.** Each hub's catchment (the hub and the spoke regions assigned to it) holds
  root-industry activity per legal process (:data:`geo.rootindustry.PROCESSES`). The hub's
  theme is the process with the most of it, the runner-ups the next ones. The weights come
  from the user's KOSIS or establishment data when given (employees), otherwise from the
  shipped designated 뿌리산업 특화단지 (:func:`cluster_weights`: a designation's reported firms
  split evenly over the processes its ``main_process`` names; designations without a firm
  count add to the designation count only, which breaks ties). Every theme says which
  source it rests on.
- **Lead hubs.** For each process, the hub whose catchment holds most of it leads that
  theme nationally; the other hubs carrying the process (as theme or runner-up) are its
  regional hubs.
- **Links.** Two hubs are linked when their theme sets (theme and runner-ups) share a
  process and they are within ``reach`` of each other; each lead hub is linked to every
  regional hub of its theme whatever the distance (the national network of that theme).
  Hubs with no link are reported as isolated.
- **Organisations.** Technoparks, KITECH sites, 뿌리기술지원센터, research-institute branches
  (``research_assets.csv``) and the 창조경제혁신센터 (``creative_economy_centres.csv``) join the
  hub whose catchment contains them ("absorb"), unless their stated focus names a process
  that hub does not carry while another hub within ``reach`` does ("coordinate (theme)");
  organisations in uncovered regions coordinate with the nearest hub.

Costs are travel minutes when the run has a time matrix (``Network.times``), else the road-
distance proxy in kilometres; every output column says which (``cost_unit``). No speed is
assumed to turn one into the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.rootindustry import PROCESS_EN, PROCESS_IDS, PROCESS_KO, linked_industries, processes_in

ROOT_CLUSTERS = "assets/root_industry_complexes.csv"
RESEARCH = "assets/research_assets.csv"
CENTRES = "assets/creative_economy_centres.csv"
RUNNER_UPS = 2
# Link and theme-coordination reach by cost unit: two hours of travel, or, without a time
# matrix, 150 km of road-distance proxy (the national scenario's spoke limit). Planning
# choices, not measurements; change them with reach=.
REACH = {"minutes": 120.0, "km": 150.0}
# The plan's columns added to hubs.csv.
PLAN_HUB_COLUMNS = ["theme", "theme_ko", "runner_ups", "runner_ups_ko", "role", "lead_themes", "theme_source"]


@dataclass(frozen=True)
class NetworkPlan:
    """Result of :func:`build_plan`.

    Attributes
    ----------
    hubs
        One row per hub (index ``region_code``): theme, runner-ups, their evidence, role,
        lead themes, linked hubs with costs, organisations.
    links
        One row per linked hub pair: ``hub_a``, ``hub_b``, ``cost``, ``kind``, ``processes``.
    organisations
        Every organisation: its region, hub, cost to the hub, role and why.
    weights
        The hub × process weights the themes rest on (and ``designations``).
    cost_unit
        ``"minutes"`` or ``"km"``; ``theme_source`` what the weights are.
    reach
        The link reach used, in ``cost_unit``.
    leads
        Process → its lead hub.
    cluster_evidence
        Every designation: the processes found, its firms and how it was used (None when the
        weights were given).
    """

    hubs: pd.DataFrame
    links: pd.DataFrame
    organisations: pd.DataFrame
    weights: pd.DataFrame
    cost_unit: str
    theme_source: str
    reach: float = float("nan")
    leads: dict = field(default_factory=dict)
    cluster_evidence: pd.DataFrame | None = None


# ---------------------------------------------------------------------------------------------
# weights


def cluster_weights(units, *, root_clusters: pd.DataFrame | None = None,
                    placed: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Region × process weights from the designated 뿌리산업 특화단지.

    Parameters
    ----------
    units
        The analysis units (index ``region_code``, column ``sido_code``).
    root_clusters
        ``root_industry_complexes.csv`` as read (default: the shipped file).
    placed
        The designations placed in a 시군구 (``source_row``, ``region_code``), as the
        indicators stage placed them (``IndicatorSet.assets["root_complexes"]``); default:
        placed again here with the same rule. Designations known only by their 시도 are
        spread evenly over that 시도's units (as ``research_access`` does).

    Returns
    -------
    firms, designations
        Region × process: reported firms and designations, each split evenly over the
        processes a designation names.
    evidence
        One row per designation: source row, name, region or 시도, processes, linked base
        industries, firms, and how it was used.
    """
    from geo.catalogue import data_path
    from geo.labels import sido_code

    df = root_clusters if root_clusters is not None else pd.read_csv(data_path(ROOT_CLUSTERS), encoding="utf-8-sig")
    if placed is None:
        placed = _place_clusters(df, units)
    where = dict(zip(placed["source_row"].astype(int), placed["region_code"]))
    idx = units.index
    sido_of = units["sido_code"] if "sido_code" in units else pd.Series(idx.str[:2], index=idx)
    firms = pd.DataFrame(0.0, index=idx, columns=PROCESS_IDS)
    desig = pd.DataFrame(0.0, index=idx, columns=PROCESS_IDS)
    ev = []
    for i, r in df.reset_index(drop=True).iterrows():
        row = i + 2
        procs = processes_in(r.get("main_process"))
        f = pd.to_numeric(pd.Series([r.get("firms")]), errors="coerce").iloc[0]
        region = where.get(row)
        if region is not None and region in idx:
            targets, how = [region], "시군구"
        else:
            sc = sido_code(r.get("sido"))
            targets = list(idx[sido_of == sc]) if sc else []
            how = f"시도 only: spread over {len(targets)} units" if targets else "not placed"
        if not procs:
            how = f"{how}; no legal process named in main_process: not counted"
        elif targets:
            share = 1.0 / (len(procs) * len(targets))
            for t in targets:
                desig.loc[t, procs] += share
                if pd.notna(f):
                    firms.loc[t, procs] += f * share
        ev.append({"source_row": row, "name": r.get("complex_name_as_reported"), "sido": r.get("sido"),
                   "region_code": region, "main_process": r.get("main_process"),
                   "processes": ";".join(procs), "linked_industries": ";".join(linked_industries(r.get("main_process"))),
                   "firms": f, "used": how, "source_url": r.get("source_url")})
    firms.index.name = desig.index.name = "region_code"
    return firms, desig, pd.DataFrame(ev)


def _place_clusters(df: pd.DataFrame, units) -> pd.DataFrame:
    """Place designations in a 시군구 with the indicators stage's rule (stated, else inferred)."""
    from geo.indicators import translate_name

    rows = []
    for i, r in df.reset_index(drop=True).iterrows():
        name = r["sigungu"] if isinstance(r.get("sigungu"), str) else r.get("sigungu_inferred")
        if isinstance(name, str):
            code, _ = translate_name(name, r["sido"])
            if code is not None and code in units.index:
                rows.append((i + 2, code))
    return pd.DataFrame(rows, columns=["source_row", "region_code"])


# ---------------------------------------------------------------------------------------------
# themes


def catchment_of(assignments: pd.DataFrame) -> pd.Series:
    """region_code → hub_code of the covered regions (hubs belong to themselves)."""
    a = assignments
    if "region_code" in a.columns:
        a = a.set_index("region_code")
    a = a[a["covered"].astype(bool) & a["hub_code"].notna()]
    return a["hub_code"].astype(str)


def hub_themes(weights: pd.DataFrame, assignments: pd.DataFrame, *, tiebreak: pd.DataFrame | None = None,
               hub_order: list[str] | None = None, runner_ups: int = RUNNER_UPS) -> pd.DataFrame:
    """Theme and runner-ups of each hub from its catchment's process weights.

    Parameters
    ----------
    weights
        Region × process (columns of :data:`~geo.rootindustry.PROCESS_IDS`), e.g. employees.
    assignments
        Every region → ``hub_code``, ``covered`` (as ``assignments.csv``).
    tiebreak
        Same shape; breaks ties in ``weights`` (the designation count for the shipped data).
        A process counts for a hub only where ``weights`` or ``tiebreak`` is positive.
    hub_order
        Hub codes in rank order (breaks the remaining ties; default: code order).

    Returns
    -------
    DataFrame indexed by hub ``region_code``: ``theme``, ``runner_ups`` (";"-joined),
    ``theme_weight``, ``theme_share`` (of the catchment's total weight), and per process
    ``w_<process>`` (and ``t_<process>`` when ``tiebreak`` is given).
    """
    bad = [c for c in weights.columns if c not in PROCESS_IDS]
    if bad:
        raise InputError("unknown process columns", column="weights", expected=", ".join(PROCESS_IDS), got=bad)
    w = weights.reindex(columns=PROCESS_IDS).fillna(0.0)
    t = None if tiebreak is None else tiebreak.reindex(index=w.index, columns=PROCESS_IDS).fillna(0.0)
    hub_of = catchment_of(assignments)
    hubs = sorted(set(hub_of)) if hub_order is None else [str(h) for h in hub_order]
    wh = w.reindex(hub_of.index).fillna(0.0).groupby(hub_of).sum().reindex(hubs).fillna(0.0)
    th = None if t is None else t.reindex(hub_of.index).fillna(0.0).groupby(hub_of).sum().reindex(hubs).fillna(0.0)
    out = []
    for h in hubs:
        cand = [(p, wh.at[h, p], 0.0 if th is None else th.at[h, p], k) for k, p in enumerate(PROCESS_IDS)]
        cand = [c for c in cand if c[1] > 0 or c[2] > 0]
        cand.sort(key=lambda c: (-c[1], -c[2], c[3]))
        total = float(wh.loc[h].sum())
        top = cand[0] if cand else None
        row = {"region_code": h, "theme": top[0] if top else None,
               "runner_ups": ";".join(c[0] for c in cand[1:1 + runner_ups]),
               "theme_weight": top[1] if top else 0.0,
               "theme_share": (top[1] / total) if top and total > 0 else np.nan}
        row.update({f"w_{p}": wh.at[h, p] for p in PROCESS_IDS})
        if th is not None:
            row.update({f"t_{p}": th.at[h, p] for p in PROCESS_IDS})
        out.append(row)
    return pd.DataFrame(out).set_index("region_code")


def lead_hubs(themes: pd.DataFrame, *, hub_order: list[str] | None = None) -> pd.Series:
    """process → the hub whose catchment holds most of it (weight, then tiebreak, then rank)."""
    order = list(themes.index) if hub_order is None else [str(h) for h in hub_order]
    rank = {h: i for i, h in enumerate(order)}
    leads = {}
    for p in PROCESS_IDS:
        w = themes[f"w_{p}"]
        tb = themes[f"t_{p}"] if f"t_{p}" in themes else pd.Series(0.0, index=themes.index)
        present = themes.index[(w > 0) | (tb > 0)]
        if len(present):
            leads[p] = min(present, key=lambda h: (-w[h], -tb[h], rank.get(h, len(rank))))
    return pd.Series(leads, name="lead_hub", dtype=object)


def theme_sets(themes: pd.DataFrame) -> dict[str, list[str]]:
    """hub → [theme, runner-ups…] (empty when the catchment has no root process)."""
    out = {}
    for h, r in themes.iterrows():
        s = [r["theme"]] if isinstance(r["theme"], str) else []
        s += [p for p in str(r["runner_ups"] or "").split(";") if p]
        out[h] = s
    return out


# ---------------------------------------------------------------------------------------------
# links


def hub_links(themes: pd.DataFrame, cost: pd.DataFrame, *, reach: float,
              leads: pd.Series | None = None) -> pd.DataFrame:
    """Hub-to-hub links: shared themes within ``reach``, and lead → regional hubs of a theme.

    Returns
    -------
    DataFrame with ``hub_a``, ``hub_b`` (a < b), ``cost``, ``within_reach``, ``kind``
    (``shared theme`` and/or ``lead→regional``), ``processes`` (";"-joined).
    """
    sets = theme_sets(themes)
    leads = lead_hubs(themes) if leads is None else leads
    hubs = list(themes.index)
    missing = [h for h in hubs if h not in cost.index or h not in cost.columns]
    if missing:
        raise InputError("hubs missing from the cost matrix", column="cost", got=missing[:5])
    pairs: dict[tuple[str, str], dict] = {}

    def add(a, b, kind, procs):
        a, b = sorted((a, b))
        e = pairs.setdefault((a, b), {"kind": [], "processes": []})
        if kind not in e["kind"]:
            e["kind"].append(kind)
        e["processes"] += [p for p in procs if p not in e["processes"]]

    for i, a in enumerate(hubs):
        for b in hubs[i + 1:]:
            shared = [p for p in sets[a] if p in sets[b]]
            if shared and float(cost.at[a, b]) <= reach:
                add(a, b, "shared theme", shared)
    for p, lead in leads.items():
        for h in hubs:
            if h != lead and p in sets[h]:
                add(lead, h, "lead→regional", [p])
    rows = [{"hub_a": a, "hub_b": b, "cost": float(cost.at[a, b]), "within_reach": float(cost.at[a, b]) <= reach,
             "kind": " + ".join(e["kind"]),
             "processes": ";".join(p for p in PROCESS_IDS if p in e["processes"])}
            for (a, b), e in sorted(pairs.items())]
    return pd.DataFrame(rows, columns=["hub_a", "hub_b", "cost", "within_reach", "kind", "processes"])


# ---------------------------------------------------------------------------------------------
# organisations


def organisations(units, *, research: pd.DataFrame | None = None,
                  centres: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every existing organisation with its analysis unit and stated focus.

    Rows of ``research_assets.csv`` (technoparks, KITECH sites, 뿌리기술지원센터, research
    institutes and branches) and of ``creative_economy_centres.csv``, placed as the
    indicators stage places them: the stated 시군구, else the one sourced in
    ``research_assets_sigungu_additions.csv``, else (시도 only) the unit holding the 시도's
    representative point (``located`` says which). Rows with neither 시도 nor 시군구 keep no
    unit and say so; planned facilities and an institute listed twice are kept and flagged.

    Returns
    -------
    DataFrame: ``org_id`` (file:row), ``name``, ``kind``, ``sido``, ``sigungu``,
    ``region_code``, ``located``, ``focus``, ``focus_processes``, ``planned``, ``note``,
    ``source_url``.
    """
    from geo.catalogue import data_path
    from geo.indicators import RESEARCH_ADD, translate_name
    from geo.labels import sido_code

    res = research if research is not None else pd.read_csv(data_path(RESEARCH), encoding="utf-8-sig")
    cen = centres if centres is not None else pd.read_csv(data_path(CENTRES), encoding="utf-8-sig")
    add = pd.read_csv(data_path(RESEARCH_ADD), encoding="utf-8-sig").drop_duplicates("name", keep=False)
    add = add.set_index("name")
    sido_unit = _sido_units(units)
    rows = []
    for i, r in res.reset_index(drop=True).iterrows():
        sido, sgg, code, loc, note = r.get("sido"), r.get("sigungu"), None, None, ""
        if not isinstance(sgg, str) and r["name"] in add.index:
            sido, sgg = add.at[r["name"], "sido"], add.at[r["name"], "sigungu"]
            note = f"시군구 from {RESEARCH_ADD}"
        if isinstance(sgg, str):
            code, _ = translate_name(sgg, sido)
            loc = "region centroid" if code in units.index else None
            code = code if loc else None
        if code is None and sido_code(sido) in sido_unit:
            code, loc = sido_unit[sido_code(sido)], "시도 representative point (시도 only)"
        if code is None:
            loc = "location unknown: the source gives neither 시도 nor 시군구"
        former = _FORMER.search(str(r["name"]))
        if former and res["name"].str.startswith(former.group(1).strip()).any():
            note = "; ".join(x for x in (note, f"same institute as {former.group(1).strip()} (former name)") if x)
        rows.append({"org_id": f"research_assets.csv:{i + 2}", "name": r["name"], "kind": r["asset_type"],
                     "sido": r.get("sido"), "sigungu": r.get("sigungu"), "region_code": code, "located": loc,
                     "focus": r.get("focus"), "planned": str(r["asset_type"]).endswith("(계획)"),
                     "note": note, "source_url": r.get("source_url")})
    for i, r in cen.reset_index(drop=True).iterrows():
        code, msg = translate_name(r["sigungu"], r["sido"])
        ok = code is not None and code in units.index
        rows.append({"org_id": f"creative_economy_centres.csv:{i + 2}", "name": r["name"],
                     "kind": "창조경제혁신센터", "sido": r["sido"], "sigungu": r["sigungu"],
                     "region_code": code if ok else None,
                     "located": "region centroid" if ok else f"not placed: {msg}",
                     "focus": None, "planned": False, "note": "", "source_url": r["source_url"]})
    out = pd.DataFrame(rows)
    out["focus_processes"] = out["focus"].map(lambda f: ";".join(processes_in(f)))
    return out


_FORMER = re.compile(r"\(현\s*([^)]+)\)")


def _sido_units(units) -> dict[str, str]:
    """시도 code → the unit whose representative point is nearest the mean of its 시도's
    points (the indicators stage's 시도 representative point)."""
    from geo.indicators import representative_points

    rp = representative_points(units)
    sido = units["sido_code"] if "sido_code" in units else pd.Series(units.index.str[:2], index=units.index)
    xy = pd.DataFrame({"x": rp.x, "y": rp.y, "sido": sido})
    mean = xy.groupby("sido")[["x", "y"]].transform("mean")
    d = np.hypot(xy["x"] - mean["x"], xy["y"] - mean["y"])
    return {s: code for s, code in d.groupby(xy["sido"]).idxmin().items()}


def assign_organisations(orgs: pd.DataFrame, themes: pd.DataFrame, assignments: pd.DataFrame,
                         cost: pd.DataFrame, *, reach: float) -> pd.DataFrame:
    """The hub each organisation joins, the cost to it and its role (see the module text)."""
    hub_of = catchment_of(assignments)
    sets = theme_sets(themes)
    hubs = list(themes.index)
    out = orgs.copy()
    hub, c, role, why = [], [], [], []
    for r in orgs.itertuples():
        code = r.region_code
        if not isinstance(code, str) or code not in cost.index:
            hub.append(None), c.append(np.nan), role.append("unassigned")
            why.append(f"no analysis unit: {r.located}")
            continue
        d = cost.loc[code, hubs].astype(float)
        focus = [p for p in str(r.focus_processes or "").split(";") if p]
        home = hub_of.get(code)
        if home is None:
            h = d.idxmin()
            hub.append(h), c.append(float(d[h])), role.append("coordinate (outside catchments)")
            why.append("its region is not covered by any hub; nearest hub")
            continue
        if focus and not set(focus) & set(sets.get(home, [])):
            near = [x for x in d.sort_values(kind="stable").index
                    if d[x] <= reach and set(focus) & set(sets.get(x, []))]
            if near:
                h = near[0]
                hub.append(h), c.append(float(d[h])), role.append("coordinate (theme)")
                why.append(f"focus {', '.join(PROCESS_KO[p] for p in focus)} carried by this hub within reach, "
                           f"not by its catchment hub {home}")
                continue
        hub.append(home), c.append(float(d[home])), role.append("absorb")
        why.append("in the hub's catchment" + (" (planned facility)" if r.planned else "")
                   + (f"; {r.note}" if r.note else ""))
    out["hub_code"], out["cost_to_hub"], out["role"], out["reason"] = hub, c, role, why
    return out


def near_organisation(cost: pd.DataFrame, org_regions, *, within: float) -> pd.Series:
    """Whether each candidate region lies within ``within`` of an existing organisation.

    Parameters
    ----------
    cost
        Candidate × region cost (minutes or km); the index is the candidates.
    org_regions
        Region codes of the organisations (:func:`organisations`' ``region_code``; NaN ignored).
    within
        In the unit of ``cost``.

    Returns
    -------
    Boolean Series on ``cost.index`` (name ``near_organisation``), for a siting rule such as
    "at least 8 of 10 hubs where True".
    """
    regions = [c for c in dict.fromkeys(org_regions) if isinstance(c, str) and c in cost.columns]
    if not regions:
        raise InputError("no organisation region found in the cost matrix", column="org_regions")
    return (cost[regions].min(axis=1) <= within).rename("near_organisation")


# ---------------------------------------------------------------------------------------------
# the whole plan


def build_plan(units, hubs: pd.DataFrame, assignments: pd.DataFrame, cost: pd.DataFrame, *,
               cost_unit: str, weights: pd.DataFrame | None = None, tiebreak: pd.DataFrame | None = None,
               theme_source: str | None = None, orgs: pd.DataFrame | None = None,
               reach: float | None = None, cluster_evidence: pd.DataFrame | None = None) -> NetworkPlan:
    """Themes, leads, links and organisations for sited hubs.

    Parameters
    ----------
    units
        The analysis units (index ``region_code``; ``name_ko``, ``sido_code``).
    hubs, assignments
        From the siting stage (``hubs.csv``, ``assignments.csv``).
    cost
        Region × region travel minutes, or the road-distance proxy in km.
    cost_unit
        ``"minutes"`` or ``"km"``.
    weights, tiebreak, theme_source
        Region × process weights and what they are; default: :func:`cluster_weights`
        (firms, designations as tiebreak).
    orgs
        From :func:`organisations` (default: built from the shipped files).
    reach
        Link and coordination reach in ``cost_unit`` (default :data:`REACH`).
    """
    if cost_unit not in REACH:
        raise InputError("unknown cost unit", column="cost_unit", expected="minutes or km", got=cost_unit)
    reach = REACH[cost_unit] if reach is None else float(reach)
    h = hubs.set_index("region_code") if "region_code" in hubs.columns else hubs
    h.index = h.index.astype(str)
    order = list(h.sort_values("hub_rank").index) if "hub_rank" in h else list(h.index)
    if weights is None:
        weights, tiebreak, cluster_evidence = cluster_weights(units)
        theme_source = ("designated 뿌리산업 특화단지 (assets/root_industry_complexes.csv): reported firms, "
                        "designations as tiebreak")
    themes = hub_themes(weights, assignments, tiebreak=tiebreak, hub_order=order)
    leads = lead_hubs(themes, hub_order=order)
    links = hub_links(themes, cost, reach=reach, leads=leads)
    orgs = organisations(units) if orgs is None else orgs
    org = assign_organisations(orgs, themes, assignments, cost, reach=reach)
    names = units["name_ko"] if "name_ko" in units else pd.Series(dtype=object)
    rows = []
    for code in order:
        t = themes.loc[code]
        led = [p for p, lh in leads.items() if lh == code]
        mine = links[(links["hub_a"] == code) | (links["hub_b"] == code)]
        other = [(b if a == code else a, cst) for a, b, cst in zip(mine["hub_a"], mine["hub_b"], mine["cost"])]
        other.sort(key=lambda x: (x[1], x[0]))
        o = org[org["hub_code"] == code]
        runner = [p for p in str(t["runner_ups"] or "").split(";") if p]
        rows.append({
            "region_code": code, "hub_rank": int(h.at[code, "hub_rank"]) if "hub_rank" in h else None,
            "name_ko": names.get(code),
            "theme": t["theme"], "theme_ko": PROCESS_KO.get(t["theme"]), "theme_en": PROCESS_EN.get(t["theme"]),
            "runner_ups": ";".join(runner), "runner_ups_ko": ";".join(PROCESS_KO[p] for p in runner),
            "evidence": _evidence(t, [t["theme"]] + runner if isinstance(t["theme"], str) else [],
                                  tiebreak is not None),
            "theme_source": theme_source if isinstance(t["theme"], str) else
            f"{theme_source}: none in this hub's catchment",
            "role": "lead" if led else "regional",
            "lead_themes": ";".join(led), "lead_themes_ko": ";".join(PROCESS_KO[p] for p in led),
            "linked_hubs": ";".join(x for x, _ in other),
            "link_costs": ";".join(f"{x}:{c:.0f}" for x, c in other),
            "cost_unit": cost_unit, "isolated": not other,
            "organisations_absorbed": ";".join(o.loc[o["role"] == "absorb", "name"].astype(str)),
            "organisations_coordinated": ";".join(o.loc[o["role"] != "absorb", "name"].astype(str)),
            "n_organisations": len(o),
        })
    table = pd.DataFrame(rows).set_index("region_code")
    wt = themes[[f"w_{p}" for p in PROCESS_IDS] + [f"t_{p}" for p in PROCESS_IDS if f"t_{p}" in themes]]
    org = org.assign(cost_unit=cost_unit)
    return NetworkPlan(table, links.assign(cost_unit=cost_unit), org, wt, cost_unit, theme_source,
                       reach=reach, leads=leads.to_dict(), cluster_evidence=cluster_evidence)


def _evidence(t: pd.Series, procs: list[str], has_tiebreak: bool) -> str:
    parts = []
    for p in procs:
        w = t[f"w_{p}"]
        s = f"{PROCESS_KO[p]} {w:,.1f}"
        if has_tiebreak:
            s += f" (designations {t[f't_{p}']:.2f})"
        parts.append(s)
    return "; ".join(parts)


def network_plan(units, hubs: pd.DataFrame, assignments: pd.DataFrame, cost: pd.DataFrame, *,
                 cost_unit: str, root_complexes=None, orgs: pd.DataFrame | None = None) -> NetworkPlan:
    """The plan of a siting: themes from the designated 뿌리산업 특화단지, links, organisations.

    Parameters
    ----------
    units
        The analysis units.
    hubs, assignments
        The siting's hubs and assignments (:class:`geo.results.Siting`).
    cost
        The region × region cost the hubs were sited on, in ``cost_unit`` (``"minutes"`` or
        ``"km"``).
    root_complexes
        The placed designations (the indicators' ``root_complexes`` assets: ``source_row``,
        ``region_code``), so the themes count each where the indicators placed it.
    orgs
        :func:`organisations` of ``units``, if already at hand.
    """
    placed = None if root_complexes is None else root_complexes[["source_row", "region_code"]]
    firms, desig, ev = cluster_weights(units, placed=placed)
    orgs = organisations(units) if orgs is None else orgs
    return build_plan(units, hubs, assignments, cost, cost_unit=cost_unit, weights=firms, tiebreak=desig,
                      theme_source=("designated 뿌리산업 특화단지 (assets/root_industry_complexes.csv): "
                                    "reported firms, designations as tiebreak"),
                      orgs=orgs, cluster_evidence=ev)


def organisation_regions(units) -> list[str]:
    """Region codes of every placed existing organisation (for :func:`near_organisation`)."""
    o = organisations(units)
    return sorted(set(o["region_code"].dropna()))
