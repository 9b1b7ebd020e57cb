"""The committee pack: the ranked hub candidates as a workbook, an HTML report and its PDF.

:func:`write_committee_pack` takes the results of a pipeline run (:class:`geo.results.RunResult`:
the scenario, the regions, indicators and scores and, once the siting and plan stages have
run, the hubs, assignments, frontier, rule prices and network plan) and writes

- ``hub_candidates.xlsx``: one sheet each for the ranking, the proposed hubs, the region →
  hub assignments, the indicator metadata and the data sources; two header rows (Korean, then
  English), frozen under the headers, number formats and column widths set;
- ``ranking.csv`` and ``sources.csv``: the same ranking and sources tables (``utf-8-sig``);
- ``report.html``: one self-contained page, in Korean with English subtitles, readable
  offline (charts are inline PNG data URIs; no script, stylesheet, image or font is fetched);
- ``report.pdf``: the same page printed by headless chromium.

Charts are drawn with matplotlib in a CJK font (Noto Sans CJK KR where installed) found
through :mod:`matplotlib.font_manager`; without one the pack is refused rather than drawn
with empty boxes for the Korean names. Every text that comes from data is escaped by Jinja2.
"""

from __future__ import annotations

import base64
import contextlib
import io as _io
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo import io
from geo.errors import GeoError, InputError
from geo.labels import PILLARS, TIERS, score_label

if TYPE_CHECKING:
    from geo.scenario import Pillar

__all__ = [
    "write_committee_pack", "ranking_table", "hub_table", "assignment_table", "metadata_table",
    "sources_table", "write_workbook", "render_html", "html_to_pdf", "cjk_font",
    "rank_interval_figure", "hub_overview_figure", "frontier_figure", "rule_words", "placed_by_words",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer",
]
# Preferred CJK families, best first; any other family whose name contains "CJK KR" or a
# known Korean family is accepted too (see cjk_font).
CJK_FAMILIES = ["Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Nanum Gothic", "Malgun Gothic",
                "Apple SD Gothic Neo", "Noto Sans CJK JP", "Noto Sans CJK SC"]
CSS_FONTS = ('"Noto Sans CJK KR", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", '
             '"Nanum Gothic", "Noto Sans", "DejaVu Sans", sans-serif')

PILLAR_LABELS = PILLARS
NORMALISATION_LABELS = {
    "minmax": ("최솟값–최댓값 정규화(0 = 최저 지역, 100 = 최고 지역)", "min–max scaling (0 = weakest region, 100 = strongest)"),
    "zscore": ("표준점수(z-score)", "z-scores"),
    "rank": ("순위 점수", "rank scores"),
}
AGGREGATION_LABELS = {
    "linear": ("가중 산술평균(기둥끼리 서로 보완)", "weighted arithmetic mean (pillars compensate each other)"),
    "geometric": ("가중 기하평균(약한 기둥을 덜 보완)", "weighted geometric mean (a weak pillar is compensated less)"),
}
OPTION_LABELS = {
    "minmax": ("최솟값–최댓값", "min–max"), "zscore": ("표준점수", "z-score"), "rank": ("순위", "rank"),
    "linear": ("산술평균", "linear"), "geometric": ("기하평균", "geometric"), "all": ("전체", "all draws"),
}

# Column id → (Korean header, English header, Excel number format, width in characters).
COLUMNS = {
    "rank": ("순위", "Rank", "0", 6),
    "region_code": ("지역코드", "Region code", "@", 10),
    "name_ko": ("시군구", "Region", None, 12),
    "name_en": ("시군구(영문)", "Region (English)", None, 18),
    "sido_name_ko": ("시도", "Province", None, 12),
    "megaregion": ("권역", "Megaregion", None, 8),
    "score": (*score_label("score"), "0.0", 9),
    "need": (*score_label("need"), "0.0", 9),
    "base": (*score_label("base"), "0.0", 9),
    "knowledge": (*score_label("knowledge"), "0.0", 9),
    "connectivity": (*score_label("connectivity"), "0.0", 10),
    "rank_p05": ("순위 5% 값", "Rank p05", "0", 8),
    "rank_p50": ("순위 중앙값", "Rank median", "0", 8),
    "rank_p95": ("순위 95% 값", "Rank p95", "0", 8),
    "p_top10": ("상위 10위 확률", "P(top 10)", "0%", 9),
    "score_mean": ("점수 평균(몬테카를로)", "Score mean (Monte Carlo)", "0.0", 10),
    "score_sd": ("점수 표준편차", "Score SD", "0.0", 9),
    "hub_rank": ("거점 순위", "Hub rank", "0", 7),
    "fixed": ("사전 지정", "Fixed in advance", None, 8),
    "selection_frequency": ("선정 빈도", "Selection frequency", "0%", 9),
    "n_spokes": ("연계 지역 수", "Spokes", "0", 7),
    "spoke_names": ("연계 지역", "Spoke regions", None, 40),
    "spokes": ("연계 지역 코드", "Spoke codes", None, 24),
    "need_served": ("담당 수요(시나리오의 입지 수요 합)", "Demand served (sum of the scenario's siting demand)", "#,##0.0", 12),
    "need_covered_within_reach": ("도달권 내 수요", "Need within reach", "#,##0.0", 11),
    "mean_spoke_distance_km": ("평균 연계 거리(km)", "Mean spoke distance (km)", "0.0", 10),
    "max_spoke_distance_km": ("최대 연계 거리(km)", "Max spoke distance (km)", "0.0", 10),
    "explanation_ko": ("선정 근거", "Explanation (Korean)", None, 60),
    "explanation_en": ("선정 근거(영문)", "Explanation (English)", None, 60),
    "hub_code": ("거점 코드", "Hub code", "@", 9),
    "hub_name_ko": ("거점", "Hub", None, 12),
    "hub_name_en": ("거점(영문)", "Hub (English)", None, 16),
    "distance_km": ("거점까지 거리(km)", "Distance to hub (km)", "0.0", 10),
    "covered": ("포괄 여부", "Covered", None, 8),
    "is_hub": ("거점 여부", "Is a hub", None, 8),
    "id": ("지표 ID", "Indicator id", None, 26),
    "label_ko": ("지표명", "Indicator (Korean)", None, 28),
    "label_en": ("지표명(영문)", "Indicator (English)", None, 34),
    "unit": ("단위", "Unit", None, 14),
    "formula": ("산식", "Formula", None, 50),
    "direction": ("방향(+1 많을수록 필요·역량)", "Direction (+1: more = more need/capability)", "0", 9),
    "pillar": ("기둥", "Pillar", None, 12),
    "scenario_weight": ("종합 점수 내 비중", "Share of the overall score", "0.0%", 10),
    "source": ("출처", "Source", None, 40),
    "as_of": ("기준 시점", "As of", None, 14),
    "coverage": ("포괄 범위", "Coverage", None, 40),
    "path": ("파일", "File", None, 40),
    "title": ("자료명", "Title", None, 40),
    "source_url": ("출처 주소", "Source URL", None, 30),
    "licence": ("이용 조건", "Licence", None, 30),
    "attribution": ("출처 표시", "Attribution", None, 40),
    "within_reach": ("도달거리 안", "Within reach", None, 8),
    "nearest_hub_code": ("가장 가까운 거점 코드", "Nearest hub code", "@", 10),
    "nearest_hub_name_ko": ("가장 가까운 거점", "Nearest hub", None, 12),
    "nearest_hub_km": ("가장 가까운 거점 거리(km)", "Nearest hub distance (km)", "0.0", 10),
    "need_tier": (*TIERS["need_tier"], None, 8),
    "capability_tier": (*TIERS["capability_tier"], None, 8),
    "need_index": ("필요 지수", "Need index", "0.0", 9),
    "capability_index": ("역량 지수", "Capability index", "0.0", 9),
    "placed_by": ("선정 방식", "Placed by", None, 12),
    "core": ("핵심 거점", "Core hub", None, 8),
    "contested": ("경합", "Contested", None, 8),
    "themes": ("주제", "Themes", None, 24),
    "minutes": ("이동 시간(분)", "Travel time (min)", "0", 9),
    "mean_spoke_minutes": ("평균 연계 시간(분)", "Mean spoke time (min)", "0", 10),
    "max_spoke_minutes": ("최대 연계 시간(분)", "Max spoke time (min)", "0", 10),
    "n_missing": ("결측 지표 수", "Missing indicators", "0", 8),
    "theme": ("주제 코드", "Theme (id)", None, 10),
    "theme_ko": ("주제", "Theme", None, 12),
    "theme_en": ("주제(영문)", "Theme (English)", None, 14),
    "runner_ups": ("차순위 주제 코드", "Runner-up themes (ids)", None, 14),
    "runner_ups_ko": ("차순위 주제", "Runner-up themes", None, 14),
    "role": ("역할", "Role", None, 8),
    "lead_themes": ("주도 주제 코드", "Lead themes (ids)", None, 14),
    "lead_themes_ko": ("주도 주제", "Lead themes", None, 14),
    "theme_source": ("주제 근거", "Theme source", None, 40),
    "robustness": ("견고성(핵심/경합)", "Robustness (core/contested)", None, 10),
    "freq_combined": ("선정 빈도(전체 재계산)", "Chosen in (all re-solves)", "0%", 9),
    "contested_alternatives": ("경합 대안(코드:빈도)", "Contenders (code:frequency)", None, 22),
    "best_alternative": ("최선 대안 코드", "Best alternative (code)", "@", 10),
    "best_alternative_name": ("최선 대안", "Best alternative", None, 16),
    "swap_d_access_pct": ("대안으로 바꿀 때 접근 변화(%)", "Swap: change of access cost (%)", "0.0", 10),
    "swap_d_capability": ("대안으로 바꿀 때 역량 변화(점)", "Swap: change of mean hub capability (points)", "0.0", 10),
    "at_stake_served": ("담당 위기 제조업", "Manufacturing at stake served", "#,##0", 12),
    "capability": ("거점 역량", "Hub capability", "0.0", 9),
    "need_rank": ("필요 순위", "Need rank", "0", 7),
    "capability_rank": ("역량 순위", "Capability rank", "0", 7),
}
WRAP = {"explanation_ko", "explanation_en", "formula", "coverage", "spoke_names", "title", "source",
        "attribution", "licence", "theme_source"}


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------


def write_committee_pack(out_dir: Path, run, *, top: int = 20, pdf: bool = True) -> list[Path]:
    """Write the committee pack of a pipeline run into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Existing output folder (the pipeline's staging folder).
    run : geo.results.RunResult
        A run through at least the scoring stage; its ``siting`` and ``plan`` may be None
        (the pack then says that no hubs were sited and leaves their sheets out).
    top : int
        Candidates shown in the report's ranking and rank-interval chart.
    pdf : bool
        Also print ``report.pdf`` with headless chromium.

    Returns
    -------
    list of Path
        The files written: ``hub_candidates.xlsx``, ``ranking.csv``, ``sources.csv``,
        ``report.html`` and (with ``pdf``) ``report.pdf``.

    Raises
    ------
    InputError
        If the run lacks the scoring results.
    GeoError
        If no CJK font or no chromium is installed.
    """
    out_dir = Path(out_dir)
    _check_run(run)
    sc = run.scenario
    ranking = ranking_table(run.scores, run.values, pillars=sc.pillar_names, indicator_ids=sc.indicator_ids,
                            hubs=run.hubs)
    sources = sources_table(run.metadata, rail=sc.network.rail)
    sheets = {"순위 Ranking": ranking}
    if run.hubs is not None:
        sheets["거점 Hubs"] = hub_table(run.hubs, run.units, run.scores)
    if run.assignments is not None:
        sheets["배정 Assignments"] = assignment_table(run.assignments, run.units)
    sheets["지표 Indicators"] = metadata_table(run.metadata, sc.pillars)
    sheets["출처 Sources"] = sources
    sheets = {k: _drop_empty(v) for k, v in sheets.items()}
    html_path = out_dir / "report.html"
    io.write_text(render_html(run, top=top, sources=sources), html_path)
    # chromium prints the PDF in its own process while the workbook and tables are written
    printing = _PdfPrint(html_path, out_dir / "report.pdf") if pdf else None
    try:
        written = [write_workbook(out_dir / "hub_candidates.xlsx", sheets, metadata=run.metadata)]
        for name, table in (("ranking.csv", ranking), ("sources.csv", sources)):
            io.write_csv(table, out_dir / name, index=False)
            written.append(out_dir / name)
        written.append(html_path)
        if printing is not None:
            written.append(printing.wait())
    finally:
        if printing is not None:
            printing.close()
    return written


