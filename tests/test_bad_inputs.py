"""Hostile input never crashes and never loses data silently.

A corpus of tiny bad files, each paired with the one-line message it must produce (the exact
text, or ``re:`` and a distinctive pattern). Messages name the file, row, column, what was
expected and what arrived. Files that are awkward but valid (cp949, UTF-8 with BOM, "1,234",
KOSIS symbols, full-width digits, abolished units) are paired with what must be read.
Scenario-file problems are tested with the scenario module, not here.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.codes import to_region_code, translate
from geo.errors import GeoError, InputError, RegionCodeError
from geo.userdata import read_boundaries, read_kosis, read_points, read_xlsx_table

ROOT = Path(__file__).resolve().parent.parent
WIDE = "행정구역별,2020\n"  # the smallest KOSIS-style wide header


@dataclass
class Bad:
    id: str
    name: str
    make: bytes | str | Callable[[Path], Path]  # file content (str: UTF-8) or a writer
    call: Callable[[Path], object]
    expect: str  # the exact message, or "re:<pattern>"
    error: type = InputError


def write(tmp_path: Path, case) -> Path:
    if callable(case.make):
        return case.make(tmp_path)
    p = tmp_path / case.name
    p.write_bytes(case.make if isinstance(case.make, bytes) else case.make.encode("utf-8"))
    return p


# --- writers for files that need more than text ---------------------------------------------


def squares(codes=("A1", "A2", "A3"), x0=950_000, y0=1_950_000, crs="EPSG:5179"):
    """Three 1 km squares near Seoul (EPSG:5179 metres)."""
    return gpd.GeoDataFrame(
        {"code": list(codes)},
        geometry=[box(x0 + i * 1000, y0, x0 + (i + 1) * 1000, y0 + 1000) for i in range(3)],
        crs=crs,
    )


def no_crs_shapefile(tmp_path):
    squares().to_file(tmp_path / "nocrs.shp")
    os.remove(tmp_path / "nocrs.prj")  # a shapefile without its .prj has no CRS
    return tmp_path / "nocrs.shp"


def metres_declared_4326(tmp_path):
    squares().set_crs(4326, allow_override=True).to_file(tmp_path / "metres.gpkg")
    return tmp_path / "metres.gpkg"


def degrees_declared_5179(tmp_path):
    squares().to_crs(4326).set_crs(5179, allow_override=True).to_file(tmp_path / "degrees.gpkg")
    return tmp_path / "degrees.gpkg"


def epsg5186_declared_5179(tmp_path):
    # EPSG:5186 (central belt) coordinates labelled EPSG:5179 land in the sea off China
    squares(x0=200_000, y0=550_000).to_file(tmp_path / "belt.gpkg")
    return tmp_path / "belt.gpkg"


def bowtie(tmp_path):
    g = squares()
    x0, y0 = 950_000, 1_950_000
    g.loc[1, "geometry"] = shapely.Polygon([(x0, y0), (x0 + 1000, y0 + 1000), (x0 + 1000, y0), (x0, y0 + 1000)])
    g.to_file(tmp_path / "bowtie.gpkg")
    return tmp_path / "bowtie.gpkg"


def duplicated_codes(tmp_path):
    squares(codes=("A1", "A2", "A1")).to_file(tmp_path / "dupcodes.gpkg")
    return tmp_path / "dupcodes.gpkg"


def points_layer(tmp_path):
    gpd.GeoDataFrame({"code": ["A1"]}, geometry=[shapely.Point(950_000, 1_950_000)], crs=5179).to_file(
        tmp_path / "points.gpkg"
    )
    return tmp_path / "points.gpkg"


def numbers_only_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    for i in range(5):
        wb.active.append([i, i * 2, i * 3])
    wb.save(tmp_path / "numbers.xlsx")
    return tmp_path / "numbers.xlsx"


def merged_header_xlsx(tmp_path):
    """KICOX layout: a merged title, a units line, a two-row header with merged cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "현황"
    ws["A1"] = "시험용 산업단지 현황"
    ws.merge_cells("A1:E1")
    ws["E2"] = "(단위 : 천㎡)"
    ws["A3"], ws["B3"], ws["C3"] = "시도", "시군", "산업시설구역"
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    ws.merge_cells("C3:D3")
    ws["C4"], ws["D4"] = "전체면적", "분양률"
    ws["E3"] = "가동업체"
    ws.merge_cells("E3:E4")
    ws.append(["경북", "구미시", 100, 99.5, 7])
    wb.save(tmp_path / "merged.xlsx")
    return tmp_path / "merged.xlsx"


