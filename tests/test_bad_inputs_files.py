"""Files as people really save and send them: scenario files and user data files.

The companion of ``test_bad_inputs.py``: each hostile or awkward file is written on the fly
(tiny, obviously synthetic) and paired with the exact one-line message it must give, or with
what must be read when the file is legitimate. Command-line cases exit 2 with that line.
"""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import yaml
from shapely.geometry import box

from geo.errors import InputError, ScenarioError, shorten_words
from geo.scenario import (
    MAX_DEPTH,
    MAX_DRAWS,
    MAX_FILE_BYTES,
    MAX_VALUES,
    load_scenario,
    shipped_scenarios,
    validate,
)
from geo.scoring import score
from geo.userdata import read_boundaries, read_kosis, read_points, read_xlsx_table

ROOT = Path(__file__).resolve().parent.parent

# A small valid scenario with Korean text (a comment and a title), as Notepad users write them.
SCENARIO = (
    "# 시험용 시나리오 (합성)\n"
    "title_ko: 시험 시나리오\n"
    "pillars:\n"
    "  need:\n"
    "    weight: 1\n"
    "    indicators: [decline_index]\n"
)
SHIPPED = ", ".join(str(p) for p in shipped_scenarios().values())


def one_line(err: BaseException) -> str:
    msg = str(err)
    assert "\n" not in msg
    return msg


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, cwd=ROOT)