def ranking_table(scores: pd.DataFrame, values: pd.DataFrame, *, pillars: Sequence[str],
                  indicator_ids: Sequence[str], hubs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every region by overall rank: names, scores, rank interval, hub flag, raw indicators.

    Parameters
    ----------
    scores
        ``scores.csv`` (:attr:`geo.results.Scores.table`).
    values
        The indicator values (index ``region_code``).
    pillars, indicator_ids
        The scenario's pillars and indicators (the columns shown).
    hubs
        The hub table (``hub_rank``), if hubs were sited.

    Returns
    -------
    DataFrame with columns rank, region_code, names, 권역, ``score`` and the pillar scores,
    ``rank_p05``/``rank_p50``/``rank_p95``, ``p_top10``, ``hub_rank`` (NA for non-hubs) and one
    column per indicator the scenario uses (raw values, in the metadata's units).
    """
    s = scores
    pillars = [p for p in pillars if p in s.columns]
    cols = ["rank", "name_ko", "name_en", "sido_name_ko", "megaregion", "need_tier", "capability_tier",
            "score", *pillars, "rank_p05", "rank_p50", "rank_p95", "p_top10"]
    t = s[[c for c in cols if c in s.columns]].copy()
    qn = _names(s) if "sido_name_ko" in s.columns else None
    if qn is not None:
        t["name_ko"] = qn["display_ko"]
        if "name_en" in t.columns:
            t["name_en"] = qn["display_en"]
    hub_rank = pd.Series(pd.NA, index=t.index, dtype="Int64")
    if hubs is not None:
        hub_rank.loc[_codes(hubs.index)] = hubs["hub_rank"].to_numpy()
    t["hub_rank"] = hub_rank
    ids = [i for i in indicator_ids if i in values.columns]
    t = t.join(values[ids])
    t = t.rename_axis("region_code").reset_index()
    order = ["rank", "region_code"] + [c for c in t.columns if c not in ("rank", "region_code")]
    return t[order].sort_values(["rank", "region_code"], kind="stable").reset_index(drop=True)


def hub_table(hubs: pd.DataFrame, units: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """The proposed hubs with their scores, rank interval, spokes (codes and names) and reasons."""
    if hubs is None:
        raise InputError("the run has no hubs", expected="a run through the siting stage")
    h = hubs.copy()
    h.index = _codes(h.index)
    qn = _names(units)
    names = qn["display_ko"]
    h["name_ko"] = names.reindex(h.index).fillna(h.get("name_ko", pd.Series(dtype=object)))
    if "name_en" in h.columns:
        h["name_en"] = qn["display_en"].reindex(h.index).fillna(h["name_en"])
    if "sido_name_ko" not in h.columns and "sido_name_ko" in units.columns:
        h["sido_name_ko"] = units["sido_name_ko"].reindex(h.index)
    if "spokes" in h.columns:
        h["spoke_names"] = [
            ", ".join(str(names.get(c, c)) for c in _split(v)) for v in h["spokes"]
        ]
    s = scores
    extra = [c for c in ("need_tier", "capability_tier", "score", "rank", "rank_p05", "rank_p95", "p_top10")
             if c in s.columns]
    h = h.join(s[[c for c in extra if c not in h.columns]], how="left")
    first = ["hub_rank", "region_code", "name_ko", "name_en", "sido_name_ko", "megaregion", "placed_by",
             "need_tier", "capability_tier", "score", "rank",
             "rank_p05", "rank_p95", "p_top10", "selection_frequency", "fixed", "n_spokes",
             "spoke_names", "spokes", "need_served", "need_covered_within_reach",
             "mean_spoke_distance_km", "max_spoke_distance_km", "explanation_ko", "explanation_en"]
    h = h.rename_axis("region_code").reset_index()
    cols = [c for c in first if c in h.columns] + [c for c in h.columns if c not in first]
    return h[cols].sort_values("hub_rank", kind="stable").reset_index(drop=True)


def assignment_table(assignments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Every region with its hub (code and names), distance and whether it is covered."""
    if assignments is None:
        raise InputError("the run has no assignments", expected="a run through the siting stage")
    a = assignments.copy()
    a.index = _codes(a.index)
    for col in ("name_ko", "name_en", "megaregion"):
        if col not in a.columns:
            a[col] = units[col].reindex(a.index)
    hub = a["hub_code"].astype("string")
    qn = _names(units)
    a["name_ko"] = qn["display_ko"].reindex(a.index).fillna(a["name_ko"])
    if "sido_name_ko" not in a.columns and "sido_name_ko" in units.columns:
        a.insert(a.columns.get_loc("name_en") + 1 if "name_en" in a.columns else 0, "sido_name_ko",
                 units["sido_name_ko"].reindex(a.index))
    a["hub_name_ko"] = hub.map(qn["display_ko"]).astype("string")
    a["hub_name_en"] = hub.map(qn["display_en"]).astype("string")
    if "nearest_hub_code" in a.columns:
        near = a["nearest_hub_code"].astype("string")
        a.insert(a.columns.get_loc("nearest_hub_code") + 1, "nearest_hub_name_ko", near.map(qn["display_ko"]).astype("string"))
    first = ["region_code", "name_ko", "name_en", "sido_name_ko", "megaregion", "hub_code", "hub_name_ko",
             "hub_name_en", "distance_km", "covered", "is_hub"]
    a = a.rename_axis("region_code").reset_index()
    cols = [c for c in first if c in a.columns] + [c for c in a.columns if c not in first]
    return a[cols]


def metadata_table(metadata: pd.DataFrame, pillars: Sequence[Pillar]) -> pd.DataFrame:
    """The indicator metadata with each indicator's share of the overall score in the scenario
    whose ``pillars`` are given."""
    m = metadata.copy()
    share = {}
    total = sum(p.weight for p in pillars)
    for p in pillars:
        for i, w in p.indicator_weights().items():
            share[i] = share.get(i, 0.0) + p.weight / total * w
    m["scenario_weight"] = pd.Series(share, dtype=float).reindex(m.index)
    m = m.rename_axis("id").reset_index()
    first = ["id", "label_ko", "label_en", "unit", "pillar", "scenario_weight", "direction",
             "formula", "source", "as_of", "coverage"]
    used = m["scenario_weight"].notna()
    m = pd.concat([m[used], m[~used]])  # the scenario's indicators first
    return m[[c for c in first if c in m.columns]].reset_index(drop=True)


def sources_table(metadata: pd.DataFrame, *, rail: bool = True,
                  catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """The catalogue rows of the data a run used.

    A file counts as used when an indicator's ``source`` names it, or when the catalogue says
    the regions or code-translation stage reads it (always run), or the rail network (when
    the scenario adds rail).

    Parameters
    ----------
    metadata : DataFrame
        Indicator metadata with a ``source`` column (paths separated by ``;``).
    rail : bool
        Whether the run's network included rail.
    catalogue : DataFrame, optional
        Default: ``data/catalogue.csv``.

    Returns
    -------
    DataFrame with columns path, title, source, source_url, as_of, licence, attribution, in
    catalogue order; files an indicator names that the catalogue lacks are listed at the end
    with empty fields (a user table, for instance).
    """
    from geo import catalogue as cat_mod

    cat = cat_mod.read_catalogue() if catalogue is None else catalogue
    named: list[str] = []
    for text in metadata.get("source", pd.Series(dtype=str)).dropna():
        named += [p.strip() for p in str(text).split(";") if p.strip()]
    named = list(dict.fromkeys(named))
    stage = cat["used_by"].fillna("").str.split(r"[:;]", regex=True).str[0].str.strip()
    stages = {"regions", "codes"} | ({"network"} if rail else set())
    used = cat["path"].isin(named) | stage.isin(stages)
    cols = ["path", "title", "source", "source_url", "as_of", "licence", "attribution"]
    out = cat.loc[used, cols].copy()
    unknown = [p for p in named if p not in set(cat["path"])]
    if unknown:
        out = pd.concat([out, pd.DataFrame({"path": unknown})], ignore_index=True)
    return out.fillna("").reset_index(drop=True)


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame], *,
                   metadata: pd.DataFrame | None = None) -> Path:
    """Write tables as formatted sheets: Korean and English header rows, frozen panes,
    number formats and column widths.

    Headers and formats come from :data:`COLUMNS`; a column that is an indicator id of
    ``metadata`` gets its label and unit as header and a format chosen by its unit
    (``#,##0`` for money and counts, ``0.0`` for percentages).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    head_fill = PatternFill("solid", fgColor="DCE6F1")
    sub_fill = PatternFill("solid", fgColor="F2F2F2")
    line = Border(bottom=Side(style="thin", color="808080"))
    for title, df in sheets.items():
        ws = wb.create_sheet(title[:31])
        specs = [_column_spec(c, metadata) for c in df.columns]
        ws.append([s[0] for s in specs])
        ws.append([s[1] for s in specs])
        for row in df.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        for j, (ko, en, fmt, width) in enumerate(specs, start=1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = width
            ws.cell(1, j).font = Font(bold=True)
            ws.cell(1, j).fill = head_fill
            ws.cell(2, j).font = Font(italic=True, color="404040")
            ws.cell(2, j).fill = sub_fill
            ws.cell(2, j).border = line
            for r in (1, 2):
                ws.cell(r, j).alignment = Alignment(wrap_text=True, vertical="top")
            wrap = df.columns[j - 1] in WRAP
            if fmt or wrap:
                for (cell,) in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                    if fmt:
                        cell.number_format = fmt
                    if wrap:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
        _text_not_formulas(ws)
        ws.row_dimensions[1].height = 32
        ws.row_dimensions[2].height = 32
        # keep the region's code and name in view when scrolling right
        first = list(df.columns[:3])
        keep = first.index("name_ko") + 1 if "name_ko" in first else 0
        ws.freeze_panes = ws.cell(3, keep + 1)
        if len(df.columns):
            ws.auto_filter.ref = f"A2:{get_column_letter(len(df.columns))}{max(len(df) + 2, 2)}"
        # printing: A4 landscape, all columns on one page width, both header rows on every page
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:2"
        ws.print_options.gridLines = True
    return io.write_workbook(wb, path)


def _text_not_formulas(ws) -> None:
    """Text that Excel would run as a formula (``=…``, ``+…``, ``-…``, ``@…``, tab, CR) is
    stored as a string cell with Excel's quote prefix: shown as typed, never evaluated, and it
    stays text when a user edits the cell. openpyxl would otherwise store ``=…`` as a formula."""
    from geo.io import FORMULA_START

    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"
                cell.quotePrefix = True


def render_html(run, *, top: int = 20, sources: pd.DataFrame | None = None) -> str:
    """The committee report as one self-contained HTML page (Korean with English subtitles).

    Sections: the scenario and its weights in words; the top ``top`` candidates with their
    rank intervals (chart and table); the proposed hubs (overview map and one profile per hub:
    map of hub and spokes, pillar chart, key indicators with units and sources, spokes,
    explanation); the sensitivity of the ranking; the data sources and attributions.
    """
    import jinja2

    _check_run(run)
    font = cjk_font()
    if sources is None:
        sources = sources_table(run.metadata, rail=run.scenario.network.rail)
    s = run.scores.copy()
    s.index = _codes(s.index)
    qn = _names(run.units)
    s["name_ko"] = qn["display_ko"].reindex(s.index).fillna(s["name_ko"])
    if "name_en" in s.columns:
        s["name_en"] = qn["display_en"].reindex(s.index).fillna(s["name_en"])
    hubs = None if run.hubs is None else run.hubs.copy()
    if hubs is not None:
        hubs.index = _codes(hubs.index)
        hubs["name_ko"] = qn["display_ko"].reindex(hubs.index)
        hubs["name_en"] = qn["display_en"].reindex(hubs.index)
    units = run.units.copy()
    units["name_ko"], units["name_en"] = qn["display_ko"], qn["display_en"]
    run = _RunView(run, units)
    geoms = drawing_geometry(run.units)
    minutes = _uses_minutes(hubs)
    with mpl_font(font):
        interval_png = _png(_rank_interval_figure(s, hubs, top))
        matrix_png = None
        if {"need_index", "capability_index"} <= set(s.columns) and s["capability_index"].notna().any():
            from geo.indices import need_capability_matrix

            matrix_png = _png(need_capability_matrix(s, label=s["name_ko"], n_labels=10, korean=True), dpi=90)
        overview_png = None if hubs is None else _png(_overview_figure(geoms, hubs, run.assignments, run.units))
        fr = None if run.siting is None else run.siting.frontier
        frontier_png = (_png(_frontier_figure(fr), dpi=120)
                        if fr is not None and len(fr) and {"access_cost", "mean_capability"} <= set(fr.columns) else None)
        profiles = [] if hubs is None else [_hub_profile(run, s, hubs, code, geoms) for code in hubs.index]
    ctx = {
        "scenario": run.scenario,
        "css_fonts": CSS_FONTS,
        "n_units": len(run.units),
        "unit_ko": "읍면동" if run.scenario.units == "emd" else "시군구",
        "unit_en": "읍면동 (sub-districts)" if run.scenario.units == "emd" else "시군구 (districts)",
        "words": _scenario_words(run.scenario, run.metadata, run.units, n_hubs=None if hubs is None else len(hubs)),
        "pillar_rows": _pillar_rows(run.scenario, run.metadata),
        "top": top,
        "top_rows": _top_rows(s, hubs, top, run.scenario.pillar_names),
        "pillars": [(p, *PILLAR_LABELS.get(p, (p, p))) for p in run.scenario.pillar_names],
        "interval_png": interval_png,
        "matrix_png": matrix_png,
        "draws": run.uncertainty.draws if run.uncertainty is not None else None,
        "hubs": hubs is not None,
        "hub_rows": [] if hubs is None else _hub_rows(hubs, s),
        "any_tiers": any(c in s.columns for c in ("need_tier", "capability_tier")),
        "overview_png": overview_png,
        "frontier_png": frontier_png,
        "rule_rows": _rule_rows(None if run.siting is None else run.siting.policy_costs, run.scenario, s,
                                minutes=minutes),
        "robust_rows": [] if hubs is None or "robustness" not in hubs.columns
        else _robust_rows(hubs, s, run.scenario, minutes=minutes),
        "minutes": minutes,
        "siting": _siting_words(hubs, run.assignments, {} if run.siting is None else run.siting.info),
        "profiles": profiles,
        "sens": _sensitivity(run.uncertainty, s, top),
        "sources": sources.to_dict("records"),
        "network_html": network_section(None if run.plan is None else run.plan.network),
        "attributions": list(dict.fromkeys(a for a in sources["attribution"] if a)),
    }
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _fmt_num
    env.filters["pct"] = _fmt_pct
    env.filters["signed"] = _signed
    env.filters["capitalize_first"] = lambda x: str(x)[:1].upper() + str(x)[1:]
    return env.from_string(_TEMPLATE).render(**ctx)


class _RunView:
    """A run seen with other units (qualified display names), everything else as it is."""

    def __init__(self, run, units):
        self._run, self.units = run, units

    def __getattr__(self, name):
        return getattr(self._run, name)


def _theme_line(plan, code: str) -> str | None:
    """A hub's theme, runner-ups, role and evidence in one line (plain text; the template escapes it)."""
    if plan is None or code not in plan.hubs.index:
        return None
    r = plan.hubs.loc[code]
    if not isinstance(r["theme"], str):
        return f"없음 · none ({r['theme_source']})"
    runner = str(r["runner_ups_ko"]).replace(";", ", ")
    role = f"주도 · lead ({str(r['lead_themes_ko']).replace(';', ', ')})" if r["role"] == "lead" else "지역 · regional"
    return (f"{r['theme_ko']} ({r['theme_en']})" + (f"; 차순위 · runner-ups {runner}" if runner else "")
            + f"; {role}; {r['evidence']}")


def network_section(plan) -> str:
    """The report section "the network" (already escaped HTML; empty without a plan):
    per hub its theme, runner-ups with their evidence, role, linked hubs with costs and the
    organisations it absorbs or coordinates; the isolated hubs; the source of the themes."""
    import html as _h

    if plan is None:
        return ""
    e = _h.escape
    unit = {"minutes": "분 · minutes", "km": "km (도로거리 추정 · road-distance proxy)"}[plan.cost_unit]
    rows = []
    for code, r in plan.hubs.iterrows():
        links = ", ".join(f"{x.split(':')[0]} ({x.split(':')[1]})" for x in str(r["link_costs"]).split(";") if x)
        rows.append(
            f"<tr><td>{e(str(r['hub_rank']))}. {e(str(r['name_ko']))} ({e(code)})</td>"
            f"<td>{e(str(r['theme_ko'] or '-'))}<span class=\"en\">{e(str(r['theme_en'] or '-'))}</span></td>"
            f"<td>{e(str(r['runner_ups_ko']).replace(';', ', '))}</td>"
            f"<td class=\"small\">{e(str(r['evidence']))}</td>"
            f"<td>{'주도 · lead: ' + e(str(r['lead_themes_ko']).replace(';', ', ')) if r['role'] == 'lead' else '지역 · regional'}</td>"
            f"<td class=\"small\">{e(links) or '고립 · isolated'}</td>"
            f"<td class=\"small\">{e(str(r['organisations_absorbed']).replace(';', ', '))}"
            f"{(' / 조정 · coordinate: ' + e(str(r['organisations_coordinated']).replace(';', ', '))) if r['organisations_coordinated'] else ''}</td></tr>")
    isolated = [f"{r['name_ko']} ({c})" for c, r in plan.hubs.iterrows() if r["isolated"]]
    un = plan.organisations[plan.organisations["hub_code"].isna()]
    return (
        "<section class=\"break\">\n<h2>네트워크 <span class=\"en\">The network</span></h2>\n"
        f"<p>거점별 주제는 연계 지역의 뿌리 공정에서 정했습니다. 근거: {e(plan.theme_source)}. "
        f"연결 비용 단위: {e(unit)}; 범위 {plan.reach:.0f}. "
        f"<span class=\"en\">Each hub's theme comes from the root processes of its catchment; it rests on "
        f"{e(plan.theme_source)}. Link costs in {e(unit)}; reach {plan.reach:.0f}.</span></p>\n"
        "<table class=\"ind\"><thead><tr><th>거점<span class=\"en\">Hub</span></th><th>주제<span class=\"en\">Theme</span></th>"
        "<th>차순위<span class=\"en\">Runner-ups</span></th><th>근거<span class=\"en\">Evidence</span></th>"
        "<th>역할<span class=\"en\">Role</span></th><th>연결 거점 (비용)<span class=\"en\">Linked hubs (cost)</span></th>"
        "<th>기관 (흡수 / 조정)<span class=\"en\">Organisations (absorb / coordinate)</span></th></tr></thead>\n<tbody>\n"
        + "\n".join(rows) + "\n</tbody></table>\n"
        f"<p>고립된 거점 <span class=\"en\">Isolated hubs</span>: {e(', '.join(isolated)) or '없음 · none'}. "
        f"위치를 알 수 없어 배정하지 못한 기관 <span class=\"en\">Organisations not assigned (no location)</span>: "
        f"{e(', '.join(un['name'].astype(str))) or '없음 · none'}.</p>\n</section>\n")


def html_to_pdf(html: Path, pdf: Path, *, chromium: str = CHROMIUM, timeout: float = 180) -> Path:
    """Print an HTML file to PDF with headless chromium.

    Raises
    ------
    GeoError
        If chromium is not installed, fails, or writes no PDF.
    """
    printing = _PdfPrint(html, pdf, chromium=chromium, timeout=timeout)
    try:
        return printing.wait()
    finally:
        printing.close()


class _PdfPrint:
    """Headless chromium printing an HTML file to PDF in the background (see :func:`html_to_pdf`)."""

    def __init__(self, html: Path, pdf: Path, *, chromium: str = CHROMIUM, timeout: float = 180):
        exe = shutil.which(chromium) or (chromium if Path(chromium).is_file() else None)
        if exe is None:
            raise GeoError(f"chromium not found at {chromium}: the PDF report needs it",
                           hint="install it with: python3 tasks.py setup (apt-get install chromium)")
        self.html, self.pdf, self.timeout = Path(html).resolve(), Path(pdf).resolve(), timeout
        self.pdf.unlink(missing_ok=True)
        self._profile = tempfile.TemporaryDirectory(prefix="geo-chromium-")
        cmd = [exe, *CHROMIUM_ARGS, f"--user-data-dir={self._profile.name}", f"--print-to-pdf={self.pdf}",
               self.html.as_uri()]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(self) -> Path:
        """Wait for chromium; the PDF made reproducible, or GeoError."""
        try:
            _, err = self._proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise GeoError(f"chromium did not print {self.html.name} within {self.timeout:.0f} s") from None
        if not self.pdf.is_file() or self.pdf.read_bytes()[:5] != b"%PDF-":
            tail = (err or "").strip().splitlines()[-3:]
            raise GeoError(f"chromium wrote no PDF for {self.html.name} (exit {self._proc.returncode})",
                           hint=" | ".join(tail) or None)
        return io.reproducible_pdf(self.pdf)

    def close(self) -> None:
        """Stop chromium if it still runs and remove its profile folder."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
        self._profile.cleanup()


def rank_interval_figure(scores: pd.DataFrame, hubs: pd.DataFrame | None = None, *, top: int = 20):
    """Chart of the top candidates' rank intervals (dot: nominal rank, diamond: median,
    bar: 5–95%); hubs in red. ``scores`` as the pipeline's (columns name_ko, rank,
    rank_p05, rank_p50, rank_p95). Returns a matplotlib Figure."""
    s = scores.copy()
    s.index = _codes(s.index)
    if hubs is not None:
        hubs = hubs.copy()
        hubs.index = _codes(hubs.index)
    with mpl_font(cjk_font()):
        return _rank_interval_figure(s, hubs, top)


def hub_overview_figure(units, hubs: pd.DataFrame, assignments: pd.DataFrame | None = None):
    """Map of the hubs (stars, numbered by hub rank) and the regions assigned to each (one
    colour per hub, grey = uncovered). Returns a matplotlib Figure."""
    hubs = hubs.copy()
    hubs.index = _codes(hubs.index)
    with mpl_font(cjk_font()):
        return _overview_figure(drawing_geometry(units), hubs, assignments, units)


def cjk_font() -> str:
    """Name of an installed font family that has Hangul, for matplotlib.

    Looks in matplotlib's font list; if that list predates the font's installation (its cache
    is built once), the system font folders are searched and CJK font files are added.

    Raises
    ------
    GeoError
        If no such font is installed: charts would show empty boxes for Korean text.
    """
    from matplotlib import font_manager as fm

    found = _pick_cjk(fm.fontManager.ttflist)
    if found is None:
        for path in fm.findSystemFonts():
            low = Path(path).name.lower()
            if any(k in low for k in ("cjk", "nanum", "malgun", "notosanskr", "applesdgothic")):
                with contextlib.suppress(Exception):  # an unreadable font file is just skipped
                    fm.fontManager.addfont(path)
        found = _pick_cjk(fm.fontManager.ttflist)
    if found is None:
        raise GeoError("no font with Korean glyphs found for the report charts",
                       hint="install fonts-noto-cjk (python3 tasks.py setup)")
    return found


# ---------------------------------------------------------------------------------------------
# helpers: tables
# ---------------------------------------------------------------------------------------------


def _check_run(run) -> None:
    missing = [a for a in ("scenario", "units", "values", "metadata", "scores") if getattr(run, a, None) is None]
    if missing:
        raise InputError("the run lacks results the report needs", expected="a run through the scoring stage",
                         got=missing)


def _names(units: pd.DataFrame) -> pd.DataFrame:
    """``display_ko``/``display_en``: same-named 구 with their 시도 (북구(대구))."""
    from geo.maps import qualified_names

    if "sido_name_ko" not in units.columns:
        return pd.DataFrame({"display_ko": units["name_ko"], "display_en": units.get("name_en")}, index=units.index)
    return qualified_names(units)


def _drop_empty(df: pd.DataFrame) -> pd.DataFrame:
    """Without the columns that hold nothing (all missing or blank text)."""
    empty = [c for c in df.columns if df[c].isna().all()
             or (df[c].dtype == object and df[c].map(lambda v: v is None or (isinstance(v, str) and not v.strip())
                                                     or (isinstance(v, float) and math.isnan(v))).all())]
    return df.drop(columns=empty)


def _codes(index) -> pd.Index:
    return pd.Index([str(c) for c in index], name="region_code")


def _split(value) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return []
    return [c for c in str(value).split(";") if c]


def _column_spec(col: str, metadata: pd.DataFrame | None) -> tuple[str, str, str | None, int]:
    if col in COLUMNS:
        return COLUMNS[col]
    if col.startswith("freq_"):  # selection frequency of one robustness family
        ko, en = FAMILY_LABELS.get(col[5:], (col[5:], col[5:]))
        return (f"선정 빈도: {ko}", f"Chosen in: {en}", "0%", 9)
    if metadata is not None and col in metadata.index:
        m = metadata.loc[col]
        unit = str(m.get("unit", "") or "")
        return (f"{m.get('label_ko', col)} ({unit})", f"{m.get('label_en', col)} ({unit})", _unit_format(unit), 13)
    return (col, col, None, 12)


def _unit_format(unit: str) -> str | None:
    u = unit.strip().lower()
    if u in ("million krw", "krw", "persons", "firms", "count", "stations") or u.startswith("million krw"):
        return "#,##0"
    if u.startswith("%"):
        return "0.0"
    if u in ("km²", "km2", "ratio", "0–100"):
        return "0.00"
    if u in ("1/km", "1/min"):  # harmonic closeness: sums of 1/km or 1/min, about 0.1–10
        return "0.000"
    if u.startswith("share"):  # betweenness: a share of shortest paths
        return "0.0000"
    if u in ("stations",):
        return "0"
    return "#,##0.00" if u else None


def _cell(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


# ---------------------------------------------------------------------------------------------
# helpers: words
# ---------------------------------------------------------------------------------------------


def _label(metadata: pd.DataFrame, i: str) -> tuple[str, str]:
    if i in metadata.index:
        return str(metadata.at[i, "label_ko"]), str(metadata.at[i, "label_en"])
    return i, i


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _scenario_words(sc, metadata: pd.DataFrame, units: pd.DataFrame, *, n_hubs: int | None) -> dict:
    """Plain-language sentences (ko, en) describing the scenario."""
    pw = sc.pillar_weights()
    ko, en = [], []
    parts_ko = ", ".join(f"{PILLAR_LABELS.get(p, (p,))[0]} {_pct(w)}" for p, w in pw.items())
    parts_en = ", ".join(f"{PILLAR_LABELS.get(p, (p, p))[1].lower()} {_pct(w)}" for p, w in pw.items())
    ko.append(f"종합 점수는 {len(pw)}개 기둥의 점수를 다음 비중으로 합칩니다: {parts_ko}.")
    en.append(f"The overall score combines {len(pw)} pillars with these weights: {parts_en}.")
    o = sc.scoring
    nk, ne = NORMALISATION_LABELS[o.normalisation]
    ko.append(f"각 지표는 {nk}로 환산한 뒤 기둥 안에서 가중 평균합니다.")
    en.append(f"Each indicator is put on a common scale by {ne}, then averaged with its weight within its pillar.")
    if o.winsorise is not None:
        ko.append(f"극단값의 영향을 줄이려고 하위 {100 * o.winsorise.lower:.1f}%·상위 "
                  f"{100 * (1 - o.winsorise.upper):.1f}% 값은 경계값으로 자릅니다.")
        en.append(f"To damp extremes, values below the {100 * o.winsorise.lower:.1f}th and above the "
                  f"{100 * o.winsorise.upper:.1f}th percentile are clipped.")
    ak, ae = AGGREGATION_LABELS[o.aggregation]
    ko.append(f"기둥 점수는 {ak}으로 합칩니다.")
    en.append(f"Pillar scores are combined by a {ae}.")
    if o.missing == "mean_of_available":
        ko.append(f"빠진 값은 0으로 채우지 않고, 기둥 지표의 {_pct(o.max_missing_share)} 이하가 빠진 지역은 "
                  "있는 지표의 평균으로 계산합니다.")
        en.append(f"Missing values are never set to zero: a region missing at most {_pct(o.max_missing_share)} "
                  "of a pillar's indicators is scored on the indicators it has.")
    u = sc.uncertainty
    ko.append(f"불확실성: 기둥 가중치(디리클레 분포, 집중도 {u.concentration:g})와 정규화·집계 방법을 "
              f"{u.draws:,}번 무작위로 바꾸어 계산한 순위의 5–95% 구간을 함께 보고합니다.")
    en.append(f"Uncertainty: the pillar weights (Dirichlet, concentration {u.concentration:g}) and the "
              f"normalisation and aggregation methods are varied in {u.draws:,} random draws; the report "
              "gives each region's 5–95% rank interval.")
    t = sc.siting
    k = n_hubs if n_hubs is not None else t.k
    if t.demand in sc.pillar_names:
        dk, de = f"{PILLAR_LABELS[t.demand][0]} 점수", f"{PILLAR_LABELS[t.demand][1].lower()} score"
    elif t.demand == "score":
        dk, de = "종합 점수", "overall score"
    elif t.demand == "uniform":
        dk, de = "모든 지역 같은 값", "the same value for every region"
    else:
        dk, de = _label(metadata, t.demand)
    if t.model == "pmedian":
        ko.append(f"거점 {k}곳은 p-메디안 모형으로 고릅니다: 모든 지역에서 가장 가까운 거점까지의 거리를 "
                  f"수요({dk})로 가중한 합이 가장 작아지도록 합니다.")
        en.append(f"The {k} hubs are chosen by the p-median model: the distance from every region to its "
                  f"nearest hub, weighted by demand ({de}), is minimised.")
    else:
        ko.append(f"거점 {k}곳은 최대 포괄 입지 모형(MCLP)으로 고릅니다: 거점에서 {t.reach_km:g} km 안에 드는 "
                  f"수요({dk})를 최대로 합니다.")
        en.append(f"The {k} hubs are chosen by the maximal covering model (MCLP): the demand ({de}) within "
                  f"{t.reach_km:g} km of a hub is maximised.")
    mins = t.eligibility.minimums()
    if mins:
        ko.append("거점 후보 조건: " + ", ".join(f"{PILLAR_LABELS.get(c, (c,))[0]} 점수 {v:g}점 이상" for c, v in mins.items()) + ".")
        en.append("A region may be a hub only with " + ", ".join(
            f"a {PILLAR_LABELS.get(c, (c, c))[1].lower()} score of at least {v:g}" for c, v in mins.items()) + ".")
    mx, mn = dict(t.per_megaregion.max), dict(t.per_megaregion.min)
    if mx:
        vals = set(mx.values())
        if len(vals) == 1 and len(mx) >= 7:
            ko.append(f"한 권역에는 거점을 최대 {vals.pop()}곳까지 둡니다.")
            en.append(f"No 권역 (megaregion) takes more than {max(mx.values())} hubs.")
        else:
            ko.append("권역별 최대 거점 수: " + ", ".join(f"{g} {n}곳" for g, n in mx.items()) + ".")
            en.append("Maximum hubs per megaregion: " + ", ".join(f"{g} {n}" for g, n in mx.items()) + ".")
    if mn:
        ko.append("최소 거점 수: " + ", ".join(f"{g} {n}곳" for g, n in mn.items()) + ".")
        en.append("Minimum hubs: " + ", ".join(f"{g} {n}" for g, n in mn.items()) + ".")
    names = units["name_ko"]
    if t.fixed:
        ko.append("미리 정한 거점: " + ", ".join(str(names.get(c, c)) for c in t.fixed) + ".")
        en.append("Hubs fixed in advance: " + ", ".join(str(units["name_en"].get(c, c)) for c in t.fixed) + ".")
    if t.excluded:
        ko.append("거점에서 제외: " + ", ".join(str(names.get(c, c)) for c in t.excluded) + ".")
        en.append("Excluded as hubs: " + ", ".join(str(units["name_en"].get(c, c)) for c in t.excluded) + ".")
    if t.max_spoke_km is not None:
        ko.append(f"거점에서 {t.max_spoke_km:g} km보다 먼 지역은 억지로 배정하지 않고 '미포괄'로 보고합니다.")
        en.append(f"Regions farther than {t.max_spoke_km:g} km from every hub are reported as uncovered "
                  "rather than forced onto a hub.")
    return {"ko": ko, "en": en}


def _pillar_rows(sc, metadata: pd.DataFrame) -> list[dict]:
    pw = sc.pillar_weights()
    rows = []
    for p in sc.pillars:
        for i, w in p.indicator_weights().items():
            ko, en = _label(metadata, i)
            unit = str(metadata.at[i, "unit"]) if i in metadata.index else ""
            rows.append({"pillar_ko": PILLAR_LABELS.get(p.name, (p.name,))[0],
                         "pillar_en": PILLAR_LABELS.get(p.name, (p.name, p.name))[1],
                         "pillar_weight": pw[p.name], "label_ko": ko, "label_en": en, "unit": unit,
                         "within": w, "overall": pw[p.name] * w})
    return rows


def _top_rows(s: pd.DataFrame, hubs: pd.DataFrame | None, top: int, pillars) -> list[dict]:
    rows = []
    for code, r in s.sort_values("rank", kind="stable").head(top).iterrows():
        rows.append({
            "rank": int(r["rank"]), "code": code, "name_ko": r["name_ko"], "name_en": r["name_en"],
            "sido": r.get("sido_name_ko", ""), "megaregion": r.get("megaregion", ""),
            "score": r["score"], "pillars": [r.get(p, np.nan) for p in pillars],
            "p05": r.get("rank_p05"), "p50": r.get("rank_p50"), "p95": r.get("rank_p95"),
            "p_top10": r.get("p_top10"),
            "hub": None if hubs is None or code not in hubs.index else int(hubs.at[code, "hub_rank"]),
        })
    return rows


def _hub_rows(hubs: pd.DataFrame, s: pd.DataFrame) -> list[dict]:
    rows = []
    for code, h in hubs.sort_values("hub_rank").iterrows():
        rows.append({
            "hub_rank": int(h["hub_rank"]), "code": code, "name_ko": h.get("name_ko", s.at[code, "name_ko"]),
            "name_en": h.get("name_en", s.at[code, "name_en"]), "megaregion": h.get("megaregion", ""),
            "rank": s.at[code, "rank"] if code in s.index else None,
            "score": s.at[code, "score"] if code in s.index else None,
            "n_spokes": h.get("n_spokes"), "need_served": h.get("need_served"),
            "mean_km": h.get("mean_spoke_distance_km"), "max_km": h.get("max_spoke_distance_km"),
            "freq": h.get("selection_frequency"),
            "tiers": _tiers(s, code),
        })
    return rows


def _tiers(s: pd.DataFrame, code: str) -> str:
    """The region's need and capability tiers as one text ("" when the scores have none)."""
    parts = []
    for col, (ko, en) in (("need_tier", ("필요", "need")), ("capability_tier", ("역량", "capability"))):
        if col in s.columns and code in s.index and pd.notna(s.at[code, col]):
            v = s.at[code, col]
            v = int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else v
            parts.append(f"{ko} · {en} {v}")
    return ", ".join(parts)


