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
    # ... nor does any enter it, so its weight rows show no weight range (a committee would read one)
    need_w = u.sensitivity_indices.loc["need_index"].filter(regex="^w_", axis=0)
    assert len(need_w) and need_w[["p05", "p95"]].isna().all().all()
    assert u.sensitivity_indices.loc["score"].filter(regex="^w_", axis=0)["p05"].notna().all()


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


# --- geo.indices: treatment, correlations, effective weights, Sobol, tiers, at stake ----------

from geo import indices as ix  # noqa: E402


def test_skew_kurt_match_scipy_bias_corrected():
    from scipy.stats import kurtosis, skew

    x = np.array([1.0, 2, 2, 3, 4, 7, 11, 30])
    s, k = ix.skew_kurt(x)
    assert s == pytest.approx(skew(x, bias=False)) and k == pytest.approx(kurtosis(x, bias=False))


def test_treatment_rule_on_hand_made_columns():
    n = 40
    symmetric = np.arange(n, dtype=float)                    # skew 0: untouched
    t, info = ix.treat_column(symmetric)
    assert info["treatment"] == "none" and np.array_equal(t, symmetric)
    one_outlier = np.r_[np.arange(n - 1, dtype=float), 1000.0]   # one point: winsorised
    t, info = ix.treat_column(one_outlier)
    assert info["skew_before"] > 2 and info["kurtosis_before"] > 3.5
    assert info["treatment"] == "winsorised" and info["points_winsorised"] == 1 and info["side"] == "high"
    assert t[-1] == n - 2 and np.array_equal(t[:-1], one_outlier[:-1])
    assert abs(info["skew_after"]) <= 2 or info["kurtosis_after"] <= 3.5
    left = -one_outlier                                       # mirrored: the low end is treated
    t, info = ix.treat_column(left)
    assert info["side"] == "low" and t[-1] == -(n - 2)
    heavy = np.exp(np.linspace(0, 12, n))                     # a long tail: 5 points do not fix it
    t, info = ix.treat_column(heavy)
    assert info["treatment"] == "log" and info["points_winsorised"] == 0
    a = 0.01 * (heavy.max() - heavy.min())
    assert t == pytest.approx(np.log(heavy - heavy.min() + a))
    assert np.all(np.diff(t) > 0)                             # order kept
    skewed_light = np.r_[np.zeros(30), np.ones(10)]           # skewed but light-tailed: rule not met
    assert ix.treat_column(skewed_light)[1]["treatment"] == "none"
    with_nan = np.r_[one_outlier, np.nan]
    t, info = ix.treat_column(with_nan)
    assert np.isnan(t[-1]) and info["points_winsorised"] == 1


def test_long_tailed_count_keeps_more_than_two_levels():
    # a count like root_complex_count: most regions 0, a few 1, a long tail up to 5
    count = np.r_[np.zeros(200), np.ones(24), [2, 2, 3, 5, 5]].astype(float)   # 229 regions
    t, info = ix.treat_column(count)
    assert info["treatment"] in ("winsorised", "log")
    assert info["levels_after"] > 2 and np.unique(t).size > 2
    old, _ = ix.winsorise_quantiles(count, 0.025, 0.975)      # the old rule: 0/1 only
    assert np.unique(old).size == 2


