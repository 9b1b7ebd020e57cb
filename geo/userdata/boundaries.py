"""Boundary files (shapefile, GeoPackage, GeoJSON) read into analysis units: a CRS, valid
polygons and unique codes are required, every problem named.
"""

from __future__ import annotations

import math
import unicodedata
import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.config import CRS
from geo.errors import InputError
from geo.userdata.points import KOREA_LAT, KOREA_LON, LAND_BUFFER_M, in_korea, on_land
from geo.userdata.tables import check_path, list_text


_POLYGON_MARGIN = 0.3  # degrees: coastlines and sea areas of 시군구 polygons reach a little past


def _features_text(idx: Sequence[int], limit: int = 8) -> str:
    idx = [int(i) + 1 for i in idx]
    shown = ", ".join(map(str, idx[:limit]))
    return f"feature{'s' if len(idx) > 1 else ''} {shown}" + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def read_boundaries(
    path, *, code_column: str, layer: str | None = None, make_valid: bool = False
) -> gpd.GeoDataFrame:
    """Read user polygons (GeoPackage, GeoJSON, shapefile …) keyed by a code column.

    Features are numbered from 1 in file order (the GeoPackage fid and QGIS's order).

    Parameters
    ----------
    code_column
        Column with one unique code per polygon; becomes the index ``region_code`` (text).
    layer
        Layer of a multi-layer file.
    make_valid
        Repair invalid polygons with :func:`shapely.make_valid` (polygonal parts kept) instead
        of raising; the repaired features are listed in ``attrs["repaired"]``.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:5179, indexed by ``region_code``.

    Raises
    ------
    geo.errors.InputError
        No CRS, a CRS that does not fit the coordinates, polygons outside Korea, empty,
        non-polygon or invalid geometry, missing or duplicated codes.
    """
    p, name = check_path(path)
    import pyogrio
    import shapely

    try:
        with warnings.catch_warnings():
            # GDAL warns of an unclosed ring and passes it on; GEOS then refuses it (below)
            warnings.filterwarnings("ignore", message="Non closed ring detected")
            gdf = gpd.read_file(p, layer=layer, engine="pyogrio")
    except shapely.errors.GEOSException as err:
        _raise_unbuildable(p, name, layer, code_column, err)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(
            f"cannot be read as a vector file ({first})", file=name,
            expected="a GeoPackage, GeoJSON or shapefile with polygons",
        ) from None
    if len(gdf) == 0:
        raise InputError("has no features", file=name, expected="one polygon per region")
    if code_column not in gdf.columns:
        raise InputError(
            "no such column", file=name, column=code_column,
            expected=f"one of {list_text([c for c in gdf.columns if c != gdf.geometry.name])}",
            got=code_column,
        )
    codes = gdf[code_column].map(_code_text)
    missing = np.flatnonzero(codes.eq("").to_numpy())
    if len(missing):
        raise InputError(
            f"missing code in {_features_text(missing)}", file=name, column=code_column,
            expected="a code for every polygon", got=gdf[code_column].iloc[missing[0]],
        )
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        where = np.flatnonzero(codes.eq(first).to_numpy())
        more = dup.nunique() - 1
        raise InputError(
            f"duplicated code {first!r} in {_features_text(where)}"
            + (f" ({more} more duplicated code{'s' if more > 1 else ''})" if more else ""),
            file=name, column=code_column, expected="one polygon per code", got=first,
            hint="dissolve the parts into one (multi)polygon per code",
        )
    if gdf.crs is None:
        raise InputError(
            "has no CRS; set one (a .prj beside a shapefile, or gdf.set_crs('EPSG:5179') before "
            "saving)", file=name, column="geometry", expected="a file with a coordinate reference system",
            got=None,
        )
    geom = gdf.geometry
    empty = np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())
    if len(empty):
        raise InputError(
            f"empty geometry in {_features_text(empty)}", file=name, column="geometry",
            expected="a polygon for every feature", got=codes.iloc[empty[0]],
        )
    kinds = geom.geom_type
    notpoly = np.flatnonzero(~kinds.isin(["Polygon", "MultiPolygon"]).to_numpy())
    if len(notpoly):
        raise InputError(
            f"not a polygon in {_features_text(notpoly)}", file=name, column="geometry",
            expected="Polygon or MultiPolygon", got=kinds.iloc[notpoly[0]],
        )
    xmin, ymin, xmax, ymax = geom.total_bounds
    degrees = -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90
    crs_name = gdf.crs.to_string()
    if gdf.crs.is_geographic and not degrees:
        raise InputError(
            f"coordinates look like metres (x {_metres(xmin)}–{_metres(xmax)}) but the CRS {crs_name} is in degrees",
            file=name, column="geometry", expected="the CRS the coordinates were made in (e.g. EPSG:5179)",
            got=crs_name, hint="set the right CRS with set_crs(..., allow_override=True), do not reproject",
        )
    if not gdf.crs.is_geographic and degrees:
        raise InputError(
            f"coordinates look like degrees (x {xmin:g}–{xmax:g}) but the CRS {crs_name} is projected",
            file=name, column="geometry", expected="EPSG:4326 for degrees", got=crs_name,
        )
    bounds = geom.to_crs("EPSG:4326").bounds
    ok = in_korea(bounds["miny"].to_numpy(), bounds["minx"].to_numpy(), _POLYGON_MARGIN) & in_korea(
        bounds["maxy"].to_numpy(), bounds["maxx"].to_numpy(), _POLYGON_MARGIN
    )
    if not ok.all():
        far = np.flatnonzero(~ok)
        b = bounds.iloc[far[0]]
        raise InputError(
            f"outside Korea in {_features_text(far)} when read as {crs_name}", file=name,
            column="geometry",
            expected=f"latitude {KOREA_LAT[0]}–{KOREA_LAT[1]}, longitude {KOREA_LON[0]}–{KOREA_LON[1]}",
            got=f"lon {b['minx']:.2f}–{b['maxx']:.2f}, lat {b['miny']:.2f}–{b['maxy']:.2f}",
            hint="is the CRS right?",
        )
    valid = shapely.is_valid(geom.to_numpy())
    repaired: list[int] = []
    if not valid.all():
        bad = np.flatnonzero(~valid)
        if not make_valid:
            reason = shapely.is_valid_reason(geom.iloc[bad[0]])
            raise InputError(
                f"invalid geometry in {_features_text(bad)} (first: {reason})", file=name,
                column="geometry", expected="valid polygons", got=codes.iloc[bad[0]],
                hint="repair them in GIS, or pass make_valid=True",
            )
        arr = geom.to_numpy().copy()
        for i in bad:
            fixed = shapely.make_valid(arr[i])
            if fixed.geom_type == "GeometryCollection":
                parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
                fixed = shapely.union_all(parts) if parts else shapely.Polygon()
            if fixed.is_empty or fixed.area == 0:
                raise InputError(
                    f"invalid geometry in {_features_text([i])} has no area after repair", file=name,
                    column="geometry", expected="valid polygons", got=codes.iloc[i],
                )
            arr[i] = fixed
        gdf = gdf.set_geometry(gpd.GeoSeries(arr, index=gdf.index, crs=gdf.crs))
        repaired = [int(i) + 1 for i in bad]
    out = gdf.drop(columns=[code_column]).to_crs(CRS)
    inner = shapely.point_on_surface(out.geometry.to_numpy())
    off = np.flatnonzero(~on_land(inner))
    if len(off):
        p0 = gpd.GeoSeries([inner[off[0]]], crs=CRS).to_crs("EPSG:4326").iloc[0]
        raise InputError(
            f"outside South Korea in {_features_text(off)} (a point inside the polygon is farther than "
            f"{LAND_BUFFER_M // 1000} km from its land and islands)", file=name, column="geometry",
            expected="polygons on South Korean land", got=f"{codes.iloc[off[0]]} at lat {p0.y:.4f}, lon {p0.x:.4f}",
        )
    out.index = pd.Index(codes.to_numpy(), name="region_code")
    out.attrs.update(file=name, repaired=repaired, crs_in=crs_name)
    return out