def _siting_words(hubs, assignments, info) -> dict | None:
    """Coverage and, from the solve's ``info`` (:attr:`geo.results.Siting.info`), its proof."""
    if hubs is None:
        return None
    out = {"ko": [], "en": []}
    if assignments is not None and "covered" in assignments.columns:
        unc = assignments.index[~assignments["covered"].astype(bool)]
        if len(unc):
            ko = assignments["name_ko"] if "name_ko" in assignments.columns else pd.Series(dtype=str)
            en = assignments["name_en"] if "name_en" in assignments.columns else pd.Series(dtype=str)
            out["ko"].append(f"어느 거점에서도 최대 연계 거리 안에 들지 않는 지역 {len(unc)}곳: "
                             + ", ".join(str(ko.get(c, c)) for c in unc) + ".")
            out["en"].append(f"{len(unc)} region(s) lie beyond the maximum spoke distance of every hub "
                             "and are reported as uncovered: " + ", ".join(str(en.get(c, c)) for c in unc) + ".")
        else:
            out["ko"].append("모든 지역이 거점에 배정되었습니다.")
            out["en"].append("Every region is assigned to a hub.")
    if info.get("optimal") is True:
        out["ko"].append("이 배치는 최적임이 증명되었습니다(정확해법).")
        out["en"].append("The solver proved this layout optimal.")
    elif info.get("gap") is not None and np.isfinite(info.get("gap", np.nan)):
        out["ko"].append(f"이 배치의 최적성 간격은 {100 * info['gap']:.2f}%입니다.")
        out["en"].append(f"This layout is within {100 * info['gap']:.2f}% of the optimum.")
    return out