def test_correlations_reproduce_numpy_corrcoef():
    rng = np.random.default_rng(3)
    m = rng.normal(size=(30, 4))
    m[:, 1] += m[:, 0]
    ind = pd.DataFrame(m, columns=["a", "b", "c", "d"])
    pil = pd.DataFrame({"p": m[:, :2].mean(axis=1), "q": m[:, 2:].mean(axis=1)})
    heads = pd.DataFrame({"score": pil.mean(axis=1)})
    out = ix.correlation_audit(ind, {"a": "p", "b": "p", "c": "q", "d": "q"}, pil, heads, {"p": "score", "q": "score"})
    ref = np.corrcoef(m, rowvar=False)
    pairs = out[out["kind"].str.startswith("indicator-indicator")].set_index(["a", "b"])["pearson"]
    for (x, y), r in pairs.items():
        assert r == pytest.approx(ref["abcd".index(x), "abcd".index(y)], abs=1e-12)
    assert out.set_index(["kind", "a", "b"]).loc[("pillar-index", "p", "score"), "pearson"] == pytest.approx(
        np.corrcoef(pil["p"], heads["score"])[0, 1])
    # flags: a duplicated column within, a negated one within, a copy across
    ind2 = pd.DataFrame({"a": m[:, 0], "a2": m[:, 0] * 2 + 1, "neg": -m[:, 0] + m[:, 2], "x": m[:, 0]})
    pil2 = pd.DataFrame({"p": m[:, 0], "q": m[:, 3]})
    out2 = ix.correlation_audit(ind2, {"a": "p", "a2": "p", "neg": "p", "x": "q"}, pil2, heads, {"p": "score", "q": "score"})
    flags = out2.set_index(["a", "b"])["flag"]
    assert flags[("a", "a2")].startswith("|r| >= 0.9 within")
    assert flags[("a", "x")].startswith("|r| >= 0.8 across")
    assert flags[("a", "neg")] == "negative within a pillar"


def test_effective_weights_by_hand_on_four_regions():
    # two pillars over 4 regions, equal nominal weights; the overall score is their mean
    p = pd.DataFrame({"need": [0.0, 25, 62.5, 100], "base": [0.0, 0, 50, 100]})
    total = p.mean(axis=1)                                   # 0, 12.5, 56.25, 100
    e = ix.effective_weights(p, total, pd.Series({"need": 0.5, "base": 0.5}))
    # by hand: r = cov / (sd sd) with the means 46.875 (need), 37.5 (base), 42.1875 (total)
    dn = np.array([0, 25, 62.5, 100]) - 46.875
    db = np.array([0, 0, 50, 100]) - 37.5
    dt = np.array([0, 12.5, 56.25, 100]) - 42.1875
    rn = (dn * dt).sum() / math.sqrt((dn**2).sum() * (dt**2).sum())
    rb = (db * dt).sum() / math.sqrt((db**2).sum() * (dt**2).sum())
    assert e.at["need", "pearson"] == pytest.approx(rn) and e.at["base", "pearson"] == pytest.approx(rb)
    assert e.at["need", "effective"] == pytest.approx(rn**2 / (rn**2 + rb**2))
    assert e["effective"].sum() == pytest.approx(1)
    assert e.at["need", "nominal"] == 0.5


def test_solved_weights_meet_the_target():
    rng = np.random.default_rng(5)
    comp = np.column_stack([rng.normal(size=200), rng.normal(scale=3, size=200), rng.normal(size=200)])
    w, eff = ix.solve_weights(comp, np.array([1.0, 1.0, 1.0]))
    assert w.sum() == pytest.approx(1) and eff == pytest.approx([1 / 3] * 3, abs=1e-3)
    assert w[1] < w[0] and w[1] < w[2]                    # the wide component needs less nominal weight


def test_solve_scenario_weights_in_score(values, metadata):
    s = scen(scoring={"target_effective_weights": {"need": {"n_up": 1, "n_down": 1}}})
    from geo.scoring import audit, solve_scenario_weights

    solved = solve_scenario_weights(values, metadata, s)
    a = audit(values, metadata, solved, original=s)
    ind = a.weights.set_index(["level", "id"])
    assert ind.loc[("indicator", "n_up"), "effective"] == pytest.approx(0.5, abs=1e-3)
    assert ind.loc[("indicator", "n_up"), "nominal_scenario"] == 0.5
    assert ind.loc[("indicator", "n_up"), "target"] == 0.5
    # the part of the scenario the scoring reads gives the same weights, scores and audit
    spec = s.scoring_spec()
    solved_spec = solve_scenario_weights(values, metadata, spec)
    assert solved_spec.pillars == solved.pillars
    pd.testing.assert_frame_equal(score(values, metadata, solved_spec), score(values, metadata, solved))
    pd.testing.assert_frame_equal(audit(values, metadata, solved_spec, original=spec).weights, a.weights)