# --- the corpus of errors ------------------------------------------------------------------

EXPECT_NUMBER = "expected a number such as 1234, 1,234 or 12.5, or a KOSIS symbol (-, X, …, p))"
KOREA = "expected latitude 33.0–38.7 and longitude 124.5–131.9"

ERRORS = [
    # encodings and empty files
    Bad("utf-16", "utf16.csv", (WIDE + "종로구,1\n").encode("utf-16"), read_kosis,
        "utf16.csv: is UTF-16 text; expected CSV in UTF-8 or cp949 (EUC-KR), got 'UTF-16' "
        "(hint: in Excel choose 'CSV UTF-8 (쉼표로 분리)' when saving)"),
    Bad("latin-1 mojibake", "mojibake.csv", (WIDE + "종로구,1\n").encode("utf-8").decode("latin-1"), read_kosis,
        "mojibake.csv: looks like mojibake: Korean text that was decoded as Latin-1 and saved again; "
        "expected Korean text such as '서울특별시', got 'í\\x96\\x89' (hint: re-download the file or "
        "re-open it in Excel choosing UTF-8)"),
    Bad("latin-1 bytes", "latin1.csv", "région,valeur\nMontréal,1\n".encode("latin-1"), read_kosis,
        "latin1.csv: cannot be decoded as UTF-8 (byte 0xe9 at offset 1) nor as cp949 (byte 0xe9 at "
        "offset 1); expected CSV in UTF-8 or cp949 (EUC-KR), got 'another encoding' (hint: open it "
        "in Excel and save as 'CSV UTF-8')"),
    Bad("old xls", "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), read_kosis,
        "old.xls: is an old Excel .xls (binary) file; expected CSV (UTF-8 or cp949) or .xlsx, got "
        "'.xls' (hint: open it in Excel and save as .xlsx or 'CSV UTF-8')"),
    Bad("empty file", "empty.csv", b"", read_kosis,
        "empty.csv: file is empty; expected a header row and data rows"),
    Bad("only a BOM", "bom.csv", b"\xef\xbb\xbf\r\n", read_kosis,
        "bom.csv: file is empty; expected a header row and data rows"),
    Bad("header only", "header.csv", WIDE, read_kosis,
        "header.csv, row 2: has a header but no data rows; expected at least one data row below the header"),
    Bad("file not found", "missing.csv", lambda tmp: tmp / "missing.csv", read_kosis,
        "re:^/.+/missing\\.csv: file not found; expected an existing file$"),
    # structure
    Bad("no region column", "noregion.csv", "항목,2020\n사업체수,1\n", read_kosis,
        "noregion.csv, row 1: no region column; expected a column such as 행정구역별, "
        "행정구역별(1)/(2), 시군구, region_code, got ['항목', '2020'] (hint: pass region_column=)"),
    Bad("no value column", "novalue.csv", "시점,행정구역별\n2020,종로구\n", read_kosis,
        "novalue.csv, row 1: no value column; expected a column named 데이터, 값 or value, or period "
        "columns such as '2015 년', got ['시점', '행정구역별'] (hint: pass value_column=)"),
    Bad("duplicated header", "duphead.csv", "행정구역별,2020,2020\n종로구,1,2\n", read_kosis,
        "duphead.csv, row 1: column '2020' appears 2 times (columns 2, 3); expected unique column "
        "names (hint: KOSIS puts items in a second header row; keep both header rows)"),
    Bad("unquoted thousands (ragged row)", "ragged.csv", WIDE + "종로구,1,234\n", read_kosis,
        "ragged.csv, row 2: row has 3 cells but the header has 2; expected at most 2 cells, got '234' "
        "(hint: a comma inside a value must be quoted (\"1,234\"))"),
    Bad("several items", "items.csv", "행정구역별,항목,2020\n종로구,사업체수,1\n종로구,종사자수,2\n", read_kosis,
        "items.csv, column '항목': 2 items in this column; expected item= one of '사업체수', '종사자수'"),
    Bad("unknown item", "item.csv", "행정구역별,항목,2020\n종로구,사업체수,1\n",
        lambda p: read_kosis(p, item="매출액"),
        "item.csv, column '항목': no such item; expected one of '사업체수', got '매출액'"),
    Bad("year not in file", "year.csv", WIDE + "종로구,1\n", lambda p: read_kosis(p, year=2019),
        "year.csv, row 1: no column for year=2019; expected one of '2020', got 2019"),
    Bad("bad period in long table", "period.csv", "시점,행정구역별,데이터\n2020,종로구,1\n작년,중구,2\n", read_kosis,
        "period.csv, row 3, column '시점': not a period; expected a period such as 2015, 2015 년, "
        "2015.1/4 or 2015.01, got '작년'"),
    # regions
    Bad("duplicated region", "dupregion.csv", WIDE + "종로구,1\n중구,2\n종로구,3\n", read_kosis,
        "dupregion.csv, row 4, column '행정구역별': duplicated region: rows 2 and 4 both give '종로구' "
        "(11010 서울특별시 종로구); expected one row per region (and period and item), got '종로구'"),
    Bad("same unit under old and new code", "recode.csv", "region_code,value\n42110,1\n51110,2\n", read_kosis,
        "recode.csv, row 3, column 'region_code': duplicated region: rows 2 (42110) and 3 (51110) are "
        "the same unit 32010 강원도 춘천시 under two codes or names; expected one row per region, got '51110'"),
    Bad("abolished unit beside its successor", "merge.csv",
        "행정구역별(1),행정구역별(2),2013\n충청북도,청주시,1\n충청북도,청원군,2\n", read_kosis,
        "merge.csv, row 3, column '행정구역별(2)': 2 rows land on one analysis unit 33040 충청북도 청주시: "
        "row 2 '충청북도 청주시' (same); row 3 '충청북도 청원군' (merge); expected one row per analysis "
        "unit, got '충청북도 청원군' (hint: pass merge='sum' to add them)"),
    Bad("unknown merge rule", "mergerule.csv", WIDE + "종로구,1\n", lambda p: read_kosis(p, merge="add"),
        "column 'merge': unknown merge rule; expected None or 'sum', got 'add'"),
    # values
    Bad("non-numeric value", "text.csv", WIDE + "종로구,abc\n", read_kosis,
        f"text.csv, row 2, column '2020': not a number; {EXPECT_NUMBER}, got 'abc'"),
    Bad("Excel error value", "excel.csv", WIDE + "종로구,#DIV/0!\n", read_kosis,
        f"excel.csv, row 2, column '2020': not a number; {EXPECT_NUMBER}, got '#DIV/0!'"),
    Bad("malformed thousands", "grouping.csv", WIDE + '종로구,"1,23"\n', read_kosis,
        f"grouping.csv, row 2, column '2020': not a number; {EXPECT_NUMBER}, got '1,23'"),
    Bad("infinite value", "inf.csv", WIDE + "종로구,inf\n", read_kosis,
        f"inf.csv, row 2, column '2020': not a number; {EXPECT_NUMBER}, got 'inf'"),
    Bad("negative where not allowed", "negative.csv", WIDE + "서울 종로구,-5\n서울 중구,-1\n",
        lambda p: read_kosis(p, allow_negative=False),
        "negative.csv, row 2, column '2020': negative value (1 more bad cell: row 3 column '2020': "
        "'-1'); expected a value ≥ 0 (allow_negative=False), got '-5'"),
    # points
    Bad("latitude and longitude swapped in one row", "swap.csv", "name,lat,lon\nA,37.5,127.0\nB,127.1,37.4\n",
        read_points,
        f"swap.csv, row 3, column 'lat/lon': latitude and longitude look swapped in row 3; {KOREA}, "
        "got 'lat 127.1, lon 37.4' (hint: fix those rows)"),
    Bad("latitude and longitude columns exchanged", "swapcols.csv", "name,위도,경도\nA,127.0,37.5\nB,127.1,37.4\n",
        read_points,
        "swapcols.csv, row 2, column '위도/경도': latitude and longitude look swapped in rows 2, 3 "
        f"(every row: the two columns are exchanged); {KOREA}, got 'lat 127, lon 37.5' "
        "(hint: pass lat='경도', lon='위도')"),
    Bad("outside Korea", "london.csv", "name,lat,lon\nLondon,51.5,-0.12\nSeoul,37.5,127\n", read_points,
        f"london.csv, row 2, column 'lat/lon': outside Korea's bounding box in row 2; {KOREA}, "
        "got 'lat 51.5, lon -0.12'"),
    Bad("missing coordinate", "nancoord.csv", "name,lat,lon\nA,,127\nB,NaN,127\nC,37.5,127\n", read_points,
        "nancoord.csv, row 2, column 'lat': missing coordinate in rows 2, 3; expected a latitude in "
        "degrees, got ''"),
    Bad("non-numeric coordinate", "dms.csv", "name,lat,lon\nA,37.5,127\nB,37°30',127\n", read_points,
        "dms.csv, row 3, column 'lat': not a number in row 3; expected decimal degrees such as "
        "37.5665, got \"37°30'\""),
    Bad("projected metres", "metres.csv", "name,y,x\nA,1950000,955000\n", read_points,
        "metres.csv, row 2, column 'y/x': coordinates look like projected metres, not degrees; expected "
        "latitude/longitude in degrees (EPSG:4326), got 'y 1950000, x 955000' (hint: convert to WGS84 "
        "degrees first)"),
    Bad("no latitude column", "nolat.csv", "name,north,east\nA,37.5,127\n", read_points,
        "nolat.csv, row 1: no latitude column; expected a column named 위도 / lat / latitude / 위도(y) "
        "or y, got ['name', 'north', 'east'] (hint: pass lat=)"),
    Bad("two latitude columns", "twolat.csv", "name,lat,위도,lon\nA,37.5,37.5,127\n", read_points,
        "twolat.csv, row 1: several latitude columns; expected one, got ['위도', 'lat'] (hint: pass lat=)"),
    # boundaries
    Bad("no CRS", "nocrs.shp", no_crs_shapefile, lambda p: read_boundaries(p, code_column="code"),
        "nocrs.shp, column 'geometry': has no CRS; set one (a .prj beside a shapefile, or "
        "gdf.set_crs('EPSG:5179') before saving); expected a file with a coordinate reference system"),
    Bad("metres declared as EPSG:4326", "metres.gpkg", metres_declared_4326,
        lambda p: read_boundaries(p, code_column="code"),
        "metres.gpkg, column 'geometry': coordinates look like metres (x 950,000–953,000) but the CRS "
        "EPSG:4326 is in degrees; expected the CRS the coordinates were made in (e.g. EPSG:5179), got "
        "'EPSG:4326' (hint: set the right CRS with set_crs(..., allow_override=True), do not reproject)"),
    Bad("degrees declared as EPSG:5179", "degrees.gpkg", degrees_declared_5179,
        lambda p: read_boundaries(p, code_column="code"),
        "re:^degrees\\.gpkg, column 'geometry': coordinates look like degrees \\(x 126\\.9\\d+–126\\.9\\d+\\) "
        "but the CRS EPSG:5179 is projected; expected EPSG:4326 for degrees, got 'EPSG:5179'$"),
    Bad("wrong projected CRS", "belt.gpkg", epsg5186_declared_5179,
        lambda p: read_boundaries(p, code_column="code"),
        "belt.gpkg, column 'geometry': outside Korea in features 1, 2, 3 when read as EPSG:5179; "
        "expected latitude 33.0–38.7, longitude 124.5–131.9, got 'lon 119.61–119.62, lat 24.71–24.72' "
        "(hint: is the CRS right?)"),
    Bad("invalid geometry", "bowtie.gpkg", bowtie, lambda p: read_boundaries(p, code_column="code"),
        "bowtie.gpkg, column 'geometry': invalid geometry in feature 2 (first: Self-intersection[950500 "
        "1950500]); expected valid polygons, got 'A2' (hint: repair them in GIS, or pass make_valid=True)"),
    Bad("duplicated codes", "dupcodes.gpkg", duplicated_codes, lambda p: read_boundaries(p, code_column="code"),
        "dupcodes.gpkg, column 'code': duplicated code 'A1' in features 1, 3; expected one polygon per "
        "code, got 'A1' (hint: dissolve the parts into one (multi)polygon per code)"),
    Bad("missing code column", "nocol.gpkg", duplicated_codes, lambda p: read_boundaries(p, code_column="sgg"),
        "dupcodes.gpkg, column 'sgg': no such column; expected one of 'code', got 'sgg'"),
    Bad("points, not polygons", "points.gpkg", points_layer, lambda p: read_boundaries(p, code_column="code"),
        "points.gpkg, column 'geometry': not a polygon in feature 1; expected Polygon or MultiPolygon, got 'Point'"),
    # XLSX
    Bad("XLSX without a header", "numbers.xlsx", numbers_only_xlsx, read_xlsx_table,
        "numbers.xlsx [Sheet]: no header row found in the first 30 rows; expected a row of column "
        "names (two or more text cells, no numbers) (hint: pass header_rows=[...] with the 1-based "
        "row numbers Excel shows)"),
    Bad("CSV named .xlsx", "fake.xlsx", "a,b\n1,2\n", read_xlsx_table,
        "fake.xlsx: is not an XLSX workbook; expected an .xlsx file (a zip archive), got '.xlsx'"),
    Bad("unknown sheet", "sheet.xlsx", merged_header_xlsx, lambda p: read_xlsx_table(p, sheet="요약"),
        "merged.xlsx, column 'sheet': no such sheet; expected one of '현황', got '요약'"),
    # code translation, one value at a time (the message names where the value came from)
    Bad("code NaN", "", lambda tmp: tmp, lambda p: to_region_code(math.nan, file="codes.csv", row=3, column="code"),
        "re:^codes\\.csv, row 3, column 'code': missing value \\(empty cell, None or NaN\\)", RegionCodeError),
    Bad("code empty", "", lambda tmp: tmp, lambda p: to_region_code("  ", file="codes.csv", row=4, column="code"),
        "re:^codes\\.csv, row 4, column 'code': '  ' is empty or only spaces", RegionCodeError),
    Bad("code 12345", "", lambda tmp: tmp, lambda p: to_region_code("12345", file="codes.csv", row=5, column="code"),
        "re:^codes\\.csv, row 5, column 'code': '12345' is not a 시군구 code in KOSTAT 2010/2015/2018/2020 "
        "or MOIS 1988-2026", RegionCodeError),
    Bad("code with 7 digits", "", lambda tmp: tmp,
        lambda p: to_region_code("1101053", file="codes.csv", row=6, column="code"),
        "re:^codes\\.csv, row 6, column 'code': '1101053' has 7 digits: it looks like a 읍면동", RegionCodeError),
    Bad("name 중구 alone", "", lambda tmp: tmp, lambda p: to_region_code("중구", file="codes.csv", row=7, column="name"),
        "re:^codes\\.csv, row 7, column 'name': '중구' is ambiguous: 6 시군구 have this name \\(11020 "
        "서울특별시 중구, 21010 부산광역시 중구", RegionCodeError),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c.id for c in ERRORS])