def _sensitivity(unc, s: pd.DataFrame, top: int) -> dict | None:
    if unc is None:
        return None
    sens = unc.sensitivity.copy()
    rows = []
    for factor, r in sens.iterrows():
        ko, en = _factor_label(factor)
        rows.append({"factor_ko": ko, "factor_en": en, "all": r["first_order"], "top": r["first_order_top"],
                     "p05": r.get("p05"), "p95": r.get("p95")})
    rows.sort(key=lambda d: -(d["top"] if np.isfinite(d["top"]) else -1))
    lead = rows[0] if rows else None
    m = unc.methods.reset_index()
    mrows = []
    for _, r in m.iterrows():
        ko, en = OPTION_LABELS.get(r["option"], (r["option"], r["option"]))
        fko, fen = {"normalisation": ("정규화", "normalisation"), "aggregation": ("집계", "aggregation"),
                    "all": ("전체", "all")}.get(r["factor"], (r["factor"], r["factor"]))
        mrows.append({"factor_ko": fko, "factor_en": fen, "option_ko": ko, "option_en": en,
                      "draws": int(r["draws"]), "shift": r["mean_abs_rank_shift"], "overlap": r["top_overlap"]})
    opts = m[(m["factor"] != "all") & m["mean_abs_rank_shift"].notna()]
    worst = opts.loc[opts["mean_abs_rank_shift"].idxmax()] if len(opts) else None
    shown = s.sort_values("rank", kind="stable").head(top)
    width = (shown["rank_p95"] - shown["rank_p05"]) if {"rank_p05", "rank_p95"} <= set(shown.columns) else None
    widest = None
    if width is not None and width.notna().any():
        c = width.idxmax()
        widest = {"name_ko": shown.at[c, "name_ko"], "name_en": shown.at[c, "name_en"],
                  "rank": int(shown.at[c, "rank"]), "p05": shown.at[c, "rank_p05"], "p95": shown.at[c, "rank_p95"]}
    stable = shown[shown["rank_p95"] <= unc.top] if "rank_p95" in shown.columns else shown.iloc[:0]
    return {
        "rows": rows, "lead": lead, "methods": mrows, "draws": unc.draws, "top": unc.top,
        "worst": None if worst is None else {
            "option_ko": OPTION_LABELS.get(worst["option"], (worst["option"],))[0],
            "option_en": OPTION_LABELS.get(worst["option"], (worst["option"], worst["option"]))[1],
            "shift": worst["mean_abs_rank_shift"], "overlap": worst["top_overlap"]},
        "all_shift": float(m.loc[m["factor"] == "all", "mean_abs_rank_shift"].iloc[0]) if (m["factor"] == "all").any() else None,
        "widest": widest,
        "stable": stable["name_ko"].astype(str).tolist(),
        "stable_en": stable["name_en"].astype(str).tolist(),
    }


def _factor_label(factor: str) -> tuple[str, str]:
    if factor.startswith("w_"):
        p = factor[2:]
        ko, en = PILLAR_LABELS.get(p, (p, p))
        return f"{ko} 기둥 가중치", f"{en} pillar weight"
    return {"normalisation": ("정규화 방법", "normalisation method"),
            "aggregation": ("집계 방법", "aggregation method")}.get(factor, (factor, factor))


def _fmt_num(v, digits: int = 1) -> str:
    if v is None or v is pd.NA:
        return "–"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return "–"
    if digits == 0:
        return f"{f:,.0f}"
    return f"{f:,.{digits}f}"


def _fmt_pct(v, digits: int = 0) -> str:
    if v is None or v is pd.NA:
        return "–"
    f = float(v)
    return "–" if math.isnan(f) else f"{100 * f:.{digits}f}%"


# ---------------------------------------------------------------------------------------------
# the trade-off, the rules and the robustness of the hubs
# ---------------------------------------------------------------------------------------------