def _ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_on_the_ishigami_function():
    # published values for a = 7, b = 0.1 (Ishigami & Homma 1990; Saltelli et al. 2010)
    s1_ref, st_ref = [0.314, 0.442, 0.0], [0.558, 0.442, 0.244]
    rng = np.random.default_rng(11)
    n = 20_000
    a_mat = rng.uniform(-np.pi, np.pi, size=(n, 3))
    b_mat = rng.uniform(-np.pi, np.pi, size=(n, 3))
    f_ab = []
    for i in range(3):
        m = a_mat.copy()
        m[:, i] = b_mat[:, i]
        f_ab.append(_ishigami(m))
    out = ix.sobol_indices(_ishigami(a_mat), _ishigami(b_mat), f_ab, boot=200, seed=1)
    for i in range(3):
        r = out.iloc[i]
        assert r["first_order"] == pytest.approx(s1_ref[i], abs=0.03)
        assert r["total_order"] == pytest.approx(st_ref[i], abs=0.03)
        assert r["first_order_lo"] <= r["first_order"] <= r["first_order_hi"]
        assert r["total_order_lo"] - 0.01 <= st_ref[i] <= r["total_order_hi"] + 0.01
        # total order >= first order, within the estimator's interval
        assert r["total_order_hi"] >= r["first_order_lo"]


def test_tiers_rule():
    t = ix.tiers(np.array([1, 5, 30, 58, 59, 100, 115, 116, 229]),   # ceil(229 / 4) = 58
                 np.array([0.9, 0.4, 0.0, 0, 0, 0, 0, 0, 0]), 229)
    assert t.tolist() == ["A", "B", "B", "B", "C", "C", "C", "D", "D"]


def test_at_stake_and_headlines(values, metadata):
    v = values.assign(size=[100.0, 200, 0, 50])
    out = score(v, metadata, scen(scoring={"at_stake_size": "size"}))
    assert out["need_index"].tolist() == pytest.approx(out["need"].tolist())
    assert out["capability_index"].tolist() == pytest.approx(out["base"].tolist())   # the only capability pillar
    assert out["at_stake"].tolist() == pytest.approx([0, 0.25 * 200, 0, 50])
    assert out["need_rank"].tolist() == [4, 3, 2, 1]
    need_c = out.filter(regex="^need_contrib_")
    assert need_c.sum(axis=1).tolist() == pytest.approx(out["need_index"].tolist())
    cap_c = out.filter(regex="^capability_contrib_")
    assert cap_c.sum(axis=1).tolist() == pytest.approx(out["capability_index"].tolist())


def test_monte_carlo_headline_draws_and_tiers(metadata):
    v = _random_values().assign(size=np.arange(40.0))
    s = scen(scoring={"at_stake_size": "size"}, uncertainty={"draws": 600, "seed": 7, "drop_one": True},
             siting={"robustness_draws": 25})
    u = monte_carlo(v, metadata, s)
    for key in ("need", "base", "need_index", "capability_index", "at_stake"):
        assert u.draw_pillars[key].shape == (25, 40)
    assert np.allclose(u.draw_pillars["at_stake"], u.draw_pillars["need_index"] / 100 * np.arange(40.0))
    assert set(u.summary["need_tier"]) <= {"A", "B", "C", "D"}
    assert (u.summary["need_rank_p05"] <= u.summary["need_rank_p95"]).all()
    assert "drop_indicator" in u.factors and set(u.dropped) == {"", "n_up", "n_down"}
    sens = u.sensitivity_indices
    assert (sens["total_order_hi"] >= sens["first_order_lo"] - 1e-12).all()


# --- real data: the need index and at_stake on the shipped indicators -------------------------


@pytest.fixture(scope="module")
def real():
    from geo.indicators import build_indicators
    from geo.regions import load_units
    from geo.scenario import load_scenario, shipped_scenarios

    ind = build_indicators(load_units())
    nat = load_scenario(shipped_scenarios()["national"])
    raw = nat.to_dict()
    del raw["pillars"]["connectivity"]      # its indicators come from the network stage
    return ind, validate(raw, file="national-without-connectivity")


