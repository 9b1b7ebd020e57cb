"""The committee pack's static figures (matplotlib): rank intervals, the hub overview map and
each hub's own map, the pillar profile, the access / capability frontier.

Figures are drawn with a Korean font (:func:`cjk_font`) and embedded in the HTML page as PNG
data URIs; :func:`drawing_geometry` and :func:`scale_bar` are shared with the scenario
comparison chart (:mod:`geo.compare`).
"""

from __future__ import annotations

import base64
import contextlib
import io as _io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import GeoError
from geo.labels import PILLARS
from geo.tables import region_codes


# Preferred CJK families, best first; any other family whose name contains "CJK KR" or a
# known Korean family is accepted too (see cjk_font).
CJK_FAMILIES = ["Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Nanum Gothic", "Malgun Gothic",
                "Apple SD Gothic Neo", "Noto Sans CJK JP", "Noto Sans CJK SC"]


def rank_interval_figure(scores: pd.DataFrame, hubs: pd.DataFrame | None = None, *, top: int = 20):
    """Chart of the top candidates' rank intervals (dot: nominal rank, diamond: median,
    bar: 5–95%); hubs in red. ``scores`` as the pipeline's (columns name_ko, rank,
    rank_p05, rank_p50, rank_p95). Returns a matplotlib Figure."""
    s = scores.copy()
    s.index = region_codes(s.index)
    if hubs is not None:
        hubs = hubs.copy()
        hubs.index = region_codes(hubs.index)
    with mpl_font(cjk_font()):
        return draw_rank_intervals(s, hubs, top)


def hub_overview_figure(units, hubs: pd.DataFrame, assignments: pd.DataFrame | None = None):
    """Map of the hubs (stars, numbered by hub rank) and the regions assigned to each (one
    colour per hub, grey = uncovered). Returns a matplotlib Figure."""
    hubs = hubs.copy()
    hubs.index = region_codes(hubs.index)
    with mpl_font(cjk_font()):
        return draw_hub_overview(Outlines(drawing_geometry(units)), hubs, assignments, units)


def load_matplotlib() -> None:
    """Import the parts of matplotlib that the figures draw with (e.g. before forking a
    process that draws some of them, so that it does not import them again)."""
    import importlib

    for name in ("matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.collections"):
        importlib.import_module(name)


def cjk_font() -> str:
    """Name of an installed font family that has Hangul, for matplotlib.

    Looks in matplotlib's font list; if that list predates the font's installation (its cache
    is built once), the system font folders are searched and CJK font files are added.

    Raises
    ------
    GeoError
        If no such font is installed: charts would show empty boxes for Korean text.
    """
    from matplotlib import font_manager as fm

    found = _pick_cjk(fm.fontManager.ttflist)
    if found is None:
        for path in fm.findSystemFonts():
            low = Path(path).name.lower()
            if any(k in low for k in ("cjk", "nanum", "malgun", "notosanskr", "applesdgothic")):
                with contextlib.suppress(Exception):  # an unreadable font file is just skipped
                    fm.fontManager.addfont(path)
        found = _pick_cjk(fm.fontManager.ttflist)
    if found is None:
        raise GeoError("no font with Korean glyphs found for the report charts",
                       hint="install fonts-noto-cjk (python3 tasks.py setup)")
    return found


def frontier_figure(frontier: pd.DataFrame, *, korean: bool = True):
    """The access / capability trade-off: every point of the Pareto frontier (``frontier.csv``:
    access_cost, mean_capability, optimal, chosen), the chosen one marked, each labelled
    proven optimal or not. Returns a matplotlib Figure."""
    with mpl_font(cjk_font()):
        return draw_frontier(frontier)