def test_bad_input_gives_one_line(case, tmp_path):
    path = write(tmp_path, case)
    with pytest.raises(case.error) as e:
        case.call(path)
    msg = str(e.value)
    assert "\n" not in msg and "; expected " in msg
    if case.expect.startswith("re:"):
        assert re.search(case.expect[3:], msg), msg
    else:
        assert msg == case.expect


# --- awkward but valid: must be read, and read right -------------------------------------------

SYMBOLS = (
    "행정구역별(1),행정구역별(2),2020\r\n"
    '서울특별시,종로구,"1,234"\r\n'
    "서울특별시,중구,-\r\n"
    "서울특별시,용산구,…\r\n"
    "서울특별시,성동구,X\r\n"
    "서울특별시,광진구,x\r\n"
    "서울특별시,동대문구,...\r\n"
    '서울특별시,중랑구,"1,234p)"\r\n'
    "서울특별시,성북구,p) 99\r\n"
    "서울특별시,강북구,NaN\r\n"
    "서울특별시,도봉구,\r\n"
    "서울특별시,노원구,１２\r\n"
)


def values(table) -> dict[str, float]:
    return dict(zip(table.data["region_code"], table.data["value"], strict=True))


@pytest.mark.parametrize(
    "encoding, prefix, label",
    [("cp949", b"", "cp949"), ("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig")],
)
def test_three_encodings_read_the_same(tmp_path, encoding, prefix, label):
    p = tmp_path / "enc.csv"
    p.write_bytes(prefix + "행정구역별(1),행정구역별(2),2020 년\r\n경기도,수원시,1\r\n경상남도,창원시,2\r\n".encode(encoding))
    t = read_kosis(p)
    assert t.encoding == label
    assert values(t) == {"31010": 1.0, "38110": 2.0}