def alias_bomb() -> str:
    """The "billion laughs" file: nine levels of nine aliases each (342 bytes, 597,871 values)."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        text += f"{level}: &{level} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text


# --- scenario files: encodings ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        SCENARIO.encode("utf-8"),
        codecs.BOM_UTF8 + SCENARIO.encode("utf-8"),
        SCENARIO.encode("utf-16"),  # Notepad's "Unicode": UTF-16 LE with a byte-order mark
        codecs.BOM_UTF16_BE + SCENARIO.encode("utf-16-be"),
        SCENARIO.encode("utf-32"),
    ],
    ids=["utf-8", "utf-8 BOM", "utf-16 LE BOM", "utf-16 BE BOM", "utf-32 BOM"],
)
def test_scenario_unicode_encodings_read_the_same(tmp_path, content):
    p = tmp_path / "enc.yaml"
    p.write_bytes(content)
    s = load_scenario(p)
    assert (s.title_ko, s.name, s.pillar("need").indicators) == ("시험 시나리오", "enc", ("decline_index",))


SCENARIO_FILE_ERRORS = [
    # id, file content, exact message after "<path>: "
    ("cp949", SCENARIO.encode("cp949"),
     "is saved in cp949 (EUC-KR), not UTF-8; expected a scenario YAML file in UTF-8, got 'cp949' "
     "(hint: open it in Notepad and choose 'Save as' with encoding UTF-8)"),
    ("binary with NUL bytes", b"\x89PNG\r\n\x1a\n" + bytes(32),
     "is not a text file (a binary file, or UTF-16 without a byte-order mark); expected a scenario "
     "YAML text file in UTF-8"),
    ("binary, neither UTF-8 nor cp949", b"\x80\x81\xff\xfe\xfd title",
     "is not a text file (a binary file, or UTF-16 without a byte-order mark); expected a scenario "
     "YAML text file in UTF-8"),
    ("UTF-16 without BOM", SCENARIO.encode("utf-16-le"),
     "is not a text file (a binary file, or UTF-16 without a byte-order mark); expected a scenario "
     "YAML text file in UTF-8"),
    ("broken UTF-8 after a BOM", codecs.BOM_UTF8 + b"title_ko: \xc3\x28\n",
     "starts with a UTF-8 byte-order mark but is not valid UTF-8 text (offset 10); expected a "
     "scenario YAML text file in UTF-8"),
    ("larger than the limit", b"# " + b"x" * MAX_FILE_BYTES,
     f"scenario file is too large ({MAX_FILE_BYTES + 2:,} bytes); expected at most "
     f"{MAX_FILE_BYTES:,} bytes (a scenario is a few KB)"),
]


@pytest.mark.parametrize("content, expect", [c[1:] for c in SCENARIO_FILE_ERRORS],
                         ids=[c[0] for c in SCENARIO_FILE_ERRORS])
def test_scenario_file_refused_in_one_line(tmp_path, content, expect):
    p = tmp_path / "bad.yaml"
    p.write_bytes(content)
    with pytest.raises(InputError) as e:
        load_scenario(p)
    assert one_line(e.value) == f"{p}: {expect}"


def test_scenario_path_that_is_a_folder(tmp_path):
    with pytest.raises(InputError) as e:
        load_scenario(tmp_path)
    assert one_line(e.value) == (f"{tmp_path}: scenario path is a folder; expected a scenario YAML "
                                 f"file (hint: shipped scenarios: {SHIPPED})")


# --- scenario files: structure and counts -----------------------------------------------------

SCENARIO_PROBLEMS = [
    ("alias bomb", alias_bomb(),
     f"line 5: holds more than {MAX_VALUES:,} values once YAML aliases (*name) are expanded; "
     f"expected at most {MAX_VALUES:,} values (an alias bomb?)"),
    ("recursive alias", "pillars: &p\n  need: *p\n",
     "line 2: a YAML alias refers to the list or mapping that holds it; expected a file without "
     "recursive aliases"),
    ("40 KB of nested brackets", "a: " + "[" * 20_000 + "]" * 20_000,
     f"line 1: nested more than {MAX_DEPTH} levels deep; expected at most {MAX_DEPTH} levels of "
     "mappings and lists"),
    ("5,000-digit number", SCENARIO + "uncertainty:\n  draws: " + "1" * 5000 + "\n",
     "line 8: a number with 5,000 digits; expected at most 100 digits"),
    ("control character", SCENARIO + "title_en: a\x01b\n",
     "line 7: YAML syntax error: unacceptable character #x0001: special characters are not allowed"),
    ("draws 1e20", SCENARIO + "uncertainty:\n  draws: 100000000000000000000\n",
     f"uncertainty.draws (line 8): expected at most {MAX_DRAWS:,} (the upper limit), got "
     "100000000000000000000"),
    ("robustness draws", SCENARIO + "siting:\n  demand: need\n  robustness_draws: 50000\n"
     "uncertainty:\n  draws: 100000\n",
     "siting.robustness_draws (line 9): expected at most 10,000 (the upper limit), got 50000"),
    ("k", SCENARIO + "siting:\n  demand: need\n  k: 5000\n",
     "siting.k (line 9): expected at most 1,000 hubs (the upper limit), got 5000"),
    ("k_range", SCENARIO + "siting:\n  demand: need\n  k: auto\n  k_range: [1, 500]\n",
     "siting.k_range (line 10): expected high <= 1,000 and at most 100 values of k (the upper "
     "limits; each is a full siting solve), got [1, 500]"),
    ("per-권역 count", SCENARIO + "siting:\n  demand: need\n  per_megaregion: {max: 100000}\n",
     "siting.per_megaregion.max (line 9): expected at most 1,000 (the upper limit), got 100000"),
    ("knowledge_top_n", SCENARIO + "network:\n  knowledge_top_n: 1000000\n",
     "network.knowledge_top_n (line 8): expected at most 1,000 (the upper limit), got 1000000"),
    ("weight 1e300", SCENARIO.replace("weight: 1", "weight: 1.0e+300"),
     "pillars.need.weight (line 5): expected at most 1,000,000 (the upper limit), got 1e+300"),
    ("concentration", SCENARIO + "uncertainty:\n  concentration: 1.0e+300\n",
     "uncertainty.concentration (line 8): expected at most 1,000,000,000,000,000 (the upper limit), "
     "got 1e+300"),
    ("circuity", SCENARIO + "network:\n  circuity: 1.0e+300\n",
     "network.circuity (line 8): expected at most 10 (the upper limit), got 1e+300"),
    ("spoke distance", SCENARIO + "siting:\n  demand: need\n  max_spoke_km: 1.0e+300\n",
     "siting.max_spoke_km (line 9): expected at most 10,000 (the upper limit), got 1e+300"),
    ("long description", SCENARIO + "description: " + "가" * 50_000 + "\n",
     "description (line 7): expected text of at most 20,000 characters (the upper limit), got "
     "50,000 characters"),
]


@pytest.mark.parametrize("text, problem", [c[1:] for c in SCENARIO_PROBLEMS],
                         ids=[c[0] for c in SCENARIO_PROBLEMS])
def test_scenario_problem_in_one_line(tmp_path, text, problem):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert one_line(e.value) == f"{p}: 1 problem: {problem}"


def test_fifty_megabyte_description_and_long_spec_texts_are_refused():
    raw = {"name": "big", "description": "x" * 50_000_000,
           "pillars": {"need": {"weight": 1, "indicators": ["a"]}},
           "indicators": {"user": [{"id": "u", "label_ko": "가" * 2000}]}}
    with pytest.raises(ScenarioError) as e:
        validate(raw, file="big.yaml")
    assert one_line(e.value) == (
        "big.yaml: 2 problems: description: expected text of at most 20,000 characters (the upper "
        "limit), got 50,000,000 characters; indicators.user[0].label_ko: expected text of at most "
        "1,000 characters (the upper limit), got 2,000 characters"
    )


def test_a_huge_non_text_value_is_shown_cut():
    raw = {"name": "big", "title_en": list(range(10_000)), "pillars": {"need": {"weight": 1, "indicators": ["a"]}}}
    with pytest.raises(ScenarioError) as e:
        validate(raw, file="big.yaml")
    assert one_line(e.value) == (
        "big.yaml: 1 problem: title_en: expected text, got [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, "
        "12, 13, 14, 15, 16, 1… (58,890 characters)"
    )


def test_aliases_within_the_limit_are_read(tmp_path):
    p = tmp_path / "anchors.yaml"
    p.write_text("pillars:\n  need: &w {weight: 1, indicators: [a]}\n"
                 "uncertainty: {draws: 500}\nsiting: {robustness_draws: 50, demand: need}\n", encoding="utf-8")
    s = load_scenario(p)
    assert (s.pillar("need").indicators, s.uncertainty.draws, s.siting.robustness_draws) == (("a",), 500, 50)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("cp949.yaml", SCENARIO.encode("cp949"),
         "is saved in cp949 (EUC-KR), not UTF-8; expected a scenario YAML file in UTF-8, got 'cp949' "
         "(hint: open it in Notepad and choose 'Save as' with encoding UTF-8)"),
        ("binary.yaml", bytes(range(256)),
         "is not a text file (a binary file, or UTF-16 without a byte-order mark); expected a "
         "scenario YAML text file in UTF-8"),
        ("bomb.yaml", alias_bomb().encode(),
         "1 problem: line 5: holds more than 20,000 values once YAML aliases (*name) are expanded; "
         "expected at most 20,000 values (an alias bomb?)"),
        ("nested.yaml", ("a: " + "[" * 20_000 + "]" * 20_000).encode(),
         "1 problem: line 1: nested more than 20 levels deep; expected at most 20 levels of mappings "
         "and lists"),
        ("draws.yaml", (SCENARIO + "uncertainty:\n  draws: 100000000000000000000\n").encode(),
         "1 problem: uncertainty.draws (line 8): expected at most 100,000 (the upper limit), got "
         "100000000000000000000"),
    ],
    ids=["cp949", "binary", "alias bomb", "nested", "draws 1e20"],
)
def test_cli_bad_scenario_file_exits_2(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content)
    r = run_cli("regions", "--scenario", str(p), "--out", str(tmp_path / "out"),
                "--maps-dir", str(tmp_path / "maps"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [f"error: {p}: {message}"]
    assert not (tmp_path / "out").exists() and not (tmp_path / "maps").exists()


def test_cli_scenario_folder_exits_2(tmp_path):
    r = run_cli("regions", "--scenario", str(tmp_path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        f"error: {tmp_path}: scenario path is a folder; expected a scenario YAML file (hint: "
        f"shipped scenarios: {SHIPPED})"
    ]


# --- user tables: values at the float limits ----------------------------------------------------

WIDE = "행정구역별(1),행정구역별(2),2020\n"


@pytest.mark.parametrize(
    "cell, expect",
    [
        ("1e-400", "number too small for a float; expected 0 or a magnitude of at least 2.23e-308, got '1e-400'"),
        ("-2e-320", "number too small for a float; expected 0 or a magnitude of at least 2.23e-308, got '-2e-320'"),
        ("1e400", "number too large for a float; expected a magnitude below 1.8e+308, got '1e400'"),
        ("1e-400p)", "number too small for a float; expected 0 or a magnitude of at least 2.23e-308, got '1e-400p)'"),
        ("1" * 1100, "number too large for a float; expected a magnitude below 1.8e+308, got "
                     "'111111111111111111111111111111111111111… (1,102 characters)"),
    ],
    ids=["1e-400", "subnormal", "1e400", "provisional 1e-400", "1,100 digits"],
)
def test_numbers_a_float_cannot_hold_are_refused(tmp_path, cell, expect):
    p = tmp_path / "limits.csv"
    p.write_text(WIDE + f"서울특별시,종로구,{cell}\n서울특별시,중구,1\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_kosis(p)
    assert one_line(e.value) == f"limits.csv, row 2, column '2020': {expect}"


def test_zero_and_float_extremes_are_read(tmp_path):
    p = tmp_path / "edges.csv"
    p.write_text(WIDE + "서울특별시,종로구,0.000\n서울특별시,중구,0e-999\n서울특별시,용산구,1e308\n"
                 "서울특별시,성동구,2.3e-308\n", encoding="utf-8")
    v = read_kosis(p).data.set_index("region_code")["value"]
    assert v.to_dict() == {"11010": 0.0, "11020": 0.0, "11030": 1e308, "11040": 2.3e-308}


def _tiny_scenario():
    return validate({"name": "tiny", "pillars": {"need": {"weight": 1, "indicators": {"u": 1, "n": 1}}}},
                    file="tiny")


@pytest.mark.parametrize(
    "u, got",
    [([1e308, -1e308, 0.0, 5.0], "-1e+308 to 1e+308"), ([1e200, 0.0, 1.0, 2.0], "0 to 1e+200")],
    ids=["range overflows", "standard deviation overflows"],
)
def test_values_whose_spread_overflows_name_the_indicator(u, got):
    values = pd.DataFrame({"u": u, "n": [1.0, 2, 3, 4]},
                          index=pd.Index(["11010", "11020", "11030", "11040"], name="region_code"))
    meta = pd.DataFrame({"direction": [1, 1]}, index=pd.Index(["u", "n"], name="id"))
    with pytest.raises(InputError) as e:
        score(values, meta, _tiny_scenario())
    assert one_line(e.value) == (
        "indicator 'u': values too large to normalise (their range or standard deviation overflows a "
        "float); expected values whose spread fits in a float (rescale them, e.g. to thousands), "
        f"got '{got}'"
    )


def test_large_but_safe_values_score():
    values = pd.DataFrame({"u": [1e150, -1e150, 0.0, 5.0], "n": [1.0, 2, 3, 4]},
                          index=pd.Index(["11010", "11020", "11030", "11040"], name="region_code"))
    meta = pd.DataFrame({"direction": [1, 1]}, index=pd.Index(["u", "n"], name="id"))
    s = score(values, meta, _tiny_scenario())
    # min-max: u → 100, 0, 50, 50 (5 is nothing beside 2e150); n → 0, 33.3, 66.7, 100
    assert s["score"].round(3).tolist() == [50.0, 16.667, 58.333, 75.0]
    assert s["rank"].tolist() == [3, 4, 2, 1]


def test_cli_user_indicator_near_the_float_limit_exits_2(tmp_path):
    """The national scenario with a user table holding 1e308 and -1e308 (synthetic)."""
    (tmp_path / "huge.csv").write_text(
        "행정구역별(1),행정구역별(2),2020 년\n경상북도,구미시,1e308\n경상남도,창원시,-1e308\n경기도,수원시,1\n",
        encoding="utf-8")
    raw = yaml.safe_load((ROOT / "data/scenarios/national.yaml").read_text(encoding="utf-8"))
    raw["name"] = "huge"
    raw["indicators"]["user"] = [{"file": "huge.csv", "id": "test_huge", "label_ko": "시험", "label_en": "Test",
                                  "unit": "count", "direction": 1, "pillar": "base", "year": 2020,
                                  "source": "synthetic test file", "as_of": "2020"}]
    raw["pillars"]["base"]["indicators"]["test_huge"] = 1
    raw["uncertainty"]["draws"], raw["siting"]["robustness_draws"] = 200, 20
    (tmp_path / "huge.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    r = run_cli("score", "--scenario", str(tmp_path / "huge.yaml"), "--out", str(tmp_path / "out"),
                "--maps-dir", str(tmp_path / "maps"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [
        "error: indicator 'test_huge': values too large to normalise (their range or standard deviation "
        "overflows a float); expected values whose spread fits in a float (rescale them, e.g. to "
        "thousands), got '-1e+308 to 1e+308'"
    ]
    assert not (tmp_path / "out").exists()


# --- XLSX: what Excel shows ---------------------------------------------------------------------


def hidden_first_sheet(tmp_path, formula=None) -> Path:
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "옛자료"
    hidden.append(["행정구역별", "2020"])
    hidden.append(["종로구", 99])
    hidden.sheet_state = "hidden"
    shown = wb.create_sheet("자료")
    shown.append(["행정구역별", "2020"])
    shown.append(["종로구", 1])
    shown.append(["용산구", formula if formula else 3])
    wb.save(tmp_path / "sheets.xlsx")
    return tmp_path / "sheets.xlsx"


def test_xlsx_reads_the_visible_sheet_unless_one_is_named(tmp_path):
    p = hidden_first_sheet(tmp_path)
    t = read_kosis(p)
    assert dict(zip(t.data["region_code"], t.data["value"])) == {"11010": 1.0, "11030": 3.0}
    assert read_xlsx_table(p).attrs["sheet"] == "자료"
    named = read_kosis(p, sheet="옛자료")
    assert dict(zip(named.data["region_code"], named.data["value"])) == {"11010": 99.0}


def test_xlsx_formula_without_saved_value(tmp_path):
    p = hidden_first_sheet(tmp_path, formula="=B2*3")  # openpyxl saves formulas without results
    for reader in (read_kosis, read_xlsx_table):
        with pytest.raises(InputError) as e:
            reader(p)
        assert one_line(e.value) == (
            "sheets.xlsx [자료]: formula without a saved value in cell B3; expected cells with values, "
            "got '=B2*3' (hint: open and save the file in Excel, or export CSV)"
        )


def test_xlsx_with_every_sheet_hidden(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["행정구역별", "2020"])
    wb.active.append(["종로구", 1])
    wb.create_sheet("메모").append(["합성 자료"])
    wb.save(tmp_path / "shown.xlsx")
    # Excel and openpyxl refuse to save this; other scripts do not: mark every sheet hidden
    with zipfile.ZipFile(tmp_path / "shown.xlsx") as src, \
            zipfile.ZipFile(tmp_path / "allhidden.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b'state="visible" r:id', b'state="hidden" r:id')
            dst.writestr(item, data)
    with pytest.raises(InputError) as e:
        read_kosis(tmp_path / "allhidden.xlsx")
    assert one_line(e.value) == ("allhidden.xlsx, column 'sheet': has no visible sheet; expected sheet= "
                                 "one of 'Sheet', '메모'")
    t = read_kosis(tmp_path / "allhidden.xlsx", sheet="Sheet")
    assert t.data["region_code"].tolist() == ["11010"]


# --- points and polygons: South Korea's land, not a box ------------------------------------------


def points_file(tmp_path, rows) -> Path:
    p = tmp_path / "points.csv"
    p.write_text("name,lat,lon\n" + "".join(f"{n},{la},{lo}\n" for n, la, lo in rows), encoding="utf-8")
    return p


def test_islands_at_the_edges_are_inside(tmp_path):
    rows = [("독도", 37.2417, 131.8650), ("마라도", 33.1130, 126.2669), ("백령도", 37.9667, 124.6667),
            ("격렬비열도", 36.62, 125.56), ("새만금", 35.82, 126.55)]
    g = read_points(points_file(tmp_path, rows))
    assert g["name"].tolist() == [r[0] for r in rows]


@pytest.mark.parametrize(
    "name, lat, lon",
    [("후쿠오카", 33.5904, 130.4017), ("쓰시마 이즈하라", 34.2028, 129.288), ("쓰시마 북단", 34.68, 129.44),
     ("개성", 37.9708, 126.5544)],
)
def test_points_in_japan_or_north_korea_are_refused(tmp_path, name, lat, lon):
    p = points_file(tmp_path, [("서울", 37.5665, 126.978), (name, lat, lon)])
    with pytest.raises(InputError) as e:
        read_points(p)
    assert one_line(e.value) == (
        "points.csv, row 3, column 'lat/lon': outside South Korea in row 3 (farther than 5 km from its "
        f"land and islands); expected a point on South Korean land or within 5 km of its coast, got "
        f"'lat {lat:g}, lon {lon:g}'"
    )


def polygons_file(tmp_path, centres) -> Path:
    """1 km squares (EPSG:4326 degrees) around the given (lat, lon) centres."""
    geoms = [box(lo - 0.005, la - 0.005, lo + 0.005, la + 0.005) for la, lo in centres]
    gpd.GeoDataFrame({"code": [f"P{i + 1}" for i in range(len(geoms))]}, geometry=geoms,
                     crs="EPSG:4326").to_file(tmp_path / "polygons.gpkg")
    return tmp_path / "polygons.gpkg"


def test_polygons_in_japan_or_north_korea_are_refused(tmp_path):
    p = polygons_file(tmp_path, [(37.5665, 126.978), (34.2028, 129.288), (37.9708, 126.5544)])
    with pytest.raises(InputError) as e:
        read_boundaries(p, code_column="code")
    assert one_line(e.value) == (
        "polygons.gpkg, column 'geometry': outside South Korea in features 2, 3 (a point inside the "
        "polygon is farther than 5 km from its land and islands); expected polygons on South Korean "
        "land, got 'P2 at lat 34.2028, lon 129.2880'"
    )


def test_polygons_on_dokdo_and_marado_are_read(tmp_path):
    out = read_boundaries(polygons_file(tmp_path, [(37.2417, 131.865), (33.113, 126.2669)]), code_column="code")
    assert out.index.tolist() == ["P1", "P2"] and out.crs == "EPSG:5179"


# --- GeoJSON that GEOS cannot build; lines that would be too long -------------------------------


def geojson(tmp_path, name, rings) -> Path:
    features = [{"type": "Feature", "properties": {"code": f"G{i + 1}"},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}} for i, ring in enumerate(rings)]
    p = tmp_path / name
    p.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return p


def test_unclosed_ring_names_the_feature(tmp_path):
    closed = [[126.9, 37.5], [126.95, 37.5], [126.95, 37.55], [126.9, 37.5]]
    unclosed = [[126.9, 37.5], [126.95, 37.5], [126.95, 37.55], [126.9, 37.55]]
    p = geojson(tmp_path, "unclosed.geojson", [closed, unclosed])
    with pytest.raises(InputError) as e:
        read_boundaries(p, code_column="code")
    assert one_line(e.value) == (
        "unclosed.geojson, column 'geometry': feature 2 (G2) cannot be read: Points of LinearRing do "
        "not form a closed linestring; expected polygon rings that end at their first point, got 'G2' "
        "(hint: close the rings (repeat the first point) in GIS or in the file)"
    )


def test_coordinates_of_1e308_give_a_readable_line(tmp_path):
    p = geojson(tmp_path, "huge.geojson", [[[1e308, 1e308], [-1e308, 1e308], [-1e308, -1e308], [1e308, 1e308]]])
    with pytest.raises(InputError) as e:
        read_boundaries(p, code_column="code")
    assert one_line(e.value) == (
        "huge.geojson, column 'geometry': coordinates look like metres (x -1e+308–1e+308) but the CRS "
        "EPSG:4326 is in degrees; expected the CRS the coordinates were made in (e.g. EPSG:5179), got "
        "'EPSG:4326' (hint: set the right CRS with set_crs(..., allow_override=True), do not reproject)"
    )


def test_any_overlong_word_in_an_error_line_is_cut_with_a_count():
    digits = f"{1e308:,.0f}"  # what a 1e308 coordinate looks like written out: 411 characters
    err = InputError(f"coordinates look like metres (x {digits}–{digits})", file="f.geojson")
    assert str(err) == ("f.geojson: coordinates look like metres (x 100,000,000,000,000,001,097,906,362,944,… "
                        "(824 characters)")
    assert shorten_words("a short line stays") == "a short line stays"


# --- KOSIS downloads with the "code included" option ---------------------------------------------

CODED = "[DT_TEST01]시군구별,시군구별,[DT_TEST01]항목,항목,가동사업자 현황[명]\n"


def test_kosis_code_included_layout(tmp_path):
    p = tmp_path / "coded.csv"
    p.write_text(
        CODED + "00,전국,T10,가동사업자 현황,100\n11,서울특별시,T10,가동사업자 현황,30\n"
        "11010,종로구,T10,가동사업자 현황,10\n11020,중구,T10,가동사업자 현황,20\n"
        "21,부산광역시,T10,가동사업자 현황,70\n21010,중구,T10,가동사업자 현황,70\n",
        encoding="cp949",
    )
    t = read_kosis(p, year=2020)
    assert (t.layout, t.item, t.unit, t.aggregates) == ("plain", "가동사업자 현황", "명", 3)
    assert t.data[["region_code", "year", "item", "value"]].values.tolist() == [
        ["11010", 2020, "가동사업자 현황", 10.0], ["11020", 2020, "가동사업자 현황", 20.0],
        ["21010", 2020, "가동사업자 현황", 70.0],  # 중구 placed by the 시도 row above it
    ]


def test_kosis_code_included_names_without_sido_are_ambiguous(tmp_path):
    p = tmp_path / "coded.csv"
    p.write_text(
        "[DT_TEST01]시군구별,시군구별,[DT_TEST01]항목,항목,시점,가동사업자 현황[명]\n"
        "11010,종로구,T10,가동사업자 현황,2020,10\n11020,중구,T10,가동사업자 현황,2020,20\n"
        "21030,동구,T10,가동사업자 현황,2020,5\n21020,서구,T10,가동사업자 현황,2020,7\n",
        encoding="utf-8",
    )
    t = read_kosis(p)
    assert t.layout == "long" and t.data["region_code"].tolist() == ["11010"]
    rep = t.report.set_index("row")
    assert rep["relation"].tolist() == ["ambiguous"] * 3
    assert rep["candidates"].tolist() == ["11020|21010|22010|23010|25020|26010",
                                          "21030|22020|23020|24010|25010|26030", "21020|22030|23080|24020|25030"]
    # the code column, when the user says its codes are KOSTAT codes
    coded = read_kosis(p, region_column="[DT_TEST01]시군구별")
    assert dict(zip(coded.data["region_code"], coded.data["value"])) == {
        "11010": 10.0, "11020": 20.0, "21020": 7.0, "21030": 5.0}


def test_kosis_items_across_need_item(tmp_path):
    p = tmp_path / "items.csv"
    p.write_text("[DT_TEST01]시군구별,시군구별,시점,가동사업자 현황[명],매출액[백만원]\n"
                 "11010,종로구,2020,10,5.5\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_kosis(p)
    assert one_line(e.value) == ("items.csv, row 1: the header holds 2 items; expected item= one of "
                                 "'가동사업자 현황', '매출액'")
    t = read_kosis(p, item="매출액")
    assert (t.item, t.unit, t.data["value"].tolist()) == ("매출액", "백만원", [5.5])
    with pytest.raises(InputError) as e:
        read_kosis(p, item="종사자수")
    assert one_line(e.value) == ("items.csv, row 1: no such item in the header; expected one of "
                                 "'가동사업자 현황', '매출액', got '종사자수'")

