"""Exact at 시군구 scale on the real data: for the shipped scenarios, our p-median objective on
the pipeline's own cost matrix and need equals the optimum spopt's PMedian (PuLP + CBC)
reaches on the same matrix and the same eligible candidates.

The scenarios run in memory with few Monte Carlo draws (conftest.py): the siting reads the
nominal scores, which do not depend on the draws.
"""

from pathlib import Path

import numpy as np
import pulp
import pytest

from geo import siting, solver
from geo.pipeline import run_in_memory, variant

pytestmark = [
    pytest.mark.filterwarnings("ignore:Constructing LpVariable:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning"),
]
SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "scenarios"


@pytest.mark.parametrize("name", ["national", "need_first", "capability_first"])
def test_objective_equals_spopt_optimum(name, national_run, few_draws):
    from spopt.locate import PMedian

    r = national_run if name == "national" else run_in_memory(
        variant(SCENARIOS / f"{name}.yaml", **few_draws), until="scoring")
    opt = r.scenario.siting
    codes = r.scores.index
    cost = r.network.cost.loc[codes, codes].to_numpy()
    need = siting.demand_columns(r.scores, r.values)[opt.demand].to_numpy()
    eligible = np.ones(len(codes), bool)
    for col, lo in opt.eligibility.minimums().items():
        eligible &= r.scores[col].to_numpy() >= lo
    k = int(opt.k)
    ours = solver.solve(cost, need, k, candidates=eligible, method="exact")
    assert ours.optimal
    ref = PMedian.from_cost_matrix(cost[:, eligible], need, p_facilities=k)
    # CBC without presolve and preprocessing (slow on this model, see test_siting.cbc)
    ref.solve(pulp.PULP_CBC_CMD(msg=False, options=["presolve off", "preprocess off"]), results=False)
    assert ours.objective == pytest.approx(pulp.value(ref.problem.objective), rel=1e-9)


def test_programme_constraints_hold_on_the_national_run(national_run):
    r = national_run
    hubs, a = r.hubs, r.assignments
    opt = r.scenario.siting
    assert len(hubs) == opt.k
    per = hubs["megaregion"].value_counts()
    assert per.max() <= 2
    assert set(dict(opt.per_megaregion.min)) <= set(per.index)
    elig = r.scores.loc[hubs.index]
    floors = opt.eligibility.minimums()
    assert floors == {"base": 20, "knowledge": 10}
    assert all((elig[p] >= v).all() for p, v in floors.items())
    # the manufacturing centres a committee expects: 구미, 안산, 창원, 울산 남구 and 여수
    assert {"37050", "31090", "38110", "26020", "36020"} <= set(hubs.index)
    # consolidation (no rule in force): 9 of the 10 hubs lie within 20 minutes of an existing
    # organisation, and every hub names its nearest one
    assert opt.near_organisation is None and "near_organisation" not in hubs.columns
    assert (hubs["nearest_org_minutes"] <= 20).sum() == 9 and hubs["nearest_org"].notna().all()
    # Every region has a hub within the maximum spoke time (the run has travel minutes), or is
    # reported uncovered; the km to the same hub stay beside the minutes.
    assert r.network.times is not None and "minutes" in a.columns and "distance_km" in a.columns
    # the solve is a field of the result, in the unit sited on, and no frame carries it
    info = r.siting.info
    assert info["k"] == opt.k and info["optimal"] and info["cost_unit"] == r.siting.cost_unit == "minutes"
    assert info["max_spoke_minutes"] == opt.max_spoke_minutes and not hubs.attrs
    covered = a[a["covered"]]
    assert (covered["minutes"] <= opt.max_spoke_minutes).all()
    uncovered = a[~a["covered"]]
    assert (uncovered["nearest_hub_minutes"] > opt.max_spoke_minutes).all()
    # 울릉군 (ferry) and 서귀포시 (flight plus road) are beyond 130 minutes of every hub; 제주시 is
    # within it by air
    assert set(uncovered.index) == {"37430", "39020"}
    fr = r.siting.frontier
    assert len(fr) >= 8 and fr["optimal"].all() and fr["chosen"].sum() == 1
    assert set(r.siting.policy_costs["rule"]) >= {"per_megaregion.max", "max_spoke", "eligibility.min_base",
                                                  "eligibility.min_knowledge"}
    assert hubs["freq_combined"].between(0, 1).all()
    assert set(hubs["robustness"]) <= {"core", "contested"}
    assert hubs["placed_by"].notna().all() and (hubs["placed_by"] != "").all()
    # the spokes the spoke time limit keeps in reach: 옹진군 through 남동구, 진도군 and 제주시
    # through 나주 (every other hub's field is empty), named in the explanation
    kept = hubs["kept_within_spoke_limit"].fillna("")
    assert kept[kept != ""].to_dict() == {"23050": "23320", "36040": "36470;39010"}
    for code in kept[kept != ""].index:
        assert "max_spoke" in hubs.at[code, "placed_by"]
    assert "Jindo-gun, Jeju-si within the spoke limit" in hubs.at["36040", "explanation_en"]
    assert hubs["explanation_ko"].str.contains("종합").all() and hubs["explanation_en"].str.len().gt(40).all()


