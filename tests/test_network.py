"""The region network: borders, island links, rail placement, knowledge gravity, centralities.

Logic on the synthetic fixture of conftest.py (a 3×3 grid of 1 km squares plus one island square); golden
figures on the real 229 시군구 and 2020 읍면동 boundaries; every centrality against networkx.
"""

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import network as N
from geo import stations as S
from geo.errors import InputError
from geo.regions import load_units


@pytest.fixture(scope="module")
def units():
    return load_units("sgg")


@pytest.fixture(scope="module")
def rail():
    return S.load_rail()


@pytest.fixture(scope="module")
def sgg_network(units, rail):
    return N.build_network_with_rail(units, rail=rail)


@pytest.fixture(scope="module")
def sgg_graph(sgg_network):
    return sgg_network[0]


@pytest.fixture(scope="module")
def sgg_rail(sgg_network):
    return sgg_network[1]


def _names(units, codes):
    return {units.at[c, "name_ko"] for c in codes}


# --------------------------------------------------------------------------- fixture logic
def test_grid_rook_borders(grid):
    b = N.border_edges(grid)
    pairs = {frozenset(p) for p in zip(b["region_a"], b["region_b"])}
    assert len(pairs) == 12  # 3×3 rook grid: 6 horizontal + 6 vertical
    assert frozenset({"r00", "r11"}) not in pairs  # corner contact only
    assert frozenset({"r00", "r01"}) in pairs
    assert np.allclose(b["shared_m"], 1000.0, atol=2.5)  # 1 km side, ± the 1 m tolerance


def test_grid_island_linked_to_nearest_cell(grid_graph):
    G = grid_graph
    assert nx.is_connected(G) and G.number_of_nodes() == 10 and G.number_of_edges() == 13
    assert set(G["isl"]) == {"r12"}
    e = G.edges["isl", "r12"]
    assert e["kind"] == "island_link" and e["is_island_link"] and not e["is_border"]
    assert e["island_gap_km"] == pytest.approx(2.0)
    degree = dict(G.degree)
    assert degree == {"r00": 2, "r01": 3, "r02": 2, "r10": 3, "r11": 4, "r12": 4,
                      "r20": 2, "r21": 3, "r22": 2, "isl": 1}
    assert G.nodes["r00"]["name_ko"] == "셀00" and G.nodes["isl"]["name_en"] == "island"


def test_grid_distance_is_great_circle_times_circuity(grid, grid_graph):
    e = grid_graph.edges["r00", "r01"]
    # 1 km apart in EPSG:5179; the projection's scale error is well below 0.5 %
    assert e["gc_km"] == pytest.approx(1.0, rel=5e-3)
    assert e["distance_km"] == pytest.approx(e["gc_km"] * N.CIRCUITY_KR)
    assert N.CIRCUITY_KR == 1.26
    G2 = N.build_network(grid, rail=False, circuity=1.5)
    assert G2.edges["r00", "r01"]["distance_km"] == pytest.approx(e["gc_km"] * 1.5)


def test_grid_hop_centralities_by_hand(grid_graph):
    for fast in (True, False):
        c = N.centrality(grid_graph, weight=None, fast=fast)
        # centre: 32/3 shortest-path shares inside the grid + 10/3 from the island = 14;
        # normalised by (n-1)(n-2)/2 = 36
        assert c.at["r11", "betweenness"] == pytest.approx(14 / 36)
        # every path from the island passes r12: grid value + 8 (one per other cell)
        assert c.at["isl", "betweenness"] == 0
        # island hop distances 1,2,2,2,3,3,3,4,4 → harmonic 1 + 3/2 + 1 + 1/2
        assert c.at["isl", "harmonic"] == pytest.approx(4.0)
        assert c.at["isl", "closeness"] == pytest.approx(9 / 24)
        assert c["pagerank"].sum() == pytest.approx(1.0)
        assert c.at["r11", "degree"] == 4 and c.at["isl", "degree_centrality"] == pytest.approx(1 / 9)


def test_grid_island_rules_and_k(grid):
    b = N.border_edges(grid)
    by_centroid = N.island_links(grid, b, rule="nearest_centroid")
    assert by_centroid[["region_a", "region_b"]].values.tolist() == [["isl", "r12"]]
    two = N.island_links(grid, b, k=2)
    # r02 and r22 tie at 2.016 km: the smaller code wins
    assert two["region_b"].tolist() == ["r12", "r02"]
    assert two["gap_km"].tolist() == pytest.approx([2.0, np.hypot(2000, 250) / 1000])