def draw_frontier(fr: pd.DataFrame):
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fr = fr.sort_values("mean_capability", kind="stable")
    a = pd.to_numeric(fr["access_cost"], errors="coerce").to_numpy(float)
    c = pd.to_numeric(fr["mean_capability"], errors="coerce").to_numpy(float)
    x = 100 * (a / np.nanmin(a) - 1) if np.nanmin(a) > 0 else a
    ok = fr["optimal"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    ch = fr["chosen"].astype(str).str.lower().isin(["true", "1"]).to_numpy() if "chosen" in fr else np.zeros(len(fr), bool)
    fig = Figure(figsize=(4.6, 3.3))
    ax = fig.add_subplot()
    ax.plot(x, c, color="#9e9e9e", lw=1, zorder=1)
    ax.scatter(x[ok], c[ok], s=30, color="#2166ac", zorder=3)
    ax.scatter(x[~ok], c[~ok], s=30, facecolors="white", edgecolors="#2166ac", lw=1.2, zorder=3)
    if ch.any():
        ax.scatter(x[ch], c[ch], s=190, marker="*", color=HUB_COLOR, edgecolors="black", lw=0.6, zorder=4)
    for i, (xi, ci, o, h) in enumerate(zip(x, c, ok, ch)):
        # labels alternate below-right and above-left so that neighbouring points stay readable
        off, ha = ((5, -9), "left") if i % 2 == 0 else ((-5, 4), "right")
        ax.annotate(("증명" if o else "미증명") + (" · 채택" if h else ""), (xi, ci), xytext=off, ha=ha,
                    textcoords="offset points", fontsize=6, color=HUB_COLOR if h else "#444444")
    ax.set_xlabel("접근 비용: 최소 대비 증가 (%) · access cost above the least (%)", fontsize=7.5)
    ax.set_ylabel("거점 평균 역량 · mean hub capability", fontsize=7.5)
    ax.tick_params(labelsize=7)
    ax.grid(color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    ax.margins(x=0.12, y=0.1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], color="#2166ac", marker="o", ls="", label="최적 증명 · proven optimal"),
               Line2D([], [], color="#2166ac", marker="o", mfc="white", ls="", label="미증명 · not proven"),
               Line2D([], [], color=HUB_COLOR, marker="*", mec="black", ms=11, ls="", label="선택된 점 · chosen")]
    ax.legend(handles=handles, fontsize=6.5, loc="lower right", frameon=False)
    ax.set_title("접근성과 역량의 절충 (파레토 경계) · the trade-off (Pareto frontier)", fontsize=8.5)
    return fig


def _pick_cjk(entries) -> str | None:
    names = {e.name for e in entries}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    for n in sorted(names):
        if "CJK KR" in n or "Nanum" in n or n.endswith(" KR"):
            return n
    return None


@contextlib.contextmanager
def mpl_font(family: str):
    """Matplotlib settings of the pack's figures while the block runs: ``family`` (a CJK font,
    :func:`cjk_font`) with DejaVu Sans for the rest, 9 pt, a plain minus sign."""
    import matplotlib

    with matplotlib.rc_context({"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False,
                                "font.size": 9, "svg.fonttype": "path"}):
        yield


