"""Checks of the frames that pass between stages, in one place.

Each check collects every problem of its input and raises one :class:`geo.errors.InputError`
that lists them all (osmnx's validator pattern), so a caller fixes a frame in one go.

>>> import geopandas as gpd, shapely
>>> u = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], index=["1101"])
>>> units(u, columns=["name_ko"], level="sgg")
Traceback (most recent call last):
...
geo.errors.InputError: units: no CRS (set one with units.set_crs(...)); index not 5-digit 시군구 codes: '1101' (first); missing columns ['name_ko']; expected a GeoDataFrame of analysis units (geo.regions.load_units())
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from geo.config import CRS
from geo.errors import InputError

__all__ = ["units", "region_table"]


def _index_problems(index: pd.Index, *, level: str | None, named: bool) -> list[str]:
    problems = []
    if named and index.name != "region_code":
        problems.append(f"index named {index.name!r}, not 'region_code'")
    if not index.is_unique:
        problems.append(f"duplicate region codes in the index: {index[index.duplicated()].unique()[:5].tolist()}")
    if level == "sgg":
        bad = [c for c in index.astype(str) if not re.fullmatch(r"\d{5}", c)]
        if bad:
            problems.append(f"index not 5-digit 시군구 codes: {bad[0]!r} (first)")
    return problems


def units(frame, *, columns: Sequence[str] = (), level: str | None = None, named_index: bool = False,
          geometry: bool = False, what: str = "units") -> gpd.GeoDataFrame:
    """Check a frame of analysis units and return it in :data:`geo.config.CRS`.

    Parameters
    ----------
    frame
        A GeoDataFrame indexed by ``region_code``.
    columns
        Columns it must have.
    level
        ``"sgg"``: the index must be 5-digit 시군구 codes.
    named_index
        The index must be named ``region_code``.
    geometry
        Every unit must have a non-empty geometry.
    what
        Name of the input in the message.

    Returns
    -------
    geopandas.GeoDataFrame
        ``frame`` itself when it is already in the CRS, else a reprojected copy.

    Raises
    ------
    InputError
        Listing every problem found.
    """
    expected = "a GeoDataFrame of analysis units (geo.regions.load_units())"
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{what} must be a GeoDataFrame", expected=expected, got=type(frame).__name__)
    problems = []
    if frame.crs is None:
        problems.append(f"no CRS (set one with {what}.set_crs(...))")
    problems += _index_problems(frame.index, level=level, named=named_index)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    if geometry:
        empty = frame.geometry.isna() | frame.geometry.is_empty
        if empty.any():
            problems.append(f"units without geometry: {frame.index[empty][:5].tolist()}")
    if problems:
        raise InputError(f"{what}: " + "; ".join(problems), expected=expected)
    return frame if frame.crs == CRS else frame.to_crs(CRS)


def region_table(frame, *, columns: Sequence[str] = (), level: str | None = None, nonempty: bool = True,
                 what: str = "table") -> pd.DataFrame:
    """Check a table keyed by ``region_code`` (values, scores) and return it unchanged.

    Parameters
    ----------
    frame
        A DataFrame indexed by ``region_code``.
    columns
        Columns it must have.
    level
        ``"sgg"``: the index must be 5-digit 시군구 codes.
    nonempty
        It must have at least one region.
    what
        Name of the input in the message.

    Raises
    ------
    InputError
        Listing every problem found.
    """
    expected = "a DataFrame indexed by region_code"
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} must be a DataFrame", expected=expected, got=type(frame).__name__)
    problems = []
    if nonempty and len(frame) == 0:
        problems.append("no regions")
    problems += _index_problems(frame.index, level=level, named=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(f"missing columns {missing}")
    if problems:
        raise InputError(f"{what}: " + "; ".join(problems), expected=expected)
    return frame
