"""Compare two scenarios: how the ranking and the proposed hubs change.

:func:`compare` runs both scenario files through the pipeline's stages (in memory, nothing is
written to ``outputs/``) and writes into ``out``

- ``compare_<A>_vs_<B>.csv`` (``utf-8-sig``): every region with its rank and score under A
  and B, the change of rank (``change = rank_a - rank_b``: positive = higher in B) and
  whether it is a hub in A and in B;
- ``compare_<A>_vs_<B>.png``: a bump chart of the leading candidates' ranks and a map of the
  hubs kept, added and dropped;

and returns summary figures (Spearman rank correlation, overlap of the top 10, hubs kept /
added / dropped). The scenarios are run with :func:`geo.pipeline.run_in_memory` (and
:func:`geo.pipeline.variant` derives one with other weights, ``k`` or draws).

Example
-------
>>> from geo.compare import compare
>>> summary = compare("data/scenarios/need_first.yaml", "data/scenarios/capability_first.yaml",
...                   out=Path("outputs/compare"))  # doctest: +SKIP
>>> summary["spearman"]   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geo import io
from geo.errors import InputError
from geo.labels import sido_short
from geo.pipeline import load, run_in_memory, variant  # the in-memory runner (re-exported)
from geo.scenario import Scenario

__all__ = ["compare", "rank_changes", "summarise", "plot_changes", "variant", "run_in_memory",
           "load", "region_labels"]

def rank_changes(scores_a: pd.DataFrame, scores_b: pd.DataFrame, *, hubs_a: pd.DataFrame | None = None,
                 hubs_b: pd.DataFrame | None = None) -> pd.DataFrame:
    """Region-by-region comparison of two rankings (and hub sets).

    Parameters
    ----------
    scores_a, scores_b
        Index ``region_code``; columns ``rank`` and ``score`` (names and 권역 taken from A when
        present). Both must cover the same regions.
    hubs_a, hubs_b
        Index ``region_code`` of the hubs (column ``hub_rank`` optional), or None if the run
        has no siting.

    Returns
    -------
    DataFrame
        Index ``region_code`` (order of A's ranking): name_ko, name_en, megaregion, rank_a,
        rank_b, change (``rank_a - rank_b``; positive = higher in B), score_a, score_b,
        hub_a, hub_b (bool; NA without siting), hub_rank_a, hub_rank_b, hub_change
        (``kept`` / ``added`` / ``dropped`` / empty).
    """
    for label, s in (("A", scores_a), ("B", scores_b)):
        lack = [c for c in ("rank", "score") if c not in s.columns]
        if lack:
            raise InputError(f"scores of {label} lack columns", expected="rank and score", got=lack)
    a = scores_a.copy()
    b = scores_b.copy()
    a.index = pd.Index([str(c) for c in a.index], name="region_code")
    b.index = pd.Index([str(c) for c in b.index], name="region_code")
    only = a.index.symmetric_difference(b.index)
    if len(only):
        raise InputError("the two scenarios rank different regions", expected="the same analysis units",
                         got=only[:5].tolist())
    b = b.loc[a.index]
    t = pd.DataFrame(index=a.index)
    for col in ("name_ko", "name_en", "sido_name_ko", "megaregion"):
        if col in a.columns:
            t[col] = a[col]
    t["rank_a"] = a["rank"].astype("Int64")
    t["rank_b"] = b["rank"].astype("Int64")
    t["change"] = t["rank_a"] - t["rank_b"]
    t["score_a"] = a["score"].astype(float)
    t["score_b"] = b["score"].astype(float)
    for tag, hubs in (("a", hubs_a), ("b", hubs_b)):
        if hubs is None:
            t[f"hub_{tag}"] = pd.array([pd.NA] * len(t), dtype="boolean")
            t[f"hub_rank_{tag}"] = pd.array([pd.NA] * len(t), dtype="Int64")
            continue
        codes = pd.Index([str(c) for c in hubs.index])
        t[f"hub_{tag}"] = pd.array(t.index.isin(codes), dtype="boolean")
        hr = pd.Series(pd.NA, index=t.index, dtype="Int64")
        if "hub_rank" in hubs.columns:
            hr.loc[codes] = hubs["hub_rank"].to_numpy()
        t[f"hub_rank_{tag}"] = hr
    ha, hb = t["hub_a"].fillna(False).astype(bool), t["hub_b"].fillna(False).astype(bool)
    t["hub_change"] = np.select([ha & hb, hb & ~ha, ha & ~hb], ["kept", "added", "dropped"], "")
    return t.sort_values(["rank_a", "rank_b"], kind="stable")


def summarise(table: pd.DataFrame, *, top: int = 10) -> dict:
    """Summary figures of a :func:`rank_changes` table.

    Returns
    -------
    dict
        ``n_regions``; ``spearman`` (rank correlation of the two rankings); ``top_overlap``
        (regions in both top ``top``); ``mean_abs_change``; ``largest_rise`` and
        ``largest_fall`` ({region_code, name_ko, change}); ``hubs_a``, ``hubs_b``,
        ``hubs_kept``, ``hubs_added``, ``hubs_dropped`` (lists of region codes; None when a
        run has no hubs).
    """
    from scipy.stats import spearmanr

    ra = table["rank_a"].to_numpy(dtype=float)
    rb = table["rank_b"].to_numpy(dtype=float)
    rho = float(spearmanr(ra, rb).statistic)
    ch = table["change"].astype(float)

    def region(code):
        return {"region_code": code, "name_ko": table.at[code, "name_ko"] if "name_ko" in table else None,
                "change": int(table.at[code, "change"])}

    has_hubs = not (table["hub_a"].isna().all() or table["hub_b"].isna().all())

    def codes(mask):
        return table.index[mask.fillna(False).astype(bool)].tolist() if has_hubs else None

    out = {
        "n_regions": len(table),
        "spearman": rho,
        "top": top,
        "top_overlap": int(((table["rank_a"] <= top) & (table["rank_b"] <= top)).sum()),
        "mean_abs_change": float(ch.abs().mean()),
        "largest_rise": region(ch.idxmax()),
        "largest_fall": region(ch.idxmin()),
        "hubs_a": codes(table["hub_a"]),
        "hubs_b": codes(table["hub_b"]),
        "hubs_kept": codes(table["hub_change"].eq("kept")) if has_hubs else None,
        "hubs_added": codes(table["hub_change"].eq("added")) if has_hubs else None,
        "hubs_dropped": codes(table["hub_change"].eq("dropped")) if has_hubs else None,
    }
    return out


def compare(a: str | Path | Scenario, b: str | Path | Scenario, *, out: Path,
            draws: int | None = None, runs: tuple | None = None) -> dict:
    """Run two scenarios and write how the ranking and the hubs change.

    Parameters
    ----------
    a, b
        Scenario files (or :class:`~geo.scenario.Scenario` objects).
    out
        Folder for ``compare_<A>_vs_<B>.csv`` and ``.png`` (created if missing).
    draws
        Monte Carlo draws for both runs (default: each scenario's own); fewer for a quick look.
    runs
        Already computed run results ``(run_a, run_b)`` (e.g. from :func:`run_in_memory`)
        instead of running the scenarios again.

    Returns
    -------
    dict
        :func:`summarise`'s figures plus ``a``, ``b`` (scenario names), ``table`` (path of the
        CSV) and ``chart`` (path of the PNG).
    """
    if runs is None:
        sa, sb = (load(x) if draws is None else variant(x, draws=draws) for x in (a, b))
        runs = (run_in_memory(sa), run_in_memory(sb))
    ra, rb = runs
    name_a, name_b = ra.scenario.name, rb.scenario.name
    if name_a == name_b:
        name_a, name_b = f"{name_a}_a", f"{name_b}_b"
    table = rank_changes(ra.scores, rb.scores, hubs_a=ra.hubs, hubs_b=rb.hubs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"compare_{name_a}_vs_{name_b}"
    csv = out / f"{stem}.csv"
    io.write_csv(table.reset_index(), csv, index=False)
    fig = plot_changes(table, name_a=name_a, name_b=name_b, units=ra.units,
                       titles=(ra.scenario.title_ko, rb.scenario.title_ko))
    png = out / f"{stem}.png"
    io.write_png(fig, png, dpi=130)
    summary = summarise(table)
    summary.update({"a": name_a, "b": name_b, "table": str(csv), "chart": str(png)})
    return summary


def plot_changes(table: pd.DataFrame, *, name_a: str = "A", name_b: str = "B", units=None,
                 titles: tuple[str, str] | None = None, top: int = 15):
    """Bump chart of the leading candidates' ranks (A → B) and, with ``units``, a map of the
    hubs kept, added and dropped.

    The candidates shown are the top ``top`` of either ranking plus every hub of either run.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from geo.figures import cjk_font, drawing_geometry, mpl_font, scale_bar

    font = cjk_font()
    ha = table["hub_a"].fillna(False).astype(bool)
    hb = table["hub_b"].fillna(False).astype(bool)
    shown = table[(table["rank_a"] <= top) | (table["rank_b"] <= top) | ha | hb]
    has_hubs = bool(ha.any() or hb.any())
    colors = {"kept": "#1b7837", "added": "#2166ac", "dropped": "#b2182b", "": "#7f7f7f"}
    with mpl_font(font):
        fig = Figure(figsize=(12, max(6.0, 0.3 * len(shown) + 1.5)))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 2 if has_hubs and units is not None else 1, 1)
        label = region_labels(table)
        ya = shown["rank_a"].rank(method="first").astype(int)
        yb = shown["rank_b"].rank(method="first").astype(int)
        for code, r in shown.iterrows():
            c = colors[r["hub_change"]]
            lw = 2.2 if r["hub_change"] else 1.0
            ax.plot([0, 1], [ya[code], yb[code]], color=c, lw=lw, alpha=0.85, marker="o", ms=4)
            mark_a = " ★" if ha[code] else ""
            mark_b = " ★" if hb[code] else ""
            ax.text(-0.03, ya[code], f"{label[code]}{mark_a}  {int(r['rank_a'])}", ha="right", va="center",
                    fontsize=8, color=c)
            ax.text(1.03, yb[code], f"{int(r['rank_b'])}  {label[code]}{mark_b}", ha="left", va="center",
                    fontsize=8, color=c)
        ax.set_xlim(-0.6, 1.6)
        ax.set_ylim(len(shown) + 0.8, 0.2)
        ax.set_xticks([0, 1], [f"A: {name_a}", f"B: {name_b}"], fontsize=9)
        ax.set_yticks([])
        for side in ("left", "right", "top", "bottom"):
            ax.spines[side].set_visible(False)
        sub = f"\n{titles[0]} → {titles[1]}" if titles else ""
        ax.set_title(f"순위 변화 · rank changes (상위 {top}위와 거점 · top {top} and hubs; ★ 거점 · hub){sub}",
                     fontsize=9.5)
        if has_hubs and units is not None:
            mx = fig.add_subplot(1, 2, 2)
            g = drawing_geometry(units)
            g.index = pd.Index([str(c) for c in g.index])
            g.plot(ax=mx, color="#e6e6e6", edgecolor="white", linewidth=0.2)
            pts = g.representative_point()
            style = {"kept": ("*", 13, "유지 · kept"), "added": ("^", 9, "추가 · added (B)"),
                     "dropped": ("X", 9, "제외 · dropped (A)")}
            for kind, (marker, ms, text) in style.items():
                codes = table.index[table["hub_change"] == kind]
                if len(codes):
                    p = pts.loc[codes]
                    mx.plot(p.x, p.y, ls="", marker=marker, ms=ms, color=colors[kind], mec="white",
                            mew=0.6, label=f"{text}: {len(codes)}")
                    for code, q in p.items():
                        mx.annotate(label[code], (q.x, q.y), xytext=(4, 3),
                                    textcoords="offset points", fontsize=7.5, color=colors[kind])
            mx.legend(loc="lower right", fontsize=8, frameon=False)
            mx.set_axis_off()
            mx.set_aspect("equal")
            scale_bar(mx)
            mx.set_title("거점 변화 · hub changes", fontsize=9.5)
    return fig


def region_labels(table: pd.DataFrame) -> pd.Series:
    """Korean names, with the 시도 (short form) added where a name occurs more than once:
    동구(대구), 동구(울산), …; ``table`` has ``name_ko`` and optionally ``sido_name_ko``."""
    names = table["name_ko"].astype(str) if "name_ko" in table.columns else pd.Series(table.index, index=table.index)
    if "sido_name_ko" not in table.columns:
        return names
    short = table["sido_name_ko"].astype(str).map(lambda n: sido_short(n)[0])
    dup = names.duplicated(keep=False)
    return names.where(~dup, names + "(" + short + ")")
