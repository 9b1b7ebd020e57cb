"""The committee workbook (``hub_candidates.xlsx``): formatted sheets with Korean and English
header rows, number formats, widths, frozen panes and print settings.

Headers and formats come from :data:`COLUMNS`; an indicator column takes its label and unit
from the indicator metadata. Text that a spreadsheet would run as a formula stays text.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from geo import io
from geo.labels import FAMILIES, TIERS, score_label


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


def _column_spec(col: str, metadata: pd.DataFrame | None) -> tuple[str, str, str | None, int]:
    if col in COLUMNS:
        return COLUMNS[col]
    if col.startswith("freq_"):  # selection frequency of one robustness family
        ko, en = FAMILIES.get(col[5:], (col[5:], col[5:]))
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