def _raise_unbuildable(p: Path, name: str, layer, code_column: str, err: Exception):
    """Name the feature whose geometry GEOS cannot build (e.g. a polygon ring that is not
    closed, which GeoJSON files written by hand or by scripts often have)."""
    import pyogrio
    import shapely

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Non closed ring detected")
        meta, _fids, wkb, fields = pyogrio.raw.read(p, layer=layer)
    codes = dict(zip(meta["fields"], fields)).get(code_column)
    for i, w in enumerate(wkb):
        try:
            shapely.from_wkb(w)
        except shapely.errors.GEOSException as e:
            reason = str(e).split(": ", 1)[-1]
            code = _code_text(codes[i]) if codes is not None else ""
            raise InputError(
                f"feature {i + 1}{f' ({code})' if code else ''} cannot be read: {reason}", file=name,
                column="geometry", expected="polygon rings that end at their first point",
                got=code or None, hint="close the rings (repeat the first point) in GIS or in the file",
            ) from None
    reason = str(err).split(": ", 1)[-1]
    raise InputError(f"geometry cannot be read: {reason}", file=name, column="geometry",
                     expected="valid polygons") from None


def _metres(v: float) -> str:
    return f"{v:,.0f}" if abs(v) < 1e9 else f"{v:.3g}"  # 1e308 written out is 400 characters


def _code_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    return unicodedata.normalize("NFKC", str(v)).strip()