def test_kosis_symbols_and_thousands(tmp_path):
    p = tmp_path / "symbols.csv"
    p.write_bytes(SYMBOLS.encode("cp949"))
    t = read_kosis(p)
    v = t.data.set_index("region_code")
    assert v.loc["11010", "value"] == 1234  # "1,234"
    assert v.loc["11070", ["value", "flag"]].tolist() == [1234, "provisional"]  # "1,234p)"
    assert v.loc["11080", ["value", "flag"]].tolist() == [99, "provisional"]  # "p) 99"
    assert v.loc["11110", "value"] == 12  # full-width digits
    missing = ["11020", "11030", "11040", "11050", "11060", "11090", "11100"]
    assert v.loc[missing, "flag"].eq("missing").all() and v.loc[missing, "value"].isna().all()
    assert t.symbols == {"-": 1, "…": 1, "X": 1, "x": 1, "...": 1, "p)": 2, "NaN": 1, "empty": 1}
    assert len(t.report) == 0


def test_provisional_as_missing(tmp_path):
    p = tmp_path / "symbols.csv"
    p.write_bytes(SYMBOLS.encode("utf-8"))
    t = read_kosis(p, provisional="missing")
    assert math.isnan(t.data.set_index("region_code").loc["11070", "value"])


def test_region_problems_are_reported_not_guessed(tmp_path):
    p = tmp_path / "regions.csv"
    p.write_text(WIDE + "중구,1\n청원군,2\n제물포구,3\n없는군,4\n전국,9\n", encoding="utf-8")
    t = read_kosis(p)
    # abolished: resolved with its relation
    assert t.data[["region_code", "relation"]].values.tolist() == [["33040", "merge"]]
    assert "청원군 was abolished on 2014-07-01, now part of 청주시" in t.data.loc[0, "note"]
    rep = t.report.set_index("row")
    assert rep.loc[2, "relation"] == "ambiguous"
    assert rep.loc[2, "candidates"] == "11020|21010|22010|23010|25020|26010"
    assert rep.loc[4, "relation"] == "split" and rep.loc[4, "candidates"] == "23010|23020"
    assert rep.loc[5, "reason"] == "'없는군': no 시군구 of that name in KOSTAT 2010-2020 or MOIS 1988-2026 tables"
    assert rep.loc[6, ["reason", "relation"]].tolist() == ["total row (전국 or 합계)", "total"]
    assert t.aggregates == 1


