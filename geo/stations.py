"""Rail stations placed in analysis units: the KORAIL tables and the name matching.

KORAIL stations have no coordinates. :func:`place_stations` gives each station candidate
units from its name (the urban-rail register's coordinates and road addresses, unit, 일반구
and 읍면동 name stems; names are compared as :mod:`geo.codes` compares region names) and lets
the track distances between adjacent stations decide between them; stations it cannot place
are reported (:func:`unplaced_report`), never guessed. :mod:`geo.network` turns the placed
stations into rail links between units, :mod:`geo.traveltime` into rail travel times.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import validate
from geo.config import CRS
from geo.errors import InputError
from geo.labels import SIDO_SHORT


# KORAIL network nodes that are not passenger stations (signal boxes, junctions, yards, depots,
# freight-only stations, line-split bookkeeping nodes such as 구로경부분).
NON_PASSENGER_SUFFIXES = ("신호장", "신호", "분기", "조차장", "기지", "화물", "철송장", "경부분", "경인분", "경원분")
_SIDO_SUFFIX = re.compile(r"(특별자치시|특별자치도|특별시|광역시|도)$")


@dataclass
class RailData:
    """KORAIL stations and adjacent-station links, plus the urban-rail station register.

    Attributes
    ----------
    stations
        DataFrame with columns station, passenger (False for signal boxes, junctions, yards,
        freight-only nodes and stations with no passenger route to any other).
    adjacency
        DataFrame station_a, station_b, km (flagged edges removed).
    dropped
        The flagged adjacency edges that were removed, with their flag.
    urban
        Urban-rail stations: name (as published), key (normalised name), operator, lat, lon,
        address.
    """

    stations: pd.DataFrame
    adjacency: pd.DataFrame
    dropped: pd.DataFrame
    urban: pd.DataFrame
    sources: dict = field(default_factory=dict)


def _norm_station(name: str) -> str:
    """Urban-rail station name → KORAIL-style key: no parenthesis, line break, space or 역."""
    s = str(name).split("\n")[0]
    s = re.sub(r"\(.*?\)|\(.*$", "", s)
    s = re.sub(r"\s+", "", s)
    if len(s) > 2 and s.endswith("역"):
        s = s[:-1]
    return s


@functools.cache
def station_distances() -> pd.DataFrame:
    """KORAIL's station-to-station passenger km (``출발역명``, ``도착역명``, ``여객최단운행거리``),
    read once per process: the rail loader and the travel-time calibration both use it.
    Treat it as read-only."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from geo.catalogue import data_path

    # Arrow's reader skips the other columns (a 45 MB table with each pair's route text) at
    # half pandas' cost; the frame is the same as pandas.read_csv(..., usecols=...) gives.
    cols = ["출발역명", "도착역명", "여객최단운행거리"]
    table = pcsv.read_csv(data_path("transport/rail/station_distance.csv.gz"),
                          read_options=pcsv.ReadOptions(use_threads=False),
                          convert_options=pcsv.ConvertOptions(include_columns=cols,
                                                              column_types={cols[2]: pa.float64()}))
    return table.to_pandas()


def load_rail() -> RailData:
    """Read the shipped KORAIL tables and the urban-rail station register (data/transport/).

    Returns
    -------
    RailData
    """
    from geo.catalogue import data_path

    files = {
        "names": "transport/rail/korail_station_names_20250101.csv",
        "adjacency": "transport/rail/korail_station_adjacency_derived_20250101.csv",
        "distance": "transport/rail/station_distance.csv.gz",
        "urban": "transport/urban_rail/urban_rail_stations_20240930.xlsx",
    }
    names = pd.read_csv(data_path(files["names"]), dtype=str, encoding="utf-8-sig")
    adj = pd.read_csv(data_path(files["adjacency"]), dtype={"station_a": str, "station_b": str}, encoding="utf-8-sig")
    flagged = adj["flag"].notna() & (adj["flag"].astype(str).str.strip() != "")
    dropped = adj.loc[flagged, ["station_a", "station_b", "km", "flag"]].reset_index(drop=True)
    adjacency = adj.loc[~flagged, ["station_a", "station_b", "km"]].reset_index(drop=True)
    unknown = sorted((set(adjacency["station_a"]) | set(adjacency["station_b"])) - set(names["station"]))
    if unknown:
        raise InputError("adjacency names a station missing from the station list",
                         file=files["adjacency"], expected="names from " + files["names"], got=unknown[:5])

    dist = station_distances()
    no_route = dist["여객최단운행거리"] >= 999.9  # the table's code for "no passenger route"
    share = pd.concat([
        pd.DataFrame({"station": dist["출발역명"], "no_route": no_route}),
        pd.DataFrame({"station": dist["도착역명"], "no_route": no_route}),
    ]).groupby("station")["no_route"].mean()
    st = names[["station"]].copy()
    suffix = st["station"].str.endswith(NON_PASSENGER_SUFFIXES)
    # a station absent from the distance table is judged by its name only (NaN >= 0.99 is False)
    st["passenger"] = ~suffix & ~(share.reindex(st["station"]).to_numpy() >= 0.99)

    # calamine reads the register in a tenth of openpyxl's time, and decodes the escaped
    # carriage return (_x000D_) that ends one address
    u = pd.read_excel(data_path(files["urban"]), dtype=str, engine="calamine")
    urban = pd.DataFrame({
        "name": u["역사명"],
        "key": u["역사명"].map(_norm_station),
        "operator": u["운영기관명"].fillna(""),
        "lat": pd.to_numeric(u["역위도"], errors="coerce"),
        "lon": pd.to_numeric(u["역경도"], errors="coerce"),
        "address": u["역사도로명주소"].fillna("").str.strip(),
    })
    return RailData(stations=st, adjacency=adjacency, dropped=dropped, urban=urban, sources=files)


