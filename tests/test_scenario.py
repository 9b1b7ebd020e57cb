"""Scenario files: every problem listed at once, with its key path; shipped scenarios valid."""

import copy
import dataclasses
import json

import pytest
import yaml

from geo.errors import InputError, ScenarioError
from geo.scenario import (
    MEGAREGIONS,
    Scenario,
    load_scenario,
    shipped_scenarios,
    validate,
)

# The indicator ids of the pipeline contract (briefs/contract.md), written out so that this
# test fails if a shipped scenario names anything else.
CONTRACT_IDS = [
    "mfg_va_change_2015_2020", "mfg_va_change_2010_2020", "mfg_va_abs_change_2015_2020",
    "mfg_loss_share_grdp_2015", "mfg_share_grdp_2015", "pop_change_2015_2025",
    "aged_complex_share", "mfg_gva_change_2019_2022", "decline_index",
    "mfg_va_2020", "root_complex_count", "root_complex_firms", "ic_operating_firms",
    "ic_area_km2", "ic_firms_lq", "strong_cluster",
    "univ_count", "univ_access", "research_count", "research_access",
    "conn_harmonic_min", "conn_access_mfg", "conn_access_knowledge", "conn_reach_60", "conn_reach_90",
    # the need index's loss in won, its KOSIS alternative period, the base of at_stake and the
    # access scores at the alternative half-distances of the uncertainty analysis
    "mfg_va_loss_2015_2020", "mfg_gva_loss_2019_2022", "mfg_va_2015",
    "univ_access_20km", "univ_access_45km", "research_access_20km", "research_access_45km",
]


def minimal(**extra) -> dict:
    raw = {
        "name": "tiny",
        "pillars": {
            "need": {"weight": 1, "indicators": {"a": 1, "b": 1}},
            "base": {"weight": 1, "indicators": ["c"]},
        },
    }
    raw.update(extra)
    return raw


def problems_of(raw, **kw) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        validate(raw, file="s.yaml", **kw)
    assert str(info.value).startswith("s.yaml: ")
    return info.value.problems


# --- shipped scenarios ------------------------------------------------------------------------


def test_shipped_scenarios_validate_against_contract_ids():
    found = shipped_scenarios()
    assert {"national", "need_first", "capability_first"} <= set(found)
    for name, path in found.items():
        s = load_scenario(path, indicator_ids=CONTRACT_IDS)
        assert s.name == name == path.stem
        assert s.pillar_names == ("need", "base", "knowledge", "connectivity")
        assert abs(sum(s.pillar_weights().values()) - 1) < 1e-12
        assert s.title_ko and s.title_en and s.description


def test_national_defaults_as_briefed():
    s = load_scenario(shipped_scenarios()["national"])
    t = s.siting
    assert (t.model, t.k, t.demand, t.max_spoke_km) == ("pmedian", 10, "at_stake", 150)
    assert all(t.per_megaregion.max_for(m) == 2 for m in MEGAREGIONS)
    assert [m for m in MEGAREGIONS if t.per_megaregion.min_for(m) == 1] == list(MEGAREGIONS[:-1])
    assert t.per_megaregion.min_for("제주권") == 0
    assert t.eligibility.minimums() == {"base": 20, "knowledge": 10}
    assert s.uncertainty.draws >= 10_000
    assert s.scoring.missing == "mean_of_available"
    # the need index: depth and size of the loss lead; the decline sub-index keeps its own mix
    from geo.indicators import DECLINE_WEIGHTS

    assert s.pillar("need").indicator_weights() == pytest.approx(
        {"mfg_loss_share_grdp_2015": 0.35, "mfg_va_loss_2015_2020": 0.35,
         "mfg_va_change_2015_2020": 0.15, "aged_complex_share": 0.15})
    assert dict(s.indicators.decline_weights) == DECLINE_WEIGHTS
    assert s.scoring.outliers == "qtreat" and s.scoring.at_stake_size == "mfg_va_2015"
    assert s.uncertainty.drop_one and set(s.uncertainty.outlier_rules) == {"qtreat", "winsorise", "none"}


def test_resolved_dict_round_trips_and_is_json():
    for path in shipped_scenarios().values():
        s = load_scenario(path)
        d = s.to_dict()
        json.dumps(d, ensure_ascii=False)
        assert validate(copy.deepcopy(d), file="resolved") == s
        assert validate(yaml.safe_load(yaml.safe_dump(d, allow_unicode=True, sort_keys=False)), file="r") == s