def test_bad_codes_in_a_code_column(tmp_path):
    p = tmp_path / "codes.csv"
    p.write_text("region_code,value\n１１０１０,1\n 26010 ,2\n12345,3\n1101053,4\n,5\n00,6\n", encoding="utf-8")
    t = read_kosis(p, year=2020)
    assert values(t) == {"11010": 1.0, "26010": 2.0}  # full-width digits and stray spaces
    rep = t.report.set_index("row")
    assert rep.loc[4, "relation"] == "unknown" and rep.loc[4, "value"] == "12345"
    assert "has 7 digits: it looks like a 읍면동" in rep.loc[5, "reason"]
    assert rep.loc[6, "reason"] == "'' is empty or only spaces; expected a 시군구 code or name"
    assert rep.loc[7, "reason"] == "total row (전국 code)"


def test_translate_normalises_codes():
    assert translate("１１０１０").region_code == "11010"
    assert translate(" 11010 ").region_code == "11010"
    assert translate("11010.0").region_code == "11010"


def test_xlsx_with_merged_header_rows(tmp_path):
    df = read_xlsx_table(merged_header_xlsx(tmp_path))
    assert list(df.columns) == ["시도", "시군", "산업시설구역 / 전체면적", "산업시설구역 / 분양률", "가동업체"]
    assert df.loc[5].tolist() == ["경북", "구미시", 100, 99.5, 7]


