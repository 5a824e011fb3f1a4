"""METHOD.md §4.5–§4.7: key drivers, victimisation and places."""

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from reports.aggregation import key_drivers, places, victimisation, weighted_share


def drivers_by_item(drivers):
    return {d.item: d for d in drivers}


def test_key_driver_correlation_matches_statsmodels_weighted_corrcoef(rng, make_random_frame):
    frame = make_random_frame(rng, 600)
    w = rng.uniform(0.3, 3.0, len(frame))
    drivers = drivers_by_item(key_drivers(frame, w))
    for item in ("env_lighting", "pol_response"):
        x, y = frame[f"item:{item}"].to_numpy(), frame["feeling"].to_numpy()
        both = ~(np.isnan(x) | np.isnan(y))
        expected = DescrStatsW(np.column_stack([x[both], y[both]]), weights=w[both]).corrcoef[0, 1]
        assert drivers[item].correlation == pytest.approx(expected, abs=1e-6)
        assert drivers[item].n == both.sum()


def test_key_driver_correlation_matches_numpy_weighted_covariance(rng, make_random_frame):
    frame = make_random_frame(rng, 300)
    w = rng.uniform(0.3, 3.0, len(frame))
    x, y = frame["item:env_cctv"].to_numpy(), frame["feeling"].to_numpy()
    both = ~(np.isnan(x) | np.isnan(y))
    cov = np.cov(x[both], y[both], aweights=w[both])
    expected = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert drivers_by_item(key_drivers(frame, w))["env_cctv"].correlation == pytest.approx(expected, abs=1e-6)


def test_key_drivers_use_only_respondents_with_both_the_item_and_the_index(make_frame):
    item = [0, 25, 50, 75, 100] * 4 + [0.0] * 5
    feeling = [10, 30, 50, 70, 90] * 4 + [np.nan] * 5
    [driver] = key_drivers(make_frame(item__env_lighting=item, feeling=feeling), min_cell=0)
    assert driver.n == 20 and driver.correlation == pytest.approx(1.0)
    # the unfavourable share counts everyone who answered the item
    assert driver.unfavourable_share.n == 25


def test_unfavourable_share_counts_the_bottom_two_points_of_the_scale(make_frame):
    item = [0.0, 25.0, 50.0, 75.0, 100.0, 25.0, np.nan, 0.0, 50.0, 100.0, 75.0]
    frame = make_frame(item__pol_trust=item, feeling=np.linspace(0, 100, len(item)))
    share = key_drivers(frame, min_cell=0)[0].unfavourable_share
    assert share.n == 10 and share.value == pytest.approx(0.4)
    expected = weighted_share([1, 1, 0, 0, 0, 1, 1, 0, 0, 0], min_cell=0)
    assert (share.low, share.high) == pytest.approx((expected.low, expected.high))


def test_key_drivers_are_ranked_by_correlation_descending(rng, make_random_frame):
    drivers = key_drivers(make_random_frame(rng, 800))
    correlations = [d.correlation for d in drivers]
    assert correlations == sorted(correlations, reverse=True)
    # the synthetic items get noisier down the list, so lighting comes first
    assert drivers[0].item == "env_lighting"


def test_priorities_have_above_median_correlation_and_unfavourable_share(rng, make_frame):
    n = 400
    feeling = rng.uniform(0, 100, n)
    points = np.arange(5) * 25.0

    def item(noise, shift):
        return points[np.clip(np.round((feeling + rng.normal(0, noise, n) + shift) / 25), 0, 4).astype(int)]

    frame = make_frame(
        feeling=feeling,
        item__strong_bad=item(5, -30),  # high correlation, many unfavourable: a priority
        item__strong_good=item(8, +30),  # high correlation, few unfavourable
        item__weak_bad=item(60, -30),  # low correlation, many unfavourable
        item__weak_good=item(70, +30),  # low correlation, few unfavourable
    )
    drivers = drivers_by_item(key_drivers(frame))
    assert [k for k, d in drivers.items() if d.priority] == ["strong_bad"]


def test_key_drivers_discover_items_by_their_prefix(make_frame):
    frame = make_frame(feeling=np.arange(12.0), item__any_new_item=np.arange(12.0) * 5, police=np.arange(12.0))
    assert [d.item for d in key_drivers(frame)] == ["any_new_item"]


