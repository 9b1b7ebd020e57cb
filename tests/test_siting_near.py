"""The consolidation rule on the region tables: hubs near an existing organisation.

A synthetic 3 x 3 grid of areas 1 km apart plus a far island (weight 5); "near" marks the
two corner areas 10000 and 10001 only.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from geo import explain, scenario, siting
from geo.config import SCENARIO_DIR
from geo.errors import InputError


@pytest.fixture
def grid():
    pts = [(x, y) for y in range(3) for x in range(3)] + [(9, 9)]
    xy = np.array(pts, float)
    codes = [f"1{i:04d}" for i in range(10)]
    cost = pd.DataFrame(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)),
                        index=codes, columns=codes)
    units = pd.DataFrame({
        "megaregion": ["수도권"] * 3 + ["충청권"] * 6 + ["제주권"],
        "name_ko": [f"구역{i}" for i in range(10)], "name_en": [f"Area {i}" for i in range(10)],
        "need": [1.0] * 9 + [5.0], "uniform": 1.0,
        "capability_index": [10, 90, 10, 10, 20, 10, 10, 80, 10, 50.0],
    }, index=pd.Index(codes, name="region_code"))
    near = pd.Series([True, True] + [False] * 8, index=codes)
    return units, cost, near


def test_site_hubs_keeps_the_rule(grid):
    units, cost, near = grid
    free, _ = siting.site_hubs(units, cost, demand="need", k=2)
    assert sorted(free.index) == ["10004", "10009"]  # the grid centre and the island
    hubs, _ = siting.site_hubs(units, cost, demand="need", k=2, near=near, near_min=1)
    assert near[hubs.index].sum() == 1 and "10009" in hubs.index
    # the best corner-side site for the grid's 9 areas: 10001 (edge middle) over 10000 (corner)
    assert sorted(hubs.index) == ["10001", "10009"] and hubs.attrs["siting"]["optimal"]
    hubs, _ = siting.site_hubs(units, cost, demand="need", k=2, near=near, near_min=2)
    assert sorted(hubs.index) == ["10000", "10001"]


def test_plan_prices_the_rule_and_names_it(grid):
    units, cost, near = grid
    out = siting.plan(units, cost, demand="need", k=2, near=near, near_min=1)
    hubs, pc = out["hubs"], out["policy_costs"]
    assert sorted(hubs.index) == ["10001", "10009"]
    assert hubs.loc["10001", "placed_by"] == "near_organisation"
    assert hubs.loc["10009", "placed_by"] == "optimisation"
    assert hubs["near_organisation"].to_dict() == {"10001": True, "10009": False}
    row = pc.set_index("rule").loc["near_organisation"]
    assert row["hubs_only_with_rule"] == "10001" and row["hubs_without_rule"] == "10004"
    # access: the grid's nine areas (weight 1) to 10001 instead of the centre; the island is a hub
    g = cost.iloc[:9, :9]
    with_rule, without = float(g["10001"].sum()), float(g["10004"].sum())
    assert row["access_with"] == pytest.approx(with_rule)
    assert row["d_access_pct"] == pytest.approx(100 * (with_rule - without) / without)
    # no alternative breaks the rule: 10001's only allowed replacement is the other corner
    assert hubs.loc["10001", "best_alternative"] in ("10000", "")
    # the frontier points keep the rule too
    for h in out["frontier"]["hub_codes"]:
        assert near[h.split(";")].sum() >= 1


def test_errors(grid):
    units, cost, near = grid
    with pytest.raises(InputError, match="near lacks regions"):
        siting.site_hubs(units, cost, demand="need", k=2, near=near.drop("10003"), near_min=1)
    with pytest.raises(InputError, match="True/False"):
        siting.site_hubs(units, cost, demand="need", k=2, near=near.astype(int), near_min=1)
    with pytest.raises(InputError, match="near_min needs near"):
        siting.site_hubs(units, cost, demand="need", k=2, near_min=1)


def test_rule_words():
    sc = scenario.load_scenario(SCENARIO_DIR / "national.yaml")
    sc = replace(sc, siting=replace(sc.siting, near_organisation=scenario.NearOrganisation(8, 20.0, 25.0)))
    assert explain.rule_words("near_organisation", sc) == (
        "기존 기관 20분 이내 거점 최소 8곳", "at least 8 hubs within 20 min of an existing organisation")
    assert explain.rule_words("near_organisation", sc, minutes=False)[1] == (
        "at least 8 hubs within 25 km of an existing organisation")


def _raw():
    import yaml

    return yaml.safe_load((SCENARIO_DIR / "national.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("value, message", [
    ({"within_minutes": -1, "min_hubs": 2}, "siting.near_organisation.within_minutes: expected a number >= 0, got -1"),
    ({"within_minutes": 20, "min_hubs": 11}, "siting.near_organisation.min_hubs: expected at most k (10) hubs, got 11"),
    ({"within_minutes": 20, "min_hubs": 0}, "siting.near_organisation.min_hubs: expected an integer >= 1, got 0"),
    ({"min_hubs": 3}, "siting.near_organisation: expected within_minutes (travel-time runs) or within_km"),
    ({"within_km": 20, "min_hubs": 2, "minhubs": 1}, "siting.near_organisation.minhubs: unknown key"),
    ("20 minutes", "siting.near_organisation: expected {within_minutes: <minutes>, min_hubs: <n>}"),
])
def test_scenario_checks(value, message):
    raw = _raw()
    raw["siting"]["near_organisation"] = value
    with pytest.raises(scenario.ScenarioError) as e:
        scenario.validate(raw, file="x.yaml")
    assert message in str(e.value) and "\n" not in str(e.value)


def test_scenario_k_auto_check():
    raw = _raw()
    raw["siting"].update(k="auto", k_range=[6, 11], near_organisation={"within_minutes": 20, "min_hubs": 8})
    with pytest.raises(scenario.ScenarioError, match=r"siting.near_organisation.min_hubs: expected at most "
                                                     r"the lowest k of k_range \(6\) hubs, got 8"):
        scenario.validate(raw, file="x.yaml")
    raw["siting"]["near_organisation"]["min_hubs"] = 6
    assert scenario.validate(raw, file="x.yaml").siting.near_organisation.min_hubs == 6


def test_scenario_round_trip():
    raw = _raw()
    raw["siting"]["near_organisation"] = {"within_minutes": 20, "min_hubs": 8}
    sc = scenario.validate(raw, file="x.yaml")
    assert sc.siting.near_organisation == scenario.NearOrganisation(8, 20.0, None)
    back = sc.to_dict()["siting"]["near_organisation"]
    assert back == {"min_hubs": 8, "within_minutes": 20.0, "within_km": None}
    raw["siting"]["near_organisation"] = back
    assert scenario.validate(raw, file="x.yaml").siting.near_organisation == sc.siting.near_organisation


def test_variant_with_fewer_hubs_than_the_rule(tmp_path):
    import yaml

    from geo.pipeline import variant

    raw = yaml.safe_load((SCENARIO_DIR / "national.yaml").read_text(encoding="utf-8"))
    raw["siting"]["near_organisation"] = {"within_minutes": 20, "min_hubs": 8}
    path = tmp_path / "consolidation.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    v = variant(path, k=6)
    assert v.siting.k == 6 and v.siting.near_organisation.min_hubs == 6
    v = variant(path, k=9)
    assert v.siting.near_organisation.min_hubs == 8
