"""Point → unit assignment on the hand-checkable fixture of conftest.py: a 3×3 grid of 1 km
squares ``r{row}{col}`` (row 0 at the top) plus the island ``isl`` 2 km east of r12."""

import numpy as np
import pandas as pd
import pytest

from geo.regions import assign_points


def corner(grid):
    """The grid's top-left corner (x0, y0)."""
    minx, _, _, maxy = grid.total_bounds
    return minx, maxy


def test_inside_snapped_outside(grid):
    X0, Y0 = corner(grid)
    # r00's centre, r22's centre, the island's centre, 500 m east of r02, far from everything
    # (1.2 km east of r02, 0.9 km from the island), on the r00|r01 border
    x = [X0 + 500, X0 + 2500, X0 + 5500, X0 + 3500, X0 + 4200, X0 + 1000]
    y = [Y0 - 500, Y0 - 2500, Y0 - 1500, Y0 - 500, Y0 - 300, Y0 - 500]
    a = assign_points(x, y, grid, snap_m=600)
    got = a["region_code"].tolist()
    assert got[:4] + got[5:] == ["r00", "r22", "isl", "r02", "r00"] and pd.isna(got[4])
    assert a["how"].tolist() == ["inside", "inside", "inside", "snapped", "outside", "inside"]
    assert a.loc[3, "distance_m"] == pytest.approx(500)
    assert np.isnan(a.loc[4, "distance_m"])


def test_no_snap(grid):
    X0, Y0 = corner(grid)
    a = assign_points([X0 + 3_100], [Y0 - 500], grid, snap_m=0)
    assert a["how"].tolist() == ["outside"]
