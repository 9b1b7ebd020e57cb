"""geo.userdata: KOSIS-shaped 시군구 tables, user indicators, points, boundaries, XLSX headers.

The fixtures in tests/data/ are synthetic (values such as 101, 9,999) but shaped exactly like
KOSIS downloads: quoted cells, CRLF line ends, cp949 or UTF-8 with BOM, "2013 년" headers,
a second header row of items, 행정구역별(1)/(2)/(3) levels with 소계 rows.
"""

from __future__ import annotations

import random
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box

from geo.errors import InputError, ScenarioError
from geo.userdata import (
    parse_period,
    read_boundaries,
    read_column,
    read_kosis,
    read_points,
    read_table,
    read_xlsx_table,
    user_indicator,
)

DATA = Path(__file__).parent / "data"


def used_rows(table) -> set[int]:
    return {int(r) for rows in table.data["rows"] for r in rows.split("|")}


def assert_every_row_accounted(table, first_data_row: int):
    """Every data row is used or reported, and never both."""
    used = used_rows(table)
    reported = set(table.report["row"])
    assert not used & reported
    assert used | reported == set(range(first_data_row, first_data_row + table.rows_read))


# ------------------------------------------------------------------------------------------
# KOSIS tables


def test_wide_cp949_two_levels_with_merge():
    path = DATA / "kosis_wide_cp949.csv"
    with pytest.raises(InputError) as e:
        read_kosis(path)
    assert str(e.value) == (
        "kosis_wide_cp949.csv, row 13, column '행정구역별(2)': 2 rows land on one analysis unit "
        "33040 충청북도 청주시: row 12 '충청북도 청주시' (same); row 13 '충청북도 청원군' (merge); expected one row "
        "per analysis unit, got '충청북도 청원군' (hint: pass merge='sum' to add them)"
    )
    t = read_kosis(path, merge="sum")
    assert (t.encoding, t.layout, t.aggregates, t.rows_read) == ("cp949", "wide", 5, 12)
    assert_every_row_accounted(t, 2)
    v = t.data.set_index(["region_code", "year"])
    assert v.loc[("11010", 2013), "value"] == 101
    assert v.loc[("11020", 2013), "value"] == 1234  # "1,234"
    assert v.loc[("11020", 2014), "flag"] == "missing" and np.isnan(v.loc[("11020", 2014), "value"])
    assert v.loc[("31010", 2014), ["value", "flag"]].tolist() == [302, "provisional"]
    # 청주시 + 청원군 (abolished 2014, merge) summed; a missing part makes the sum missing
    assert v.loc[("33040", 2013), ["value", "rows", "relation"]].tolist() == [452, "12|13", "merge"]
    assert np.isnan(v.loc[("33040", 2014), "value"])
    assert "row 13 is '-'" in v.loc[("33040", 2014), "note"]
    assert t.symbols == {"X": 1, "-": 2, "…": 1, "p)": 1}
    # the 일반구 row beside its city's own row is set aside, not summed
    part = t.report.set_index("row").loc[10]
    assert part["relation"] == "parent" and "own row 9" in part["reason"]
    assert t.report.loc[t.report["relation"] == "total", "row"].tolist() == [2, 3, 6, 8, 11]
    assert t.unit == "개" and t.item == "사업체수"


def test_two_row_header_three_levels():
    path = DATA / "kosis_2row_utf8sig.csv"
    with pytest.raises(InputError, match=r"the header holds 2 items; expected item= one of '사업체수 \(개\)', '종사자수 \(명\)'"):
        read_kosis(path)
    t = read_kosis(path, item="종사자수")  # the "(명)" unit may be left out
    assert (t.encoding, t.layout, t.item, t.unit) == ("utf-8-sig", "wide", "종사자수 (명)", "명")
    assert_every_row_accounted(t, 3)
    v = t.data.set_index(["region_code", "year"])["value"]
    assert v[("11010", 2020)] == 111 and v[("31010", 2021)] == 222
    assert v[("32010", 2020)] == 331  # 강원특별자치도 춘천시 -> 32010 강원도 춘천시
    assert v[("29010", 2020)] == 551  # 세종: the 세종시 row, the 시도 row is a total
    assert t.data.set_index(["region_code", "year"]).loc[("37310", 2020), "relation"] == "recode"
    assert set(t.data.loc[t.data["year"] == 2021, "flag"]) == {"provisional", "missing"}  # "2021 p)"
    rep = t.report.set_index("row")
    assert rep.loc[6, "relation"] == "below" and "청운효자동" in rep.loc[6, "reason"]
    assert rep.loc[9, "relation"] == "parent"
    assert rep.loc[13, "reason"] == "total row (시도)"
    one = read_kosis(path, item="사업체수 (개)", year=2020)
    assert sorted(one.data["region_code"]) == ["11010", "29010", "31010", "32010", "37310"]
    assert set(one.data["year"]) == {2020}


