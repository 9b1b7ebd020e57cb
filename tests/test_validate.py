"""One validator for analysis-unit frames and region tables (geo.validate)."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import validate
from geo.errors import InputError


def _units(index, crs="EPSG:5179"):
    return gpd.GeoDataFrame({"name_ko": ["가", "나"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.Polygon()],
                            index=pd.Index(index, name="region_code"), crs=crs)


def test_every_problem_of_a_unit_frame_is_listed_at_once():
    with pytest.raises(InputError) as e:
        validate.units(_units(["11010", "11010"], crs=None), columns=["name_ko", "sido_code"], geometry=True)
    text = str(e.value)
    for part in ("no CRS", "duplicate region codes in the index: ['11010']", "missing columns ['sido_code']",
                 "units without geometry: ['11010']"):
        assert part in text


def test_a_frame_in_the_crs_is_returned_as_is_and_others_reprojected():
    u = _units(["11010", "11020"])
    assert validate.units(u) is u
    moved = validate.units(u.to_crs("EPSG:4326"))
    assert moved.crs == "EPSG:5179" and moved.geometry.iloc[0].equals_exact(u.geometry.iloc[0], 1e-3)


def test_level_and_index_name():
    with pytest.raises(InputError, match=r"index named 'code'.*not 5-digit 시군구 codes: '1101'"):
        validate.units(_units(["1101", "11020"]).rename_axis("code"), level="sgg", named_index=True)


def test_region_tables():
    t = pd.DataFrame({"a": [1.0]}, index=["11010"])
    assert validate.region_table(t, columns=["a"], level="sgg") is t
    with pytest.raises(InputError, match="values: no regions; missing columns"):
        validate.region_table(t.iloc[:0], columns=["b"], what="values")
    with pytest.raises(InputError, match="values must be a DataFrame"):
        validate.region_table([1], what="values")
