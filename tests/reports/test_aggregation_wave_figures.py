"""The whole product of a wave and the trend across waves (METHOD.md §4)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reports.aggregation import (
    MISSING_POPULATION,
    _combine,
    _mean_estimate,
    _moments,
    change,
    district_weights,
    key_drivers,
    rake,
    region_weights,
    trend,
    victimisation,
    wave_figures,
    weighted_mean,
    weighted_share,
)

DISTRICTS = ("KRG-KZB", "KRG-TEM", "KRG-NUR")
ESTIMATE_KEYS = {"value", "se", "low", "high", "n", "n_eff", "deff", "suppressed"}


@pytest.fixture
def population(make_population):
    return make_population(DISTRICTS)


@pytest.fixture
def two_waves(rng, make_random_frame):
    return pd.concat(
        [make_random_frame(rng, 900, wave="2020"), make_random_frame(rng, 1200, wave="2021", shift=4)],
        ignore_index=True,
    )


@pytest.fixture
def figures(two_waves, population):
    return wave_figures(two_waves, population, "2021", previous_wave="2020")


def wave(frame, code):
    return frame[frame["wave"] == code].reset_index(drop=True)


def same_estimate(got: dict, expected) -> None:
    for key, value in expected.to_dict().items():
        assert got[key] == pytest.approx(value, abs=1e-9), key


def test_wave_figures_are_plain_json_without_nan(figures):
    text = json.dumps(figures, allow_nan=False)
    assert json.loads(text) == figures


def test_wave_figures_have_the_documented_shape(figures):
    assert figures["wave"] == "2021" and figures["previous_wave"] == "2020"
    assert figures["primary"] == "weighted" and figures["blocks"] == ["weighted", "unweighted"]
    assert list(figures["districts"]) == sorted(DISTRICTS)
    for unit in [figures["region"], *figures["districts"].values()]:
        assert set(unit) == {"code", "n", "suppressed", "rake", "weighted", "unweighted", "places"}
        for block in ("weighted", "unweighted"):
            b = unit[block]
            assert set(b) == {
                "n_eff", "deff", "index", "environment", "police", "overall", "sdg",
                "change", "by_channel", "drivers", "victimisation",
            }  # fmt: skip
            for key in ("index", "environment", "police", "overall", "sdg"):
                assert set(b[key]) == ESTIMATE_KEYS
            assert set(b["change"]) == {"index", "sdg"}
            assert set(b["by_channel"]) == {"online", "paper"}
            assert set(b["by_channel"]["paper"]) == {"n", "suppressed", "index", "sdg"}
            assert set(b["drivers"][0]) == {"item", "correlation", "n", "unfavourable_share", "priority", "suppressed"}
            assert set(b["victimisation"][0]) == {"type", "share", "reported"}
        assert set(unit["places"]) == {
            "types_total", "types", "routes", "types_total_suppressed", "types_hidden", "routes_hidden",
        }  # fmt: skip
    assert set(figures["districts"]["KRG-KZB"]["rake"]) == {"converged", "flagged", "notes"}
    assert set(figures["region"]["rake"]) == {"flagged", "flagged_districts", "notes"}


def test_a_districts_index_uses_its_own_raking_weights(two_waves, population, figures):
    frame = wave(two_waves, "2021")
    rows = frame[frame["district"] == "KRG-TEM"]
    w = rake(rows["age_group"], rows["sex"], population["KRG-TEM"]["margins"]).weights
    district = figures["districts"]["KRG-TEM"]
    assert district["n"] == len(rows)
    same_estimate(district["weighted"]["index"], weighted_mean(rows["feeling"], w))
    same_estimate(district["weighted"]["sdg"], weighted_share(rows["sdg_safe"], w))
    same_estimate(district["weighted"]["police"], weighted_mean(rows["police"], w))
    assert district["weighted"]["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_the_region_counts_each_district_by_its_adult_population(two_waves, population, figures):
    frame = wave(two_waves, "2021")
    w = region_weights(frame, population, district_weights(frame, population))
    region = figures["region"]["weighted"]
    same_estimate(region["index"], weighted_mean(frame["feeling"], w))
    same_estimate(region["sdg"], weighted_share(frame["sdg_safe"], w))
    online = frame["channel"] == "online"
    same_estimate(region["by_channel"]["online"]["index"], weighted_mean(frame["feeling"][online], w[online]))


def test_the_unweighted_block_holds_plain_means(two_waves, figures):
    frame = wave(two_waves, "2021")
    assert figures["region"]["unweighted"]["index"]["value"] == pytest.approx(frame["feeling"].mean())
    rows = frame[frame["district"] == "KRG-NUR"]
    nur = figures["districts"]["KRG-NUR"]["unweighted"]
    assert nur["overall"]["value"] == pytest.approx(rows["overall"].mean())
    assert nur["n_eff"] == len(rows) and nur["deff"] == 1.0


def test_change_compares_each_unit_with_the_previous_wave(two_waves, population, figures):
    before, now = wave(two_waves, "2020"), wave(two_waves, "2021")
    wa = district_weights(before, population)[before["district"] == "KRG-KZB"]
    wb = district_weights(now, population)[now["district"] == "KRG-KZB"]
    a = weighted_mean(before.loc[wa.index, "feeling"], wa)
    b = weighted_mean(now.loc[wb.index, "feeling"], wb)
    got = figures["districts"]["KRG-KZB"]["weighted"]["change"]["index"]
    for key, value in change(a, b).to_dict().items():
        assert got[key] == pytest.approx(value), key
    region_before = weighted_share(
        before["sdg_safe"], region_weights(before, population, district_weights(before, population))
    )
    region_change = figures["region"]["weighted"]["change"]["sdg"]
    assert region_change["diff"] == pytest.approx(figures["region"]["weighted"]["sdg"]["value"] - region_before.value)


def test_without_a_previous_wave_there_is_no_change(two_waves, population):
    figures = wave_figures(two_waves, population, "2021")
    assert "change" not in figures["region"]["weighted"] and figures["previous_wave"] is None


def test_wave_figures_read_only_the_requested_wave(two_waves, population, figures):
    alone = wave_figures(wave(two_waves, "2021"), population, "2021")
    for unit in ("KRG-KZB", "KRG-NUR"):
        for key in ("index", "sdg", "overall"):
            assert alone["districts"][unit]["weighted"][key] == figures["districts"][unit]["weighted"][key]
    assert alone["region"]["weighted"]["drivers"] == figures["region"]["weighted"]["drivers"]


def test_weighted_false_gives_unweighted_figures_and_needs_no_population(two_waves):
    figures = wave_figures(two_waves, {}, "2021", weighted=False)
    assert figures["primary"] == "unweighted" and figures["blocks"] == ["unweighted"]
    assert "weighted" not in figures["region"] and figures["region"]["rake"] is None
    assert list(figures["districts"]) == sorted(DISTRICTS)


def test_weighted_figures_need_every_districts_adult_population(two_waves, population):
    del population["KRG-NUR"]
    with pytest.raises(ValueError, match="KRG-NUR"):
        wave_figures(two_waves, population, "2021")
    assert "KRG-NUR" in MISSING_POPULATION.format(district="KRG-NUR")


def test_a_district_without_margins_has_weights_of_one_and_says_so(two_waves, population):
    del population["KRG-TEM"]["margins"]
    figures = wave_figures(two_waves, population, "2021")
    tem = figures["districts"]["KRG-TEM"]
    assert tem["rake"]["notes"] == ["No population margins: weights are 1."]
    assert tem["weighted"]["index"] == tem["unweighted"]["index"]
    assert "KRG-TEM: No population margins: weights are 1." in figures["region"]["rake"]["notes"]


def test_a_district_of_the_population_without_responses_is_listed_suppressed(two_waves, population):
    population["KRG-SHE"] = {"adult_population": 10_000}
    figures = wave_figures(two_waves, population, "2021")
    she = figures["districts"]["KRG-SHE"]
    assert she["suppressed"] and she["n"] is None
    assert she["weighted"]["index"]["suppressed"] and she["weighted"]["drivers"][0]["correlation"] is None


def test_by_channel_splits_online_and_paper(two_waves, figures):
    frame = wave(two_waves, "2021")
    rows = frame[(frame["district"] == "KRG-KZB") & (frame["channel"] == "paper")]
    paper = figures["districts"]["KRG-KZB"]["unweighted"]["by_channel"]["paper"]
    assert paper["n"] == len(rows)
    assert paper["index"]["value"] == pytest.approx(rows["feeling"].mean())
    assert paper["sdg"]["value"] == pytest.approx(rows["sdg_safe"].mean())


def test_shares_are_proportions_and_intervals_hold_their_estimates(figures):
    def estimates(node):
        if isinstance(node, dict):
            if ESTIMATE_KEYS <= set(node):
                yield node
            for value in node.values():
                yield from estimates(value)
        elif isinstance(node, list):
            for value in node:
                yield from estimates(value)

    found = list(estimates(figures))
    assert len(found) > 100
    for est in found:
        if est["value"] is not None and est["low"] is not None:
            assert est["low"] <= est["value"] <= est["high"]
    for unit in [figures["region"], *figures["districts"].values()]:
        assert 0 <= unit["weighted"]["sdg"]["value"] <= 1
        for row in unit["weighted"]["victimisation"]:
            assert 0 <= row["share"]["low"] <= row["share"]["value"] <= row["share"]["high"] <= 1


def test_places_are_counted_per_district_and_for_the_region(two_waves, figures):
    frame = wave(two_waves, "2021")
    expected = frame["unsafe_place_type"].value_counts()
    region = figures["region"]["places"]
    assert region["types_total"] == expected.sum()
    assert {p["code"]: p["count"] for p in region["types"]} == expected.to_dict()
    kzb = frame[frame["district"] == "KRG-KZB"]["unsafe_bus_route"].value_counts()
    assert {p["code"]: p["count"] for p in figures["districts"]["KRG-KZB"]["places"]["routes"]} == {
        k: v for k, v in kzb.items() if v >= 10
    }


def test_trend_lists_every_wave_with_its_interval_per_district_and_region(two_waves, population, figures):
    result = trend(two_waves, population, ["2020", "2021"])
    assert result["waves"] == ["2020", "2021"] and result["primary"] == "weighted"
    assert [p["wave"] for p in result["region"]] == ["2020", "2021"]
    assert set(result["districts"]) == set(DISTRICTS)
    assert result["region"][1]["index"] == figures["region"]["weighted"]["index"]
    assert result["districts"]["KRG-NUR"][1]["sdg"] == figures["districts"]["KRG-NUR"]["weighted"]["sdg"]
    point = result["districts"]["KRG-KZB"][0]
    assert set(point) == {"wave", "n", "suppressed", "index", "sdg"}
    assert point["index"]["low"] < point["index"]["value"] < point["index"]["high"]
    json.dumps(result, allow_nan=False)


def test_trend_marks_a_wave_without_a_district_as_suppressed(two_waves, population):
    frame = two_waves[~((two_waves["wave"] == "2020") & (two_waves["district"] == "KRG-NUR"))]
    result = trend(frame, population, ["2020", "2021"])
    first = result["districts"]["KRG-NUR"][0]
    assert first["suppressed"] and first["index"]["value"] is None
    assert not result["districts"]["KRG-NUR"][1]["suppressed"]


def test_trend_unweighted_needs_no_population(two_waves):
    result = trend(two_waves, {}, ["2020", "2021"], weighted=False)
    assert result["primary"] == "unweighted"
    assert result["region"][0]["index"]["value"] == pytest.approx(wave(two_waves, "2020")["feeling"].mean())


def test_wave_figures_name_the_columns_a_frame_lacks(two_waves, population):
    with pytest.raises(ValueError, match="lacks the columns sdg_safe, unsafe_bus_route"):
        wave_figures(two_waves.drop(columns=["sdg_safe", "unsafe_bus_route"]), population, "2021")


def test_wave_figures_refuse_a_response_without_a_district(two_waves, population):
    two_waves.loc[two_waves.index[-1], "district"] = None
    with pytest.raises(ValueError, match="needs a district code"):
        wave_figures(two_waves, population, "2021")


def test_wave_figures_of_an_empty_frame_are_all_suppressed(two_waves, population):
    figures = wave_figures(two_waves.iloc[:0], population, "2021")
    assert figures["region"]["suppressed"] and figures["region"]["weighted"]["index"]["value"] is None
    assert all(d["suppressed"] for d in figures["districts"].values())
    json.dumps(figures, allow_nan=False)


def test_wave_figures_of_all_missing_answers_have_no_number(make_frame, make_population):
    frame = make_frame(n=30, age_group=[1, 2, 3] * 10, sex=[1, 2] * 15, item__env_cctv=np.nan, vic__fraud=np.nan)
    figures = wave_figures(frame, make_population(["KRG-KZB"]), "2021")
    kzb = figures["districts"]["KRG-KZB"]["weighted"]
    assert figures["districts"]["KRG-KZB"]["n"] == 30
    for key in ("index", "environment", "police", "overall", "sdg"):
        assert kzb[key]["value"] is None and kzb[key]["suppressed"]
    assert kzb["drivers"][0]["correlation"] is None and kzb["victimisation"][0]["share"]["value"] is None
    assert figures["districts"]["KRG-KZB"]["places"]["types"] == []


def test_the_regions_drivers_and_victimisation_use_population_weights(two_waves, population, figures):
    frame = wave(two_waves, "2021")
    w = region_weights(frame, population, district_weights(frame, population)).to_numpy()
    expected = {d.item: d for d in key_drivers(frame, w)}
    for driver in figures["region"]["weighted"]["drivers"]:
        assert driver["correlation"] == pytest.approx(expected[driver["item"]].correlation, abs=1e-9)
        assert driver["unfavourable_share"] == pytest.approx(expected[driver["item"]].unfavourable_share.to_dict())
    rows = {v.type: v for v in victimisation(frame, w)}
    for row in figures["region"]["weighted"]["victimisation"]:
        assert row["share"] == pytest.approx(rows[row["type"]].share.to_dict())
        assert row["reported"] == pytest.approx(rows[row["type"]].reported.to_dict())


cell = st.lists(st.tuples(st.floats(0, 100), st.floats(0.05, 20)), min_size=0, max_size=15)


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(st.tuples(cell, st.floats(0.01, 100)), min_size=1, max_size=5))
def test_combining_cells_equals_computing_over_their_union(cells):
    # The region is combined from its districts' moments (each scaled by its factor);
    # that must equal the §4.2 estimate over all respondents with scaled weights.
    y = np.array([v for rows, _ in cells for v, _ in rows])
    w = np.array([wt * f for rows, f in cells for _, wt in rows])
    assume(len(y) >= 2)
    parts = [(f, _moments(np.array([v for v, _ in rows]), np.array([wt for _, wt in rows]))) for rows, f in cells]
    combined = _mean_estimate(_combine(parts))
    direct = weighted_mean(y, w, min_cell=0)
    for key in ("value", "se", "low", "high", "n_eff", "deff"):
        assert getattr(combined, key) == pytest.approx(getattr(direct, key), rel=1e-9, abs=1e-9), key
    assert combined.n == direct.n


def test_the_aggregation_module_imports_no_django():
    root = Path(__file__).resolve().parents[2]
    code = "import sys, reports.aggregation; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