FAMILY_LABELS = {
    "index draws": ("지수 몬테카를로 추출", "Monte Carlo draws of the indices"),
    "demand definition": ("수요 정의", "demand definition"),
    "thresholds ±5": ("하한 ±5점", "thresholds ±5"),
    "k ± 1": ("거점 수 ±1", "k ± 1"),
    "권역 rule off": ("권역 규칙 해제", "megaregion rule off"),
}


def _limit_text(limits) -> str:
    """'2' when every 권역 has the same limit, else '권역별 · per 권역 (수도권 3, …)'."""
    values = sorted({int(v) for _, v in limits})
    if len(values) == 1:
        return str(values[0])
    return "권역별 (" + ", ".join(f"{m} {int(v)}" for m, v in limits) + ")"


def rule_words(rule: str, scenario=None, *, minutes: bool = True) -> tuple[str, str]:
    """A programme rule id of ``policy_costs.csv`` / ``placed_by`` in words (Korean, English).

    ``scenario`` (optional) supplies the limits (at most N hubs per 권역, the spoke limit,
    the floors); ``minutes``: the spoke limit was applied to travel minutes (else km).
    """
    rule = str(rule).strip()
    t = getattr(scenario, "siting", None)
    if rule == "optimisation":
        return "최적화", "optimisation"
    if rule == "all rules together":
        return "규칙들의 결합", "the rules together"
    if rule == "fixed":
        return "사전 지정 거점", "fixed in advance"
    if rule == "excluded":
        return "제외 지역", "excluded regions"
    if rule == "near_organisation":
        no = None if t is None else t.near_organisation
        v = None if no is None else (no.within_minutes if minutes else no.within_km)
        if v is None:
            return "기존 기관 인접 거점 수 하한", "hubs near an existing organisation"
        u_ko, u_en = ("분", "min") if minutes else (" km", "km")
        return (f"기존 기관 {v:g}{u_ko} 이내 거점 최소 {no.min_hubs}곳",
                f"at least {no.min_hubs} hubs within {v:g} {u_en} of an existing organisation")
    if rule in ("per_megaregion.max", "per_megaregion.min"):
        lim = () if t is None else (t.per_megaregion.max if rule.endswith("max") else t.per_megaregion.min)
        n = _limit_text(lim) if lim else ""
        if rule.endswith("max"):
            return f"권역당 최대 거점 수 {n}".strip(), f"at most {n or 'a set number of'} hubs per 권역"
        return f"권역당 최소 거점 수 {n}".strip(), f"at least {n or 'a set number of'} hub(s) per 권역"
    if rule == "max_spoke":
        if minutes:
            v = None if t is None else t.max_spoke_minutes
            return (f"연계 지역 최대 시간{f' {v:.0f}분' if v else ''}",
                    f"spoke time limit{f' ({v:.0f} min)' if v else ''}")
        v = None if t is None else t.max_spoke_km
        return (f"연계 지역 최대 거리{f' {v:.0f} km' if v else ''}",
                f"spoke distance limit{f' ({v:.0f} km)' if v else ''}")
    m = re.fullmatch(r"eligibility\.min_(\w+)", rule)
    if m:
        col = m.group(1)
        ko, en = PILLAR_LABELS.get(col, (col, col))
        ko = {"knowledge": "지식 역량", "base": "산업기반"}.get(col, ko)
        en = {"knowledge": "knowledge", "base": "industrial-base"}.get(col, en.lower())
        v = None if t is None else getattr(t.eligibility, f"min_{col}", None)
        num = "" if v is None else f" {v:g}"
        return f"{ko} 하한{num}", f"{en} floor{num}"
    return rule, rule


def placed_by_words(value, scenario=None, *, minutes: bool = True) -> tuple[str, str]:
    """``placed_by`` of hubs.csv (optimisation, fixed, or rule ids joined by '; ') in words."""
    parts = [p for p in str(value).split(";") if p.strip()] or ["optimisation"]
    words = [rule_words(p, scenario, minutes=minutes) for p in parts]
    return " + ".join(w[0] for w in words), " + ".join(w[1] for w in words)


def _uses_minutes(hubs) -> bool:
    return hubs is not None and "mean_spoke_minutes" in hubs.columns and hubs["mean_spoke_minutes"].notna().any()


def frontier_figure(frontier: pd.DataFrame, *, korean: bool = True):
    """The access / capability trade-off: every point of the Pareto frontier (``frontier.csv``:
    access_cost, mean_capability, optimal, chosen), the chosen one marked, each labelled
    proven optimal or not. Returns a matplotlib Figure."""
    with mpl_font(cjk_font()):
        return _frontier_figure(frontier)


def _frontier_figure(fr: pd.DataFrame):
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fr = fr.sort_values("mean_capability", kind="stable")
    a = pd.to_numeric(fr["access_cost"], errors="coerce").to_numpy(float)
    c = pd.to_numeric(fr["mean_capability"], errors="coerce").to_numpy(float)
    x = 100 * (a / np.nanmin(a) - 1) if np.nanmin(a) > 0 else a
    ok = fr["optimal"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    ch = fr["chosen"].astype(str).str.lower().isin(["true", "1"]).to_numpy() if "chosen" in fr else np.zeros(len(fr), bool)
    fig = Figure(figsize=(4.6, 3.3))
    ax = fig.add_subplot()
    ax.plot(x, c, color="#9e9e9e", lw=1, zorder=1)
    ax.scatter(x[ok], c[ok], s=30, color="#2166ac", zorder=3)
    ax.scatter(x[~ok], c[~ok], s=30, facecolors="white", edgecolors="#2166ac", lw=1.2, zorder=3)
    if ch.any():
        ax.scatter(x[ch], c[ch], s=190, marker="*", color=HUB_COLOR, edgecolors="black", lw=0.6, zorder=4)
    for i, (xi, ci, o, h) in enumerate(zip(x, c, ok, ch)):
        # labels alternate below-right and above-left so that neighbouring points stay readable
        off, ha = ((5, -9), "left") if i % 2 == 0 else ((-5, 4), "right")
        ax.annotate(("증명" if o else "미증명") + (" · 채택" if h else ""), (xi, ci), xytext=off, ha=ha,
                    textcoords="offset points", fontsize=6, color=HUB_COLOR if h else "#444444")
    ax.set_xlabel("접근 비용: 최소 대비 증가 (%) · access cost above the least (%)", fontsize=7.5)
    ax.set_ylabel("거점 평균 역량 · mean hub capability", fontsize=7.5)
    ax.tick_params(labelsize=7)
    ax.grid(color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    ax.margins(x=0.12, y=0.1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], color="#2166ac", marker="o", ls="", label="최적 증명 · proven optimal"),
               Line2D([], [], color="#2166ac", marker="o", mfc="white", ls="", label="미증명 · not proven"),
               Line2D([], [], color=HUB_COLOR, marker="*", mec="black", ms=11, ls="", label="선택된 점 · chosen")]
    ax.legend(handles=handles, fontsize=6.5, loc="lower right", frameon=False)
    ax.set_title("접근성과 역량의 절충 (파레토 경계) · the trade-off (Pareto frontier)", fontsize=8.5)
    return fig


def _rule_rows(policy, scenario, units, *, minutes: bool) -> list[dict]:
    """policy_costs.csv as rows for the summary: the rule in words and its price."""
    if policy is None or not len(policy):
        return []
    names = units["name_ko"] if "name_ko" in units.columns else pd.Series(dtype=str)
    rows = []
    for _, r in policy.iterrows():
        ko, en = rule_words(r["rule"], scenario, minutes=minutes)
        moved = [str(names.get(c, c)) for c in _split(r.get("hubs_only_with_rule", ""))]
        rows.append({"ko": ko, "en": en, "d_access": r.get("d_access_pct"), "d_cap": r.get("d_capability"),
                     "moved": ", ".join(moved)})
    return rows


def _signed(v, digits: int = 1, suffix: str = "") -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(f):
        return "–"
    return f"{f:+.{digits}f}{suffix}".replace("-", "−")


def _robust_rows(hubs: pd.DataFrame, s: pd.DataFrame, scenario, *, minutes: bool) -> list[dict]:
    """The hubs for the summary, core ones first: tiers, placed by, robustness, alternatives."""
    names = s["name_ko"]
    rows = []
    for code, h in hubs.sort_values("hub_rank").iterrows():
        robust = str(h.get("robustness", ""))
        alts = []
        for item in _split(h.get("contested_alternatives", "")):
            c, _, f = item.partition(":")
            alts.append(f"{names.get(c, c)} {float(f):.0%}" if f else str(names.get(c, c)))
        pk, pe = placed_by_words(h.get("placed_by", "optimisation"), scenario, minutes=minutes)
        rows.append({
            "hub_rank": int(h["hub_rank"]), "name_ko": h.get("name_ko", names.get(code, code)),
            "name_en": h.get("name_en", ""), "megaregion": h.get("megaregion", ""),
            "need_tier": _tier(hubs, s, code, "need_tier"), "cap_tier": _tier(hubs, s, code, "capability_tier"),
            "placed_ko": pk, "placed_en": pe, "core": robust == "core",
            "freq": h.get("freq_combined", h.get("selection_frequency")),
            "served": h.get("at_stake_served", h.get("need_served")),
            "mean": h.get("mean_spoke_minutes") if minutes else h.get("mean_spoke_distance_km"),
            "max": h.get("max_spoke_minutes") if minutes else h.get("max_spoke_distance_km"),
            "alts": ", ".join(alts),
        })
    total = float(np.nansum([float(r["served"]) for r in rows if r["served"] is not None]))
    for r in rows:
        r["share"] = float(r["served"]) / total if total and r["served"] is not None else None
    return sorted(rows, key=lambda r: (not r["core"], r["hub_rank"]))


def _tier(hubs: pd.DataFrame, s: pd.DataFrame, code: str, col: str) -> str:
    for t in (hubs, s):
        if col in t.columns and code in t.index and pd.notna(t.at[code, col]):
            return str(t.at[code, col])
    return "–"


def _robustness_words(h: pd.Series, scenario, *, minutes: bool) -> dict | None:
    """A hub card's lines on how it was placed, how robust it is and its best alternative."""
    if "robustness" not in h.index and "placed_by" not in h.index:
        return None
    pk, pe = placed_by_words(h.get("placed_by", "optimisation"), scenario, minutes=minutes)
    out = {"placed_ko": pk, "placed_en": pe, "robust_ko": "", "robust_en": "", "alt_ko": "", "alt_en": ""}
    f = h.get("freq_combined", h.get("selection_frequency"))
    if isinstance(h.get("robustness"), str):
        core = h["robustness"] == "core"
        fams = [(FAMILY_LABELS.get(c[5:], (c[5:], c[5:])), h[c]) for c in h.index
                if c.startswith("freq_") and c != "freq_combined" and pd.notna(h[c])]
        fk = ", ".join(f"{k} {float(v):.0%}" for (k, _), v in fams)
        fe = ", ".join(f"{e} {float(v):.0%}" for (_, e), v in fams)
        out["robust_ko"] = (f"{'핵심 거점' if core else '경합 거점'}: 재계산의 {_fmt_pct(f)}에서 선정"
                            + (f" ({fk})" if fk else ""))
        out["robust_en"] = (f"{'core hub' if core else 'contested hub'}: chosen in {_fmt_pct(f)} of the re-solves"
                            + (f" ({fe})" if fe else ""))
    alt = h.get("best_alternative_name")
    if isinstance(alt, str) and alt:
        da, dc = h.get("swap_d_access_pct"), h.get("swap_d_capability")
        out["alt_ko"] = (f"가장 나은 대안은 {alt}: 바꾸면 접근 시간 {_signed(da, 1, '%')}, "
                         f"거점 평균 역량 {_signed(dc, 1, '점')}.")
        out["alt_en"] = (f"Best alternative: {alt}; swapping changes access time by {_signed(da, 1, ' %')} "
                         f"and mean hub capability by {_signed(dc, 1)} points.")
    elif "best_alternative_name" in h.index:
        out["alt_ko"], out["alt_en"] = "바꿀 수 있는 대안 지역이 없습니다.", "No eligible alternative site."
    return out


# ---------------------------------------------------------------------------------------------
# helpers: hub profiles
# ---------------------------------------------------------------------------------------------


def _hub_profile(run, s: pd.DataFrame, hubs: pd.DataFrame, code: str, geoms) -> dict:
    h = hubs.loc[code]
    units = run.units
    spokes = _spokes_of(code, hubs, run.assignments)
    r = s.loc[code]
    pillars = list(run.scenario.pillar_names)
    median = s[pillars + ["score"]].median()
    return {
        "hub_rank": int(h["hub_rank"]), "code": code,
        "name_ko": units.at[code, "name_ko"], "name_en": units.at[code, "name_en"],
        "sido_ko": units.at[code, "sido_name_ko"] if "sido_name_ko" in units.columns else "",
        "sido_en": units.at[code, "sido_name_en"] if "sido_name_en" in units.columns else "",
        "megaregion": units.at[code, "megaregion"] if "megaregion" in units.columns else "",
        "tiers": _tiers(s, code),
        "rank": r["rank"], "score": r["score"], "p05": r.get("rank_p05"), "p95": r.get("rank_p95"),
        "p_top10": r.get("p_top10"), "freq": h.get("selection_frequency"),
        "n_spokes": len(spokes), "mean_km": h.get("mean_spoke_distance_km"), "max_km": h.get("max_spoke_distance_km"),
        "explanation_ko": h.get("explanation_ko"), "explanation_en": h.get("explanation_en"),
        "theme": _theme_line(None if run.plan is None else run.plan.network, code),
        "robust": _robustness_words(h, run.scenario, minutes=_uses_minutes(hubs)),
        "spokes": [{"name_ko": units.at[c, "name_ko"], "name_en": units.at[c, "name_en"], "km": km}
                   for c, km in spokes],
        "map_png": _png(_hub_map_figure(geoms, code, [c for c, _ in spokes], units), dpi=110),
        "pillar_png": _png(_pillar_figure(r, median, pillars), dpi=110),
        "indicators": _key_indicators(run, s, code),
    }