def test_bad_inputs_raise(grid):
    with pytest.raises(InputError, match="island rule"):
        N.build_network(grid, rail=False, island_rule="ferry")
    with pytest.raises(InputError, match="circuity"):
        N.build_network(grid, rail=False, circuity=0.9)
    with pytest.raises(InputError, match="no CRS"):
        N.build_network(gpd.GeoDataFrame(grid.drop(columns="geometry"), geometry=list(grid.geometry)), rail=False)


def test_grid_knowledge_gravity(grid):
    base = pd.Series(0.0, index=grid.index)
    know = pd.Series(0.0, index=grid.index)
    base["r00"], know["r22"], know["r01"] = 10.0, 5.0, 2.0
    G = N.knowledge_network(grid, base, know, top_n=2)
    d = N.distance_matrix(grid)
    g_far = 10 * 5 / d.at["r00", "r22"] ** 2
    g_near = 10 * 2 / d.at["r00", "r01"] ** 2
    assert set(map(frozenset, G.edges)) == {frozenset({"r00", "r22"}), frozenset({"r00", "r01"})}
    assert G.edges["r00", "r22"]["gravity"] == pytest.approx(g_far)
    assert G.edges["r00", "r01"]["gravity"] == pytest.approx(g_near)
    assert G.edges["r00", "r01"]["weight"] == pytest.approx(1.0)  # the strongest link
    assert G.edges["r00", "r22"]["cost"] == pytest.approx(g_near / g_far)
    with pytest.raises(InputError, match="missing, not finite or negative"):
        N.knowledge_network(grid, base.where(base.index != "r11"), know)


# --------------------------------------------------------------------------- real 시군구 network
def test_sgg_network_connected(sgg_graph, units):
    G = sgg_graph
    assert G.number_of_nodes() == 229 and nx.is_connected(G)
    kinds = pd.Series([d["kind"] for *_, d in G.edges(data=True)]).value_counts()
    assert kinds["border"] == 580  # exact-touch pairs (581) minus the 서울 중구–동대문구 corner
    assert kinds["island_link"] == 9
    assert not G.has_edge("11020", "11060")  # 중구–동대문구 touch at a point only


def test_sgg_island_links(sgg_graph, units):
    G = sgg_graph
    links = {
        frozenset(_names(units, (u, v)))
        for u, v, d in G.edges(data=True) if d["kind"] == "island_link"
    }
    assert frozenset({"제주시", "해남군"}) in links  # 추자도 (제주시) is closest to 해남
    assert frozenset({"울릉군", "울진군"}) in links
    assert frozenset({"강화군", "김포시"}) in links
    assert frozenset({"거제시", "통영시"}) in links
    jeju = units.index[units["sido_name_ko"] == "제주특별자치도"]
    # 제주 reaches the mainland only through its island link
    H = G.copy()
    H.remove_edges_from([(u, v) for u, v, d in G.edges(data=True) if d["is_island_link"]])
    assert not any(nx.has_path(H, j, "11010") for j in jeju)
    assert all(nx.has_path(G, j, "11010") for j in jeju)


def test_island_gaps_equal_geos_nearest_search(sgg_graph, units):
    # island_links finds the nearest mainland unit by a search over polygon parts; GEOS's own
    # nearest search over whole geometries must give the same unit and the same float
    G = sgg_graph
    links = [(u, v, d["island_gap_km"]) for u, v, d in G.edges(data=True) if d["kind"] == "island_link"]
    H = G.copy()
    H.remove_edges_from([(u, v) for u, v, d in G.edges(data=True) if d["kind"] != "border"])
    mainland = sorted(max(nx.connected_components(H), key=len))
    geoms = units.geometry.loc[mainland].to_numpy()
    tree = shapely.STRtree(geoms)
    for u, v, gap in links:
        island, main = (u, v) if v in mainland else (v, u)
        idx, dist = tree.query_nearest(units.geometry.loc[island], return_distance=True, all_matches=True)
        assert min(np.asarray(mainland)[idx]) == main
        assert gap == float(dist.min()) / 1000.0