def png_uri(fig, *, dpi: int = 130) -> str:
    """``fig`` as a PNG data URI, cropped to its content with a 0.1 inch margin (as
    ``bbox_inches="tight"`` crops it) but drawn only once.

    The figure is drawn on a canvas widened by :data:`SPILL_INCHES` on every side (its axes
    keep their size and place relative to each other), so that labels drawn outside the
    figure's own edges are on the canvas too; the pixels are then cropped to the tight box
    of what was drawn. Only a figure whose content spills over even that canvas, or that
    places artists in figure coordinates, is saved the slower way (``bbox_inches="tight"``
    draws it twice: once to measure, once to paint). Changes ``fig``'s size and dpi.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    buf = _io.BytesIO()
    if not (fig.texts or fig.legends or fig.images or fig.lines or fig.patches):
        w, h = fig.get_size_inches()
        m = SPILL_INCHES
        for ax in fig.axes:  # the same place in inches from the figure's lower left corner, moved by m
            x0, y0, aw, ah = ax.get_position(original=True).bounds
            ax.set_position([(x0 * w + m) / (w + 2 * m), (y0 * h + m) / (h + 2 * m),
                             aw * w / (w + 2 * m), ah * h / (h + 2 * m)])
        fig.set_size_inches(w + 2 * m, h + 2 * m)
        fig.set_dpi(dpi)
        fig.patch.set_facecolor("white")
        canvas.draw()
        box = fig.get_tightbbox(canvas.get_renderer()).padded(PAD_INCHES)
        w, h = fig.get_size_inches()
        if box.x0 >= 0 and box.y0 >= 0 and box.x1 <= w and box.y1 <= h:
            rgba = np.asarray(canvas.buffer_rgba())  # rows from the top, ``dpi`` pixels an inch
            # the size in pixels that savefig gives the tight box (its width and height cut to whole pixels)
            bottom, left = round(rgba.shape[0] - box.y0 * dpi), round(box.x0 * dpi)
            top, right = bottom - int(box.height * dpi), left + int(box.width * dpi)
            Image.fromarray(rgba[top:bottom, left:right]).save(buf, format="png")
            return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=PAD_INCHES, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


PAD_INCHES = 0.1  # margin around a figure's content (matplotlib's default for bbox_inches="tight")
SPILL_INCHES = 1.0  # canvas added on each side of a figure for tick labels and legends beyond its edges


def drawing_geometry(units):
    """Unit outlines simplified for small static maps (metres in geo.config.CRS, shape-true).

    Plain Douglas–Peucker at 250 m: ten times faster than the topology-preserving variant,
    and the national hub maps drawn from either differ in under one pixel in a thousand (an
    islet narrower than the tolerance may drop out of its unit; an empty outline is not drawn).
    """
    from geo.config import CRS

    g = units.geometry
    if g.crs is not None and g.crs != CRS:
        g = g.to_crs(CRS)
    return g.simplify(250, preserve_topology=False)


class Outlines:
    """Unit outlines made ready once for the many small maps drawn of them (the overview and
    one map per hub): a matplotlib path per unit (holes kept), its bounds, label point and area.

    Parameters
    ----------
    geoms : GeoSeries
        The outlines (e.g. :func:`drawing_geometry`), indexed by region code in any spelling.
    """

    def __init__(self, geoms):
        g = geoms.copy()
        g.index = region_codes(g.index)
        # the paths geopandas would draw: normalised rings (their winding tells holes from parts)
        self.paths = pd.Series([_outline_path(x) for x in g.normalize()], index=g.index, dtype=object)
        self.bounds = g.bounds
        self.points = g.representative_point()
        self.area = g.area

    def near(self, box: tuple[float, float, float, float]) -> list[str]:
        """Codes of the units whose bounds meet ``box`` (x0, y0, x1, y1), in index order."""
        b = self.bounds
        hit = (b["minx"] <= box[2]) & (b["maxx"] >= box[0]) & (b["miny"] <= box[3]) & (b["maxy"] >= box[1])
        return list(b.index[hit.to_numpy()])

    def fill(self, ax, codes, *, color, edgecolor, linewidth: float, alpha: float | None = None) -> None:
        """Draw the units ``codes`` on ``ax``; ``color`` one colour or one per code."""
        from matplotlib.collections import PathCollection

        paths = self.paths.loc[list(codes)]
        colors = [color] * len(paths) if isinstance(color, str) else list(color)
        keep = [i for i, p in enumerate(paths) if p is not None]  # empty outlines draw nothing
        coll = PathCollection([paths.iloc[i] for i in keep], facecolors=[colors[i] for i in keep],
                              edgecolors=edgecolor, linewidths=linewidth, alpha=alpha)
        ax.add_collection(coll, autolim=True)
        ax.autoscale_view()


def _outline_path(geom):
    """One compound matplotlib path of a (multi)polygon's rings, or None if it is empty."""
    from matplotlib.path import Path

    if geom is None or geom.is_empty:
        return None
    parts = [geom] if geom.geom_type == "Polygon" else list(geom.geoms)
    rings = []
    for part in parts:
        rings.append(Path(np.asarray(part.exterior.coords)[:, :2], closed=True))
        rings.extend(Path(np.asarray(r.coords)[:, :2], closed=True) for r in part.interiors)
    return Path.make_compound_path(*rings)