def test_defaults_filled_in():
    s = validate(minimal(), file="s.yaml")
    d = s.to_dict()
    assert d["units"] == "sgg" and d["title_en"] == "tiny"
    assert d["scoring"] == {"normalisation": "minmax", "winsorise": None, "aggregation": "linear",
                            "missing": {"policy": "mean_of_available", "max_missing_share": 0.5},
                            "outliers": "none", "at_stake_size": "mfg_va_2015",
                            "target_effective_weights": None}
    assert d["uncertainty"]["draws"] == 10_000
    assert d["uncertainty"]["normalisations"] == ["minmax", "zscore", "rank"]
    assert d["siting"]["k"] == 10 and d["siting"]["demand"] == "at_stake"
    assert s.pillar("base").indicator_weights() == {"c": 1.0}
    assert s.pillar("need").indicator_weights() == {"a": 0.5, "b": 0.5}


def test_scenario_is_frozen():
    s = validate(minimal(), file="s.yaml")
    assert isinstance(s, Scenario)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "other"


# --- one problem at a time: each names its key path and its problem ---------------------------


@pytest.mark.parametrize(
    "change, path, words",
    [
        (lambda r: r.update(pilars={}), "pilars", "did you mean 'pillars'"),
        (lambda r: r["pillars"].update(knowlege={"weight": 1, "indicators": ["a"]}),
         "pillars.knowlege", "did you mean 'knowledge'"),
        (lambda r: r["pillars"]["need"].update(weight=-1), "pillars.need.weight", ">= 0, got -1"),
        (lambda r: r["pillars"]["need"].update(weight="heavy"), "pillars.need.weight",
         "expected a number, got 'heavy'"),
        (lambda r: r["pillars"]["need"].update(weight=True), "pillars.need.weight",
         "expected a number, got True"),
        (lambda r: r["pillars"]["need"]["indicators"].update(a=-0.5), "pillars.need.indicators.a",
         ">= 0, got -0.5"),
        (lambda r: r["pillars"]["need"].update(indicators={"a": 0, "b": 0}),
         "pillars.need.indicators", "all indicator weights are zero"),
        (lambda r: [p.update(weight=0) for p in r["pillars"].values()], "pillars",
         "all pillar weights are zero"),
        (lambda r: r["pillars"]["base"].update(indicators=["a"]), "pillars.base.indicators.a",
         "already used in pillar 'need'"),
        (lambda r: r["pillars"]["need"].pop("indicators"), "pillars.need.indicators",
         "at least one indicator"),
        (lambda r: r.update(scoring={"normalisation": "minmaxx"}), "scoring.normalisation",
         "did you mean 'minmax'"),
        (lambda r: r.update(scoring={"aggregation": "harmonic"}), "scoring.aggregation",
         "expected one of linear, geometric"),
        (lambda r: r.update(scoring={"winsorise": {"lower": 0.9, "upper": 0.1}}),
         "scoring.winsorise", "lower < upper"),
        (lambda r: r.update(scoring={"missing": {"policy": "zero_fill"}}), "scoring.missing.policy",
         "expected one of mean_of_available, error"),
        (lambda r: r.update(scoring={"missing": {"max_missing_share": 1}}),
         "scoring.missing.max_missing_share", "< 1"),
        (lambda r: r.update(uncertainty={"draws": 0}), "uncertainty.draws", ">= 1, got 0"),
        (lambda r: r.update(uncertainty={"draws": 2.5}), "uncertainty.draws", "an integer"),
        (lambda r: r.update(uncertainty={"concentration": 0}), "uncertainty.concentration", "> 0"),
        (lambda r: r.update(uncertainty={"normalisations": []}), "uncertainty.normalisations",
         "non-empty list"),
        (lambda r: r.update(uncertainty={"aggregations": ["linear", "geo"]}),
         "uncertainty.aggregations[1]", "expected one of linear, geometric"),
        (lambda r: r.update(network={"circuity": 0.9}), "network.circuity", ">= 1"),
        (lambda r: r.update(network={"rail": "yes please"}), "network.rail", "true or false"),
        (lambda r: r.update(units="county"), "units", "expected one of sgg, emd"),
        (lambda r: r.update(name="has space"), "name", "folder name"),
        (lambda r: r.update(siting={"k": 0}), "siting.k", "positive integer or 'auto', got 0"),
        (lambda r: r.update(siting={"k": "ten"}), "siting.k", "positive integer or 'auto'"),
        (lambda r: r.update(siting={"k": "auto"}), "siting.k_range", "required when k is 'auto'"),
        (lambda r: r.update(siting={"k": "auto", "k_range": [5, 2]}), "siting.k_range",
         "1 <= low <= high"),
        (lambda r: r.update(siting={"model": "pcenter"}), "siting.model", "pmedian, mclp"),
        (lambda r: r.update(siting={"model": "mclp"}), "siting.reach_km", "required for model 'mclp'"),
        (lambda r: r.update(siting={"demand": "knowledge"}), "siting.demand",
         "pillar 'knowledge' is not in pillars"),
        (lambda r: r.update(siting={"eligibility": {"min_knowledge": 10}}),
         "siting.eligibility.min_knowledge", "pillar 'knowledge' is not in pillars"),
        (lambda r: r.update(siting={"eligibility": {"min_base": 120}}), "siting.eligibility.min_base",
         "<= 100"),
        (lambda r: r.update(siting={"eligibility": {"min_bse": 1}}), "siting.eligibility.min_bse",
         "did you mean 'min_base'"),
        (lambda r: r.update(siting={"per_megaregion": {"max": {"경기권": 1}}}),
         "siting.per_megaregion.max.경기권", "unknown 권역"),
        (lambda r: r.update(siting={"per_megaregion": {"max": 1, "min": {"수도권": 2}}}),
         "siting.per_megaregion", "수도권: min 2 is more than max 1"),
        (lambda r: r.update(siting={"k": 3, "per_megaregion": {"min": 1}}),
         "siting.per_megaregion.min", "add up to 7 hubs but k is 3"),
        (lambda r: r.update(siting={"k": 10, "per_megaregion": {"max": 1}}),
         "siting.per_megaregion.max", "allow only 7 hubs but k is 10"),
        (lambda r: r.update(siting={"fixed": ["4711"]}), "siting.fixed[0]", "5-digit region code"),
        (lambda r: r.update(siting={"fixed": ["38110"], "excluded": ["38110"]}), "siting.excluded",
         "both fixed and excluded: 38110"),
        (lambda r: r.update(siting={"k": 1, "fixed": ["38110", "11010"]}), "siting.fixed",
         "2 fixed hubs but k is 1"),
        (lambda r: r.update(siting={"max_spoke_km": -5}), "siting.max_spoke_km", "> 0"),
        (lambda r: r.update(siting={"robustness_draws": 500}, uncertainty={"draws": 100}),
         "siting.robustness_draws", "at most uncertainty.draws (100)"),
    ],
)
def test_each_bad_case_names_its_problem(change, path, words):
    raw = minimal()
    change(raw)
    problems = problems_of(raw)
    hits = [p for p in problems if p.startswith(f"{path}:") and words in p]
    assert hits, problems


def test_unknown_indicator_ids_with_suggestion():
    ids = ["a", "b", "c", "mfg_loss_share_grdp_2015"]
    raw = minimal()
    raw["pillars"]["need"]["indicators"]["mfg_loss_share"] = 1
    problems = problems_of(raw, indicator_ids=ids)
    assert problems == ["pillars.need.indicators.mfg_loss_share: unknown indicator id; "
                        "did you mean 'mfg_loss_share_grdp_2015'?"]
    # without the list of ids, any id is accepted (the scoring stage checks the columns)
    assert "mfg_loss_share" in validate(raw, file="s.yaml").indicator_ids


def test_demand_may_be_an_indicator_id():
    s = validate(minimal(siting={"demand": "c"}), file="s.yaml", indicator_ids="abc")
    assert s.siting.demand == "c"
    assert any(p.startswith("siting.demand:") for p in
               problems_of(minimal(siting={"demand": "zz"}), indicator_ids="abc"))


def test_all_problems_appear_at_once():
    raw = minimal(
        pilars={},
        scoring={"normalisation": "minmaxx", "aggregation": "mean"},
        uncertainty={"draws": -1},
        siting={"k": 0, "model": "pcentre", "fixed": ["x"]},
    )
    raw["pillars"]["need"]["weight"] = -2
    raw["pillars"]["base"]["indicators"] = {"c": 0}
    raw["pillars"]["need"]["indicators"]["zz"] = 1
    problems = problems_of(raw, indicator_ids=["a", "b", "c"])
    expected = ["pilars", "pillars.need.weight", "pillars.need.indicators.zz",
                "pillars.base.indicators", "scoring.normalisation", "scoring.aggregation",
                "uncertainty.draws", "siting.model", "siting.k", "siting.fixed[0]"]
    assert sorted(p.split(":")[0] for p in problems) == sorted(expected)
    with pytest.raises(ScenarioError, match=r"^s\.yaml: 10 problems: "):
        validate(raw, file="s.yaml", indicator_ids=["a", "b", "c"])


def test_top_level_must_be_a_mapping():
    assert problems_of(["not", "a", "mapping"]) == ["top level: expected a mapping, got a list"]


def test_pillars_required():
    assert any(p.startswith("pillars:") for p in problems_of({"name": "x"}))


def test_indicator_options_resolved_from_the_indicators_stage():
    from geo.indicators import DECLINE_WEIGHTS, HALF_DISTANCE_KM

    s = validate(minimal(), file="s.yaml")
    assert dict(s.indicators.decline_weights) == DECLINE_WEIGHTS
    assert s.indicators.access_half_km == HALF_DISTANCE_KM
    d = s.to_dict()["indicators"]
    assert d == {"access_half_km": HALF_DISTANCE_KM, "decline_weights": DECLINE_WEIGHTS, "user": []}
    own = validate(minimal(indicators={"decline_weights": {"mfg_loss_share_grdp_2015": 1}}), file="s")
    assert dict(own.indicators.decline_weights) == {"mfg_loss_share_grdp_2015": 1.0}


def test_indicator_option_problems():
    problems = problems_of(minimal(indicators={
        "access_half_km": 0,
        "decline_weights": {"mfg_loss_share": 1, "pop_change_2015_2025": -1},
        "user": [{"file": "x.csv"}, "nope"],
        "extra": 1,
    }))
    assert [p.split(":")[0] for p in problems] == [
        "indicators.extra", "indicators.access_half_km", "indicators.decline_weights.mfg_loss_share",
        "indicators.decline_weights.pop_change_2015_2025", "indicators.user[0].id", "indicators.user[1]",
    ]
    assert "did you mean 'mfg_loss_share_grdp_2015'" in problems[2]
    zero = problems_of(minimal(indicators={"decline_weights": {"mfg_share_grdp_2015": 0}}))
    assert zero == ["indicators.decline_weights: all weights are zero"]


def test_user_indicator_ids_count_as_known():
    raw = minimal(indicators={"user": [{"file": "t.csv", "id": "my_jobs", "direction": 1}]})
    raw["pillars"]["base"]["indicators"] = {"c": 1, "my_jobs": 1}
    s = validate(raw, file="s.yaml", indicator_ids=["a", "b", "c"])
    assert s.indicators.user[0]["id"] == "my_jobs"
    assert s.to_dict()["indicators"]["user"] == [{"file": "t.csv", "id": "my_jobs", "direction": 1}]
    raw["pillars"]["base"]["indicators"]["other"] = 1
    assert problems_of(raw, indicator_ids=["a", "b", "c"])[0].startswith("pillars.base.indicators.other:")


def test_emd_codes_are_seven_digits():
    s = validate(minimal(units="emd", siting={"fixed": ["1101053"]}), file="s.yaml")
    assert s.siting.fixed == ("1101053",)
    assert problems_of(minimal(units="emd", siting={"fixed": ["11010"]}))[0].startswith("siting.fixed[0]:")


def test_integer_codes_read_as_text():
    s = validate(minimal(siting={"fixed": [38110], "excluded": ["11010"]}), file="s.yaml")
    assert s.siting.fixed == ("38110",) and s.siting.excluded == ("11010",)


# --- files ------------------------------------------------------------------------------------


def test_file_problems_carry_line_numbers(tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text(
        "pillars:\n"
        "  need:\n"
        "    weight: 1\n"
        "    indicators:\n"
        "      a: 1\n"
        "      zz: 2\n"
        "siting:\n"
        "  k: 0\n"
        "  k: 4\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(f, indicator_ids=["a"])
    assert info.value.problems == [
        "siting.k (line 9): duplicate key",
        "pillars.need.indicators.zz (line 6): unknown indicator id",
    ]
    assert info.value.file == str(f)


def test_loaded_scenario_knows_its_file():
    path = shipped_scenarios()["national"]
    s = load_scenario(path)
    assert s.path == str(path)
    assert "path" not in s.to_dict() and validate(s.to_dict(), file="x") == s  # not compared


def test_name_defaults_to_file_stem(tmp_path):
    f = tmp_path / "my_case.yaml"
    f.write_text(yaml.safe_dump(minimal() | {"name": None}).replace("name: null\n", ""))
    assert load_scenario(f).name == "my_case"


def test_yaml_syntax_error_has_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("pillars:\n  need: [1, 2\nsiting: {}\n")
    with pytest.raises(ScenarioError, match=r"line \d+: YAML syntax error"):
        load_scenario(f)


def test_missing_file_lists_shipped(tmp_path):
    with pytest.raises(InputError, match="scenario file not found.*national.yaml"):
        load_scenario(tmp_path / "nope.yaml")