def test_k_auto_uses_the_elbow_rule(national_scenario, tmp_path):
    """``k: auto`` picks k on the objective curve over ``k_range`` (the table k_elbow.csv holds).
    The earlier stages come from the stage cache of the session's national run."""
    import yaml

    from geo.pipeline import load

    raw = national_scenario.to_dict()
    raw.update(name="k_auto")
    # At most 2 hubs per 권역 and no eligible candidate in 제주권: 11 hubs at most.
    raw["siting"].update(k="auto", k_range=[6, 11])
    path = tmp_path / "k_auto.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    r = run_in_memory(load(path), until="siting")
    curve = r.siting.k_curve  # index k
    assert list(curve.index) == list(range(6, 12))
    assert curve["objective"].is_monotonic_decreasing
    assert 6 <= len(r.hubs) <= 11


def test_infeasible_caps_name_the_hub_slots_left(national_scenario):
    """The siting stage refuses k=13 in one line, the line the CLI prints last (exit 2, no
    output folder: a late stage's error reaches the CLI as in test_bad_inputs_files.py's
    test_cli_user_indicator_near_the_float_limit_exits_2). The earlier stages come from the
    stage cache of the session's national run."""
    from geo.errors import InfeasibleError

    # 2 per 권역 over the six 권역 with an eligible candidate (none in 제주권): 12 slots
    with pytest.raises(InfeasibleError) as err:
        run_in_memory(variant(national_scenario, k=13), until="siting")
    assert str(err.value) == (
        "infeasible siting constraints: group_max leaves only 12 hub slots among eligible candidates for k=13")


def test_at_stake_demand_moves_the_national_hubs(national_run):
    """Manufacturing at stake (need x size) changes the hub set relative to uniform demand, and
    doubling one region's at-stake demand can only bring a hub nearer to it."""
    r = national_run
    units = siting.demand_columns(r.scores.reindex(r.units.index), r.values)
    codes = units.index
    cost = r.network.cost.loc[codes, codes].to_numpy()
    sets = {}
    for dem in ("at_stake", "uniform"):
        sets[dem] = set(codes[solver.solve(cost, units[dem].to_numpy(float), 10).hubs])
    assert sets["at_stake"] != sets["uniform"]
    w = units["at_stake"].to_numpy(float)
    base = solver.solve(cost, w, 10)
    i = int(np.argmax(cost[:, base.hubs].min(axis=1) * w))  # the demand worst served
    w2 = w.copy()
    w2[i] *= 2
    moved = solver.solve(cost, w2, 10)
    assert base.optimal and moved.optimal
    assert cost[i, moved.hubs].min() <= cost[i, base.hubs].min()
