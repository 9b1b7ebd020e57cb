"""The committee pack's tables: the ranking, the hubs, the assignments, the indicator
metadata and the sources, each a plain frame with the columns of :data:`geo.workbook.COLUMNS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from geo.errors import InputError

if TYPE_CHECKING:
    from geo.scenario import Pillar


def ranking_table(scores: pd.DataFrame, values: pd.DataFrame, *, pillars: Sequence[str],
                  indicator_ids: Sequence[str], hubs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every region by overall rank: names, scores, rank interval, hub flag, raw indicators.

    Parameters
    ----------
    scores
        ``scores.csv`` (:attr:`geo.results.Scores.table`).
    values
        The indicator values (index ``region_code``).
    pillars, indicator_ids
        The scenario's pillars and indicators (the columns shown).
    hubs
        The hub table (``hub_rank``), if hubs were sited.

    Returns
    -------
    DataFrame with columns rank, region_code, names, 권역, ``score`` and the pillar scores,
    ``rank_p05``/``rank_p50``/``rank_p95``, ``p_top10``, ``hub_rank`` (NA for non-hubs) and one
    column per indicator the scenario uses (raw values, in the metadata's units).
    """
    s = scores
    pillars = [p for p in pillars if p in s.columns]
    cols = ["rank", "name_ko", "name_en", "sido_name_ko", "megaregion", "need_tier", "capability_tier",
            "score", *pillars, "rank_p05", "rank_p50", "rank_p95", "p_top10"]
    t = s[[c for c in cols if c in s.columns]].copy()
    qn = display_names(s) if "sido_name_ko" in s.columns else None
    if qn is not None:
        t["name_ko"] = qn["display_ko"]
        if "name_en" in t.columns:
            t["name_en"] = qn["display_en"]
    hub_rank = pd.Series(pd.NA, index=t.index, dtype="Int64")
    if hubs is not None:
        hub_rank.loc[region_codes(hubs.index)] = hubs["hub_rank"].to_numpy()
    t["hub_rank"] = hub_rank
    ids = [i for i in indicator_ids if i in values.columns]
    t = t.join(values[ids])
    t = t.rename_axis("region_code").reset_index()
    order = ["rank", "region_code"] + [c for c in t.columns if c not in ("rank", "region_code")]
    return t[order].sort_values(["rank", "region_code"], kind="stable").reset_index(drop=True)