def _sido_key(name: str) -> str:
    s = str(name).strip()
    if len(s) >= 3 and s[:2] in ("충청", "전라", "경상"):
        return s[0] + s[2]
    return s[:2]


def _stem(name: str, *, level: str) -> str | None:
    """Place-name stem: 구미시 → 구미, 정자1동 → 정자, 종로1.2.3.4가동 → 종로 (None if < 2 chars)."""
    s = str(name)
    if level == "sgg":
        s = re.sub(r"[시군구]$", "", s)
    else:
        s = re.sub(r"[읍면동]$", "", s)
        s = re.sub(r"[0-9.,·제]*가?$", "", s) if re.search(r"[0-9]", s) else s
    return s if len(s) >= 2 else None


def _address_region(address: str, operator: str, lookup: dict, by_name: dict, sido_units: dict) -> str | None:
    tokens = address.split()
    if not tokens:
        return None
    sido = _sido_key(tokens[0])
    if sido in SIDO_SHORT and not tokens[0].endswith(("구", "군")):
        rest = tokens[1:]
    else:  # 대구 addresses start at the 구: take the 시도 from the operator
        sido = _sido_key(operator) if _sido_key(operator) in SIDO_SHORT else None
        rest = tokens
    if sido is not None and len(sido_units.get(sido, ())) == 1:
        return sido_units[sido][0]
    for t in rest[:2]:
        for name, code in lookup.get(sido, {}).items():
            if t == name or (t.startswith(name) and len(name) >= 2):
                return code
        if t in by_name and len(by_name[t]) == 1:  # e.g. 군위군 (대구 since 2023, 경북 in 2020 units)
            return by_name[t][0]
    return None