def test_long_single_column_uses_sido_rows_above():
    t = read_kosis(DATA / "kosis_long_utf8.csv")
    assert (t.encoding, t.layout, t.aggregates) == ("utf-8", "long", 6)
    assert_every_row_accounted(t, 2)
    v = t.data.set_index(["region_code", "year"])["value"]
    assert v[("11020", 2020)] == 2 and v[("21010", 2020)] == 3  # 중구 under 서울, then under 부산
    assert v[("29010", 2021)] == 104  # 세종특별자치시 alone stands for its one 시군구
    note = t.data.set_index(["region_code", "year"]).loc[("21010", 2020), "note"]
    assert "시도 from row 6: 부산광역시" in note
    y = read_kosis(DATA / "kosis_long_utf8.csv", year=2021)
    assert set(y.data["year"]) == {2021}
    assert (y.report["relation"] == "not selected").sum() == 7
    assert_every_row_accounted(y, 2)


def test_plain_table_of_mois_codes():
    t = read_kosis(DATA / "user_codes_utf8sig.csv", year=2024)
    assert t.layout == "plain" and t.encoding == "utf-8-sig"
    assert dict(zip(t.data["region_code"], t.data["value"], strict=True)) == {
        "11010": 1.5, "31010": 2.5, "32010": 3.5, "37310": 4.5
    }
    assert t.report[["row", "reason"]].values.tolist() == [[6, "total row (시도 code)"]]


