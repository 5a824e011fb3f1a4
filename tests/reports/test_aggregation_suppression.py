"""METHOD.md §4.8: small cells are suppressed everywhere, with complementary suppression."""

import numpy as np
import pandas as pd
import pytest

from reports.aggregation import complementary_suppression, trend, wave_figures


def numbers(node, path=""):
    """Every number in a nested output, with where it is (booleans are not numbers)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from numbers(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from numbers(value, f"{path}[{i}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path, node


def test_complementary_suppression_hides_the_next_smallest_cell_when_one_is_hidden():
    assert complementary_suppression({"a": 4, "b": 30, "c": 12, "d": 50}, 10) == {"a", "c"}


def test_complementary_suppression_leaves_a_breakdown_with_two_hidden_cells_alone():
    assert complementary_suppression({"a": 4, "b": 30, "c": 7, "d": 50}, 10) == {"a", "c"}


def test_complementary_suppression_does_nothing_when_no_cell_is_small():
    assert complementary_suppression({"a": 10, "b": 30}, 10) == set()


def test_complementary_suppression_is_not_triggered_by_empty_cells():
    # an empty cell is shown as "fewer than 10" but hides nothing that needs protecting
    assert complementary_suppression({"online": 40, "paper": 0}, 10) == {"paper"}


def test_complementary_suppression_protects_a_cell_hidden_by_another_breakdown():
    assert complementary_suppression({"a": 40, "b": 25, "c": 60}, 10, hidden={"a"}) == {"a", "b"}


@pytest.fixture
def population(make_population):
    return make_population(["KRG-KZB", "KRG-TEM", "KRG-NUR", "KRG-SHE"])


@pytest.fixture
def frame(rng, make_random_frame):
    parts = [
        make_random_frame(rng, 300, districts=("KRG-KZB",)),
        make_random_frame(rng, 120, districts=("KRG-TEM",)),
        make_random_frame(rng, 200, districts=("KRG-NUR",)),
        make_random_frame(rng, 6, districts=("KRG-SHE",)),
    ]
    return pd.concat(parts, ignore_index=True)


def test_a_district_below_min_cell_has_no_number_anywhere(frame, population):
    she = wave_figures(frame, population, "2021")["districts"]["KRG-SHE"]
    assert she["suppressed"]
    assert list(numbers(she)) == []
    assert she["weighted"]["index"]["suppressed"] and she["places"]["types"] == []


def test_one_suppressed_district_also_suppresses_the_next_smallest_district(frame, population):
    figures = wave_figures(frame, population, "2021")
    tem = figures["districts"]["KRG-TEM"]  # 120 responses, the next smallest
    assert tem["suppressed"] and tem["n"] is None
    for block in ("weighted", "unweighted"):
        assert tem[block]["n_eff"] is None
        for key in ("index", "environment", "police", "overall", "sdg"):
            assert tem[block][key]["suppressed"] and tem[block][key]["value"] is None
        # each figure is its own breakdown: where the small district has respondents,
        # the next smallest district is hidden too (here the same district every time)
        assert all(d["suppressed"] for d in tem[block]["drivers"])
        assert all(v["share"]["suppressed"] for v in tem[block]["victimisation"])
    assert not figures["districts"]["KRG-NUR"]["suppressed"]
    assert figures["districts"]["KRG-NUR"]["weighted"]["index"]["value"] is not None
    assert figures["region"]["n"] == len(frame) and figures["region"]["weighted"]["index"]["value"] is not None


def test_a_figure_the_small_district_has_no_respondents_for_needs_no_complement(frame, population):
    frame.loc[frame["district"] == "KRG-SHE", "vic:burglary"] = 0.0
    figures = wave_figures(frame, population, "2021")
    tem = {v["type"]: v for v in figures["districts"]["KRG-TEM"]["weighted"]["victimisation"]}
    # no victim of burglary in the small district: the reported share there rests on
    # nobody, and the reported share of the next district can be shown
    assert tem["burglary"]["reported"]["value"] is not None
    assert tem["burglary"]["share"]["suppressed"]


def test_without_a_small_district_nothing_else_is_hidden(frame, population):
    frame = frame[frame["district"] != "KRG-SHE"]
    del population["KRG-SHE"]
    figures = wave_figures(frame, population, "2021")
    assert not any(d["suppressed"] for d in figures["districts"].values())


def test_a_smaller_min_cell_shows_the_small_district(frame, population):
    figures = wave_figures(frame, population, "2021", min_cell=5)
    assert figures["districts"]["KRG-SHE"]["n"] == 6
    assert figures["districts"]["KRG-TEM"]["n"] == 120


def test_a_suppressed_channel_also_suppresses_the_other_channel(rng, make_random_frame, make_population):
    frame = make_random_frame(rng, 200, districts=("KRG-KZB",))
    frame.loc[frame.index[8:], "channel"] = "online"
    frame.loc[frame.index[:8], "channel"] = "paper"
    figures = wave_figures(frame, make_population(["KRG-KZB"]), "2021")
    by_channel = figures["districts"]["KRG-KZB"]["weighted"]["by_channel"]
    for channel in ("online", "paper"):
        assert by_channel[channel]["suppressed"] and by_channel[channel]["n"] is None
        assert by_channel[channel]["index"]["value"] is None and by_channel[channel]["sdg"]["value"] is None
    assert figures["districts"]["KRG-KZB"]["weighted"]["index"]["value"] is not None


def test_a_channel_without_responses_hides_nothing_else(rng, make_random_frame, make_population):
    frame = make_random_frame(rng, 200, districts=("KRG-KZB",))
    frame["channel"] = "online"
    figures = wave_figures(frame, make_population(["KRG-KZB"]), "2021")
    by_channel = figures["districts"]["KRG-KZB"]["weighted"]["by_channel"]
    assert by_channel["paper"]["suppressed"] and not by_channel["online"]["suppressed"]


def test_a_small_cell_hides_the_same_figures_weighted_and_unweighted(frame, population):
    figures = wave_figures(frame, population, "2021")

    def hidden(node, path=""):
        if isinstance(node, dict):
            if node.get("suppressed") is True:
                yield path
            for key, value in node.items():
                yield from hidden(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from hidden(value, f"{path}[{i}]")

    for unit in figures["districts"].values():
        weighted = sorted(hidden(unit["weighted"]))
        unweighted = sorted(hidden(unit["unweighted"]))
        # drivers are listed by correlation, which differs; compare by item instead
        assert len(weighted) == len(unweighted)
        assert [p for p in weighted if "drivers" not in p] == [p for p in unweighted if "drivers" not in p]


def test_a_figure_few_answered_is_hidden_though_its_district_is_shown(rng, make_random_frame, make_population):
    frame = make_random_frame(rng, 100, districts=("KRG-KZB",))
    frame.loc[frame.index[7:], "police"] = np.nan
    figures = wave_figures(frame, make_population(["KRG-KZB"]), "2021")
    kzb = figures["districts"]["KRG-KZB"]["weighted"]
    assert kzb["police"]["suppressed"] and kzb["index"]["value"] is not None
    assert figures["region"]["weighted"]["police"]["suppressed"]


def test_change_against_a_suppressed_previous_wave_is_suppressed(rng, make_random_frame, make_population):
    frame = pd.concat(
        [
            make_random_frame(rng, 7, wave="2020", districts=("KRG-KZB",)),
            make_random_frame(rng, 90, wave="2020", districts=("KRG-NUR",)),
            make_random_frame(rng, 100, wave="2021", districts=("KRG-KZB", "KRG-NUR")),
        ],
        ignore_index=True,
    )
    population = make_population(["KRG-KZB", "KRG-NUR"])
    figures = wave_figures(frame, population, "2021", previous_wave="2020")
    for district in ("KRG-KZB", "KRG-NUR"):  # NUR is the complement of the small KZB
        assert figures["districts"][district]["weighted"]["change"]["index"]["suppressed"]
        assert figures["districts"][district]["weighted"]["change"]["index"]["diff"] is None
    assert figures["region"]["weighted"]["change"]["index"]["diff"] is not None
    points = trend(frame, population, ["2020", "2021"])["districts"]["KRG-KZB"]
    assert points[0]["suppressed"] and points[0]["index"]["value"] is None