def _spokes_of(code: str, hubs: pd.DataFrame, assignments) -> list[tuple[str, float]]:
    """Spoke regions of a hub (hub itself excluded) with their distance, nearest first."""
    if assignments is not None:
        a = assignments.copy()
        a.index = _codes(a.index)
        mine = a[(a["hub_code"].astype("string") == code) & (a.index != code)]
        km = pd.to_numeric(mine["distance_km"], errors="coerce")
        return sorted(zip(mine.index, km), key=lambda t: (np.nan_to_num(t[1], nan=np.inf), t[0]))
    return [(c, np.nan) for c in _split(hubs.at[code, "spokes"])] if "spokes" in hubs.columns else []


def _key_indicators(run, s: pd.DataFrame, code: str, n: int = 6) -> list[dict]:
    """The indicators that give the hub the most points of its overall score."""
    meta, values = run.metadata, run.values
    contrib = {c[len("contrib_"):]: s.at[code, c] for c in s.columns if c.startswith("contrib_")}
    ranked = sorted(((i, v) for i, v in contrib.items() if pd.notna(v)), key=lambda t: -t[1])[:n]
    rows = []
    for i, pts in ranked:
        ko, en = _label(meta, i)
        col = pd.to_numeric(values[i], errors="coerce")
        direction = float(meta.at[i, "direction"]) if i in meta.index else 1.0
        val = col.get(code, np.nan)
        nat_rank = int((direction * col > direction * val).sum() + 1) if pd.notna(val) else None
        rows.append({
            "label_ko": ko, "label_en": en, "value": val, "unit": str(meta.at[i, "unit"]) if i in meta.index else "",
            "points": pts, "nat_rank": nat_rank, "n": int(col.notna().sum()),
            "source": _publisher(str(meta.at[i, "source"])) if i in meta.index else "",
            "as_of": str(meta.at[i, "as_of"]) if i in meta.index else "",
            "digits": _digits(val),
        })
    return rows


def _publisher(source: str) -> str:
    """An indicator's source as its first publisher's credit, with the number of others (the
    full list and the files are in the sources annex)."""
    from geo.maps import publisher

    credits = [c.strip() for c in publisher(source)[0].split(";") if c.strip()]
    if len(credits) <= 1:
        return credits[0] if credits else ""
    return f"{credits[0]} 외 {len(credits) - 1} · +{len(credits) - 1} more"


def _digits(v) -> int:
    if v is None or pd.isna(v):
        return 1
    a = abs(float(v))
    return 0 if a >= 1000 or float(v).is_integer() else 1 if a >= 10 else 2 if a >= 0.1 else 4


# ---------------------------------------------------------------------------------------------
# helpers: figures
# ---------------------------------------------------------------------------------------------


def _pick_cjk(entries) -> str | None:
    names = {e.name for e in entries}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    for n in sorted(names):
        if "CJK KR" in n or "Nanum" in n or n.endswith(" KR"):
            return n
    return None


@contextlib.contextmanager
def mpl_font(family: str):
    """Matplotlib settings of the pack's figures while the block runs: ``family`` (a CJK font,
    :func:`cjk_font`) with DejaVu Sans for the rest, 9 pt, a plain minus sign."""
    import matplotlib

    with matplotlib.rc_context({"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False,
                                "font.size": 9, "svg.fonttype": "path"}):
        yield


def _png(fig, *, dpi: int = 130) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def drawing_geometry(units):
    """Unit outlines simplified for small static maps (metres in geo.config.CRS, shape-true)."""
    from geo.config import CRS

    g = units.geometry
    if g.crs is not None and g.crs != CRS:
        g = g.to_crs(CRS)
    return g.simplify(250)


HUB_COLOR, SPOKE_COLOR, OTHER_COLOR = "#b2182b", "#f4a582", "#e6e6e6"