def test_sgg_known_neighbours(sgg_graph, units):
    code = {n: c for c, n in units["name_ko"].items() if (units["name_ko"] == n).sum() == 1}
    G = sgg_graph
    assert G.has_edge(code["구미시"], code["칠곡군"])
    assert G.has_edge(code["천안시"], code["아산시"])
    assert not G.has_edge(code["구미시"], code["천안시"])
    assert G.edges[code["천안시"], code["아산시"]]["is_border"]


def test_station_distances_read_as_pandas_reads_them():
    from geo.catalogue import data_path

    cols = ["출발역명", "도착역명", "여객최단운행거리"]
    ref = pd.read_csv(data_path("transport/rail/station_distance.csv.gz"), encoding="utf-8-sig", usecols=cols)
    d = S.station_distances()
    pd.testing.assert_frame_equal(d, ref, check_exact=True)
    assert len(d) == 220_782 and list(d.columns) == cols  # the pairs of the KORAIL table


def test_rail_placement_counts(sgg_graph, rail, sgg_rail):
    s = sgg_rail.summary
    assert not {"rail_placement", "rail_unplaced", "rail_summary"} & set(sgg_graph.graph)  # a field, not graph data
    assert s["stations"] == 667 and len(rail.stations) == 667
    assert s["dropped_flagged_edges"] == 3 and s["adjacency_edges"] == 683
    assert s["placed"] == 415 and s["unplaced"] == 252
    assert s["placed"] + s["unplaced"] == 667
    pl, un = sgg_rail.placement, sgg_rail.unplaced
    assert len(pl) == 415 and len(un) == 252
    assert un["reason"].notna().all() and not set(pl["station"]) & set(un["station"])
    nodes = sum(sgg_graph.nodes[v]["conn_rail_stations"] for v in sgg_graph)
    assert nodes == pl["passenger"].sum()


def test_rail_placements_respect_track_km(sgg_rail, rail, units):
    where = sgg_rail.placement.set_index("station")["region_code"]
    for a, b, km in rail.adjacency.itertuples(index=False):
        if a in where and b in where and where[a] != where[b]:
            gap = shapely.distance(units.geometry[where[a]], units.geometry[where[b]]) / 1000
            assert gap <= km + 0.5, (a, b, km, gap)


def test_rail_placement_facts(sgg_rail, units):
    pl = sgg_rail.placement.set_index("station")
    un = sgg_rail.unplaced.set_index("station")
    name = units["name_ko"]
    assert name[pl.at["구미", "region_code"]] == "구미시"
    assert name[pl.at["천안", "region_code"]] == "천안시"
    assert name[pl.at["서울", "region_code"]] == "중구"  # 서울역, from the urban-rail register
    assert name[pl.at["시흥", "region_code"]] == "금천구"  # old name of 금천구청역, not 시흥시
    assert "광주" in un.index and un.at["광주", "reason"].startswith("ambiguous")  # 광주광역시 or 경기 광주시
    assert "삼성" not in pl.index or name[pl.at["삼성", "region_code"]] != "강남구"  # 경부선 삼성 (경산)


def test_rail_edges(sgg_graph, units, sgg_rail):
    rails = [(u, v, d) for u, v, d in sgg_graph.edges(data=True) if d["is_rail"]]
    assert len(rails) == sgg_rail.summary["region_links"] == 82
    assert all(d["rail_km"] > 0 and d["n_rail_links"] >= 1 for *_, d in rails)
    assert sum(d["kind"] == "rail" for *_, d in rails) == sgg_rail.summary["region_links_not_border"]


# --------------------------------------------------------------------------- centralities vs networkx
def _assert_same(fast: pd.DataFrame, ref: pd.DataFrame):
    assert list(fast.index) == list(ref.index) and list(fast.columns) == list(ref.columns)
    diff = (fast - ref).abs().max()
    assert (diff < 1e-9).all(), diff


def test_centrality_equals_networkx_sgg(sgg_graph):
    _assert_same(N.centrality(sgg_graph), N.centrality(sgg_graph, fast=False))