def test_row_order_does_not_matter(tmp_path):
    lines = (DATA / "kosis_wide_cp949.csv").read_bytes().decode("cp949").splitlines()
    body = lines[1:]
    random.Random(7).shuffle(body)
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_bytes(("\r\n".join([lines[0], *body]) + "\r\n").encode("cp949"))
    a = read_kosis(DATA / "kosis_wide_cp949.csv", merge="sum").data
    b = read_kosis(shuffled, merge="sum").data
    cols = ["region_code", "year", "value", "flag"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_quarterly_periods_and_period_choice(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text("행정구역별,2015.1/4,2015.2/4,2016.1/4\n서울특별시 종로구,1,2,3\n", encoding="utf-8")
    t = read_kosis(p)
    assert t.data["period"].tolist() == ["2015.1/4", "2015.2/4", "2016.1/4"]
    with pytest.raises(InputError, match=r"2 periods in 2015; expected period= one of '2015.1/4', '2015.2/4'"):
        read_kosis(p, year=2015)
    assert read_kosis(p, year=2015, period="2/4").data["value"].tolist() == [2.0]


def test_where_selects_other_dimensions(tmp_path):
    p = tmp_path / "ind.csv"
    p.write_text(
        "행정구역별,산업별,2020\n종로구,전산업,10\n종로구,제조업,4\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"column '산업별' has 2 values"):
        read_kosis(p)
    t = read_kosis(p, where={"산업별": "제조업"})
    assert t.data["value"].tolist() == [4.0]
    assert t.report[["row", "relation"]].values.tolist() == [[2, "not selected"]]


def test_kosis_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["행정구역별(1)", "행정구역별(2)", "2019", "2020"])
    ws.append(["전국", "소계", 999, 999])
    ws.append(["경상북도", "구미시", 1234.5, "X"])
    wb.save(tmp_path / "k.xlsx")
    t = read_kosis(tmp_path / "k.xlsx")
    assert t.encoding == "xlsx" and t.aggregates == 1
    assert t.data[["region_code", "year", "value"]].values.tolist()[0] == ["37050", 2019, 1234.5]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2015", (2015, None, None)),
        ("2015 년", (2015, None, None)),
        ("2023 p)", (2023, None, "provisional")),
        ("2015.1/4", (2015, "2015.1/4", None)),
        ("2015 3/4분기", (2015, "2015.3/4", None)),
        ("2015.01", (2015, "2015.01", None)),
        ("2015년 상반기", (2015, "2015.1/2", None)),
        ("2015.1", None),  # month or quarter? not guessed
        ("사업체수", None),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


# ------------------------------------------------------------------------------------------
# user indicators


def spec(**kw):
    s = {
        "file": "kosis_2row_utf8sig.csv", "id": "my_firms", "label_ko": "사업체수",
        "label_en": "Establishments", "unit": "개", "direction": 1, "pillar": "base",
        "year": 2021, "item": "사업체수", "source": "KOSIS (synthetic fixture)", "as_of": "2021",
    }
    s.update(kw)
    return s


def test_user_indicator(units_attr):
    values, meta, report = user_indicator(spec(), units_attr, base_dir=DATA)
    assert values.name == "my_firms" and values.index.equals(units_attr.index)
    assert values.dropna().to_dict() == {"11010": 12.0, "29010": 52.0, "31010": 22.0, "32010": 32.0}
    assert values.isna().sum() == 225  # never 0 where the file has no value
    assert meta["coverage"].startswith("4/229; no row for 224: 11020 중구, ")
    assert "; missing cell for 1: 37310 군위군 ('X'); 4 provisional values" in meta["coverage"]
    assert (meta["direction"], meta["pillar"], meta["unit_in_file"]) == (1, "base", "개")
    assert meta["formula"] == "user data: kosis_2row_utf8sig.csv, 사업체수 (개), 2021"
    assert meta["symbols"] == {"p)": 4, "X": 1}
    assert len(report) == meta["rows_reported"] == 7


def test_user_indicator_units_subset(units_attr):
    sub = units_attr[units_attr["sido_code"] == "11"]  # a 서울-only run
    values, meta, report = user_indicator(spec(), sub, base_dir=DATA)
    assert len(values) == 25 and values["11010"] == 12.0
    outside = report[report["reason"].str.contains("not among the analysis units")]
    assert sorted(outside["row"]) == [8, 11, 12, 14]


def test_user_indicator_lists_every_spec_problem(units_attr):
    bad = spec(direction=2, pillar="money", year="2021", id="My-Id", colour="red")
    del bad["source"]
    with pytest.raises(ScenarioError) as e:
        user_indicator(bad, units_attr, base_dir=DATA)
    msg = str(e.value)
    assert msg.startswith("user indicator 'My-Id': 6 problems: missing key 'source'; unknown key(s) 'colour'")
    for part in ("direction must be +1 or -1 (got 2)", "pillar must be one of", "year must be an integer",
                 "id must be lower-case"):
        assert part in msg


@pytest.fixture(scope="module")
def units_attr():
    from geo.regions import unit_attributes

    return unit_attributes()


# ------------------------------------------------------------------------------------------
# points


def test_read_points_to_5179():
    g = read_points(DATA / "points_utf8sig.csv")
    assert g.crs == "EPSG:5179" and g.attrs["lat"] == "위도" and g.attrs["lon"] == "경도"
    assert g["name"].tolist() == ["시험기관 A", "시험기관 B", "시험기관 C"]
    assert g["row"].tolist() == [2, 3, 4]
    x, y = Transformer.from_crs(4326, 5179, always_xy=True).transform([126.98, 129.08, 126.53], [37.57, 35.18, 33.5])
    np.testing.assert_allclose(g.geometry.x, x, atol=1e-6)
    np.testing.assert_allclose(g.geometry.y, y, atol=1e-6)


def test_read_points_assigns_units(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("name,lat,lon\nin,37.57,126.98\nfar,35.18,129.08\n", encoding="utf-8")
    x, y = Transformer.from_crs(4326, 5179, always_xy=True).transform(126.98, 37.57)
    units = gpd.GeoDataFrame(geometry=[box(x - 500, y - 500, x + 500, y + 500)], index=["11010"], crs=5179)
    g = read_points(p, units=units)
    assert g["region_code"].iloc[0] == "11010" and pd.isna(g["region_code"].iloc[1])
    assert g["how"].tolist() == ["inside", "outside"]


# ------------------------------------------------------------------------------------------
# boundaries


def three_squares(crs="EPSG:5179") -> gpd.GeoDataFrame:
    x0, y0 = 950_000, 1_950_000  # near Seoul in EPSG:5179
    return gpd.GeoDataFrame(
        {"code": ["A1", "A2", "A3"], "label": ["west", "middle", "east"]},
        geometry=[box(x0 + i * 1000, y0, x0 + (i + 1) * 1000, y0 + 1000) for i in range(3)],
        crs=crs,
    )


def test_read_boundaries_gpkg_and_geojson(tmp_path):
    g = three_squares()
    g.to_file(tmp_path / "b.gpkg")
    out = read_boundaries(tmp_path / "b.gpkg", code_column="code")
    assert out.index.tolist() == ["A1", "A2", "A3"] and out.index.name == "region_code"
    assert out.crs == "EPSG:5179" and out["label"].tolist() == ["west", "middle", "east"]
    np.testing.assert_allclose(out.area, 1e6)
    g.to_crs(4326).to_file(tmp_path / "b.geojson")
    back = read_boundaries(tmp_path / "b.geojson", code_column="code")
    np.testing.assert_allclose(back.area, 1e6, rtol=1e-6)


def test_read_boundaries_make_valid(tmp_path):
    g = three_squares()
    x0, y0 = 950_000, 1_950_000
    g.loc[1, "geometry"] = shapely.Polygon([(x0, y0), (x0 + 1000, y0 + 1000), (x0 + 1000, y0), (x0, y0 + 1000)])
    g.to_file(tmp_path / "bow.gpkg")
    out = read_boundaries(tmp_path / "bow.gpkg", code_column="code", make_valid=True)
    assert out.attrs["repaired"] == [2]
    assert out.is_valid.all() and out.loc["A2"].geometry.area == pytest.approx(500_000)


# ------------------------------------------------------------------------------------------
# XLSX with merged headers (KICOX 전국산업단지현황 layout, synthetic values)


def kicox_like(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "전국산업단지현황"
    ws["A1"] = "2099년 3분기 전국산업단지 현황 (시험용)"
    ws.merge_cells("A1:I1")
    ws["A2"] = "* 파란색은 상위단지를 의미함"
    ws["H3"] = "(단위 : 개, 천㎡, %)"
    ws.merge_cells("H3:I3")
    for col, name in zip("ABCDE", ["유형", "시도", "시군", "단지명", "지정면적"], strict=True):
        ws[f"{col}4"] = name
        ws.merge_cells(f"{col}4:{col}5")
    ws["F4"] = "산업시설구역"
    ws.merge_cells("F4:G4")
    ws["F5"], ws["G5"] = "전체면적", "분양률"
    ws["H4"] = "입주업체"
    ws.merge_cells("H4:H5")
    ws["I4"] = "가동업체"
    ws.merge_cells("I4:I5")
    ws.append(["국가", "서울", "구로구", "시험단지 A", 100, 50, 99.5, 10, 9])
    ws.append(["일반", "경북", "구미시", "시험단지 B", 200, 150, 100, 20, 18])
    ws.append([None] * 9)
    ws.append(["농공", "전남", "나주시", "시험단지 C", 30, 20, 0, 0, 0])
    wb.save(path)
    return path


def test_read_xlsx_table_flattens_merged_headers(tmp_path):
    df = read_xlsx_table(kicox_like(tmp_path / "kicox.xlsx"))
    assert list(df.columns) == [
        "유형", "시도", "시군", "단지명", "지정면적", "산업시설구역 / 전체면적", "산업시설구역 / 분양률",
        "입주업체", "가동업체",
    ]
    assert df.attrs["header_rows"] == [4, 5] and df.attrs["sheet"] == "전국산업단지현황"
    assert df.index.tolist() == [6, 7, 9]  # Excel row numbers; the empty row 8 is dropped
    assert df["산업시설구역 / 분양률"].tolist() == [99.5, 100, 0]
    assert df["가동업체"].sum() == 27
    again = read_xlsx_table(tmp_path / "kicox.xlsx", sheet="전국산업단지현황", header_rows=[4, 5])
    pd.testing.assert_frame_equal(df, again)


def test_read_table_and_column():
    df = read_table(DATA / "kosis_wide_cp949.csv")
    assert df.attrs["encoding"] == "cp949" and df.index[0] == 2
    assert read_column(DATA / "kosis_wide_cp949.csv", "행정구역별(2)")[:3] == ["소계", "소계", "종로구"]


def test_report_rows_join_the_match_report_schema():
    from geo.indicators import REPORT_COLUMNS
    from geo.userdata import match_report_rows

    rep = pd.DataFrame([("k.csv", 3, "시군구", "중구", "ambiguous name", "ambiguous", "11020|26010"),
                        ("k.csv", 2, "시군구", "전국", "total row (전국 or 합계)", "total", "")],
                       columns=["file", "row", "column", "value", "reason", "relation", "candidates"])
    out = match_report_rows(rep)
    assert list(out.columns) == REPORT_COLUMNS and set(out["outcome"]) == {"excluded"}
    assert out["reason"].tolist() == ["ambiguous name (relation ambiguous; candidates 11020|26010)",
                                      "total row (전국 or 합계) (relation total)"]
    assert out["row"].tolist() == [3, 2] and out["source_file"].tolist() == ["k.csv", "k.csv"]