def _rank_interval_figure(s: pd.DataFrame, hubs, top: int):
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    t = s.sort_values("rank", kind="stable").head(top)
    n = len(t)
    fig = Figure(figsize=(7.2, 0.28 * n + 1.3))
    ax = fig.add_subplot()
    y = np.arange(n)
    is_hub = np.array([hubs is not None and c in hubs.index for c in t.index])
    col = np.where(is_hub, HUB_COLOR, "#2166ac")
    has_int = {"rank_p05", "rank_p95"} <= set(t.columns)
    if has_int:
        ax.hlines(y, t["rank_p05"], t["rank_p95"], colors=col, lw=5, alpha=0.35)
    if "rank_p50" in t.columns:
        ax.scatter(t["rank_p50"], y, marker="D", s=22, facecolors="white", edgecolors=col, zorder=3, lw=1.2)
    ax.scatter(t["rank"], y, marker="o", s=26, c=col, zorder=4)
    # names of same-named 구 already carry their 시도 (북구(대구)); others get it here
    labels = [f"{int(r['rank'])}. {r['name_ko']}" + ("" if str(r['name_ko']).endswith(")") else f" ({r.get('sido_name_ko', '')})")
              for _, r in t.iterrows()]
    ax.set_yticks(y, labels)
    for lab, h in zip(ax.get_yticklabels(), is_hub):
        if h:
            lab.set_color(HUB_COLOR)
            lab.set_fontweight("bold")
    ax.invert_yaxis()
    hi = float(np.nanmax(t["rank_p95"])) if has_int else float(t["rank"].max())
    ax.set_xlim(0, hi + 1)
    ax.set_xlabel("순위 (1 = 최상위) · rank (1 = best)")
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    handles = [Line2D([], [], color="#2166ac", marker="o", ls="", label="명목 순위 · nominal rank"),
               Line2D([], [], color="#2166ac", marker="D", mfc="white", ls="", label="중앙값 · median rank"),
               Line2D([], [], color="#2166ac", lw=5, alpha=0.35, label="5–95% 구간 · interval")]
    if hubs is not None:
        handles.append(Line2D([], [], color=HUB_COLOR, marker="o", ls="", label="제안 거점 · proposed hub"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09 - 2.0 / (0.28 * n + 1.3) * 0.1),
              ncol=2, fontsize=7.5, frameon=False)
    ax.set_title(f"상위 {n}개 후보의 순위 구간 · Rank intervals of the top {n} candidates", fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _overview_figure(geoms, hubs: pd.DataFrame, assignments, units):
    from matplotlib import colormaps
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.2, 7.0))
    ax = fig.add_subplot()
    cmap = colormaps["tab20"]
    order = list(hubs.sort_values("hub_rank").index)
    colors = {c: to_hex(cmap(i % 20)) for i, c in enumerate(order)}
    geoms = geoms.copy()
    geoms.index = _codes(geoms.index)
    face = pd.Series(OTHER_COLOR, index=geoms.index, dtype=object)
    if assignments is not None:
        a = assignments.copy()
        a.index = _codes(a.index)
        hub_of = a["hub_code"].astype("string").reindex(geoms.index)
        for c in geoms.index:
            h = hub_of.get(c)
            if h is not None and h is not pd.NA and h in colors:
                face[c] = colors[h]
    geoms.plot(ax=ax, color=list(face), edgecolor="white", linewidth=0.2, alpha=0.75)
    geoms.loc[order].plot(ax=ax, color=[colors[c] for c in order], edgecolor="black", linewidth=0.8)
    pts = geoms.loc[order].representative_point()
    for c, p in zip(order, pts):
        ax.plot(p.x, p.y, marker="*", ms=11, color="black", mec="white", mew=0.6)
        ax.annotate(f"{int(hubs.at[c, 'hub_rank'])} {units.at[c, 'name_ko']}", (p.x, p.y), xytext=(5, 3),
                    textcoords="offset points", fontsize=8, fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_axis_off()
    ax.set_aspect("equal")
    scale_bar(ax)
    ax.set_title("제안 거점과 배정 지역 · Proposed hubs and their regions (회색: 미포괄 · grey: uncovered)", fontsize=9)
    return fig


def _hub_map_figure(geoms, code: str, spokes: list[str], units):
    from matplotlib.figure import Figure

    geoms = geoms.copy()
    geoms.index = _codes(geoms.index)
    mine = [code, *spokes]
    x0, y0, x1, y1 = geoms.loc[mine].total_bounds
    w, h = x1 - x0, y1 - y0
    side = max(w, h, 40_000) * 1.12
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    fig = Figure(figsize=(3.6, 3.6))
    ax = fig.add_subplot()
    box = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    near = geoms.cx[box[0]:box[2], box[1]:box[3]]
    near.plot(ax=ax, color=OTHER_COLOR, edgecolor="white", linewidth=0.4)
    if spokes:
        geoms.loc[spokes].plot(ax=ax, color=SPOKE_COLOR, edgecolor="white", linewidth=0.5)
    geoms.loc[[code]].plot(ax=ax, color=HUB_COLOR, edgecolor="black", linewidth=0.6)
    pts = geoms.loc[mine].representative_point()
    hx, hy = pts.iloc[0].x, pts.iloc[0].y
    for p in pts.iloc[1:]:
        ax.plot([hx, p.x], [hy, p.y], color="#4d4d4d", lw=0.6, alpha=0.8)
    # label every spoke of a small hub; of a large one only the largest, so the names stay legible
    labelled = set(spokes) if len(spokes) <= 12 else set(geoms.loc[spokes].area.nlargest(10).index)
    small = 6.5 if len(spokes) > 12 else 7
    for c, p in zip(mine, pts):
        if c != code and c not in labelled:
            continue
        ax.annotate(str(units.at[c, "name_ko"]), (p.x, p.y), ha="center", va="center",
                    fontsize=8 if c == code else small, fontweight="bold" if c == code else "normal",
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_axis_off()
    scale_bar(ax)
    return fig


def scale_bar(ax) -> None:
    """A scale bar of a round length (1, 2 or 5 × 10^n m) about a fifth of the map's width."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    exp = 10 ** math.floor(math.log10(target))
    metres = max(m * exp for m in (1, 2, 5) if m * exp <= target)
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([x, x + metres], [y, y], color="black", lw=2, solid_capstyle="butt")
    ax.text(x + metres / 2, y + 0.015 * (y1 - y0), f"{metres / 1000:g} km", ha="center", va="bottom", fontsize=7)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def _pillar_figure(r: pd.Series, median: pd.Series, pillars: list[str]):
    from matplotlib.figure import Figure

    keys = [*pillars, "score"]
    fig = Figure(figsize=(3.6, 0.42 * len(keys) + 0.8))
    ax = fig.add_subplot()
    y = np.arange(len(keys))
    vals = [float(r.get(k, np.nan)) for k in keys]
    colors = ["#d6604d", "#4393c3", "#8073ac", "#5aae61", "#404040"][: len(keys)]
    if len(keys) > 5:
        colors = ["#4393c3"] * (len(keys) - 1) + ["#404040"]
    ax.barh(y, vals, color=colors, height=0.62)
    ax.scatter([median.get(k, np.nan) for k in keys], y, marker="|", s=200, color="black", zorder=3,
               label="전국 중앙값 · national median")
    for yi, v in zip(y, vals):
        if not math.isnan(v):
            ax.text(min(v + 1.5, 88), yi, f"{v:.1f}", va="center", fontsize=7.5)
    ax.set_yticks(y, [f"{PILLAR_LABELS.get(k, (k, k))[0]}\n{PILLAR_LABELS.get(k, (k, k))[1]}" for k in keys], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("점수 0–100 · score", fontsize=7.5)
    ax.legend(loc="lower right", fontsize=6.5, frameon=False, bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


# ---------------------------------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------------------------------

_TEMPLATE = r"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ scenario.title_ko }} — 제조혁신 거점 후보 보고서</title>
<style>
  @page { size: A4; margin: 11mm 12mm 12mm 12mm; }
  html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-family: {{ css_fonts|safe }}; color: #1a1a1a; font-size: 10.5pt; line-height: 1.5;
         max-width: 1000px; margin: 0 auto; padding: 0 12px;
         word-break: keep-all; overflow-wrap: break-word; }
  h1 { font-size: 20pt; margin: 0.2em 0 0; }
  h2 { font-size: 14pt; border-bottom: 2px solid #2166ac; padding-bottom: 2px; margin-top: 1.6em;
       break-after: avoid; }
  h3 { font-size: 12pt; margin: 0.2em 0; break-after: avoid; }
  .en { color: #5a5a5a; font-weight: normal; font-size: 0.82em; }
  p.en, li.en, div.en { font-size: 0.9em; margin-top: 0; }
  .sub { color: #444; margin: 0 0 0.6em; }
  table { border-collapse: collapse; width: 100%; font-size: 8.6pt; margin: 0.5em 0 1em; }
  th, td { border-bottom: 1px solid #d0d0d0; padding: 2px 5px; text-align: left; vertical-align: top; }
  th { background: #eef3f8; font-weight: 600; }
  th .en { display: block; font-size: 0.85em; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  tr.hub td { background: #fbeaea; }
  img { max-width: 100%; max-height: 160mm; }
  img.overview { max-height: 100mm; }
  #summary table { font-size: 8pt; margin: 0.3em 0; }
  #summary td, #summary th { padding: 1px 4px; }
  nav.toc { line-height: 1.3; }
  #summary p { margin: 0.2em 0; }
  .figrow { display: flex; gap: 8px; align-items: flex-start; justify-content: center; }
  .figrow > .fig { flex: 0 0 36%; margin: 0.2em 0; }
  .figrow > .side { flex: 1 1 64%; }
  .side .fig { margin: 0; }
  img.frontier { max-height: 45mm; }
  #summary .note { font-size: 7.2pt; line-height: 1.3; }
  #summary table { font-size: 7.4pt; line-height: 1.25; }
  #summary th .en { display: inline; }
  #summary tr.group td { background: #f2f2f2; font-weight: 600; }
  table.fixed { table-layout: fixed; }
  @media print {
    nav.toc { padding: 3px 10px; margin: 0.4em 0; font-size: 8pt; line-height: 1.25; }
    nav.toc ol { display: flex; flex-wrap: wrap; gap: 0 1.6em; padding-left: 1.2em; }
    header h1 { font-size: 17pt; }
    #summary h2 { margin-top: 0.6em; }
    .toc-hubs { display: none; }
  }
  .profile .fig img { max-height: 64mm; }
  .fig { text-align: center; margin: 0.4em 0; break-inside: avoid; }
  .profile { border: 1px solid #c8c8c8; border-radius: 4px; padding: 8px 12px; margin: 1em 0;
             break-inside: avoid; page-break-inside: avoid; }
  .profile .row { display: flex; gap: 10px; align-items: flex-start; }
  .profile .row > div { flex: 1 1 50%; }
  .facts { font-size: 9pt; color: #333; }
  .badge { display: inline-block; background: #2166ac; color: white; border-radius: 3px;
           padding: 0 6px; font-size: 9pt; margin-right: 4px; }
  .note { font-size: 8.5pt; color: #555; }
  .small { font-size: 7.8pt; }
  section.break { break-before: page; }
  table.sources, table.ind { table-layout: fixed; }
  table.sources td, td.small { overflow-wrap: anywhere; }
  th.n { white-space: normal; }
  ul { margin-top: 0.2em; }
  .profile { break-before: page; page-break-before: always; }
  .profile h2 { margin-top: 0; }
  .profile { font-size: 9.5pt; line-height: 1.4; }
  .profile p { margin: 0.3em 0; }
  .profile .fig img { max-height: 37mm; }
  .profile .robust { font-size: 8.6pt; }
  .profile table.ind { font-size: 7.8pt; margin: 0.3em 0; }
  .profile table.ind td, .profile table.ind th { padding: 1px 4px; }
  .profile .spokes { font-size: 7.5pt; line-height: 1.3; }
  nav.toc { border: 1px solid #d0d0d0; border-radius: 4px; padding: 6px 12px; margin: 0.8em 0; font-size: 9.5pt; }
  nav.toc ol { margin: 0.2em 0 0; padding-left: 1.4em; }
  nav.toc a { color: #2166ac; text-decoration: none; }
  .scroll { overflow-x: auto; }
  @media screen and (max-width: 640px) {
    body { font-size: 15px; padding: 0 8px; }
    h1 { font-size: 1.5em; }
    .profile { padding: 6px; }
    .profile .row { flex-direction: column; }
    table { display: block; overflow-x: auto; font-size: 12px; }
    table.sources, table.ind { table-layout: auto; }
  }
  @media print { nav.toc a { color: inherit; } }
</style>
</head>
<body>
<header>
  <p class="sub">제조혁신 네트워크 거점 후보 · Manufacturing-innovation network: hub candidates</p>
  <h1>{{ scenario.title_ko }}</h1>
  <p class="en">{{ scenario.title_en }}</p>
  <p class="note">시나리오 <code>{{ scenario.name }}</code> · 분석 단위 {{ n_units }}개 {{ unit_ko }} · 실행 시각과 입력 체크섬은 manifest.json · <span class="en">scenario {{ scenario.name }}, {{ n_units }} {{ unit_en }}; run time and input checksums in manifest.json</span></p>
</header>
<nav class="toc">
<b>차례 <span class="en">Contents</span></b>
<ol>
<li><a href="#summary">요약: 제안 거점 네트워크</a> <span class="en">Summary</span></li>
<li><a href="#hubs">거점별 카드</a> <span class="en">Hub cards</span>{% if profiles %}<span class="toc-hubs">: {% for p in profiles %}<a href="#hub-{{ p.hub_rank }}">{{ p.hub_rank }} {{ p.name_ko }}</a>{% if not loop.last %} · {% endif %}{% endfor %}</span>{% endif %}</li>
<li><a href="#candidates">상위 후보와 순위 구간</a> <span class="en">Top candidates</span></li>
<li><a href="#method">방법: 시나리오와 가중치</a> <span class="en">Method</span></li>
<li><a href="#sensitivity">민감도</a> <span class="en">Sensitivity</span></li>
<li><a href="#sources">자료 출처와 저작권 표시</a> <span class="en">Sources</span></li>
</ol>
</nav>


<section id="summary">
<h2>1. 요약: 제안 거점 네트워크 <span class="en">Summary: the proposed hub network</span></h2>
{% if not hubs %}
<p>이 실행에서는 거점 선정 단계가 실행되지 않아 제안 거점이 없습니다.</p>
<p class="en">The siting stage was not run, so no hubs are proposed in this report.</p>
{% else %}
{% for k in siting.ko %}<p>{{ k }}<br><span class="en">{{ siting.en[loop.index0] }}</span></p>{% endfor %}
<div class="figrow">
<div class="fig"><img class="overview" alt="거점 개요 지도 · overview map of hubs" src="{{ overview_png }}"></div>
{% if frontier_png or rule_rows %}<div class="side">
{% if frontier_png %}<div class="fig" id="frontier"><img class="frontier" alt="파레토 경계 · Pareto frontier" src="{{ frontier_png }}">
<p class="note">그림: 접근성과 역량의 절충. 점마다 거점 {{ hub_rows|length }}곳의 한 배치(최적 증명 여부 표시), 별 = 채택한 점. <span class="en">Figure: the access / capability trade-off; each point one layout of {{ hub_rows|length }} hubs (proven optimal or not), star = the point taken.</span></p></div>{% endif %}
{% if rule_rows %}
<table id="rules" class="fixed">
<colgroup><col style="width:47%"><col style="width:12%"><col style="width:12%"><col style="width:29%"></colgroup>
<thead><tr><th>정책 규칙의 가격<span class="en">Price of each rule</span></th><th class="n">Δ 접근<span class="en">access</span></th>
<th class="n">Δ 역량<span class="en">capability</span></th><th>규칙이 세운 거점<span class="en">Hubs it placed</span></th></tr></thead>
<tbody>
{% for r in rule_rows %}<tr><td>{{ r.ko }} <span class="en">{{ r.en }}</span></td><td class="n">{{ r.d_access|signed(1, '%') }}</td><td class="n">{{ r.d_cap|signed(1) }}</td><td>{{ r.moved or '없음 · none' }}</td></tr>
{% endfor %}
</tbody></table>
<p class="note">같은 모형을 규칙 없이 다시 푼 결과와 비교(있을 때 − 없을 때): Δ 접근 +이면 접근 비용(%)이 늘고, Δ 역량 −이면 거점 평균 역량(점)이 낮아집니다. <span class="en">Against the same model solved without the rule (with − without): + access = higher access cost (%), − capability = less capable hubs (points).</span></p>
{% endif %}
</div>{% endif %}
</div>
{% if robust_rows %}
<table id="robust" class="fixed">
<colgroup><col style="width:3%"><col style="width:14%"><col style="width:9%"><col style="width:36%"><col style="width:7%"><col style="width:7%"><col style="width:9%"><col style="width:15%"></colgroup>
<thead><tr><th class="n">#</th><th>거점 <span class="en">Hub</span></th><th>필요/역량 <span class="en">Tiers</span></th><th>선정 방식 <span class="en">Placed by</span></th>
<th class="n">빈도 <span class="en">Chosen</span></th><th class="n">수요 <span class="en">Demand</span></th>
<th class="n">{{ '분' if minutes else 'km' }} <span class="en">{{ 'Min' if minutes else 'km' }}</span></th><th>경합 대안 <span class="en">Contenders</span></th></tr></thead>
<tbody>
{% for h in robust_rows %}{% if loop.first or h.core != loop.previtem.core %}<tr class="group"><td colspan="8">{% if h.core %}핵심 거점 · core hubs (재계산의 80% 이상에서 선정 · chosen in ≥ 80% of the re-solves){% else %}경합 거점 · contested hubs (80% 미만 · below 80%){% endif %}</td></tr>
{% endif %}<tr><td class="n">{{ h.hub_rank }}</td><td>{{ h.name_ko }} <span class="en">{{ h.megaregion }}</span></td><td>{{ h.need_tier }} / {{ h.cap_tier }}</td>
<td>{{ h.placed_ko }} <span class="en">{{ h.placed_en }}</span></td><td class="n">{{ h.freq|pct }}</td><td class="n">{{ h.share|pct }}</td>
<td class="n">{{ h.mean|num(0) }} / {{ h.max|num(0) }}</td><td class="small">{{ h.alts or '–' }}</td></tr>
{% endfor %}
</tbody></table>
{% else %}
<table>
<thead><tr><th class="n">#</th><th>거점<span class="en">Hub</span></th><th>권역<span class="en">Megaregion</span></th>
{% if any_tiers %}<th>등급<span class="en">Tiers</span></th>{% endif %}<th class="n">종합 순위<span class="en">Overall rank</span></th><th class="n">종합 점수<span class="en">Score</span></th>
<th class="n">연계 지역<span class="en">Spokes</span></th><th class="n">담당 수요<span class="en">Demand served</span></th>
<th class="n">평균 / 최대 거리 (km)<span class="en">Mean / max distance</span></th><th class="n">선정 빈도<span class="en">Selection frequency</span></th></tr></thead>
<tbody>
{% for h in hub_rows %}<tr><td class="n">{{ h.hub_rank }}</td><td>{{ h.name_ko }} <span class="en">{{ h.name_en }}</span></td><td>{{ h.megaregion }}</td>
{% if any_tiers %}<td>{{ h.tiers }}</td>{% endif %}<td class="n">{{ h.rank|num(0) }}</td><td class="n">{{ h.score|num }}</td><td class="n">{{ h.n_spokes|num(0) }}</td><td class="n">{{ h.need_served|num(0) }}</td>
<td class="n">{{ h.mean_km|num(0) }} / {{ h.max_km|num(0) }}</td><td class="n">{{ h.freq|pct }}</td></tr>
{% endfor %}
</tbody></table>
<p class="note">번호: 담당 수요(필요 점수 합) 순이며 종합 순위가 아닙니다. 선정 빈도: 몬테카를로 추출마다 거점 선정을 다시 풀었을 때 이 지역이 거점으로 뽑힌 비율. <span class="en">#: order by need served, not the overall rank. Selection frequency: share of Monte Carlo draws in which re-solving the siting picks the region as a hub.</span></p>
{% endif %}
{% if robust_rows %}<p class="note">#: 담당 수요 순(종합 순위 아님). 빈도: 지수 추출, 수요 정의, 하한 ±5점, 거점 수 ±1, 권역 규칙 해제로 다시 풀었을 때 뽑힌 비율(묶음별 같은 비중). 수요: 담당 수요의 비중. {{ '분' if minutes else 'km' }}: 연계 지역까지 평균 / 최대. 경합 대안: 같은 권역에서 그 자리를 대신 차지한 지역과 빈도. <span class="en">#: order by demand served (not the overall rank). Chosen: share of the re-solves (index draws, demand definition, thresholds ±5, k ± 1, 권역 rule off; families weighted equally). Demand: share of the demand served. {{ 'Min' if minutes else 'km' }}: mean / max to the spokes. Contenders: regions of the same 권역 that take the slot instead.</span></p>{% endif %}

{% endif %}
</section>

<section id="hubs">
{% if hubs %}
{% for p in profiles %}
<div class="profile" id="hub-{{ p.hub_rank }}">
{% if loop.first %}<h2>2. 거점별 카드 <span class="en">Hub cards</span></h2>
<p class="note">전국 순위: 지표의 방향을 반영한 순위(1 = 필요 또는 역량이 가장 큼). 점수 기여: 종합 점수 중 이 지표 몫(점). <span class="en">National rank: by the indicator's direction (1 = most need or capability). Points: the part of the overall score owed to the indicator.</span></p>
{% endif %}
<h3><span class="badge">{{ p.hub_rank }}</span>{{ p.name_ko }} <span class="en">{{ p.name_en }}</span>
  <span class="note">{{ p.sido_ko }} · {{ p.megaregion }}</span></h3>
<p class="facts">{% if p.tiers %}등급 · tiers: {{ p.tiers }}; {% endif %}종합 {{ p.rank|num(0) }}위 (90% 구간 {{ p.p05|num(0) }}–{{ p.p95|num(0) }}위), 종합 점수 {{ p.score|num }}, 상위 10위 확률 {{ p.p_top10|pct }}{% if p.freq is not none %}, 선정 빈도 {{ p.freq|pct }}{% endif %};
 연계 지역 {{ p.n_spokes }}곳{% if p.n_spokes and p.mean_km is not none %}, 평균 {{ p.mean_km|num(0) }} km, 최대 {{ p.max_km|num(0) }} km{% endif %}.<br>
<span class="en">Overall rank {{ p.rank|num(0) }} (90% interval {{ p.p05|num(0) }}–{{ p.p95|num(0) }}), score {{ p.score|num }}, P(top 10) {{ p.p_top10|pct }}{% if p.freq is not none %}, selection frequency {{ p.freq|pct }}{% endif %}; {{ p.n_spokes }} spoke regions.</span></p>
{% if p.explanation_ko %}<p>{{ p.explanation_ko }}</p>{% endif %}
{% if p.explanation_en %}<p class="en">{{ p.explanation_en }}</p>{% endif %}
{% if p.robust %}<p class="facts robust">선정 방식 · placed by: {{ p.robust.placed_ko }} <span class="en">{{ p.robust.placed_en }}</span>{% if p.robust.robust_ko %}. {{ p.robust.robust_ko }}{% endif %}{% if p.robust.alt_ko %}. {{ p.robust.alt_ko }}{% endif %}<br>
<span class="en">{% if p.robust.robust_en %}{{ p.robust.robust_en|capitalize_first }}. {% endif %}{{ p.robust.alt_en }}</span></p>{% endif %}
{% if p.theme %}<p>주제 · Theme: {{ p.theme }}</p>{% endif %}
<div class="row">
  <div class="fig"><img alt="{{ p.name_ko }} 거점과 연계 지역 지도" src="{{ p.map_png }}"></div>
  <div class="fig"><img alt="{{ p.name_ko }} 기둥별 점수" src="{{ p.pillar_png }}"></div>
</div>
<table class="ind">
<colgroup><col style="width:29%"><col style="width:10%"><col style="width:12%"><col style="width:10%"><col style="width:8%"><col style="width:31%"></colgroup>
<thead><tr><th>주요 지표<span class="en">Key indicator</span></th><th class="n">값<span class="en">Value</span></th><th>단위<span class="en">Unit</span></th>
<th class="n">전국 순위<span class="en">National rank</span></th><th class="n">점수 기여<span class="en">Points</span></th><th>출처 · 기준 시점<span class="en">Source · as of</span></th></tr></thead>
<tbody>
{% for i in p.indicators %}<tr><td>{{ i.label_ko }}<br><span class="en">{{ i.label_en }}</span></td><td class="n">{{ i.value|num(i.digits) }}</td><td>{{ i.unit }}</td>
<td class="n">{% if i.nat_rank %}{{ i.nat_rank }} / {{ i.n }}{% else %}–{% endif %}</td><td class="n">{{ i.points|num }}</td><td class="small">{{ i.source }} · {{ i.as_of }}</td></tr>
{% endfor %}
</tbody></table>
<p class="facts spokes"><b>연계 지역</b> <span class="en">Spokes</span>:
{% for sp in p.spokes %}{{ sp.name_ko }}{% if sp.km == sp.km and sp.km is not none %} ({{ sp.km|num(0) }} km){% endif %}{% if not loop.last %}, {% endif %}{% else %}없음 · none{% endfor %}</p>
</div>
{% endfor %}
{% else %}<h2>2. 거점별 카드 <span class="en">Hub cards</span></h2>
<p>제안 거점 없음 · no hubs proposed</p>{% endif %}
</section>
{{ network_html|safe }}

<section id="candidates" class="break">
<h2>3. 상위 후보와 순위 구간 <span class="en">Top candidates and their rank intervals</span></h2>
{% if matrix_png %}<p>필요 지수(위기에 처한 제조업)와 역량 지수(기반·지식·연결성)는 서로 다른 질문에 답합니다. 점선은 두 지수의 중앙값, 원의 크기는 위기에 처한 제조업 규모(at_stake)입니다.</p>
<p class="en">The need index (manufacturing at stake) and the capability index (base, knowledge, connectivity) answer different questions. Dashed lines: each index's median; marker area: the manufacturing at stake.</p>
<div class="fig"><img alt="필요 × 역량 · need × capability matrix" src="{{ matrix_png }}"></div>
{% endif %}
<p>종합 점수 상위 {{ top_rows|length }}개 지역입니다. 점은 시나리오 가중치 그대로의 순위, 막대는 가중치와 방법을 {{ draws|num(0) }}번 바꾸었을 때 순위가 90%의 경우 머무는 범위(5–95%)입니다.{% if hubs %} 붉은색은 제안 거점입니다.{% endif %}</p>
<p class="en">The {{ top_rows|length }} regions with the highest overall score. Dots: rank under the scenario's own weights; bars: the range holding the rank in 90% of {{ draws|num(0) }} draws of weights and methods (5–95%).{% if hubs %} Proposed hubs in red.{% endif %}</p>
<div class="fig"><img alt="순위 구간 그림 · rank interval chart" src="{{ interval_png }}"></div>
<table>
<thead><tr><th class="n">순위<span class="en">Rank</span></th><th>지역<span class="en">Region</span></th><th>권역<span class="en">Megaregion</span></th>
<th class="n">종합<span class="en">Score</span></th>
{% for p, ko, en in pillars %}<th class="n">{{ ko }}<span class="en">{{ en }}</span></th>{% endfor %}
<th class="n">순위 구간<span class="en">Rank p05–p95</span></th><th class="n">상위 10위 확률<span class="en">P(top 10)</span></th><th class="n">거점<span class="en">Hub</span></th></tr></thead>
<tbody>
{% for r in top_rows %}<tr{% if r.hub %} class="hub"{% endif %}><td class="n">{{ r.rank }}</td>
<td>{{ r.name_ko }} <span class="en">{{ r.name_en }}</span><br><span class="small">{{ r.sido }}</span></td><td>{{ r.megaregion }}</td>
<td class="n">{{ r.score|num }}</td>{% for v in r.pillars %}<td class="n">{{ v|num }}</td>{% endfor %}
<td class="n">{{ r.p05|num(0) }}–{{ r.p95|num(0) }}</td><td class="n">{{ r.p_top10|pct }}</td><td class="n">{{ r.hub or '' }}</td></tr>
{% endfor %}
</tbody></table>
</section>

<section id="method" class="break">
<h2>4. 방법: 시나리오와 가중치 <span class="en">Method: scenario and weights</span></h2>
{% if scenario.description %}<p class="en">{{ scenario.description }}</p>{% endif %}
<ul>
{% for k in words.ko %}<li>{{ k }}<br><span class="en">{{ words.en[loop.index0] }}</span></li>
{% endfor %}
</ul>
<table>
<thead><tr><th>기둥<span class="en">Pillar</span></th><th class="n">기둥 비중<span class="en">Pillar weight</span></th>
<th>지표<span class="en">Indicator</span></th><th>단위<span class="en">Unit</span></th>
<th class="n">기둥 내 비중<span class="en">Within pillar</span></th><th class="n">종합 점수 내 비중<span class="en">Of overall score</span></th></tr></thead>
<tbody>
{% for r in pillar_rows %}<tr><td>{{ r.pillar_ko }} <span class="en">{{ r.pillar_en }}</span></td><td class="n">{{ r.pillar_weight|pct }}</td>
<td>{{ r.label_ko }}<br><span class="en">{{ r.label_en }}</span></td><td>{{ r.unit }}</td>
<td class="n">{{ r.within|pct }}</td><td class="n">{{ r.overall|pct(1) }}</td></tr>
{% endfor %}
</tbody></table>
</section>

<section id="sensitivity" class="break">
<h2>5. 민감도: 무엇이 순위를 움직이는가 <span class="en">Sensitivity: what moves the ranking</span></h2>
{% if sens %}
{% if sens.lead %}
<p>가중치와 방법을 {{ sens.draws|num(0) }}번 바꾼 결과, 상위 후보들(5% 순위가 {{ sens.top }}위 안인 지역)의 순위를 가장 많이 움직이는 요인은 <b>{{ sens.lead.factor_ko }}</b>로, 순위 분산의 {{ sens.lead.top|pct }}를 혼자 설명합니다(전체 지역 기준 {{ sens.lead.all|pct }}).
{% if sens.worst %} 방법 중에서는 <b>{{ sens.worst.option_ko }}</b> 방식을 쓸 때 순위가 평균 {{ sens.worst.shift|num }}단계 움직여 가장 크게 달라집니다(전체 평균 {{ sens.all_shift|num }}단계).{% endif %}
{% if sens.widest %} 상위 {{ top }}위 안에서 순위 구간이 가장 넓은 곳은 {{ sens.widest.name_ko }}({{ sens.widest.rank }}위, {{ sens.widest.p05|num(0) }}–{{ sens.widest.p95|num(0) }}위)입니다.{% endif %}
{% if sens.stable %} 모든 추출의 95%에서 {{ sens.top }}위 안에 드는 지역: {{ sens.stable|join(', ') }}.{% endif %}</p>
<p class="en">Over {{ sens.draws|num(0) }} draws of weights and methods, the factor that moves the ranks of the leading candidates (regions whose 5% rank is within the top {{ sens.top }}) most is the <b>{{ sens.lead.factor_en|lower }}</b>: alone it explains {{ sens.lead.top|pct }} of their rank variance ({{ sens.lead.all|pct }} over all regions).
{% if sens.worst %} Among the methods, <b>{{ sens.worst.option_en }}</b> changes the ranking most (mean shift {{ sens.worst.shift|num }} places; {{ sens.all_shift|num }} over all draws).{% endif %}
{% if sens.widest %} Within the top {{ top }}, {{ sens.widest.name_en }} has the widest interval (rank {{ sens.widest.rank }}, {{ sens.widest.p05|num(0) }}–{{ sens.widest.p95|num(0) }}).{% endif %}
{% if sens.stable_en %} In the top {{ sens.top }} in 95% of the draws: {{ sens.stable_en|join(', ') }}.{% endif %}</p>
{% endif %}
<table>
<thead><tr><th>요인<span class="en">Factor</span></th><th class="n">설명 비율: 상위 후보<span class="en">Share explained: leading candidates</span></th>
<th class="n">설명 비율: 전체<span class="en">Share explained: all regions</span></th><th class="n">추출 범위 (5–95%)<span class="en">Range drawn</span></th></tr></thead>
<tbody>
{% for r in sens.rows %}<tr><td>{{ r.factor_ko }} <span class="en">{{ r.factor_en }}</span></td><td class="n">{{ r.top|pct }}</td><td class="n">{{ r.all|pct }}</td>
<td class="n">{% if r.p05 == r.p05 and r.p05 is not none %}{{ r.p05|pct }}–{{ r.p95|pct }}{% else %}–{% endif %}</td></tr>
{% endfor %}
</tbody></table>
<p class="note">1차 민감도 지수(Sobol 주효과): 한 요인만으로 설명되는 순위 분산의 비율. 가중치는 합이 1이어서 서로 얽혀 있으므로 합이 1이 되지 않습니다. <span class="en">First-order (Sobol main-effect) share of the rank variance explained by one factor alone; the weights sum to 1 and depend on each other, so the shares need not add up to 1.</span></p>
<table>
<thead><tr><th>방법<span class="en">Method</span></th><th>선택지<span class="en">Option</span></th><th class="n">추출 수<span class="en">Draws</span></th>
<th class="n">평균 순위 이동<span class="en">Mean rank shift</span></th><th class="n">상위 {{ sens.top }} 유지율<span class="en">Top-{{ sens.top }} overlap</span></th></tr></thead>
<tbody>
{% for r in sens.methods %}<tr><td>{{ r.factor_ko }} <span class="en">{{ r.factor_en }}</span></td><td>{{ r.option_ko }} <span class="en">{{ r.option_en }}</span></td>
<td class="n">{{ r.draws|num(0) }}</td><td class="n">{{ r.shift|num }}</td><td class="n">{{ r.overlap|pct }}</td></tr>
{% endfor %}
</tbody></table>
{% else %}
<p>불확실성 분석이 실행되지 않았습니다. <span class="en">No uncertainty analysis in this run.</span></p>
{% endif %}
</section>

<section id="sources" class="break">
<h2>6. 자료 출처와 저작권 표시 <span class="en">Data sources and attribution</span></h2>
<p>이 보고서의 수치는 모두 아래 자료에서 계산했습니다. <span class="en">Every figure in this report is computed from the files below.</span></p>
<table class="sources">
<colgroup><col style="width:22%"><col style="width:30%"><col style="width:9%"><col style="width:17%"><col style="width:22%"></colgroup>
<thead><tr><th>자료<span class="en">Data</span></th><th>출처<span class="en">Source</span></th><th>기준 시점<span class="en">As of</span></th><th>이용 조건<span class="en">Licence</span></th><th>파일<span class="en">File</span></th></tr></thead>
<tbody>
{% for r in sources %}<tr><td>{{ r.title }}</td><td>{{ r.source }}{% if r.source_url %}<br><span class="small">{{ r.source_url }}</span>{% endif %}</td><td>{{ r.as_of }}</td><td>{{ r.licence }}</td><td class="small">{{ r.path }}</td></tr>
{% endfor %}
</tbody></table>
<h3>출처 표시 <span class="en">Attribution</span></h3>
<ul class="small">
{% for a in attributions %}<li>{{ a }}</li>
{% endfor %}
</ul>
</section>
</body>
</html>
"""
