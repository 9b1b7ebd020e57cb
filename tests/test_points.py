"""Point → unit assignment on a hand-checkable fixture: a 3×3 grid of 1 km squares + an island."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.regions import assign_points


@pytest.fixture
def grid():
    cells = {f"1{r}{c}00": box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000) for r in range(3) for c in range(3)}
    cells["19900"] = box(10_000, 0, 11_000, 1000)  # island 7 km east of the grid
    return gpd.GeoDataFrame(geometry=list(cells.values()), index=list(cells), crs="EPSG:5179")


def test_inside_snapped_outside(grid):
    x = [500, 2500, 10_500, 3_500, 7_000, 1000]
    y = [500, 2500, 500, 500, 500, 500]
    a = assign_points(x, y, grid, snap_m=600)
    got = a["region_code"].tolist()
    assert got[:4] + got[5:] == ["10000", "12200", "19900", "10200", "10000"] and pd.isna(got[4])
    assert a["how"].tolist() == ["inside", "inside", "inside", "snapped", "outside", "inside"]
    assert a.loc[3, "distance_m"] == pytest.approx(500)
    assert np.isnan(a.loc[4, "distance_m"])


def test_no_snap(grid):
    a = assign_points([3_100], [500], grid, snap_m=0)
    assert a["how"].tolist() == ["outside"]