def test_betweenness_ties_and_parts_as_networkx():
    # Tiny synthetic graph: a 4×4 lattice whose unit and two-unit edges make many equal-length
    # paths (each counted, as networkx counts them), plus a path of three and a lone node.
    G = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 4))
    for u, v, d in G.edges(data=True):
        d["distance_km"] = 2.0 if (u + v) % 3 == 0 else 1.0
    G.add_edges_from([(20, 21), (21, 22)], distance_km=1.5)
    G.add_node(30)
    for weight in ("distance_km", None):
        fast = N.centrality(G, weight=weight, measures=("betweenness",))["betweenness"]
        ref = nx.betweenness_centrality(G, weight=weight, normalized=True)
        assert fast.to_numpy() == pytest.approx([ref[v] for v in G.nodes], abs=1e-12)
    assert fast[21] == pytest.approx(2 / (19 * 18))  # the middle of the path of three: both orders
    assert fast[30] == 0


def test_centrality_equals_networkx_500():
    e = load_units("emd")
    sub = e[e["sido_name_ko"].isin(["경상북도", "대구광역시", "울산광역시"])]
    G = N.build_network(sub, rail=False)
    assert G.number_of_nodes() == 529 and nx.is_connected(G)
    assert any(d["kind"] == "island_link" for *_, d in G.edges(data=True))  # 울릉군
    _assert_same(N.centrality(G), N.centrality(G, fast=False))


def test_knowledge_centrality_equals_networkx(units, sgg_graph, sgg_rail):
    area = units["area_km2"]
    # real masses (unit areas); only their relative size matters to the test
    K = N.knowledge_network(units, area, area.rank(), top_n=4)
    assert K.number_of_nodes() == 229
    assert all(d >= 4 for _, d in K.degree)
    ref = N.centrality(K, weight="cost", strength="weight", fast=False)
    _assert_same(N.centrality(K, weight="cost", strength="weight"), ref)
    t = N.centrality_table(sgg_graph, K)
    assert list(t.columns[:6]) == ["name_ko", "name_en", "conn_harmonic", "conn_betweenness",
                                   "conn_rail_stations", "knowledge_pagerank"]
    assert t.index.equals(pd.Index(sorted(units.index), name="region_code"))
    assert t["knowledge_pagerank"].sum() == pytest.approx(1.0)
    assert t["conn_rail_stations"].sum() == sgg_rail.placement["passenger"].sum()
    assert t.notna().all().all()


# --------------------------------------------------------------------------- 읍면동 scale
def test_emd_network_connected():
    e = load_units("emd")
    G = N.build_network(e, rail=False)
    assert G.number_of_nodes() == 3501 and nx.is_connected(G)
    isl = [(u, v) for u, v, d in G.edges(data=True) if d["kind"] == "island_link"]
    assert len(isl) == 61
    ulleung = e.index[e["parent_name_ko"] == "울릉군"]
    assert any(u in ulleung or v in ulleung for u, v in isl)


def test_the_connectivity_pillar_is_the_travel_time_network():
    """The connectivity pillar is accessibility on the travel-time network (geo.traveltime); the
    contiguity-graph centralities are descriptors of centrality.csv only."""
    from geo import pipeline, traveltime

    assert {"conn_harmonic", "conn_betweenness", "conn_rail_stations", "knowledge_pagerank"}.isdisjoint(
        pipeline.CONNECTIVITY_IDS)
    meta = traveltime.connectivity_metadata()
    assert list(meta.index) == list(pipeline.CONNECTIVITY_IDS)
    assert (meta["pillar"] == "connectivity").all()
    values = pd.DataFrame({c: [1.0, None, 2.0] for c in pipeline.CONNECTIVITY_IDS})
    assert set(traveltime.connectivity_metadata(values=values)["coverage"]) == {"2/3"}


def test_unplaced_stations_are_match_report_rows_with_row_and_outcome():
    from geo.indicators import REPORT_COLUMNS

    stations = pd.DataFrame({"station": ["가역", "나역", "다역"], "passenger": True})
    rail = S.RailData(stations=stations, adjacency=pd.DataFrame(), dropped=pd.DataFrame(), urban=pd.DataFrame(),
                      sources={"names": "transport/rail/names.csv"})
    unplaced = pd.DataFrame({"station": ["다역"], "reason": ["ambiguous"], "candidates": ["11010|11020"]})
    rep = S.unplaced_report(unplaced, rail)
    assert list(rep.columns) == REPORT_COLUMNS
    assert rep.iloc[0][["source_file", "row", "value", "outcome"]].tolist() == ["transport/rail/names.csv", 4, "다역", "excluded"]
    assert rep.iloc[0]["reason"] == "station not placed in a region: ambiguous"
