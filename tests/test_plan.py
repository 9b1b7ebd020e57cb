"""The network plan: legal processes, the KSIC readers (KOSIS tables, establishment lists),
themes on a hand-checked 3-hub fixture, links, and every shipped organisation assigned.

The KSIC mapping used here is a synthetic fixture with codes 999xx that KSIC does not use,
so no test can be read as the legal mapping."""

import numpy as np
import pandas as pd
import pytest

from geo import plan, rootindustry as ri
from geo.errors import InputError

MAPPING = """ksic_revision,ksic_code,process,source,source_url
10,99921,열처리,fixture,https://example.org/fixture
10,99922,surface,fixture,https://example.org/fixture
10,9993,mold,fixture,https://example.org/fixture
11,99940,casting,fixture,https://example.org/fixture
"""

KOSIS_WIDE = """"행정구역별(1)","행정구역별(2)","산업별","항목","단위","2020 년"
"전국","소계","제조업(10~34)","사업체수","개","999"
"서울특별시","종로구","열처리업(99921)","사업체수","개","2"
"서울특별시","종로구","열처리업(99921)","종사자수","명","20"
"서울특별시","종로구","기타 제품(99990)","사업체수","개","5"
"서울특별시","종로구","기타 제품(99990)","종사자수","명","60"
"서울특별시","중구","금형(99931)","사업체수","개","3"
"서울특별시","중구","금형(99931)","종사자수","명","30"
"서울특별시","중구","도금업(99922)","사업체수","개","1"
"서울특별시","중구","도금업(99922)","종사자수","명","X"
"서울특별시","중구","주조(99940)","사업체수","개","4"
"서울특별시","중구","주조(99940)","종사자수","명","50"
"""


@pytest.fixture
def mapping(tmp_path):
    p = tmp_path / "mapping.csv"
    p.write_text(MAPPING, encoding="utf-8")
    return ri.read_mapping(p)


def test_processes_named_in_source_texts():
    assert ri.processes_in("금형·소성가공·열처리") == ["mold", "forming", "heat"]
    assert ri.processes_in("정밀가공(금형·엔지니어링설계 포함)") == ["mold", "precision", "engineering_design"]
    assert ri.processes_in("3D프린팅(적층제조)·후처리") == ["additive"]
    assert ri.processes_in("6대 뿌리기술") == ri.BASE_SIX
    assert ri.processes_in("염색가공") == [] and ri.processes_in(None) == []
    assert ri.linked_industries("용접·표면처리 (조선 연계)") == ["조선"]
    assert len(ri.PROCESSES) == 14