def test_need_index_is_led_by_large_losses_on_real_data(real):
    ind, sc = real
    out = score(ind.values, ind.metadata, sc)
    small = ind.values["mfg_va_2015"] < 1e6              # under 1조 KRW of manufacturing in 2015
    assert small.sum() == 151
    # the manufacturing at stake sits where manufacturing is: the small units carry under 10 %
    assert out.loc[small, "at_stake"].sum() / out["at_stake"].sum() < 0.10
    top = out.sort_values("need_rank").index
    assert {"37050", "38090"} <= set(top[:3])            # 구미 (electronics), 거제 (shipbuilding)
    assert small[top[:20]].sum() <= 5
    assert out.loc["31240", "need_index"] < 30           # 화성: manufacturing grew
    assert out.loc["37050", "at_stake"] == pytest.approx(
        out.loc["37050", "need_index"] / 100 * ind.values.loc["37050", "mfg_va_2015"])


def test_counts_keep_their_levels_on_real_data(real):
    from geo.scoring import audit

    ind, sc = real
    t = audit(ind.values, ind.metadata, sc).treatment
    for count in ("root_complex_count", "research_count", "univ_count"):
        assert t.at[count, "levels_after"] == t.at[count, "levels_before"] > 2
    treated = t[t["treatment"] != "none"]
    assert ((treated["skew_before"].abs() > 2) & (treated["kurtosis_before"] > 3.5)).all()
    assert (t["points_winsorised"] <= 5).all()


def test_saltelli_design_blocks(metadata):
    u = monte_carlo(_random_values(), metadata, mc_scen())
    n, k = u.base_draws, len(u.factors)
    assert u.draws == n * (k + 2) >= 600
    norm = u.normalisation.reshape(k + 2, n)     # blocks A, B, AB_1 … AB_k
    for i, f in enumerate(u.factors):
        expected = norm[1] if f == "normalisation" else norm[0]
        assert (norm[2 + i] == expected).all(), f
    w = u.weights["need"].to_numpy().reshape(k + 2, n)
    assert not np.allclose(w[2 + u.factors.index("w_need")], w[0])         # its own Gamma from B
    assert np.array_equal(w[2 + u.factors.index("normalisation")], w[0])    # weights as in A


# --- the capability index's own Dirichlet -----------------------------------------------------


def _three_pillars(need: float):
    return validate({
        "name": "three",
        "pillars": {"need": {"weight": need, "indicators": {"n_up": 1, "n_down": 1}},
                    "base": {"weight": 1, "indicators": ["b1"]},
                    "knowledge": {"weight": 3, "indicators": ["k1"]}},
        "scoring": {"normalisation": "minmax", "aggregation": "linear", "at_stake_size": "size"},
        "uncertainty": {"draws": 600, "seed": 7, "aggregations": ["linear"], "indicator_concentration": 20},
        "siting": {"robustness_draws": 172},
    }, file="three")