def hub_table(hubs: pd.DataFrame, units: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """The proposed hubs with their scores, rank interval, spokes (codes and names) and reasons."""
    if hubs is None:
        raise InputError("the run has no hubs", expected="a run through the siting stage")
    h = hubs.copy()
    h.index = region_codes(h.index)
    qn = display_names(units)
    names = qn["display_ko"]
    h["name_ko"] = names.reindex(h.index).fillna(h.get("name_ko", pd.Series(dtype=object)))
    if "name_en" in h.columns:
        h["name_en"] = qn["display_en"].reindex(h.index).fillna(h["name_en"])
    if "sido_name_ko" not in h.columns and "sido_name_ko" in units.columns:
        h["sido_name_ko"] = units["sido_name_ko"].reindex(h.index)
    if "spokes" in h.columns:
        h["spoke_names"] = [
            ", ".join(str(names.get(c, c)) for c in split_codes(v)) for v in h["spokes"]
        ]
    s = scores
    extra = [c for c in ("need_tier", "capability_tier", "score", "rank", "rank_p05", "rank_p95", "p_top10")
             if c in s.columns]
    h = h.join(s[[c for c in extra if c not in h.columns]], how="left")
    first = ["hub_rank", "region_code", "name_ko", "name_en", "sido_name_ko", "megaregion", "placed_by",
             "need_tier", "capability_tier", "score", "rank",
             "rank_p05", "rank_p95", "p_top10", "selection_frequency", "fixed", "n_spokes",
             "spoke_names", "spokes", "need_served", "need_covered_within_reach",
             "mean_spoke_distance_km", "max_spoke_distance_km", "explanation_ko", "explanation_en"]
    h = h.rename_axis("region_code").reset_index()
    cols = [c for c in first if c in h.columns] + [c for c in h.columns if c not in first]
    return h[cols].sort_values("hub_rank", kind="stable").reset_index(drop=True)


def assignment_table(assignments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Every region with its hub (code and names), distance and whether it is covered."""
    if assignments is None:
        raise InputError("the run has no assignments", expected="a run through the siting stage")
    a = assignments.copy()
    a.index = region_codes(a.index)
    for col in ("name_ko", "name_en", "megaregion"):
        if col not in a.columns:
            a[col] = units[col].reindex(a.index)
    hub = a["hub_code"].astype("string")
    qn = display_names(units)
    a["name_ko"] = qn["display_ko"].reindex(a.index).fillna(a["name_ko"])
    if "sido_name_ko" not in a.columns and "sido_name_ko" in units.columns:
        a.insert(a.columns.get_loc("name_en") + 1 if "name_en" in a.columns else 0, "sido_name_ko",
                 units["sido_name_ko"].reindex(a.index))
    a["hub_name_ko"] = hub.map(qn["display_ko"]).astype("string")
    a["hub_name_en"] = hub.map(qn["display_en"]).astype("string")
    if "nearest_hub_code" in a.columns:
        near = a["nearest_hub_code"].astype("string")
        a.insert(a.columns.get_loc("nearest_hub_code") + 1, "nearest_hub_name_ko", near.map(qn["display_ko"]).astype("string"))
    first = ["region_code", "name_ko", "name_en", "sido_name_ko", "megaregion", "hub_code", "hub_name_ko",
             "hub_name_en", "distance_km", "covered", "is_hub"]
    a = a.rename_axis("region_code").reset_index()
    cols = [c for c in first if c in a.columns] + [c for c in a.columns if c not in first]
    return a[cols]


def metadata_table(metadata: pd.DataFrame, pillars: Sequence[Pillar]) -> pd.DataFrame:
    """The indicator metadata with each indicator's share of the overall score in the scenario
    whose ``pillars`` are given."""
    m = metadata.copy()
    share = {}
    total = sum(p.weight for p in pillars)
    for p in pillars:
        for i, w in p.indicator_weights().items():
            share[i] = share.get(i, 0.0) + p.weight / total * w
    m["scenario_weight"] = pd.Series(share, dtype=float).reindex(m.index)
    m = m.rename_axis("id").reset_index()
    first = ["id", "label_ko", "label_en", "unit", "pillar", "scenario_weight", "direction",
             "formula", "source", "as_of", "coverage"]
    used = m["scenario_weight"].notna()
    m = pd.concat([m[used], m[~used]])  # the scenario's indicators first
    return m[[c for c in first if c in m.columns]].reset_index(drop=True)


def sources_table(metadata: pd.DataFrame, *, rail: bool = True,
                  catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """The catalogue rows of the data a run used.

    A file counts as used when an indicator's ``source`` names it, or when the catalogue says
    the regions or code-translation stage reads it (always run), or the rail network (when
    the scenario adds rail).

    Parameters
    ----------
    metadata : DataFrame
        Indicator metadata with a ``source`` column (paths separated by ``;``).
    rail : bool
        Whether the run's network included rail.
    catalogue : DataFrame, optional
        Default: ``data/catalogue.csv``.

    Returns
    -------
    DataFrame with columns path, title, source, source_url, as_of, licence, attribution, in
    catalogue order; files an indicator names that the catalogue lacks are listed at the end
    with empty fields (a user table, for instance).
    """
    from geo import catalogue as cat_mod

    cat = cat_mod.read_catalogue() if catalogue is None else catalogue
    named: list[str] = []
    for text in metadata.get("source", pd.Series(dtype=str)).dropna():
        named += [p.strip() for p in str(text).split(";") if p.strip()]
    named = list(dict.fromkeys(named))
    stage = cat["used_by"].fillna("").str.split(r"[:;]", regex=True).str[0].str.strip()
    stages = {"regions", "codes"} | ({"network"} if rail else set())
    used = cat["path"].isin(named) | stage.isin(stages)
    cols = ["path", "title", "source", "source_url", "as_of", "licence", "attribution"]
    out = cat.loc[used, cols].copy()
    unknown = [p for p in named if p not in set(cat["path"])]
    if unknown:
        out = pd.concat([out, pd.DataFrame({"path": unknown})], ignore_index=True)
    return out.fillna("").reset_index(drop=True)


def check_run(run) -> None:
    missing = [a for a in ("scenario", "units", "values", "metadata", "scores") if getattr(run, a, None) is None]
    if missing:
        raise InputError("the run lacks results the report needs", expected="a run through the scoring stage",
                         got=missing)


def display_names(units: pd.DataFrame) -> pd.DataFrame:
    """``display_ko``/``display_en``: same-named 구 with their 시도 (북구(대구))."""
    from geo.maps import qualified_names

    if "sido_name_ko" not in units.columns:
        return pd.DataFrame({"display_ko": units["name_ko"], "display_en": units.get("name_en")}, index=units.index)
    return qualified_names(units)


def drop_empty_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Without the columns that hold nothing (all missing or blank text)."""
    empty = [c for c in df.columns if df[c].isna().all()
             or (df[c].dtype == object and df[c].map(lambda v: v is None or (isinstance(v, str) and not v.strip())
                                                     or (isinstance(v, float) and math.isnan(v))).all())]
    return df.drop(columns=empty)


def region_codes(index) -> pd.Index:
    return pd.Index([str(c) for c in index], name="region_code")


def split_codes(value) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return []
    return [c for c in str(value).split(";") if c]
