"""Travel times: road bands, island links, user OD matrices, connectivity measures.

Logic on the synthetic 3×3 grid plus an island (conftest.py); golden figures and
the check table on the real 229 시군구.
"""

import numpy as np
import pandas as pd
import pytest

from geo import network as N
from geo import traveltime as T
from geo.errors import InputError
from geo.regions import load_units

BANDS = ((10.0, 25.2), (30.0, 56.6), (np.inf, 86.0))


@pytest.fixture(scope="module")
def grid_links():
    return pd.DataFrame([{"link_id": "ferry", "mode": "sea", "island_unit": "isl", "island_port": "섬항",
                          "mainland_unit": "r12", "mainland_port": "셀항", "minutes": 30.0,
                          "source_url": "https://example.org", "source_says": "synthetic"}])


# --------------------------------------------------------------------------- fixture logic
def test_road_minutes_integrates_the_bands():
    assert T.road_minutes(5.0, bands=BANDS) == pytest.approx(5 / 25.2 * 60)
    assert T.road_minutes(30.0, bands=BANDS) == pytest.approx(10 / 25.2 * 60 + 20 / 56.6 * 60)
    assert T.road_minutes(100.0, bands=BANDS) == pytest.approx(10 / 25.2 * 60 + 20 / 56.6 * 60 + 70 / 86 * 60)
    # the shipped parameters are these bands
    assert T.road_bands() == BANDS


def test_grid_road_and_island_by_hand(grid, grid_links):
    tt = T.travel_times(grid, rail=False, links=grid_links)
    m = tt.minutes
    c = grid.geometry.centroid.to_crs("EPSG:4326")
    gc = N.haversine_km(c["r00"].x, c["r00"].y, c["r01"].x, c["r01"].y)
    assert m.loc["r00", "r01"] == pytest.approx(float(T.road_minutes(gc * 1.26)))
    assert tt.mode_of("r00", "r01") == "road"
    # the island is reached only through its ferry at r12: ferry + 10 min terminal + road leg
    assert m.loc["isl", "r12"] == pytest.approx(30.0 + 10.0)
    assert m.loc["isl", "r00"] == pytest.approx(40.0 + m.loc["r12", "r00"])
    assert tt.mode_of("r00", "isl") == "sea"
    assert np.allclose(m.to_numpy(), m.to_numpy().T)
    assert (np.diag(m.to_numpy()) == 0).all()
    assert list(m.index) == list(grid.index) == list(m.columns)


def test_grid_island_without_link_is_road(grid):
    no_links = pd.DataFrame(columns=["link_id", "mode", "island_unit", "island_port", "mainland_unit",
                                     "mainland_port", "minutes", "source_url", "source_says"])
    tt = T.travel_times(grid, rail=False, links=no_links)
    assert tt.mode_of("isl", "r12") == "road"


def test_connectivity_by_hand():
    idx = pd.Index(["a", "b", "c"], name="region_code")
    cost = pd.DataFrame([[0, 30, 90], [30, 0, 60], [90, 60, 0]], index=idx, columns=idx, dtype=float)
    assert T.harmonic_minutes(cost)["a"] == pytest.approx(1 / 30 + 1 / 90)
    mass = pd.Series([1.0, 2.0, 4.0], index=idx)
    assert T.hansen(cost, mass)["a"] == pytest.approx(1 + 2 * 2 ** (-30 / 45) + 4 * 2 ** (-2))
    pop = pd.Series([1.0, 1.0, 2.0], index=idx)
    assert T.reach_share(cost, pop, 60)["a"] == pytest.approx(0.5)
    assert T.reach_share(cost, pop, 60)["c"] == pytest.approx(0.75)