def test_mapping_rows_are_checked(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(MAPPING + "12,99x,주조,fixture,not a url\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"m.csv, row 6, column 'ksic_revision'.*and 2 more"):
        ri.read_mapping(p)


def test_kosis_table(tmp_path, mapping):
    p = tmp_path / "kosis.csv"
    p.write_text(KOSIS_WIDE, encoding="utf-8")
    t = ri.read_kosis_establishments(p, mapping, revision=10)
    c = t.counts
    assert c.at["11010", "establishments_heat"] == 2 and c.at["11010", "employees_heat"] == 20
    assert c.at["11020", "employees_mold"] == 30  # 9993 covers 99931
    assert c.at["11020", "establishments_surface"] == 1 and c.at["11020", "employees_surface"] == 0
    # 99940 is mapped for revision 11 only: other industry here, and reported
    assert c.at["11020", "employees_casting"] == 0
    assert t.totals.loc["11010"].tolist() == [7.0, 80.0] and t.totals.loc["11020"].tolist() == [8.0, 80.0]
    assert c["employees_root"].tolist() == [20.0, 30.0]
    status = t.codes.set_index("ksic_code")["status"]
    assert status["99940"] == "other_revision" and status["99990"] == "other" and status["99921"] == "root"
    reasons = " | ".join(t.report["reason"])
    assert "without a single KSIC code" in reasons  # 제조업(10~34), row 2
    assert "value missing" in reasons and "revision 11" in reasons
    assert t.report.loc[t.report["value"] == "X", "row"].tolist() == ["10"]
    lq = ri.location_quotient(t)
    # heat: 20/80 in 종로구 against 20/160 in all: LQ 2; root: 20/80 vs 50/160 = 0.8
    assert lq.at["11010", "lq_heat"] == pytest.approx(2.0)
    assert lq.at["11010", "lq_root"] == pytest.approx(0.8) and lq.at["11020", "lq_root"] == pytest.approx(1.2)
    assert ri.root_employment(t, pd.Index(["11010", "11020", "11030"])).isna().tolist() == [False, False, True]


def test_establishment_list_streams_in_chunks(tmp_path, mapping):
    p = tmp_path / "factories.csv"
    p.write_text(
        "ksic,region,employees\n"
        "99921,11010,10\n"      # row 2
        "99921,종로구,5\n"       # 3: a name
        "99931,11020,7\n"       # 4
        ",11020,3\n"            # 5: no code
        "99922,없는구,4\n"       # 6: not a region
        "99922,11020,many\n"    # 7: bad employees
        "99990,11020,100\n"     # 8: other industry
        "12a,11020,1\n"         # 9: malformed code
        "99940,11010,9\n",      # 10: other revision
        encoding="utf-8")
    t = ri.read_establishments(p, mapping, revision=10, chunksize=3)
    assert t.rows_read == 9
    assert t.counts.at["11010", "establishments_heat"] == 2 and t.counts.at["11010", "employees_heat"] == 15
    assert t.counts.at["11020", "employees_mold"] == 7 and t.counts.at["11020", "employees_surface"] == 0
    assert t.totals.at["11020", "employees"] == 108 and t.totals.at["11010", "establishments"] == 3
    rep = t.report.set_index("row")["reason"]
    assert rep[5] == "no KSIC code" and "region" in rep[6] and "employees" in rep[7]
    assert "not a KSIC code" in rep[9] and "revision 11" in rep[10]
    assert sorted(rep.index) == [5, 6, 7, 9, 10]


def test_establishment_coordinates(tmp_path, mapping):
    from geo.regions import load_units

    units = load_units("sgg")
    p = tmp_path / "pts.csv"
    p.write_text("ksic,lat,lon,employees\n99921,37.5735,126.9788,4\n99921,0,0,1\n", encoding="utf-8")
    t = ri.read_establishments(p, mapping, revision=10, lat_column="lat", lon_column="lon", units=units,
                               region_column=None)
    assert t.counts["employees_heat"].to_dict() == {"11010": 4.0}
    assert t.report["row"].tolist() == [3]


# --- themes on a 3-hub fixture -----------------------------------------------------------
# Regions a–f; hubs a, c, e. Catchments: a ← {a, b}, c ← {c, d}, e ← {e}; f uncovered.

def _fixture():
    idx = ["a", "b", "c", "d", "e", "f"]
    w = pd.DataFrame(0.0, index=idx, columns=ri.PROCESS_IDS)
    t = pd.DataFrame(0.0, index=idx, columns=ri.PROCESS_IDS)
    w.loc["a", "mold"], w.loc["b", "mold"], w.loc["b", "surface"] = 10, 5, 12
    w.loc["c", "surface"], w.loc["d", "welding"], w.loc["d", "mold"] = 30, 8, 2
    w.loc["e", "casting"], w.loc["f", "mold"] = 4, 100  # f is uncovered: never counted
    t.loc["e", "heat"] = 1.0  # a designation without firms: runner-up by the tiebreak only
    t.loc[["a", "b", "c", "d", "e"], "mold"] += 0  # (no effect; keeps the frame dense)
    asg = pd.DataFrame({"region_code": idx, "hub_code": ["a", "a", "c", "c", "e", None],
                        "covered": [True] * 5 + [False]})
    xy = {"a": 0, "b": 10, "c": 50, "d": 60, "e": 300, "f": 400}
    cost = pd.DataFrame([[abs(xy[i] - xy[j]) for j in idx] for i in idx], index=idx, columns=idx, dtype=float)
    return w, t, asg, cost


def test_themes_reproduce_the_hand_computation():
    w, t, asg, cost = _fixture()
    th = plan.hub_themes(w, asg, tiebreak=t, hub_order=["a", "c", "e"])
    # a: mold 10+5=15, surface 12 → mold, then surface
    assert th.at["a", "theme"] == "mold" and th.at["a", "runner_ups"] == "surface"
    assert th.at["a", "theme_weight"] == 15 and th.at["a", "theme_share"] == pytest.approx(15 / 27)
    # c: surface 30, welding 8, mold 2
    assert th.at["c", "theme"] == "surface" and th.at["c", "runner_ups"] == "welding;mold"
    # e: casting 4, heat by tiebreak
    assert th.at["e", "theme"] == "casting" and th.at["e", "runner_ups"] == "heat"
    leads = plan.lead_hubs(th, hub_order=["a", "c", "e"])
    assert leads.to_dict() == {"casting": "e", "mold": "a", "welding": "c", "surface": "c", "heat": "e"}
    links = plan.hub_links(th, cost, reach=100, leads=leads)
    assert links[["hub_a", "hub_b", "cost", "kind", "processes"]].values.tolist() == [
        ["a", "c", 50.0, "shared theme + lead→regional", "mold;surface"]]
    assert set(plan.theme_sets(th)["e"]) == {"casting", "heat"}  # e shares nothing: isolated


def test_build_plan_on_the_fixture():
    w, t, asg, cost = _fixture()
    units = pd.DataFrame({"name_ko": list("abcdef"), "sido_code": ["11"] * 6}, index=list("abcdef"))
    hubs = pd.DataFrame({"region_code": ["a", "c", "e"], "hub_rank": [1, 2, 3]})
    orgs = pd.DataFrame({"org_id": ["x:1", "x:2", "x:3", "x:4"], "name": ["o1", "o2", "o3", "o4"],
                         "kind": "k", "region_code": ["b", "b", "f", None], "located": "region centroid",
                         "focus_processes": ["", "welding", "", ""], "planned": False, "note": ""})
    p = plan.build_plan(units, hubs, asg, cost, cost_unit="km", weights=w, tiebreak=t, theme_source="fixture",
                        orgs=orgs, reach=100)
    assert p.hubs.loc["e", "isolated"] and not p.hubs.loc["a", "isolated"]
    assert p.hubs.loc["a", "link_costs"] == "c:50" and p.hubs.loc["c", "role"] == "lead"
    o = p.organisations.set_index("name")
    assert o.at["o1", "hub_code"] == "a" and o.at["o1", "role"] == "absorb" and o.at["o1", "cost_to_hub"] == 10
    # o2's focus (welding) is carried by c, 40 km away, not by its catchment hub a
    assert o.at["o2", "hub_code"] == "c" and o.at["o2", "role"] == "coordinate (theme)"
    assert o.at["o3", "hub_code"] == "e" and o.at["o3", "role"] == "coordinate (outside catchments)"
    assert pd.isna(o.at["o4", "hub_code"]) and o.at["o4", "role"] == "unassigned"
    assert p.hubs.loc["a", "organisations_absorbed"] == "o1"
    assert p.hubs.loc["c", "organisations_coordinated"] == "o2"


def test_near_organisation():
    _, _, _, cost = _fixture()
    near = plan.near_organisation(cost, ["b", None, "zz"], within=20)
    assert near.to_dict() == {"a": True, "b": True, "c": False, "d": False, "e": False, "f": False}
    with pytest.raises(InputError):
        plan.near_organisation(cost, ["zz"], within=20)


# --- shipped data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national():
    from geo import network
    from geo.regions import load_units

    units = load_units("sgg")
    cost = network.distance_matrix(units, circuity=1.26)
    hubs = ["11170", "21090", "22050", "24050", "38030", "25040", "31260", "35010", "33020", "32030"]
    nearest = cost[hubs].idxmin(axis=1)
    asg = pd.DataFrame({"region_code": units.index, "hub_code": nearest.to_numpy(),
                        "covered": (cost[hubs].min(axis=1) <= 150).to_numpy()})
    asg.loc[~asg["covered"], "hub_code"] = None
    return units, cost, pd.DataFrame({"region_code": hubs, "hub_rank": range(1, 11)}), asg


def test_every_shipped_organisation_is_assigned(national):
    units, cost, hubs, asg = national
    orgs = plan.organisations(units)
    research = pd.read_csv("data/assets/research_assets.csv", encoding="utf-8-sig")
    centres = pd.read_csv("data/assets/creative_economy_centres.csv", encoding="utf-8-sig")
    assert len(orgs) == len(research) + len(centres) == 96
    assert (orgs["kind"] == "테크노파크").sum() == 19 and (orgs["kind"] == "창조경제혁신센터").sum() == 18
    assert centres["source_url"].str.match(r"https?://").all()
    p = plan.build_plan(units, hubs, asg, cost, cost_unit="km", orgs=orgs)
    o = p.organisations
    no_location = research["sido"].isna() & research["sigungu"].isna()
    add = pd.read_csv("data/assets/research_assets_sigungu_additions.csv", encoding="utf-8-sig")
    no_location &= ~research["name"].isin(add["name"])
    assert o["hub_code"].isna().sum() == no_location.sum() == 1
    assert o.loc[o["hub_code"].notna(), "hub_code"].isin(hubs["region_code"]).all()
    assert set(o["role"]) <= {"absorb", "coordinate (theme)", "coordinate (outside catchments)", "unassigned"}
    # the hub lists add up to the organisations table
    assert p.hubs["n_organisations"].sum() == o["hub_code"].notna().sum()


def test_cluster_weights_conserve_designations_and_firms(national):
    units = national[0]
    firms, desig, ev = plan.cluster_weights(units)
    counted = ev[ev["processes"] != ""]
    counted = counted[~counted["used"].str.startswith("not placed")]
    assert desig.to_numpy().sum() == pytest.approx(len(counted))
    assert firms.to_numpy().sum() == pytest.approx(counted["firms"].sum())
    assert len(ev) == 47 and (ev["used"].str.contains("not counted")).sum() == (ev["processes"] == "").sum()
    assert np.isfinite(firms.to_numpy()).all()


def test_root_employment_feeds_a_user_indicator(tmp_path, mapping):
    from geo.regions import load_units
    from geo.userdata import user_indicator

    p = tmp_path / "kosis.csv"
    p.write_text(KOSIS_WIDE, encoding="utf-8")
    t = ri.read_kosis_establishments(p, mapping, revision=10)
    ri.write_indicator_file(ri.root_employment(t), tmp_path / "root_employment.csv")
    spec = {"file": "root_employment.csv", "id": "root_employment", "label_ko": "뿌리산업 종사자 수",
            "label_en": "Root-industry employees", "unit": "persons", "direction": 1, "pillar": "base",
            "year": 2020, "source": "fixture", "as_of": "2020"}
    values, meta, rep = user_indicator(spec, load_units("sgg"), base_dir=tmp_path)
    assert values.dropna().to_dict() == {"11010": 20.0, "11020": 30.0}


def test_map_layer_and_report_section(national):
    import folium

    from geo import maps, report

    units, cost, hubs, asg = national
    p = plan.build_plan(units, hubs, asg, cost, cost_unit="km")
    layer = maps.network_layer(p, units.geometry.representative_point())
    m = folium.Map(tiles=None)
    m.add_child(layer)
    folium.LayerControl().add_to(m)
    page = maps.render_offline(m)
    assert "Network plan" in page and maps.external_resources(page) == []
    empty = maps.render_offline(folium.Map(tiles=None))  # the inlined Leaflet source names it too
    placed = p.organisations["hub_code"].notna().sum()
    assert page.count("L.circleMarker(") - empty.count("L.circleMarker(") == len(hubs) + placed
    assert page.count("L.polyline(") - empty.count("L.polyline(") == len(p.links) + (
        p.organisations["hub_code"].notna() & (p.organisations["region_code"] != p.organisations["hub_code"])).sum()
    html = report.network_section(p)
    assert "The network" in html and "표면처리" in html and report.network_section(None) == ""
    first = p.hubs.index[0]
    assert report._theme_line(p, first).startswith(p.hubs.at[first, "theme_ko"]) and report._theme_line(None, first) is None
    # text from the data files is escaped, never markup
    p.organisations.loc[0, "name"] = "<script>x</script>"
    p.hubs.loc[p.organisations.loc[0, "hub_code"], "organisations_absorbed"] = "<script>x</script>"
    assert "<script>x" not in report.network_section(p) and "&lt;script&gt;x" in report.network_section(p)