HUB_COLOR, SPOKE_COLOR, OTHER_COLOR = "#b2182b", "#f4a582", "#e6e6e6"


def draw_rank_intervals(s: pd.DataFrame, hubs, top: int):
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    t = s.sort_values("rank", kind="stable").head(top)
    n = len(t)
    fig = Figure(figsize=(7.2, 0.28 * n + 1.3))
    ax = fig.add_subplot()
    y = np.arange(n)
    is_hub = np.array([hubs is not None and c in hubs.index for c in t.index])
    col = np.where(is_hub, HUB_COLOR, "#2166ac")
    has_int = {"rank_p05", "rank_p95"} <= set(t.columns)
    if has_int:
        ax.hlines(y, t["rank_p05"], t["rank_p95"], colors=col, lw=5, alpha=0.35)
    if "rank_p50" in t.columns:
        ax.scatter(t["rank_p50"], y, marker="D", s=22, facecolors="white", edgecolors=col, zorder=3, lw=1.2)
    ax.scatter(t["rank"], y, marker="o", s=26, c=col, zorder=4)
    # names of same-named 구 already carry their 시도 (북구(대구)); others get it here
    labels = [f"{int(r['rank'])}. {r['name_ko']}" + ("" if str(r['name_ko']).endswith(")") else f" ({r.get('sido_name_ko', '')})")
              for _, r in t.iterrows()]
    ax.set_yticks(y, labels)
    for lab, h in zip(ax.get_yticklabels(), is_hub):
        if h:
            lab.set_color(HUB_COLOR)
            lab.set_fontweight("bold")
    ax.invert_yaxis()
    hi = float(np.nanmax(t["rank_p95"])) if has_int else float(t["rank"].max())
    ax.set_xlim(0, hi + 1)
    ax.set_xlabel("순위 (1 = 최상위) · rank (1 = best)")
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    handles = [Line2D([], [], color="#2166ac", marker="o", ls="", label="명목 순위 · nominal rank"),
               Line2D([], [], color="#2166ac", marker="D", mfc="white", ls="", label="중앙값 · median rank"),
               Line2D([], [], color="#2166ac", lw=5, alpha=0.35, label="5–95% 구간 · interval")]
    if hubs is not None:
        handles.append(Line2D([], [], color=HUB_COLOR, marker="o", ls="", label="제안 거점 · proposed hub"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09 - 2.0 / (0.28 * n + 1.3) * 0.1),
              ncol=2, fontsize=7.5, frameon=False)
    ax.set_title(f"상위 {n}개 후보의 순위 구간 · Rank intervals of the top {n} candidates", fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def draw_hub_overview(outlines: Outlines, hubs: pd.DataFrame, assignments, units):
    from matplotlib import colormaps
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.2, 7.0))
    ax = fig.add_subplot()
    cmap = colormaps["tab20"]
    order = list(hubs.sort_values("hub_rank").index)
    colors = {c: to_hex(cmap(i % 20)) for i, c in enumerate(order)}
    codes = outlines.paths.index
    face = pd.Series(OTHER_COLOR, index=codes, dtype=object)
    if assignments is not None:
        a = assignments.copy()
        a.index = region_codes(a.index)
        hub_of = a["hub_code"].astype("string").reindex(codes)
        for c in codes:
            h = hub_of.get(c)
            if h is not None and h is not pd.NA and h in colors:
                face[c] = colors[h]
    outlines.fill(ax, codes, color=list(face), edgecolor="white", linewidth=0.2, alpha=0.75)
    outlines.fill(ax, order, color=[colors[c] for c in order], edgecolor="black", linewidth=0.8)
    pts = outlines.points.loc[order]
    for c, p in zip(order, pts):
        ax.plot(p.x, p.y, marker="*", ms=11, color="black", mec="white", mew=0.6)
        ax.annotate(f"{int(hubs.at[c, 'hub_rank'])} {units.at[c, 'name_ko']}", (p.x, p.y), xytext=(5, 3),
                    textcoords="offset points", fontsize=8, fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_axis_off()
    ax.set_aspect("equal")
    scale_bar(ax)
    ax.set_title("제안 거점과 배정 지역 · Proposed hubs and their regions (회색: 미포괄 · grey: uncovered)", fontsize=9)
    return fig


def draw_hub_map(outlines: Outlines, code: str, spokes: list[str], units):
    from matplotlib.figure import Figure

    mine = [code, *spokes]
    b = outlines.bounds.loc[mine]
    x0, y0, x1, y1 = b["minx"].min(), b["miny"].min(), b["maxx"].max(), b["maxy"].max()
    w, h = x1 - x0, y1 - y0
    side = max(w, h, 40_000) * 1.12
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    fig = Figure(figsize=(3.6, 3.6))
    ax = fig.add_subplot()
    box = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    # every unit that may show in the box (those beyond its edge are clipped away)
    outlines.fill(ax, outlines.near(box), color=OTHER_COLOR, edgecolor="white", linewidth=0.4)
    if spokes:
        outlines.fill(ax, spokes, color=SPOKE_COLOR, edgecolor="white", linewidth=0.5)
    outlines.fill(ax, [code], color=HUB_COLOR, edgecolor="black", linewidth=0.6)
    pts = outlines.points.loc[mine]
    hx, hy = pts.iloc[0].x, pts.iloc[0].y
    for p in pts.iloc[1:]:
        ax.plot([hx, p.x], [hy, p.y], color="#4d4d4d", lw=0.6, alpha=0.8)
    # label every spoke of a small hub; of a large one only the largest, so the names stay legible
    labelled = set(spokes) if len(spokes) <= 12 else set(outlines.area.loc[spokes].nlargest(10).index)
    small = 6.5 if len(spokes) > 12 else 7
    for c, p in zip(mine, pts):
        if c != code and c not in labelled:
            continue
        ax.annotate(str(units.at[c, "name_ko"]), (p.x, p.y), ha="center", va="center",
                    fontsize=8 if c == code else small, fontweight="bold" if c == code else "normal",
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_axis_off()
    scale_bar(ax)
    return fig


def scale_bar(ax) -> None:
    """A scale bar of a round length (1, 2 or 5 × 10^n m) about a fifth of the map's width."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    exp = 10 ** math.floor(math.log10(target))
    metres = max(m * exp for m in (1, 2, 5) if m * exp <= target)
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([x, x + metres], [y, y], color="black", lw=2, solid_capstyle="butt")
    ax.text(x + metres / 2, y + 0.015 * (y1 - y0), f"{metres / 1000:g} km", ha="center", va="bottom", fontsize=7)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def draw_pillar_profile(r: pd.Series, median: pd.Series, pillars: list[str]):
    from matplotlib.figure import Figure

    keys = [*pillars, "score"]
    fig = Figure(figsize=(3.6, 0.42 * len(keys) + 0.8))
    ax = fig.add_subplot()
    y = np.arange(len(keys))
    vals = [float(r.get(k, np.nan)) for k in keys]
    colors = ["#d6604d", "#4393c3", "#8073ac", "#5aae61", "#404040"][: len(keys)]
    if len(keys) > 5:
        colors = ["#4393c3"] * (len(keys) - 1) + ["#404040"]
    ax.barh(y, vals, color=colors, height=0.62)
    ax.scatter([median.get(k, np.nan) for k in keys], y, marker="|", s=200, color="black", zorder=3,
               label="전국 중앙값 · national median")
    for yi, v in zip(y, vals):
        if not math.isnan(v):
            ax.text(min(v + 1.5, 88), yi, f"{v:.1f}", va="center", fontsize=7.5)
    ax.set_yticks(y, [f"{PILLARS.get(k, (k, k))[0]}\n{PILLARS.get(k, (k, k))[1]}" for k in keys], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("점수 0–100 · score", fontsize=7.5)
    ax.legend(loc="lower right", fontsize=6.5, frameon=False, bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig
