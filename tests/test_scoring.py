"""Composite scores on hand-checkable fixtures, Monte Carlo invariants, property tests.

The fixture is synthetic and tiny on purpose (4 regions, 3 indicators, 2 pillars):

    region  n_up (+1)  n_down (-1)  b1 (+1)
    A           0          40          10
    B           2          30          10
    C           6          20          30
    D           8           0          50

need = mean(n_up, n_down), base = b1, pillar weights 1:1. Under min-max, n_up → 0, 25, 75,
100; n_down flipped → 0, 25, 50, 100; need → 0, 25, 62.5, 100; base → 0, 0, 50, 100.
"""

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from geo.scenario import validate
from geo.scoring import monte_carlo, score

CODES = ["11010", "11020", "11030", "11040"]
F = 0.99  # geometric mean on 1 + 0.99 s


@pytest.fixture
def values():
    return pd.DataFrame(
        {"n_up": [0.0, 2, 6, 8], "n_down": [40.0, 30, 20, 0], "b1": [10.0, 10, 30, 50]},
        index=pd.Index(CODES, name="region_code"),
    )


@pytest.fixture
def metadata():
    return pd.DataFrame(
        {"direction": [1, -1, 1], "pillar": ["need", "need", "base"]},
        index=pd.Index(["n_up", "n_down", "b1"], name="id"),
    )


def scen(*, normalisation="minmax", aggregation="linear", need=1.0, base=1.0, **extra):
    raw = {
        "name": "tiny",
        "pillars": {
            "need": {"weight": need, "indicators": {"n_up": 1, "n_down": 1}},
            "base": {"weight": base, "indicators": {"b1": 1}},
        },
        "scoring": {"normalisation": normalisation, "aggregation": aggregation},
    }
    for key, val in extra.items():
        raw.setdefault(key, {}).update(val) if isinstance(val, dict) else raw.update({key: val})
    return validate(raw, file="tiny")


def geo2(a, b, wa=0.5, wb=0.5):
    return (math.exp(wa * math.log(1 + F * a) + wb * math.log(1 + F * b)) - 1) / F


# --- exact scores per method ------------------------------------------------------------------


def test_minmax_linear_exact(values, metadata):
    out = score(values, metadata, scen())
    assert out.index.equals(values.index)
    assert out["need"].tolist() == pytest.approx([0, 25, 62.5, 100])
    assert out["base"].tolist() == pytest.approx([0, 0, 50, 100])
    assert out["score"].tolist() == pytest.approx([0, 12.5, 56.25, 100])
    assert out["rank"].tolist() == [4, 3, 2, 1]
    assert out["contrib_n_up"].tolist() == pytest.approx([0, 6.25, 18.75, 25])
    assert out["contrib_n_down"].tolist() == pytest.approx([0, 6.25, 12.5, 25])
    assert out["contrib_b1"].tolist() == pytest.approx([0, 0, 25, 50])
    assert out["n_missing"].tolist() == [0, 0, 0, 0]


def test_minmax_geometric_exact(values, metadata):
    out = score(values, metadata, scen(aggregation="geometric"))
    assert out["need"].tolist() == pytest.approx([0, 25, 62.5, 100])
    expected = [0, geo2(25, 0), geo2(62.5, 50), 100]
    assert out["score"].tolist() == pytest.approx(expected)
    assert expected[1] == pytest.approx((math.sqrt(25.75) - 1) / 0.99)   # 4.1156
    # less compensation than linear: B's 25 on need, 0 on base gives 4.1, not 12.5
    assert out["score"].iloc[1] < 12.5
    contrib = out.filter(regex="^contrib_")
    assert contrib.sum(axis=1).tolist() == pytest.approx(out["score"].tolist())
    # C: need's share of the score is its share of the log of the product
    share_need = math.log(1 + F * 62.5) / (math.log(1 + F * 62.5) + math.log(1 + F * 50))
    c = contrib.loc["11030"]
    assert c["contrib_n_up"] + c["contrib_n_down"] == pytest.approx(share_need * expected[2])
    assert c["contrib_n_up"] / c["contrib_n_down"] == pytest.approx(75 / 50)


def test_rank_exact(values, metadata):
    out = score(values, metadata, scen(normalisation="rank"))
    third = 100 / 3
    assert out["need"].tolist() == pytest.approx([0, third, 2 * third, 100])
    # b1 ties A and B: both take the mean rank 1.5 → 100 * 0.5 / 3
    assert out["base"].tolist() == pytest.approx([50 / 3, 50 / 3, 2 * third, 100])
    assert out["score"].tolist() == pytest.approx([25 / 3, 25, 2 * third, 100])


def test_zscore_exact(values, metadata):
    out = score(values, metadata, scen(normalisation="zscore"))
    sd_up = statistics.stdev([0, 2, 6, 8])
    sd_down = statistics.stdev([-40, -30, -20, 0])
    raw_need = [(a / sd_up + b / sd_down) / 2 for a, b in zip([0, 2, 6, 8], [0, 10, 20, 40])]
    need = [100 * r / max(raw_need) for r in raw_need]
    assert out["need"].tolist() == pytest.approx(need)
    assert out["base"].tolist() == pytest.approx([0, 0, 50, 100])   # one indicator: as min-max
    assert out["score"].tolist() == pytest.approx([(a + b) / 2 for a, b in zip(need, [0, 0, 50, 100])])
    assert out.filter(regex="^contrib_").sum(axis=1).tolist() == pytest.approx(out["score"].tolist())
    # z-scores weight by 1/sd: C's n_up points are 0.5 (pillar) × 0.5 (indicator) × 6 / sd
    assert out.loc["11030", "contrib_n_up"] == pytest.approx(0.25 * 6 / sd_up * 100 / max(raw_need))


def test_zscore_geometric_contributions_sum(values, metadata):
    out = score(values, metadata, scen(normalisation="zscore", aggregation="geometric"))
    assert out.filter(regex="^contrib_").sum(axis=1).tolist() == pytest.approx(out["score"].tolist())


def test_pillar_weights(values, metadata):
    out = score(values, metadata, scen(need=3, base=1))
    assert out["score"].tolist() == pytest.approx([0, 18.75, 59.375, 100])
    zero_base = score(values, metadata, scen(need=1, base=0))
    assert zero_base["score"].tolist() == pytest.approx([0, 25, 62.5, 100])
    assert zero_base["base"].tolist() == pytest.approx([0, 0, 50, 100])  # still computed
    assert zero_base["contrib_b1"].tolist() == [0, 0, 0, 0]


def test_winsorise_quantiles():
    v = pd.DataFrame({"x": [0.0, 1, 2, 3, 100], "y": [1.0, 2, 3, 4, 5]},
                     index=[f"1101{i}" for i in range(5)])
    m = pd.DataFrame({"direction": [1, 1]}, index=["x", "y"])
    raw = {"name": "w", "pillars": {"need": {"weight": 1, "indicators": ["x"]},
                                    "base": {"weight": 0, "indicators": ["y"]}},
           "scoring": {"winsorise": {"lower": 0.0, "upper": 0.75}}}
    out = score(v, m, validate(raw, file="w"))
    # the 0.75 quantile of 0, 1, 2, 3, 100 is 3: 100 is clipped to 3
    assert out["need"].tolist() == pytest.approx([0, 100 / 3, 200 / 3, 100, 100])


def test_ties_share_the_best_rank(metadata):
    v = pd.DataFrame({"n_up": [1.0, 1, 0], "n_down": [0.0, 0, 1], "b1": [1.0, 1, 0]},
                     index=CODES[:3])
    assert score(v, metadata, scen())["rank"].tolist() == [1, 1, 3]


# --- constant columns and missing data --------------------------------------------------------


@pytest.mark.parametrize("method", ["minmax", "zscore", "rank"])
@pytest.mark.parametrize("agg", ["linear", "geometric"])
def test_constant_column_no_nan(values, metadata, method, agg):
    v = values.assign(b1=7.0)
    out = score(v, metadata, scen(normalisation=method, aggregation=agg))
    assert not out.isna().any().any()
    assert out["base"].tolist() == pytest.approx([50] * 4)


def test_mean_of_available(values, metadata):
    v = values.copy()
    v.loc["11030", "n_down"] = np.nan
    out = score(v, metadata, scen())
    # n_down is normalised over A, B, D (40, 30, 0 → 0, 25, 100); C's need is n_up alone
    assert out["need"].tolist() == pytest.approx([0, 25, 75, 100])
    assert np.isnan(out.loc["11030", "contrib_n_down"])
    assert out.loc["11030", "n_missing"] == 1
    assert out.filter(regex="^contrib_").sum(axis=1).tolist() == pytest.approx(out["score"].tolist())


def test_missing_share_limit(values, metadata):
    v = values.copy()
    v.loc["11030", "n_down"] = np.nan
    with pytest.raises(InputError, match=r"more than 40% .*11030 need 50%"):
        score(v, metadata, scen(scoring={"missing": {"max_missing_share": 0.4}}))


def test_missing_policy_error(values, metadata):
    v = values.copy()
    v.loc["11020", "b1"] = np.nan
    with pytest.raises(InputError, match=r"policy 'error'.*b1.*1 regions.*11020"):
        score(v, metadata, scen(scoring={"missing": {"policy": "error"}}))


def test_inputs_are_not_changed(values, metadata):
    v = values.rename_axis(None)
    before = v.copy()
    out = score(v, metadata, scen())
    monte_carlo(v, metadata, mc_scen())
    pd.testing.assert_frame_equal(v, before)
    assert v.index.name is None and out.index.name == "region_code"


def test_input_problems(values, metadata):
    with pytest.raises(InputError, match="missing from the values table.*n_down"):
        score(values.drop(columns="n_down"), metadata, scen())
    with pytest.raises(InputError, match="direction must be"):
        score(values, metadata.assign(direction=[1, 0, 1]), scen())
    with pytest.raises(InputError, match="missing from the metadata"):
        score(values, metadata.drop(index="b1"), scen())
    with pytest.raises(InputError, match="infinite"):
        score(values.assign(b1=[1, 2, np.inf, 3]), metadata, scen())
    with pytest.raises(InputError, match="no values at all"):
        score(values.assign(b1=np.nan), metadata, scen())
    with pytest.raises(InputError, match="duplicate region codes"):
        score(values.set_axis(CODES[:3] + CODES[:1]), metadata, scen())


# --- Monte Carlo ------------------------------------------------------------------------------


def _random_values(n=40, seed=1):
    rng = np.random.default_rng(seed)
    ids = ["n_up", "n_down", "b1"]
    return pd.DataFrame(rng.lognormal(size=(n, 3)), columns=ids,
                        index=[f"{11000 + 10 * i}" for i in range(n)])


def mc_scen(**unc):
    return scen(uncertainty={"draws": 600, "seed": 7, **unc}, siting={"robustness_draws": 25})


def test_monte_carlo_deterministic_and_ordered(metadata):
    v = _random_values()
    a = monte_carlo(v, metadata, mc_scen())
    b = monte_carlo(v, metadata, mc_scen())
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.sensitivity, b.sensitivity)
    assert np.array_equal(a.ranks, b.ranks) and np.array_equal(a.draw_need, b.draw_need)
    c = monte_carlo(v, metadata, mc_scen(seed=8))
    assert not np.array_equal(a.ranks, c.ranks)

    s = a.summary
    assert s.index.equals(v.index)
    assert s["p_top10"].between(0, 1).all()
    assert (s["rank_p05"] <= s["rank_p50"]).all() and (s["rank_p50"] <= s["rank_p95"]).all()
    assert s["p_top10"].sum() == pytest.approx(10)           # ten places per draw
    q = np.quantile(a.ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
    assert (s[["rank_p05", "rank_p50", "rank_p95"]].to_numpy().T == q).all()
    assert np.allclose(s["p_top10"], (a.ranks <= 10).mean(axis=0))
    nominal = score(v, metadata, mc_scen())["rank"]
    assert (s["rank_nominal"] == nominal).all()
    shift = np.abs(a.ranks - nominal.to_numpy()).mean()
    assert a.methods.loc[("all", "all"), "mean_abs_rank_shift"] == pytest.approx(shift)
    assert (np.sort(a.ranks, axis=1) == np.arange(1, 41)).all()  # each draw a permutation
    assert a.weights.shape == (600, 2) and np.allclose(a.weights.sum(axis=1), 1)
    assert set(a.normalisation) == {"minmax", "zscore", "rank"}
    assert a.draw_need.shape == (25, 40) and a.draw_score.shape == (25, 40)


def test_monte_carlo_row_order_does_not_matter(metadata):
    v = _random_values()
    a = monte_carlo(v, metadata, mc_scen())
    shuffled = v.sample(frac=1, random_state=3)
    b = monte_carlo(shuffled, metadata, mc_scen())
    pd.testing.assert_frame_equal(a.summary, b.summary.loc[v.index])
    pos = shuffled.index.get_indexer(v.index)
    assert np.array_equal(a.ranks, b.ranks[:, pos])


def test_kept_draws_equal_score(metadata):
    """The batched kernel gives exactly what score() gives for that draw's choices."""
    v = _random_values()
    u = monte_carlo(v, metadata, mc_scen())
    for j in range(25):
        w = u.weights.iloc[j]
        s = scen(normalisation=u.normalisation[j], aggregation=u.aggregation[j],
                 need=float(w["need"]), base=float(w["base"]))
        ref = score(v, metadata, s)
        assert np.allclose(u.draw_score[j], ref["score"], atol=1e-9)
        assert np.allclose(u.draw_pillars["need"][j], ref["need"], atol=1e-9)
        order = np.argsort(-ref["score"].to_numpy(), kind="stable")
        assert np.array_equal(np.asarray(v.index)[order[:5]],
                              np.asarray(v.index)[np.argsort(u.ranks[j])[:5]])


def test_indicator_weights_perturbed(metadata):
    v = _random_values()
    u = monte_carlo(v, metadata, mc_scen(indicator_concentration=5))
    iw = u.indicator_weights
    assert np.allclose(iw[["n_up", "n_down"]].sum(axis=1), 1) and (iw["b1"] == 1).all()
    assert u.draw_need.std(axis=0).max() > 0   # the need pillar now varies across draws
    j = 3
    s = validate({"name": "x", "pillars": {
        "need": {"weight": float(u.weights.iloc[j]["need"]),
                 "indicators": {"n_up": float(iw.iloc[j]["n_up"]), "n_down": float(iw.iloc[j]["n_down"])}},
        "base": {"weight": float(u.weights.iloc[j]["base"]), "indicators": ["b1"]}},
        "scoring": {"normalisation": u.normalisation[j], "aggregation": u.aggregation[j]}}, file="x")
    assert np.allclose(u.draw_score[j], score(v, metadata, s)["score"], atol=1e-9)


def test_no_uncertainty_reproduces_nominal_ranking(metadata):
    v = _random_values()
    u = monte_carlo(v, metadata, mc_scen(concentration=1e12, normalisations=["minmax"],
                                         aggregations=["linear"]))
    nominal = score(v, metadata, scen())["rank"]
    assert (u.summary["rank_p05"] == nominal).all() and (u.summary["rank_p95"] == nominal).all()
    assert u.sensitivity.loc["normalisation", "first_order"] == 0
    assert u.methods.loc[("all", "all"), "mean_abs_rank_shift"] == 0


def test_sensitivity_finds_the_weight_that_matters(metadata):
    # need and base order the regions in opposite directions: only the weight split matters
    v = pd.DataFrame({"n_up": np.arange(30.0), "n_down": -np.arange(30.0), "b1": -np.arange(30.0) ** 1.5},
                     index=[f"{11000 + 10 * i}" for i in range(30)])
    u = monte_carlo(v, metadata, mc_scen(normalisations=["minmax"], aggregations=["linear", "geometric"],
                                         draws=2000, concentration=4))
    # the two pillar weights are independent Gamma draws: each acts alone and through the split
    sens = u.sensitivity["first_order"]
    total = u.sensitivity["total_order"]
    assert sens["w_need"] + sens["w_base"] > 0.4
    assert total["w_need"] > 0.5 and total["w_base"] > 0.5
    assert sens["w_need"] > 2 * sens["aggregation"]
    assert sens["normalisation"] == 0 and total["normalisation"] == 0
    assert (total >= u.sensitivity["first_order_lo"]).all()
    assert u.sensitivity_by_region.shape == (30, 5)
    # the need index is one pillar: no pillar weight moves its ranking
    assert (u.sensitivity_indices.loc["need_index", "total_order"] == 0).all()


# --- properties -------------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False,
                   allow_subnormal=False)
# integer-valued floats: distinct values stay distinct after scaling (no 1-ulp neighbours)
whole = st.integers(-10**6, 10**6).map(float)


@st.composite
def tables(draw, min_rows=2, max_rows=8, elements=finite):
    n = draw(st.integers(min_rows, max_rows))
    cols = {c: draw(st.lists(elements, min_size=n, max_size=n)) for c in ("n_up", "n_down", "b1")}
    return pd.DataFrame(cols, index=[f"{11000 + 10 * i}" for i in range(n)])


methods = st.sampled_from(["minmax", "zscore", "rank"])
aggs = st.sampled_from(["linear", "geometric"])
META = pd.DataFrame({"direction": [1, -1, 1]}, index=["n_up", "n_down", "b1"])
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(tables(), methods, aggs, st.floats(0, 5), st.floats(0.01, 5))
def test_scores_in_range_and_never_nan(v, method, agg, w_need, w_base):
    out = score(v, META, scen(normalisation=method, aggregation=agg, need=w_need, base=w_base))
    cols = ["need", "base", "score"]
    assert not out[cols].isna().any().any()
    assert ((out[cols] >= 0) & (out[cols] <= 100)).all().all()
    assert out["rank"].between(1, len(v)).all()
    assert out.filter(regex="^contrib_").sum(axis=1).to_numpy() == pytest.approx(
        out["score"].to_numpy(), abs=1e-9)


@PROPS
@given(tables(), methods, aggs, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(v, method, agg, rnd):
    s = scen(normalisation=method, aggregation=agg)
    order = list(v.index)
    rnd.shuffle(order)
    a = score(v, META, s)
    b = score(v.loc[order], META, s)
    assert b.index.tolist() == order
    pd.testing.assert_frame_equal(a, b.loc[v.index], check_exact=False, rtol=1e-9, atol=1e-9)


@PROPS
@given(tables(), st.sampled_from(["n_up", "n_down", "b1"]), st.data(), st.floats(0, 1e6))
def test_improving_an_indicator_never_lowers_the_score(v, col, data, delta):
    s = scen()  # linear, min-max
    region = data.draw(st.sampled_from(list(v.index)))
    better = v.copy()
    better.loc[region, col] += delta * META.loc[col, "direction"]
    before = score(v, META, s).loc[region, "score"]
    after = score(better, META, s).loc[region, "score"]
    assert after >= before - 1e-9


@PROPS
@given(tables(elements=whole), st.sampled_from(["n_up", "n_down", "b1"]), st.floats(1e-3, 1e3), aggs)
def test_minmax_is_scale_invariant(v, col, factor, agg):
    s = scen(aggregation=agg)
    a = score(v, META, s)
    b = score(v.assign(**{col: v[col] * factor}), META, s)
    cols = ["need", "base", "score"]
    assert np.allclose(a[cols], b[cols], rtol=1e-9, atol=1e-7)


@PROPS
@given(st.integers(2, 6), finite, methods, aggs)
def test_all_constant_columns(n, c, method, agg):
    v = pd.DataFrame({"n_up": [c] * n, "n_down": [c] * n, "b1": [c] * n},
                     index=[f"{11000 + 10 * i}" for i in range(n)])
    out = score(v, META, scen(normalisation=method, aggregation=agg))
    assert not out.isna().any().any()
    assert np.allclose(out["score"], 50) and (out["rank"] == 1).all()
