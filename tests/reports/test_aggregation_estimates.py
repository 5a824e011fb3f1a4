"""METHOD.md §4.2–§4.4: weighted means, shares and change, against independent code."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from reports.aggregation import (
    BAD_WEIGHTS,
    NOT_BINARY,
    Estimate,
    change,
    weighted_mean,
    weighted_share,
)

with warnings.catch_warnings():
    # samplics is archived and says so on import; it is only the test oracle here.
    warnings.simplefilter("ignore", FutureWarning)
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam


def samplics_mean(y, w):
    est = TaylorEstimator(PopParam.mean)
    est.estimate(y, samp_weight=w)
    return est


def sample(rng, n):
    return rng.normal(55, 18, n).clip(0, 100), rng.uniform(0.3, 3.0, n)


@pytest.mark.parametrize("n", [2, 3, 10, 57, 2000])
def test_weighted_mean_matches_samplics_taylor_estimator(rng, n):
    y, w = sample(rng, n)
    ours = weighted_mean(y, w, min_cell=0)
    theirs = samplics_mean(y, w)
    assert ours.value == pytest.approx(theirs.point_est, abs=1e-6)
    assert ours.se == pytest.approx(theirs.stderror, abs=1e-6)
    assert ours.low == pytest.approx(theirs.lower_ci, abs=1e-6)
    assert ours.high == pytest.approx(theirs.upper_ci, abs=1e-6)
    assert ours.n == n


def test_weighted_mean_ignores_missing_values(rng):
    y, w = sample(rng, 80)
    y_missing = y.copy()
    y_missing[::7] = np.nan
    kept = ~np.isnan(y_missing)
    ours = weighted_mean(y_missing, w)
    theirs = samplics_mean(y[kept], w[kept])
    assert ours.n == kept.sum()
    assert ours.value == pytest.approx(theirs.point_est, abs=1e-6)
    assert ours.se == pytest.approx(theirs.stderror, abs=1e-6)


def test_weighted_mean_with_equal_weights_is_the_t_interval_of_the_plain_mean(rng):
    y, _ = sample(rng, 40)
    est = weighted_mean(y)
    low, high = stats.t.interval(0.95, len(y) - 1, loc=y.mean(), scale=stats.sem(y))
    assert est.value == pytest.approx(y.mean(), abs=1e-9)
    assert (est.low, est.high) == pytest.approx((low, high), abs=1e-9)
    assert est.n_eff == pytest.approx(40) and est.deff == pytest.approx(1)


def test_weighted_mean_reports_kish_effective_size_and_design_effect():
    y = np.arange(12, dtype=float)
    w = np.array([1.0, 2.0, 3.0] * 4)
    est = weighted_mean(y, w)
    n_eff = w.sum() ** 2 / (w**2).sum()  # METHOD.md §4.2
    assert est.n_eff == pytest.approx(n_eff)
    assert est.deff == pytest.approx(12 / n_eff)


def test_weighted_mean_accepts_a_nullable_pandas_series():
    import pandas as pd

    y = pd.Series([10, 20, None, 40] * 3, dtype="Int64")
    est = weighted_mean(y, min_cell=0)
    assert est.n == 9 and est.value == pytest.approx(70 / 3)


def test_weighted_mean_of_all_missing_values_has_no_number():
    est = weighted_mean([np.nan] * 5, [1.0] * 5, min_cell=0)
    assert est == Estimate(None, None, None, None, 0, None, None, suppressed=False)


def test_weighted_mean_of_nothing_is_suppressed_by_default():
    est = weighted_mean(np.array([]))
    assert est.suppressed and est.value is None and est.n is None


def test_weighted_mean_of_one_respondent_has_a_value_but_no_interval():
    est = weighted_mean([42.0], [2.5], min_cell=1)
    assert est.value == 42.0 and est.n == 1
    assert est.se is None and est.low is None and est.high is None


def test_weighted_mean_below_min_cell_is_suppressed_with_no_number(rng):
    y, w = sample(rng, 9)
    est = weighted_mean(y, w, min_cell=10)
    assert est.suppressed
    assert all(v is None for k, v in est.to_dict().items() if k != "suppressed")


def test_weighted_mean_at_min_cell_is_shown(rng):
    y, w = sample(rng, 10)
    est = weighted_mean(y, w, min_cell=10)
    assert not est.suppressed and est.n == 10 and est.value is not None


def test_weighted_mean_rejects_negative_weights():
    with pytest.raises(ValueError, match=BAD_WEIGHTS):
        weighted_mean([1.0, 2.0], [1.0, -1.0], min_cell=0)


def test_weighted_mean_rejects_weights_of_another_length():
    with pytest.raises(ValueError, match="differ in length"):
        weighted_mean([1.0, 2.0], [1.0], min_cell=0)


def test_weighted_share_matches_statsmodels_wilson_interval_on_effective_size(rng):
    flag = (rng.random(300) < 0.37).astype(float)
    w = rng.uniform(0.3, 3.0, 300)
    est = weighted_share(flag, w)
    n_eff = w.sum() ** 2 / (w**2).sum()
    p = (w * flag).sum() / w.sum()
    low, high = proportion_confint(p * n_eff, n_eff, alpha=0.05, method="wilson")
    assert est.value == pytest.approx(p, abs=1e-12)
    assert (est.low, est.high) == pytest.approx((low, high), abs=1e-6)
    assert est.n_eff == pytest.approx(n_eff)


def test_weighted_share_standard_error_is_the_linearisation_one_of_samplics(rng):
    flag = (rng.random(120) < 0.2).astype(float)
    w = rng.uniform(0.5, 2.0, 120)
    theirs = samplics_mean(flag, w)
    est = weighted_share(flag, w)
    assert est.se == pytest.approx(theirs.stderror, abs=1e-6)


def test_weighted_share_interval_is_wilson_not_samplics_logit_interval(rng):
    # METHOD.md decides: samplics' proportion interval is on the logit scale, ours is
    # Wilson's on n_eff. Same point and SE, different interval.
    flag = (rng.random(60) < 0.1).astype(float)
    w = rng.uniform(0.5, 2.0, 60)
    theirs = TaylorEstimator(PopParam.prop)
    theirs.estimate(flag, samp_weight=w)
    est = weighted_share(flag, w)
    assert est.value == pytest.approx(theirs.point_est[1.0], abs=1e-9)
    assert est.se == pytest.approx(theirs.stderror[1.0], abs=1e-9)
    assert est.low != pytest.approx(theirs.lower_ci[1.0], abs=1e-4)


def test_weighted_share_ignores_missing_flags():
    est = weighted_share([1, 0, np.nan, 1, 0, 1, np.nan, 1, 1, 1, 0, 1], min_cell=0)
    assert est.n == 10 and est.value == pytest.approx(0.7)


def test_share_of_all_ones_has_a_wilson_interval_below_one():
    est = weighted_share(np.ones(25))
    assert est.value == 1.0 and est.high == pytest.approx(1.0) and 0.8 < est.low < 1.0
    assert est.se == 0.0


def test_weighted_share_rejects_values_other_than_zero_and_one():
    with pytest.raises(ValueError, match=NOT_BINARY):
        weighted_share([0.0, 0.5, 1.0], min_cell=0)


def test_change_is_the_difference_with_the_root_sum_of_variances():
    before = Estimate(50.0, 1.2, None, None, 100, 90.0, 1.1)
    after = Estimate(53.5, 1.6, None, None, 120, 100.0, 1.2)
    ch = change(before, after)
    se = math.sqrt(1.2**2 + 1.6**2)
    assert ch.diff == pytest.approx(3.5)
    assert ch.se == pytest.approx(se)
    assert (ch.low, ch.high) == pytest.approx((3.5 - 1.96 * se, 3.5 + 1.96 * se))
    assert ch.significant is False  # 3.5 < 1.96 · 2.0


def test_change_is_significant_only_beyond_1_96_standard_errors():
    before = Estimate(0.50, 0.03, None, None, 100, 100.0, 1.0)
    se = math.sqrt(2) * 0.03
    just_inside = Estimate(0.50 + 1.95 * se, 0.03, None, None, 100, 100.0, 1.0)
    just_outside = Estimate(0.50 + 1.97 * se, 0.03, None, None, 100, 100.0, 1.0)
    assert change(before, just_inside).significant is False
    assert change(before, just_outside).significant is True
    assert change(just_outside, before).significant is True


def test_change_with_a_suppressed_wave_is_suppressed(rng):
    shown = weighted_mean(*sample(rng, 50))
    hidden = weighted_mean(*sample(rng, 5))
    for ch in (change(shown, hidden), change(hidden, shown)):
        assert ch.suppressed and ch.diff is None and ch.significant is None


def test_change_without_a_standard_error_has_no_number():
    one = weighted_mean([40.0], min_cell=0)
    other = Estimate(50.0, 1.0, 48.0, 52.0, 30, 30.0, 1.0)
    ch = change(one, other)
    assert not ch.suppressed and ch.diff is None and ch.se is None


values = st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=60)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), y=values)
def test_a_mean_lies_within_its_data_and_its_interval(data, y):
    w = data.draw(st.lists(st.floats(0.01, 50), min_size=len(y), max_size=len(y)))
    est = weighted_mean(y, w, min_cell=0)
    assert min(y) - 1e-9 <= est.value <= max(y) + 1e-9
    assert est.low <= est.value + 1e-9 and est.value <= est.high + 1e-9
    assert 1 - 1e-9 <= est.n_eff <= len(y) + 1e-9


@settings(max_examples=150, deadline=None)
@given(data=st.data(), flags=st.lists(st.sampled_from([0.0, 1.0, math.nan]), min_size=1, max_size=80))
def test_a_share_is_a_proportion_inside_its_wilson_interval(data, flags):
    w = data.draw(st.lists(st.floats(0.01, 50), min_size=len(flags), max_size=len(flags)))
    est = weighted_share(flags, w, min_cell=0)
    if est.value is None:
        assert all(math.isnan(f) for f in flags)
        return
    assert 0.0 <= est.low <= est.value <= est.high <= 1.0