def test_harmonic_on_distance_matrix_equals_old_graph_path(grid):
    """With the time matrix replaced by the old distance matrix, harmonic closeness equals
    the old code path (networkx harmonic on the complete distance graph: great-circle
    distances obey the triangle inequality, so the direct link is the shortest path)."""
    import networkx as nx

    d = N.distance_matrix(grid)
    G = nx.Graph()
    for a in d.index:
        for b in d.columns:
            if a < b:
                G.add_edge(a, b, distance_km=float(d.loc[a, b]))
    old = N.centrality(G, weight="distance_km", fast=False, measures=("harmonic",))["harmonic"]
    assert T.harmonic_minutes(d).to_dict() == pytest.approx(old.to_dict(), rel=1e-12)
    # and the knowledge network fed the distance matrix equals its default (old) path
    mass = pd.Series(np.arange(1.0, len(grid) + 1), index=grid.index)
    a = N.knowledge_network(grid, mass, mass[::-1].set_axis(grid.index), distance_km=d)
    b = N.knowledge_network(grid, mass, mass[::-1].set_axis(grid.index))
    assert sorted(a.edges) == sorted(b.edges)


# --------------------------------------------------------------------------- user OD matrix
def _write(tmp_path, text):
    p = tmp_path / "od.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_od_matrix_overrides_pair_by_pair(grid, grid_links, tmp_path):
    p = _write(tmp_path, "origin,destination,minutes,mode\nr00,r01,7,\nr01,r00,8,road\n")
    od = T.read_od_matrix(p, grid)
    tt = T.travel_times(grid, rail=False, links=grid_links, od_matrix=od)
    assert tt.minutes.loc["r00", "r01"] == 7 and tt.minutes.loc["r01", "r00"] == 8
    assert tt.mode_of("r00", "r01") == "user" and tt.mode_of("r01", "r00") == "road"
    long = tt.long()
    row = long[(long["origin"] == "r00") & (long["destination"] == "r01")].iloc[0]
    assert row["source"] == str(p)
    assert (long["source"] == "proxy").sum() == len(long) - 2
    assert tt.report["value"].iloc[0] == f"{10 * 9 - 2} of 90 pairs"


def test_od_matrix_problems_listed_with_rows(grid, tmp_path):
    p = _write(tmp_path, "origin,destination,minutes\nr00,r01,7\nr00,r01,9\nr01,r02,-3\nr02,r10,0\n"
                         "zz,r00,5\nr10,r11,abc\nr11,r12,10\nr12,r11,40\nr20,r20,5\n")
    p2 = _write(tmp_path, "origin,destination,minutes,mode\nr00,r01,7,bus\n")
    with pytest.raises(InputError, match="row 2, column 'mode': 'bus'"):
        T.read_od_matrix(p2, grid)
    p = _write(tmp_path, "origin,destination,minutes\nr00,r01,7\nr00,r01,9\nr01,r02,-3\nr02,r10,0\n"
                         "zz,r00,5\nr10,r11,abc\nr11,r12,10\nr12,r11,40\nr20,r20,5\n")
    with pytest.raises(InputError) as e:
        T.read_od_matrix(p, grid)
    msg = str(e.value)
    for part in ("rows 2, 3: the pair r00–r01 appears more than once", "row 4, column 'minutes'",
                 "row 5, column 'minutes'", "row 6, column 'origin': 'zz'", "row 7, column 'minutes': 'abc'",
                 "row 8: r11→r12 10 min and r12→r11 40 min differ", "row 10, column 'minutes': a unit to itself"):
        assert part in msg


def test_od_matrix_codes_of_any_vintage(tmp_path):
    units = load_units("sgg")
    # 청원군 (abolished 2014, KOSTAT 2010 code 33340) → 청주시 33040; 군위군's MOIS 2024 code 27720
    p = _write(tmp_path, "origin,destination,minutes\n청원군,11010,95\n27720,11010,180\n")
    od = T.read_od_matrix(p, units)
    assert od["origin"].tolist() == ["33040", "37310"]


# --------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def sgg():
    return load_units("sgg")


@pytest.fixture(scope="module")
def rail():
    from geo import stations

    return stations.load_rail()


@pytest.fixture(scope="module")
def sgg_times(sgg, rail):
    return T.travel_times(sgg, rail=rail)


def test_sgg_matrix_shape_and_modes(sgg, sgg_times):
    m = sgg_times.minutes
    assert m.shape == (229, 229) and list(m.index) == list(sgg.index)
    assert np.isfinite(m.to_numpy()).all()
    assert np.allclose(m.to_numpy(), m.to_numpy().T)
    off = m.to_numpy()[~np.eye(229, dtype=bool)]
    assert off.min() > 0


