"""Why each hub: the committee's explanation of a siting, from the hub's own numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely

from geo.labels import FAMILY_DETAILS, PILLARS

__all__ = ["explain", "EXPLAIN_RADIUS_KM", "rule_words", "placed_by_words"]



#: Radius (straight line, km) for the "universities within R km" part of an explanation
#: when the scenario sets no reach: about an hour's drive.
EXPLAIN_RADIUS_KM = 60.0


def _located(points) -> np.ndarray:
    """The geometries of ``points`` that have a location (an array for :func:`_within`)."""
    if points is None or len(points) == 0:
        return np.empty(0, dtype=object)
    g = points.geometry
    return g[g.notna() & ~g.is_empty].to_numpy()


def _within(located: np.ndarray, centre, radius_km: float) -> int:
    return int((shapely.distance(located, centre) <= radius_km * 1000).sum()) if len(located) else 0


def explain(hubs: pd.DataFrame, assignments: pd.DataFrame, *, scores: pd.DataFrame,
            values: pd.DataFrame, points, universities=None, research=None,
            radius_km: float = EXPLAIN_RADIUS_KM, demand: str = "need",
            families: Sequence[str] = (), unit: str = "km", scenario=None) -> pd.DataFrame:
    """Add ``explanation_ko`` / ``explanation_en``: why each hub, from its own numbers.

    Parameters
    ----------
    hubs, assignments
        From :func:`site_hubs`.
    scores
        Index region_code; rank, rank_p05, rank_p95, need, base, knowledge, geometry-free.
    values
        Indicator values (index region_code): mfg_va_change_2015_2020,
        mfg_loss_share_grdp_2015, ic_operating_firms, root_complex_count.
    points
        GeoSeries of each region's representative point (EPSG:5179), index region_code.
    universities, research
        Point GeoDataFrames (EPSG:5179) from the indicators stage; counted within
        ``radius_km`` of the hub's representative point.
    demand
        The demand column the hubs were sited on (named in the text).
    families
        Robustness families re-solved (columns ``freq_<family>`` of ``hubs``), named in the text.
    unit
        "km" or "minutes": the unit of the spoke distances (columns still named ``_km`` here).
    scenario : Scenario, optional
        Supplies the limits named when a rule placed a hub (the spoke limit, the floors).
    """
    hubs = hubs.copy()
    pts = points
    n = len(scores)
    ko, en = [], []
    univ, res = _located(universities), _located(research)
    for code, h in hubs.iterrows():
        s, v = scores.loc[code], values.loc[code]
        u = _within(univ, pts.get(code), radius_km) if code in pts.index else 0
        rs = _within(res, pts.get(code), radius_km) if code in pts.index else 0
        chg, loss = v.get("mfg_va_change_2015_2020"), v.get("mfg_loss_share_grdp_2015")
        firms, roots = v.get("ic_operating_firms"), v.get("root_complex_count")
        freq = h.get("selection_frequency")
        # The two indices lead (the siting uses them); the overall score comes last, as detail.
        parts_ko, parts_en = [], []
        for col, rank, ko_, en_ in (("need_tier", "need_rank", "필요 등급", "need tier"),
                                    ("capability_tier", "capability_rank", "역량 등급", "capability tier")):
            if col in s.index and pd.notna(s[col]):
                r = f" ({int(s[rank])}/{n})" if rank in s.index and pd.notna(s[rank]) else ""
                parts_ko.append(f"{ko_} {s[col]}{r.replace('/', '위/')}")
                parts_en.append(f"{en_} {s[col]}{r.replace('(', '(rank ').replace('/', ' of ')}")
        if pd.notna(freq) and pd.isna(h.get("freq_combined")):
            parts_ko.append(f"수요 추첨의 {freq:.0%}에서 거점으로 선정")
            parts_en.append(f"chosen in {freq:.0%} of the demand draws")
        if pd.notna(h.get("capability")):
            parts_ko.append(f"역량 지수 {h['capability']:.0f}")
            parts_en.append(f"capability index {h['capability']:.0f}")
        if pd.notna(h.get("freq_combined")):
            fams = [f for f in families if f != "combined" and pd.notna(h.get(f"freq_{f}"))]
            detail = ", ".join(f"{FAMILY_DETAILS.get(f, (f, f))[1]} {h[f'freq_{f}']:.0%}" for f in fams)
            detail_ko = ", ".join(f"{FAMILY_DETAILS.get(f, (f, f))[0]} {h[f'freq_{f}']:.0%}" for f in fams)
            tag_ko = "핵심 거점" if h.get("robustness") == "core" else "경합 거점"
            tag_en = "core hub" if h.get("robustness") == "core" else "contested hub"
            parts_ko.append(f"{tag_ko}: {len(fams)}개 재계산 묶음 평균 {h['freq_combined']:.0%} 선정 ({detail_ko})")
            parts_en.append(f"{tag_en}: chosen in {h['freq_combined']:.0%} of the re-solves, averaged over "
                            f"{len(fams)} families ({detail})")
        if pd.notna(chg):
            d = 1 if abs(chg) < 1 else 0  # -0.2 %, not -0 %
            pct = f"{chg:+.{d}f}%" if round(chg, d) != 0 else "±0%"  # not -0.0 % either
            t = f"제조업 부가가치 2015→2020 {pct}"
            e = f"manufacturing value added 2015→2020 {pct}"
            if pd.notna(loss) and loss > 0:
                t += f" (2015 GRDP의 {loss:.1f}% 감소)"
                e += f" (a loss of {loss:.1f}% of 2015 GRDP)"
            parts_ko.append(t)
            parts_en.append(e)
        if pd.notna(firms):
            parts_ko.append(f"산업단지 가동업체 {int(firms):,}곳")
            parts_en.append(f"{int(firms):,} operating firms in industrial complexes")
        if pd.notna(roots) and roots > 0:
            parts_ko.append(f"뿌리산업 특화단지 {int(roots)}곳")
            parts_en.append(f"{int(roots)} designated root-industry cluster(s)")
        parts_ko.append(f"반경 {radius_km:.0f} km 내 대학 {u}곳, 연구기관 {rs}곳")
        parts_en.append(f"{u} universities and {rs} research institutes within {radius_km:.0f} km")
        if h["n_spokes"]:
            u_ko = "분" if unit == "minutes" else "km"
            u_en = "min" if unit == "minutes" else "km"
            parts_ko.append(f"연계 지역 {int(h['n_spokes'])}곳 (평균 {h['mean_spoke_distance_km']:.0f} {u_ko}, "
                            f"최대 {h['max_spoke_distance_km']:.0f} {u_ko})")
            parts_en.append(f"serves {int(h['n_spokes'])} spoke regions (mean {h['mean_spoke_distance_km']:.0f} "
                            f"{u_en}, max {h['max_spoke_distance_km']:.0f} {u_en})")
        served = h.get("need_served")
        if pd.notna(served) and demand == "at_stake":
            parts_ko.append(f"위기 제조업 수요 {served:,.0f}백만원 담당")
            parts_en.append(f"serves at-stake manufacturing of KRW {served:,.0f} million")
        placed = h.get("placed_by", "optimisation")
        if h.get("fixed"):
            parts_ko.append("시나리오에서 사전 지정된 거점")
            parts_en.append("fixed in advance by the scenario")
        elif placed == "all rules together":
            parts_ko.append("정책 규칙들이 함께 강제한 거점: 규칙을 모두 빼면 선정되지 않음 (규칙 하나만 빼면 여전히 선정)")
            parts_en.append("placed by the programme rules together: not chosen without all of them "
                            "(still chosen without any one)")
        elif isinstance(placed, str) and placed not in ("", "optimisation"):
            pk, pe = placed_by_words(placed, scenario, minutes=unit == "minutes")
            several = ";" in placed
            parts_ko.append(f"정책 규칙 때문에 선정 ({pk}): "
                            + ("어느 규칙 하나만 없어도 선정되지 않음" if several else "이 규칙이 없으면 선정되지 않음"))
            parts_en.append(f"placed by rule ({pe}): not chosen without " + ("either" if several else "it"))
            kept = h.get("kept_within_spoke_limit")
            if isinstance(kept, str) and kept:
                ko_n, en_n = _names(assignments, kept.split(";"))
                parts_ko.append(f"이 규칙으로 {ko_n}이(가) 이 거점을 통해 연계 한도 안에 듦 "
                                "(규칙이 없는 배치에서는 모든 거점에서 한도 초과)")
                parts_en.append(f"the rule keeps {en_n} within the spoke limit through this hub (beyond it "
                                "from every hub of the layout without the rule)")
        elif "placed_by" in h.index:
            parts_ko.append("최적화로 선정 (어느 규칙 하나를 빼도 선정됨)")
            parts_en.append("placed by the optimisation (still chosen without any one rule)")
        alt = h.get("best_alternative")
        if "best_alternative" in h.index and not (isinstance(alt, str) and alt):
            parts_ko.append("권역·담당 지역 안에 규칙을 지키는 다른 적격 후보 없음")
            parts_en.append("no other eligible site in its 권역 or catchment keeps the rules")
        elif isinstance(alt, str) and alt:
            da, dc = h.get("swap_d_access_pct"), h.get("swap_d_capability")
            nm = h.get("best_alternative_name", alt)
            parts_ko.append(f"최선의 대안 {nm}: 접근 비용 {da:+.1f}%, 평균 역량 {dc:+.1f}점")
            parts_en.append(f"best alternative {nm}: access cost {da:+.1f} %, mean capability {dc:+.1f} points")
        parts_ko.append(f"종합 점수 {int(s['rank'])}위/{n} (90% 구간 {int(s['rank_p05'])}–{int(s['rank_p95'])}위)")
        parts_en.append(f"overall score rank {int(s['rank'])} of {n} (90% interval "
                        f"{int(s['rank_p05'])}–{int(s['rank_p95'])})")
        ko.append("; ".join(parts_ko))
        en.append("; ".join(parts_en))
    hubs["explanation_ko"] = ko
    hubs["explanation_en"] = en
    return hubs


# ---------------------------------------------------------------------------------------------
def _names(assignments: pd.DataFrame, codes: list[str]) -> tuple[str, str]:
    """Korean and English names of some regions, joined, from the assignment table."""
    a = assignments.reindex(codes)
    return ", ".join(a["name_ko"].astype(str)), ", ".join(a["name_en"].astype(str))


# the programme rules in words (policy_costs.csv rule ids, hubs.csv placed_by)


def _limit_text(limits) -> str:
    """'2' when every 권역 has the same limit, else '권역별 · per 권역 (수도권 3, …)'."""
    values = sorted({int(v) for _, v in limits})
    if len(values) == 1:
        return str(values[0])
    return "권역별 (" + ", ".join(f"{m} {int(v)}" for m, v in limits) + ")"


def rule_words(rule: str, scenario=None, *, minutes: bool = True) -> tuple[str, str]:
    """A programme rule id of ``policy_costs.csv`` / ``placed_by`` in words (Korean, English).

    ``scenario`` (optional) supplies the limits (at most N hubs per 권역, the spoke limit,
    the floors); ``minutes``: the spoke limit was applied to travel minutes (else km).
    """
    rule = str(rule).strip()
    t = getattr(scenario, "siting", None)
    if rule == "optimisation":
        return "최적화", "optimisation"
    if rule == "all rules together":
        return "규칙들의 결합", "the rules together"
    if rule == "fixed":
        return "사전 지정 거점", "fixed in advance"
    if rule == "excluded":
        return "제외 지역", "excluded regions"
    if rule == "near_organisation":
        no = None if t is None else t.near_organisation
        v = None if no is None else (no.within_minutes if minutes else no.within_km)
        if v is None:
            return "기존 기관 인접 거점 수 하한", "hubs near an existing organisation"
        u_ko, u_en = ("분", "min") if minutes else (" km", "km")
        return (f"기존 기관 {v:g}{u_ko} 이내 거점 최소 {no.min_hubs}곳",
                f"at least {no.min_hubs} hubs within {v:g} {u_en} of an existing organisation")
    if rule in ("per_megaregion.max", "per_megaregion.min"):
        lim = () if t is None else (t.per_megaregion.max if rule.endswith("max") else t.per_megaregion.min)
        n = _limit_text(lim) if lim else ""
        if rule.endswith("max"):
            return f"권역당 최대 거점 수 {n}".strip(), f"at most {n or 'a set number of'} hubs per 권역"
        return f"권역당 최소 거점 수 {n}".strip(), f"at least {n or 'a set number of'} hub(s) per 권역"
    if rule == "max_spoke":
        if minutes:
            v = None if t is None else t.max_spoke_minutes
            return (f"연계 지역 최대 시간{f' {v:.0f}분' if v else ''}",
                    f"spoke time limit{f' ({v:.0f} min)' if v else ''}")
        v = None if t is None else t.max_spoke_km
        return (f"연계 지역 최대 거리{f' {v:.0f} km' if v else ''}",
                f"spoke distance limit{f' ({v:.0f} km)' if v else ''}")
    m = re.fullmatch(r"eligibility\.min_(\w+)", rule)
    if m:
        col = m.group(1)
        ko, en = PILLARS.get(col, (col, col))
        ko = {"knowledge": "지식 역량", "base": "산업기반"}.get(col, ko)
        en = {"knowledge": "knowledge", "base": "industrial-base"}.get(col, en.lower())
        v = None if t is None else getattr(t.eligibility, f"min_{col}", None)
        num = "" if v is None else f" {v:g}"
        return f"{ko} 하한{num}", f"{en} floor{num}"
    return rule, rule


def placed_by_words(value, scenario=None, *, minutes: bool = True) -> tuple[str, str]:
    """``placed_by`` of hubs.csv (optimisation, fixed, or rule ids joined by '; ') in words."""
    parts = [p for p in str(value).split(";") if p.strip()] or ["optimisation"]
    words = [rule_words(p, scenario, minutes=minutes) for p in parts]
    return " + ".join(w[0] for w in words), " + ".join(w[1] for w in words)