def place_stations(
    units: gpd.GeoDataFrame,
    rail: RailData | None = None,
    *,
    gazetteer: pd.DataFrame | None = None,
    slack_km: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place KORAIL stations (which have no coordinates) in analysis units.

    Each station first gets candidate units from every rule that applies (evidence tier in
    brackets, 1 = strongest):

    * ``urban_rail_coords`` / ``urban_rail_address`` [2 for rows run by KORAIL, else 3]: the
      name equals the name of an urban-rail register row (compared without parentheses, spaces
      and a final 역; a KORAIL name that itself ends in 역, such as 구룡역, must match exactly);
      the row's coordinates are located by point-in-polygon or, without coordinates (or with
      coordinates in no unit, such as 남동구청's longitude 123.7), its road address (시도 +
      시군구) is matched to a unit.
    * ``unit_name`` [1]: the name equals the stem of a unit name (구미 ↔ 구미시; stems under two
      characters such as 중구 are not used). A stem that is also a 시도 stem (광주 ↔ 경기
      광주시 and 광주광역시) drops to tier 4, beside every unit of that 시도 (``sido_name``).
    * ``direction_name`` [3]: 동/서/남/북/신 + a unit or 시도 stem (서원주 ↔ 원주시).
    * ``gu_name`` [4]: the stem of a 일반구 (진해 ↔ 창원시 진해구); ``emd_name`` [4]: the stem
      of a 읍면동 name (영월 ↔ 영월읍, 정자 ↔ 정자1동).

    Names repeat across the country (KORAIL's 경부선 삼성 is not Seoul's 삼성), so rail
    distances decide: the track km between adjacent stations is at least the gap between their
    units' polygons, so a unit farther than ``km + slack_km`` from a placed adjacent station is
    impossible. A candidate's *support* is the number of adjacent stations (placed, or holding
    a candidate) within reach of it. Stations are then placed greedily, most certain first
    (most placed neighbours, then most support, then best tier): each takes its candidate with
    the most support, ties broken by tier; a tie on both leaves it pending; a tier-4 candidate
    needs support ≥ 1. After each placement the neighbours' candidates are filtered again. The
    result never puts two adjacent stations farther apart than their track km allow.

    Stations with no candidate, with only contradicted candidates, with a tie, or with only an
    unsupported tier-4 name are reported. At 읍면동 level (units with a ``parent_code``
    column) only coordinates are used.

    Parameters
    ----------
    units
        Analysis units indexed by ``region_code`` with ``name_ko`` and ``sido_name_ko``.
    rail
        From :func:`load_rail` (loaded when omitted).
    gazetteer
        읍면동 names with columns ``name_ko``, ``full_name_ko``, ``parent_code`` (default:
        ``geo.regions.load_units("emd")``); used at 시군구 level only.
    slack_km
        Allowance for the rounding of the published km and boundary digitising.

    Returns
    -------
    placement
        One row per placed station: station, region_code, rule, corroborated, checked (placed
        adjacent stations consistent with it), passenger.
    unplaced
        One row per station not placed: station, reason, candidates.
    """
    units = validate.units(units, geometry=True)
    rail = load_rail() if rail is None else rail
    emd_level = "parent_code" in units.columns
    for col in ("name_ko",) if emd_level else ("name_ko", "sido_name_ko"):
        if col not in units.columns:
            raise InputError("units lack a column needed to place stations", column=col,
                             expected="columns name_ko, sido_name_ko (geo.regions.load_units)")
    geoms = units.geometry
    codes = units.index.to_numpy()
    tree = shapely.STRtree(geoms.to_numpy())

    # urban-rail register rows located by coordinates, else by address
    urban = rail.urban
    pts = np.asarray(gpd.points_from_xy(urban["lon"], urban["lat"], crs="EPSG:4326").to_crs(CRS))
    has_xy = (urban["lat"].notna() & urban["lon"].notna()).to_numpy()
    pip = np.full(len(urban), None, dtype=object)
    idx_xy = np.flatnonzero(has_xy)
    q_pt, q_poly = tree.query(pts[has_xy], predicate="intersects")
    for p, g in zip(q_pt, q_poly):
        pip[idx_xy[p]] = codes[g]
    addr = np.full(len(urban), None, dtype=object)
    sido_of = {}
    if not emd_level:
        lookup: dict[str, dict[str, str]] = {}
        by_name: dict[str, list[str]] = {}
        sido_units: dict[str, list[str]] = {}
        for code, name, sido in zip(codes, units["name_ko"], units["sido_name_ko"]):
            key = _sido_key(sido)
            sido_of[code] = key
            lookup.setdefault(key, {})[name] = code
            by_name.setdefault(name, []).append(code)
            sido_units.setdefault(key, []).append(code)
        for key in lookup:  # longest names first
            lookup[key] = dict(sorted(lookup[key].items(), key=lambda kv: -len(kv[0])))
        addr = np.array([
            _address_region(a, o, lookup, by_name, sido_units) for a, o in zip(urban["address"], urban["operator"])
        ], dtype=object)
    raw_key = urban["name"].map(lambda s: re.sub(r"\s+", "", re.sub(r"\(.*?\)|\(.*$", "", str(s).split("\n")[0])))
    urban = urban.assign(pip=pip, addr=addr, raw=raw_key)

    # name stems
    unit_stems: dict[str, set[str]] = {}
    gu_stems: dict[str, set[str]] = {}
    emd_stems: dict[str, set[str]] = {}
    sido_stem_units: dict[str, set[str]] = {}
    if not emd_level:
        for code, name, sido in zip(codes, units["name_ko"], units["sido_name_ko"]):
            s = _stem(name, level="sgg")
            if s:
                unit_stems.setdefault(s, set()).add(code)
            sido_stem_units.setdefault(_SIDO_SUFFIX.sub("", str(sido)), set()).add(code)
        if gazetteer is None:
            from geo.regions import load_units

            gazetteer = load_units("emd")
        gaz = gazetteer[gazetteer["parent_code"].isin(set(codes))]
        for full, name, parent in zip(gaz["full_name_ko"], gaz["name_ko"], gaz["parent_code"]):
            tokens = str(full).split()
            if len(tokens) == 4:  # 시도 시 구 읍면동: the 일반구 name
                s = _stem(tokens[2], level="sgg")
                if s:
                    gu_stems.setdefault(s, set()).add(parent)
            s = _stem(name, level="emd")
            if s:
                emd_stems.setdefault(s, set()).add(parent)
        for stem, regs in sido_stem_units.items():
            if len(regs) == 1:  # a one-unit 시도 (세종) is its unit
                unit_stems.setdefault(stem, set()).update(regs)

    tier_of = {"unit_name": 1, "urban_rail_korail": 2, "urban_rail_other": 3, "direction_name": 3,
               "emd_name": 4, "sido_name": 4, "gu_name": 4}
    cands: dict[str, dict[str, tuple[int, str]]] = {}  # station -> unit -> (tier, rule)

    def offer(st: str, reg: str, tier: int, rule: str) -> None:
        have = cands.setdefault(st, {})
        if reg not in have or tier < have[reg][0]:
            have[reg] = (tier, rule)

    # register rows by raw name and by key (row positions in register order)
    by_raw: dict[str, list[int]] = {}
    by_key: dict[str, list[int]] = {}
    for i, (raw, key) in enumerate(zip(urban["raw"], urban["key"])):
        by_raw.setdefault(raw, []).append(i)
        by_key.setdefault(key, []).append(i)
    u_pip, u_addr, u_op = urban["pip"].to_numpy(), urban["addr"].to_numpy(), urban["operator"].to_numpy()
    for st in rail.stations["station"]:
        rows = by_raw.get(st, []) if st.endswith("역") else sorted({*by_key.get(st, ()), *by_raw.get(st, ())})
        for pip_r, addr_r, op in zip(u_pip[rows], u_addr[rows], u_op[rows]):
            reg = pip_r if pd.notna(pip_r) else addr_r
            if pd.isna(reg):
                continue
            tier = tier_of["urban_rail_korail" if op == "한국철도공사" else "urban_rail_other"]
            offer(st, reg, tier, "urban_rail_coords" if pd.notna(pip_r) else "urban_rail_address")
        if emd_level:
            continue
        shared = len(sido_stem_units.get(st, ())) > 1  # 광주: 경기 광주시 or 광주광역시
        for reg in unit_stems.get(st, ()):
            offer(st, reg, tier_of["sido_name" if shared else "unit_name"], "unit_name")
        for reg in gu_stems.get(st, ()):  # 일반구 names are common place names (성산, 덕양)
            offer(st, reg, tier_of["gu_name"], "gu_name")
        if len(st) >= 3 and st[0] in "동서남북신":
            for reg in unit_stems.get(st[1:], set()) | sido_stem_units.get(st[1:], set()):
                offer(st, reg, tier_of["direction_name"], "direction_name")
        for reg in sido_stem_units.get(st, ()):
            offer(st, reg, tier_of["sido_name"], "sido_name")
        for reg in emd_stems.get(st, ()):
            offer(st, reg, tier_of["emd_name"], "emd_name")

    nbrs: dict[str, list[tuple[str, float]]] = {}
    for a, b, km in rail.adjacency[["station_a", "station_b", "km"]].itertuples(index=False):
        nbrs.setdefault(a, []).append((b, km))
        nbrs.setdefault(b, []).append((a, km))
    gap_cache: dict[tuple[str, str], float] = {}
    geom_of = dict(zip(codes, geoms.to_numpy()))

    def gap_km(r1: str, r2: str) -> float:
        if r1 == r2:
            return 0.0
        key = (r1, r2) if r1 < r2 else (r2, r1)
        if key not in gap_cache:
            gap_cache[key] = float(shapely.distance(geom_of[key[0]], geom_of[key[1]])) / 1000.0
        return gap_cache[key]

    bounds = dict(zip(codes, map(tuple, shapely.bounds(geoms.to_numpy()).tolist())))

    def bbox_gap_km(r1: str, r2: str) -> float:
        (a0, a1, a2, a3), (b0, b1, b2, b3) = bounds[r1], bounds[r2]
        dx, dy = max(b0 - a2, a0 - b2, 0.0), max(b1 - a3, a1 - b3, 0.0)
        return (dx * dx + dy * dy) ** 0.5 / 1000.0

    def fits(reg: str, other: str, km: float) -> bool:
        # The bounding-box gap is a lower bound of the polygon gap: a cheap early "no".
        return bbox_gap_km(reg, other) <= km + slack_km and gap_km(reg, other) <= km + slack_km

    # Greedy, most certain first: a candidate's support is the number of adjacent stations
    # (placed, or still holding candidates) that have a unit within reach of it.
    pending = {st: dict(cs) for st, cs in cands.items()}
    placed: dict[str, str] = {}
    conflicts: dict[str, str] = {}

    def support(st: str, reg: str) -> int:
        n_ok = 0
        for n, km in nbrs.get(st, []):
            if n in placed:
                n_ok += fits(reg, placed[n], km)
            elif n in pending:
                n_ok += any(fits(reg, r2, km) for r2 in pending[n])
        return n_ok

    def judge(st: str):
        """Drop candidates contradicted by placed neighbours; return (confidence, pick) or None."""
        near = [(n, km) for n, km in nbrs.get(st, []) if n in placed]
        cs = {r: v for r, v in pending[st].items() if all(fits(r, placed[n], km) for n, km in near)}
        if not cs:
            conflicts[st] = "|".join(sorted(pending[st]))
            del pending[st]
            return None
        pending[st] = cs
        keys = sorted(((support(st, r), -v[0], r) for r, v in cs.items()), reverse=True)
        top = keys[0]
        if len(keys) > 1 and keys[1][:2] == top[:2]:
            return None  # a tie: ambiguous for now
        sup, neg_tier, reg = top
        if sup == 0 and -neg_tier >= 4:
            return None  # a 읍면동 or 시도 name alone is not enough
        return (len(near), sup, neg_tier), reg

    verdict = {st: judge(st) for st in list(pending)}
    name_key = {st: [-ord(c) for c in st] for st in pending}  # ties: the smallest name first
    while True:
        ready = [(v[0], st) for st, v in verdict.items() if v is not None and st in pending]
        if not ready:
            break
        _, st = max(ready, key=lambda x: (x[0], name_key[x[1]]))
        placed[st] = verdict.pop(st)[1]
        del pending[st]
        # whenever a station changes (placed, narrowed, dropped), its neighbours are judged again
        queue = sorted({n for n, _ in nbrs.get(st, [])})
        while queue:
            t = queue.pop(0)
            if t not in pending:
                verdict.pop(t, None)
                continue
            before = set(pending[t])
            verdict[t] = judge(t)
            after = set(pending.get(t, ()))
            if after != before:
                queue += sorted({n for n, _ in nbrs.get(t, [])} - set(queue))
            if t not in pending:
                verdict.pop(t, None)
    corroborated = {st: support(st, reg) > 0 for st, reg in placed.items()}

    passenger = rail.stations.set_index("station")["passenger"]
    rows = []
    for st, reg in placed.items():
        ok_nbrs = [n for n, km in nbrs.get(st, []) if n in placed and fits(reg, placed[n], km)]
        rows.append((st, reg, cands[st][reg][1], corroborated[st], len(ok_nbrs), bool(passenger[st])))
    placement = pd.DataFrame(
        rows, columns=["station", "region_code", "rule", "corroborated", "checked", "passenger"]
    ).sort_values("station", ignore_index=True)
    rows = []
    for st in rail.stations["station"]:
        if st in placed:
            continue
        if st in conflicts:
            rows.append((st, "every candidate unit is farther from a placed adjacent station than the track km",
                         conflicts[st]))
        elif st in pending and len(pending[st]) > 1:
            rows.append((st, "ambiguous: several candidate units fit the rail distances", "|".join(sorted(pending[st]))))
        elif st in pending:
            rows.append((st, "only a 읍면동 or 시도 name matches and no adjacent station supports it",
                         "|".join(pending[st])))
        elif emd_level:
            rows.append((st, "no coordinates (읍면동 level places stations by coordinates only)", ""))
        else:
            rows.append((st, "name matches no urban-rail station, unit or 읍면동", ""))
    unplaced = pd.DataFrame(rows, columns=["station", "reason", "candidates"])
    return placement, unplaced


def unplaced_report(unplaced: pd.DataFrame, rail: RailData) -> pd.DataFrame:
    """The stations :func:`place_stations` could not place, as match-report rows.

    Parameters
    ----------
    unplaced
        The second table of :func:`place_stations`.
    rail
        The rail tables the stations were placed from.

    Returns
    -------
    DataFrame with the match report's columns (:data:`geo.indicators.REPORT_COLUMNS`): the
    station list file, the station's row in it (header = row 1), ``station``, its name, the
    reason, outcome ``excluded`` (no rail link ends there) and no region.
    """
    from geo.indicators import REPORT_COLUMNS

    row = dict(zip(rail.stations["station"], rail.stations.index + 2))
    out = pd.DataFrame({
        "source_file": rail.sources.get("names", ""),
        "row": unplaced["station"].map(row).astype("Int64"),
        "column": "station", "value": unplaced["station"],
        "reason": "station not placed in a region: " + unplaced["reason"].astype(str),
        "outcome": "excluded", "region_code": None,
    })
    return out[REPORT_COLUMNS]
