"""METHOD.md §4.1: raking within districts and population weights for the region."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reports.aggregation import (
    MISSING_POPULATION,
    district_weights,
    rake,
    rake_districts,
    region_weights,
)

MARGINS = {"age_group": {1: 0.22, 2: 0.28, 3: 0.26, 4: 0.24}, "sex": {1: 0.54, 2: 0.46}}


def weighted_shares(codes, w):
    codes = np.asarray(codes)
    return {int(c): w[codes == c].sum() / w.sum() for c in np.unique(codes)}


def skewed_sample(rng, n, age_p=(0.3, 0.3, 0.2, 0.2), female=0.6):
    """A sample a little younger and more female than MARGINS (no trimming needed)."""
    age = rng.choice([1, 2, 3, 4], n, p=list(age_p)).astype(float)
    sex = np.where(rng.random(n) < female, 1.0, 2.0)
    return age, sex


def test_raking_hits_every_margin_within_a_millionth(rng):
    age, sex = skewed_sample(rng, 400)
    res = rake(age, sex, MARGINS)
    assert res.converged and not res.flagged and res.rounds == 1
    for codes, target in ((age, MARGINS["age_group"]), (sex, MARGINS["sex"])):
        shares = weighted_shares(codes, res.weights)
        for k, share in target.items():
            assert abs(shares[k] - share) <= 1e-6


def test_raked_weights_sum_to_the_number_of_respondents(rng):
    age, sex = skewed_sample(rng, 333)
    w = rake(age, sex, MARGINS).weights
    assert w.sum() == pytest.approx(333, abs=1e-9)
    assert (w > 0).all()


EVEN = {"age_group": {1: 0.25, 2: 0.25, 3: 0.25, 4: 0.25}, "sex": {1: 0.5, 2: 0.5}}


def needs_trimming(rng):
    # Few old men against an even population: their raw raking weight is ~3.9 × the
    # mean, so it is clipped and the sample raked again.
    age, sex = skewed_sample(rng, 1000, age_p=(0.4, 0.3, 0.2, 0.1), female=0.65)
    unbounded = rake(age, sex, EVEN, bounds=(0.0, np.inf))
    assert unbounded.weights.max() > 3.5 * unbounded.weights.mean()
    return age, sex


def test_raked_weights_are_trimmed_to_the_bounds_and_raked_again_until_both_hold(rng):
    age, sex = needs_trimming(rng)
    res = rake(age, sex, EVEN, max_rounds=50)
    mean = res.weights.mean()
    assert not res.flagged and res.converged and res.rounds > 1
    assert res.weights.max() <= 3.0 * mean * (1 + 1e-6)
    assert res.weights.min() >= 0.3 * mean * (1 - 1e-6)
    for codes, target in ((age, EVEN["age_group"]), (sex, EVEN["sex"])):
        shares = weighted_shares(codes, res.weights)
        assert all(abs(shares[k] - s) <= 1e-6 for k, s in target.items())


def test_ten_trimming_rounds_leave_a_binding_bound_a_little_exceeded_and_flagged(rng):
    # METHOD.md §4.1 as written: clip-and-rake closes about half the excess per round,
    # so after 10 rounds a binding bound is still exceeded by ~0.1–0.5% and the district
    # is flagged (about 20 rounds would settle within 1e-6).
    age, sex = needs_trimming(rng)
    res = rake(age, sex, EVEN)
    assert res.flagged and res.converged and res.rounds == 10
    excess = res.weights.max() / (3.0 * res.weights.mean()) - 1
    assert 1e-6 < excess < 5e-3


def test_trimming_that_cannot_succeed_stops_after_ten_rounds_keeps_the_raked_weights_and_flags():
    # Two 60+ respondents cannot stand for 40% of the population within 3 × the mean.
    age = np.array([1.0] * 60 + [2.0] * 38 + [4.0] * 2)
    sex = np.array([1.0, 2.0] * 50)
    margins = {"age_group": {1: 0.3, 2: 0.3, 4: 0.4}, "sex": {1: 0.5, 2: 0.5}}
    res = rake(age, sex, margins)
    assert res.flagged and res.converged and res.rounds == 10
    assert any("trimming rounds" in note for note in res.notes)
    # the last raked weights: margins hit, bounds not
    assert abs(weighted_shares(age, res.weights)[4] - 0.4) <= 1e-6
    assert res.weights.max() > 3 * res.weights.mean()
    assert res.weights.sum() == pytest.approx(100)


def test_respondents_without_age_or_sex_get_the_mean_raked_weight(rng):
    age, sex = skewed_sample(rng, 200)
    age[:5] = np.nan
    sex[5:8] = np.nan
    res = rake(age, sex, MARGINS)
    complete = ~(np.isnan(age) | np.isnan(sex))
    assert np.allclose(res.weights[~complete], res.weights[complete].mean())
    assert res.weights.sum() == pytest.approx(200)
    # the raked respondents still match the margins
    shares = weighted_shares(age[complete], res.weights[complete])
    assert all(abs(shares[k] - s) <= 1e-6 for k, s in MARGINS["age_group"].items())
    assert any("mean raked weight" in note for note in res.notes)


def test_an_age_group_with_a_population_share_but_no_respondents_is_collapsed_with_its_neighbour(rng):
    age, sex = skewed_sample(rng, 300, age_p=(0.35, 0.35, 0.3, 0.0))
    res = rake(age, sex, MARGINS)
    shares = weighted_shares(age, res.weights)
    assert abs(shares[1] - 0.22) <= 1e-6 and abs(shares[2] - 0.28) <= 1e-6
    assert abs(shares[3] - (0.26 + 0.24)) <= 1e-6
    assert res.notes == ["age group 4 has a population share but no respondents; collapsed with age group 3."]


def test_an_age_group_with_respondents_but_no_population_share_is_collapsed_with_its_neighbour(rng):
    age, sex = skewed_sample(rng, 300)
    margins = {"age_group": {2: 0.5, 3: 0.3, 4: 0.2}, "sex": MARGINS["sex"]}
    res = rake(age, sex, margins)
    shares = weighted_shares(age, res.weights)
    assert abs(shares[1] + shares[2] - 0.5) <= 1e-6
    assert abs(shares[3] - 0.3) <= 1e-6
    assert "age group 1 has respondents but no population share; collapsed with age group 2." in res.notes


def test_a_sex_without_respondents_is_collapsed_so_only_age_is_raked(rng):
    age, _ = skewed_sample(rng, 150)
    sex = np.ones(150)
    res = rake(age, sex, MARGINS)
    assert not res.flagged
    assert abs(weighted_shares(age, res.weights)[4] - 0.24) <= 1e-6
    assert "sex 2 has a population share but no respondents; collapsed with sex 1." in res.notes


def test_without_margins_every_weight_is_one(rng):
    age, sex = skewed_sample(rng, 50)
    for margins in (None, {}):
        res = rake(age, sex, margins)
        assert (res.weights == 1.0).all()
        assert res.notes == ["No population margins: weights are 1."]


def test_margins_with_string_keys_from_json_are_accepted(rng):
    age, sex = skewed_sample(rng, 200)
    as_json = {dim: {str(k): v for k, v in shares.items()} for dim, shares in MARGINS.items()}
    assert np.allclose(rake(age, sex, as_json).weights, rake(age, sex, MARGINS).weights)


def test_margins_for_age_alone_rake_on_age_alone(rng):
    age, sex = skewed_sample(rng, 200)
    sex[:20] = np.nan  # not a raking variable here, so these are raked too
    res = rake(age, sex, {"age_group": MARGINS["age_group"]})
    shares = weighted_shares(age, res.weights)
    assert all(abs(shares[k] - s) <= 1e-6 for k, s in MARGINS["age_group"].items())
    assert not np.allclose(res.weights[:20], res.weights[:20].mean())


def test_raking_nobody_with_age_and_sex_gives_weights_of_one():
    res = rake(np.full(4, np.nan), np.array([1.0, 2.0, 1.0, 2.0]), MARGINS)
    assert (res.weights == 1.0).all() and res.notes


def test_raking_one_respondent_gives_weight_one():
    res = rake([2.0], [1.0], MARGINS)
    assert res.weights.tolist() == [1.0] and not res.flagged


def two_waves_two_districts(rng, make_frame):
    n = 400
    age, sex = skewed_sample(rng, n)
    return make_frame(
        wave=rng.choice(["2020", "2021"], n),
        district=rng.choice(["KRG-KZB", "KRG-NUR"], n),
        age_group=age.astype(int).tolist(),
        sex=sex.astype(int).tolist(),
    )


def test_district_weights_rake_each_district_and_wave_separately(rng, make_frame, make_population):
    frame = two_waves_two_districts(rng, make_frame)
    population = make_population(["KRG-KZB", "KRG-NUR"])
    population["KRG-NUR"]["margins"]["age_group"] = {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4}
    w = district_weights(frame, population)
    assert w.index.equals(frame.index)
    for (_wave, district), rows in frame.groupby(["wave", "district"]):
        expected = rake(rows["age_group"], rows["sex"], population[district]["margins"]).weights
        assert np.allclose(w[rows.index], expected)
        assert w[rows.index].sum() == pytest.approx(len(rows))


def test_rake_districts_reports_each_groups_result(rng, make_frame, make_population):
    frame = two_waves_two_districts(rng, make_frame)
    population = make_population(["KRG-KZB", "KRG-NUR"])
    del population["KRG-NUR"]["margins"]
    _, results = rake_districts(frame, population)
    assert set(results) == {(w, d) for w in ("2020", "2021") for d in ("KRG-KZB", "KRG-NUR")}
    assert results[("2021", "KRG-NUR")].notes == ["No population margins: weights are 1."]
    assert results[("2021", "KRG-KZB")].converged


def test_region_weights_count_each_district_by_its_adult_population(rng, make_frame, make_population):
    frame = two_waves_two_districts(rng, make_frame)
    population = make_population(["KRG-KZB", "KRG-NUR", "KRG-ABSENT"])
    dw = district_weights(frame, population)
    rw = region_weights(frame, population, dw)
    p_total = population["KRG-KZB"]["adult_population"] + population["KRG-NUR"]["adult_population"]
    for _wave, rows in frame.groupby("wave"):
        n = len(rows)
        for district, drows in rows.groupby("district"):
            # METHOD.md §4.1: wᵢ · (P_d/P) · (n/n_d), P over the districts present
            factor = population[district]["adult_population"] / p_total * n / len(drows)
            assert np.allclose(rw[drows.index], dw[drows.index] * factor)
            assert rw[drows.index].sum() / n == pytest.approx(population[district]["adult_population"] / p_total)
        assert rw[rows.index].sum() == pytest.approx(n)


def test_region_weights_need_the_population_of_every_district_present(rng, make_frame, make_population):
    frame = two_waves_two_districts(rng, make_frame)
    population = make_population(["KRG-KZB"])
    with pytest.raises(ValueError, match=MISSING_POPULATION.format(district="KRG-NUR")[:30]):
        region_weights(frame, population, np.ones(len(frame)))


share = st.floats(0.05, 1.0)


@settings(max_examples=60, deadline=None)
@given(
    age=st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.0, np.nan]), min_size=12, max_size=150),
    data=st.data(),
    age_shares=st.lists(share, min_size=4, max_size=4),
    female=st.floats(0.2, 0.8),
)
def test_raked_weights_are_positive_sum_to_n_and_hit_the_margins(age, data, age_shares, female):
    age = np.array(age)
    sex = np.array(data.draw(st.lists(st.sampled_from([1.0, 2.0]), min_size=len(age), max_size=len(age))))
    complete = ~np.isnan(age)
    assume(set(age[complete]) == {1.0, 2.0, 3.0, 4.0} and set(sex[complete]) == {1.0, 2.0})
    total = sum(age_shares)
    margins = {
        "age_group": {k + 1: s / total for k, s in enumerate(age_shares)},
        "sex": {1: female, 2: 1 - female},
    }
    res = rake(age, sex, margins)
    assert (res.weights > 0).all()
    assert res.weights.sum() == pytest.approx(len(age), rel=1e-9)
    if not res.flagged:
        w = res.weights[complete]
        mean = w.mean()
        assert w.max() <= 3 * mean * (1 + 1e-6) and w.min() >= 0.3 * mean * (1 - 1e-6)
        for codes, target in ((age[complete], margins["age_group"]), (sex[complete], margins["sex"])):
            shares = weighted_shares(codes, w)
            assert all(abs(shares[k] - s) <= 1e-6 for k, s in target.items())