def test_invalid_geometry_repaired_on_request(tmp_path):
    out = read_boundaries(bowtie(tmp_path), code_column="code", make_valid=True)
    assert out.attrs["repaired"] == [2] and out.is_valid.all()


# --- the command line: one line on stderr, no traceback ---------------------------------------


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_translate_bad_values_in_file(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("x\n중구\n12345\n1101053\n11010\n", encoding="utf-8")
    r = run_cli("translate", "--file", str(p), "--column", "x")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    rows = r.stdout.splitlines()
    assert rows[0] == "input,region_code,name_ko,relation,system,candidates,message"
    assert [line.split(",")[3] for line in rows[1:]] == ["ambiguous", "unknown", "invalid", "same"]


def test_cli_translate_reads_cp949(tmp_path):
    p = tmp_path / "cp949.csv"
    p.write_bytes("x\n청원군\n창원시 마산합포구\n".encode("cp949"))
    r = run_cli("translate", "--file", str(p), "--column", "x")
    assert (r.returncode, r.stderr) == (0, "")
    assert [line.split(",")[1] for line in r.stdout.splitlines()[1:]] == ["33040", "38110"]


@pytest.mark.parametrize(
    "content, column, message",
    [
        ("x\n11010\n".encode(), "region",
         "error: bad.csv, column 'region': no such column; expected one of 'x', got 'region'"),
        ("x\n11010\n".encode("utf-16"), "x",
         "error: bad.csv: is UTF-16 text; expected CSV in UTF-8 or cp949 (EUC-KR), got 'UTF-16' "
         "(hint: in Excel choose 'CSV UTF-8 (쉼표로 분리)' when saving)"),
    ],
    ids=["missing column", "utf-16"],
)
def test_cli_translate_bad_file_is_one_line(tmp_path, content, column, message):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    r = run_cli("translate", "--file", str(p), "--column", column)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [message]


# --- fuzzing: random tables and random bytes give a table or a GeoError, never a crash --------

HEADERS = ["행정구역별", "행정구역별(1)", "행정구역별(2)", "시점", "데이터", "항목", "2020", "2021 년",
           "2020.1/4", "region_code", "값", "", "x"]
CELLS = ["서울특별시", "종로구", "중구", "소계", "전국", "청원군", "청주시", "수원시 장안구", "세종특별자치시",
         "11010", "１１０１０", "1101053", "12345", "00", "1", "-5", '"1,234"', "1,23", "-", "X", "…",
         "12p)", "abc", "", "2020", "2021", "사업체수", '"a,b"', "NaN"]


@settings(max_examples=150, deadline=None)
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=4),
    rows=st.lists(st.lists(st.sampled_from(CELLS), max_size=5), max_size=6),
    encoding=st.sampled_from(["utf-8", "cp949", "utf-8-sig"]),
)
def test_random_tables_never_crash(tmp_path_factory, header, rows, encoding):
    p = tmp_path_factory.mktemp("fuzz") / "t.csv"
    p.write_bytes("\n".join(",".join(r) for r in [header, *rows]).encode(encoding))
    try:
        t = read_kosis(p, merge="sum")
    except GeoError as err:
        assert "\n" not in str(err)
        return
    used = {int(r) for rows_ in t.data["rows"] for r in rows_.split("|")}
    reported = set(t.report["row"])
    assert not used & reported and len(used | reported) == t.rows_read


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_crash(tmp_path_factory, raw):
    p = tmp_path_factory.mktemp("fuzz") / "b.csv"
    p.write_bytes(raw)
    for reader in (read_kosis, read_points):
        try:
            reader(p)
        except GeoError as err:
            assert "\n" not in str(err)