def test_jeju_not_reached_by_road(sgg_times, sgg):
    for j in ("39010", "39020"):
        modes = {sgg_times.mode_of(j, k) for k in sgg.index if k not in ("39010", "39020", j)}
        assert modes <= {"air", "sea"}
    assert sgg_times.mode_of("39010", "39020") == "road"
    assert sgg_times.mode_of("37430", "37010") == "sea"  # 울릉군 – 포항시
    assert sgg_times.mode_of("23320", "23010") == "sea"  # 옹진군 – 인천 중구


def test_seoul_busan_by_ktx_under_three_hours(sgg_times):
    assert sgg_times.mode_of("11020", "21030") == "rail"  # 서울 중구 – 부산 동구
    assert sgg_times.minutes.loc["11020", "21030"] < 180
    # island time: 김포 (강서구) – 제주시 = flight 65 + terminal 60 (origins hold the airports)
    assert sgg_times.minutes.loc["11160", "39010"] == pytest.approx(125.0)


def test_check_table_within_stated_error(sgg, rail):
    """The README states the proxy's error on the published pairs: every pair within ±50 %,
    median absolute error ≤ 13 % (road), ≤ 10 % (rail), ≤ 5 % (island crossings)."""
    c = T.check_table(sgg, rail=rail)
    assert len(c) >= 15 and set(c["kind"]) == {"road", "rail", "island"}
    assert c["source_url"].str.startswith("http").all()
    assert c["error_pct"].abs().max() <= 50
    med = c.groupby("kind")["error_pct"].apply(lambda s: s.abs().median())
    assert med["road"] <= 13 and med["rail"] <= 10 and med["island"] <= 5


def test_connectivity_real_figures(sgg, sgg_times):
    from geo.indicators import build_indicators

    ind = build_indicators(sgg).values
    pop = T.origins(sgg)["pop"]
    assert pop.sum() > 4.9e7  # the 2020 census population behind the origins
    conn = T.connectivity(sgg_times.minutes, mfg=ind["mfg_va_2020"], knowledge=ind["univ_count"] + ind["research_count"],
                          population=pop)
    assert conn.loc["39010", "conn_reach_60"] < 2  # 제주시: only Jeju within an hour
    assert conn["conn_reach_90"].max() > 40  # 수도권: about half the country within 90 minutes
    # 포항 reaches 서울 by rail (KTX from 동대구; the 포항 KTX branch is not in the shipped tables)
    assert sgg_times.mode_of("37010", "11020") == "rail"
    assert sgg_times.minutes.loc["37010", "11020"] < 200


def test_scenario_od_matrix_reaches_the_run(tmp_path):
    """``network.od_matrix`` in a scenario overrides pairs in r.times and travel_times.csv."""
    from pathlib import Path

    import yaml

    from geo import pipeline

    national = Path(__file__).resolve().parent.parent / "data" / "scenarios" / "national.yaml"
    (tmp_path / "od.csv").write_text("origin,destination,minutes,mode\n37010,11020,150,rail\n11020,37010,150,rail\n",
                                     encoding="utf-8")
    raw = yaml.safe_load(national.read_text(encoding="utf-8"))
    raw["name"] = "with_od"
    raw["network"]["od_matrix"] = "od.csv"
    path = tmp_path / "with_od.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = pipeline.run(path, until="network", out=tmp_path / "out", maps_dir=tmp_path / "maps").out
    tt = pd.read_csv(out / "travel_times.csv", dtype={"origin": str, "destination": str}, encoding="utf-8-sig")
    row = tt[(tt["origin"] == "37010") & (tt["destination"] == "11020")].iloc[0]
    assert row["minutes"] == 150 and row["mode"] == "rail" and row["source"].endswith("od.csv")
    assert len(tt) == 229 * 228
    rep = pd.read_csv(out / "match_report.csv", encoding="utf-8-sig")
    assert rep["reason"].str.contains("keep the proxy travel time").any()
    cent = pd.read_csv(out / "centrality.csv", dtype={"region_code": str}, encoding="utf-8-sig")
    for col in pipeline.CONNECTIVITY_IDS + ("conn_betweenness", "conn_rail_stations", "knowledge_pagerank"):
        assert col in cent.columns