def test_a_key_driver_on_too_few_respondents_is_suppressed(make_frame):
    frame = make_frame(feeling=np.arange(9.0), item__env_lighting=np.arange(9.0) * 10)
    [driver] = key_drivers(frame, min_cell=10)
    assert driver.suppressed and driver.correlation is None and driver.n is None
    assert driver.unfavourable_share.suppressed and driver.priority is False


def test_an_item_everyone_answers_alike_has_no_correlation(make_frame):
    frame = make_frame(feeling=np.arange(20.0), item__env_cctv=[50.0] * 20)
    [driver] = key_drivers(frame)
    assert driver.correlation is None and not driver.suppressed
    assert driver.unfavourable_share.value == 0.0


def test_victimisation_share_is_a_weighted_share_with_a_wilson_interval(rng, make_random_frame):
    frame = make_random_frame(rng, 500)
    w = rng.uniform(0.5, 2.0, len(frame))
    rows = {v.type: v for v in victimisation(frame, w)}
    assert set(rows) == {"burglary", "fraud"}
    v = frame["vic:fraud"].to_numpy()
    known = ~np.isnan(v)
    n_eff = w[known].sum() ** 2 / (w[known] ** 2).sum()
    p = (w[known] * v[known]).sum() / w[known].sum()
    low, high = proportion_confint(p * n_eff, n_eff, method="wilson")
    share = rows["fraud"].share
    assert share.value == pytest.approx(p) and (share.low, share.high) == pytest.approx((low, high), abs=1e-6)


def test_the_reported_share_counts_victims_only(make_frame):
    victim = [1.0] * 12 + [0.0] * 20 + [np.nan] * 3
    # non-victims carry stray "reported" answers that must not count
    reported = [1.0] * 3 + [0.0] * 9 + [1.0] * 20 + [1.0] * 3
    [row] = victimisation(make_frame(vic__burglary=victim, vic__burglary_reported=reported))
    assert row.share.n == 32 and row.share.value == pytest.approx(12 / 32)
    assert row.reported.n == 12 and row.reported.value == pytest.approx(3 / 12)


def test_the_reported_share_of_a_few_victims_is_suppressed(make_frame):
    victim = [1.0] * 4 + [0.0] * 40
    [row] = victimisation(make_frame(vic__fraud=victim, vic__fraud_reported=[1.0] * 4 + [np.nan] * 40))
    assert not row.share.suppressed and row.share.value == pytest.approx(4 / 44)
    assert row.reported.suppressed and row.reported.value is None


def test_victimisation_without_a_reported_column_has_no_reported_share(make_frame):
    [row] = victimisation(make_frame(vic__assault_hooliganism=[0.0, 1.0] * 10))
    assert row.type == "assault_hooliganism" and row.reported is None


def test_places_count_types_and_routes_largest_first_top_ten(make_frame):
    types = [2] * 40 + [3] * 25 + [5] * 12 + [None] * 10
    routes = ["12"] * 22 + ["7"] * 18 + [None] * 47
    result = places(make_frame(unsafe_place_type=types, unsafe_bus_route=routes), top=2)
    assert result.types_total == 77
    assert [(p.code, p.count) for p in result.types] == [(2, 40), (3, 25)]
    assert [(p.code, p.count) for p in result.routes] == [("12", 22), ("7", 18)]
    assert not result.types_hidden and not result.routes_hidden


def test_places_keep_at_most_ten_of_each(make_frame):
    routes = [str(r) for r in range(1, 13) for _ in range(10 + r)]
    result = places(make_frame(unsafe_place_type=2, unsafe_bus_route=routes))
    assert [p.code for p in result.routes] == [str(r) for r in range(12, 2, -1)]


def test_places_suppress_a_small_type_and_the_next_smallest_one(make_frame):
    types = [1] * 50 + [4] * 30 + [6] * 12 + [8] * 3
    result = places(make_frame(unsafe_place_type=types))
    assert [(p.code, p.count) for p in result.types] == [(1, 50), (4, 30)]
    assert result.types_hidden and result.types_total == 95


def test_places_leave_out_small_routes(make_frame):
    routes = ["12"] * 15 + ["45"] * 4
    result = places(make_frame(unsafe_place_type=2, unsafe_bus_route=routes))
    assert [(p.code, p.count) for p in result.routes] == [("12", 15)]
    assert result.routes_hidden


def test_places_of_a_few_respondents_show_no_number(make_frame):
    result = places(make_frame(unsafe_place_type=[1, 1, 2], unsafe_bus_route=[None, None, "7"]))
    assert result.types == [] and result.routes == [] and result.types_total is None
    assert result.types_total_suppressed and result.types_hidden and result.routes_hidden