def test_need_weight_leaves_need_and_capability_draws_bit_identical():
    rng = np.random.default_rng(4)
    v = pd.DataFrame(rng.lognormal(size=(40, 4)), columns=["n_up", "n_down", "b1", "k1"],
                     index=[f"{11000 + 10 * i}" for i in range(40)]).assign(size=np.arange(1.0, 41.0))
    meta = pd.DataFrame({"direction": [1, -1, 1, 1]}, index=pd.Index(["n_up", "n_down", "b1", "k1"], name="id"))
    a, b = (monte_carlo(v, meta, _three_pillars(need)) for need in (1.0, 8.0))
    for key in ("need_index", "capability_index", "at_stake", "need", "base", "knowledge"):
        assert np.array_equal(a.draw_pillars[key], b.draw_pillars[key]), key
    assert np.array_equal(a.need_ranks, b.need_ranks) and np.array_equal(a.capability_ranks, b.capability_ranks)
    heads = [c for c in a.summary.columns if c.startswith(("need_", "capability_"))]
    pd.testing.assert_frame_equal(a.summary[heads], b.summary[heads], check_exact=True)
    cap = a.sensitivity_indices.xs("capability_index", level="target")
    pd.testing.assert_frame_equal(cap, b.sensitivity_indices.xs("capability_index", level="target"), check_exact=True)
    # the overall score does follow the need weight
    assert not np.array_equal(a.draw_score, b.draw_score)
    assert b.weights["need"].mean() > 0.6 > 0.3 > a.weights["need"].mean()

    # capability = w_b base + (1 - w_b) knowledge (linear): w_b is Beta(20 * 1/4, 20 * 3/4),
    # mean 0.25, sd 0.0945, whatever the need weight (renormalising the overall Dirichlet would
    # have given Beta(20/12, 60/12) at need weight 8: sd 0.156)
    p = b.draw_pillars
    r = np.argmax(np.abs(p["base"] - p["knowledge"]).min(axis=0))   # a region where the two differ
    wb = (p["capability_index"][:, r] - p["knowledge"][:, r]) / (p["base"][:, r] - p["knowledge"][:, r])
    assert wb.size == 172 and (wb > 0).all() and (wb < 1).all()
    assert wb.mean() == pytest.approx(0.25, abs=0.025)
    assert 0.075 < wb.std() < 0.12
    lo, hi = cap.loc["w_base", ["p05", "p95"]]
    assert 0.1 < lo < 0.25 < hi < 0.45 and np.isnan(cap.loc["w_need", "p05"])


# --- the Monte Carlo's kernels against their plain definitions --------------------------------


def test_draw_order_is_the_stable_sort_of_scores_rounded_to_9_decimals():
    from geo.scoring import _draw_order

    rng = np.random.default_rng(2)
    x = np.round(rng.random((40, 500)) * 100, 1)         # regions × draws, many ties
    x[3, :] = x[5, :] + 1e-11                            # equal to 9 decimals: ties by position
    x[7, ::3] = np.nan                                   # NaN last
    x[[0, 1], 10] = [0.0, 100.0]
    ref = np.argsort(-np.round(np.nan_to_num(x, nan=-1.0).T, 9), axis=1, kind="stable")
    assert np.array_equal(_draw_order(x), ref)


@pytest.mark.parametrize("d", [1, 2, 7, 600, 1001])
def test_rank_quantiles_equal_numpy_inverted_cdf(d):
    from geo.scoring import _rank_quantiles

    rng = np.random.default_rng(d)
    ranks = rng.integers(1, 31, size=(d, 30)).astype(np.int16)
    q = [0.05, 0.5, 0.95]
    assert np.array_equal(_rank_quantiles(ranks, q), np.quantile(ranks, q, axis=0, method="inverted_cdf"))


def test_average_rank_equals_scipy_rankdata():
    from scipy.stats import rankdata

    from geo.scoring import _average_rank

    rng = np.random.default_rng(3)
    for _ in range(200):
        x = np.round(rng.normal(size=rng.integers(1, 50)), int(rng.integers(0, 3)))
        assert np.array_equal(_average_rank(x), rankdata(x))


def test_column_memo_returns_the_same_treatment_and_read_only_copies():
    from geo import indices as ix

    x = np.column_stack([np.r_[np.arange(20.0), 500.0], np.linspace(0, 1, 21)])
    ix.TREATED.clear()
    first, t1 = ix.treat(x, ["a", "b"], rule="qtreat")
    again, t2 = ix.treat(x, ["a", "b"], rule="qtreat")     # from the memo
    assert np.array_equal(first, again) and t1.equals(t2)
    assert t1.at["a", "treatment"] == "winsorised" and t1.at["b", "treatment"] == "none"
    again[0, 0] = -1.0                                      # the caller's copy, not the memo's
    assert np.array_equal(ix.treat(x, ["a", "b"], rule="qtreat")[0], first)
    memo = ix.ColumnMemo(max_bytes=3 * 8 * 21 + 3 * 21 * 8)
    for i in range(5):
        memo.put(("k", bytes([i]) * 21 * 8), np.full(21, float(i)))
    assert memo.get(("k", bytes([0]) * 21 * 8)) is None          # the oldest went first
    kept = memo.get(("k", bytes([4]) * 21 * 8))[0]
    assert kept[0] == 4.0 and not kept.flags.writeable
