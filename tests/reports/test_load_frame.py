"""reports.data.load_frame: committed responses as the statistics' input frame."""

import datetime
import math

import numpy as np
import pandas as pd
import pytest

from checklist.definition import definition_for
from checklist.models import Item
from checklist.scoring import effective_answers, item_score, respondent_scores
from checklist.services import checklist_new_version, checklist_publish
from reports import data
from surveys.models import Response, Wave
from surveys.services import response_submit
from tests.reports.seeding import answers_with, seed_responses


@pytest.fixture
def two_waves(checklist, definition, districts, wave):
    earlier = Wave.objects.create(code="2019", name="2019", starts_on=datetime.date(2019, 3, 1))
    for code, safety, seed in (("KRG-KZB", 0.4, 1), ("KRG-TEM", 0.6, 2)):
        seed_responses(definition=definition, checklist=checklist, wave=wave, district=districts[code],
                       count=14, safety=safety, seed=seed)
        seed_responses(definition=definition, checklist=checklist, wave=earlier, district=districts[code],
                       count=6, safety=safety, seed=seed + 10)
    return {"current": wave, "previous": earlier}


def _nan_or(value):
    return np.nan if value is None else float(value)


def expected_row(response: Response) -> dict:
    """One row computed the slow, obvious way from the scoring functions."""
    definition = definition_for(response.checklist)
    answers = response.answers
    scores = respondent_scores(definition, answers)
    row = {
        "wave": response.wave.code,
        "district": response.district.code,
        "channel": response.channel,
        "age_group": answers.get("age_group"),
        "sex": answers.get("sex"),
        "feeling": _nan_or(scores.feeling),
        "sdg_safe": _nan_or(scores.sdg_safe),
        "unsafe_place_type": answers.get("unsafe_place_type"),
        "unsafe_bus_route": answers.get("unsafe_bus_route", np.nan),
    }
    effective = effective_answers(definition, answers)
    for item in definition.items:
        if item.subscore == "feeling":
            row[f"feel:{item.code}"] = _nan_or(item_score(item, effective.get(item.code)))
        if item.subscore in ("environment", "police"):
            row[f"item:{item.code}"] = _nan_or(item_score(item, answers.get(item.code)))
        if item.code.startswith("vic_"):
            value = answers.get(item.code)
            row["vic:" + item.code.removeprefix("vic_")] = np.nan if value is None else float(value)
    return row


def test_it_has_one_row_per_committed_response_with_the_scores_of_the_scoring_module(two_waves):
    Response.objects.filter(pk=Response.objects.order_by("pk").first().pk).update(is_void=True)
    frame = data.load_frame()
    responses = list(Response.objects.filter(is_void=False).order_by("pk").select_related("wave", "district"))
    assert len(frame) == len(responses) == 39
    for position, response in enumerate(responses):
        for column, value in expected_row(response).items():
            got = frame[column].iloc[position]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                assert pd.isna(got), (column, got)
            else:
                assert got == value, (column, got, value)


def test_its_columns_come_from_the_checklist_definition(two_waves, definition):
    frame = data.load_frame()
    drivers = [f"item:{i.code}" for i in definition.items if i.subscore in ("environment", "police")]
    assert [c for c in frame.columns if c.startswith("item:")] == drivers
    assert "item:pol_inspector_known" not in frame.columns  # yes/no, not scored
    assert sorted(c for c in frame.columns if c.startswith("vic:")) == sorted(
        ["vic:burglary", "vic:burglary_reported", "vic:transport_theft", "vic:transport_theft_reported",
         "vic:fraud", "vic:fraud_reported", "vic:assault_hooliganism", "vic:assault_hooliganism_reported"]
    )
    assert str(frame["age_group"].dtype) == "Int64"
    assert str(frame["sex"].dtype) == "Int64"
    assert str(frame["unsafe_place_type"].dtype) == "Int64"
    assert frame["feeling"].dtype == np.float64
    assert set(frame["sdg_safe"].dropna().unique()) <= {0.0, 1.0}
    assert "unsafe_place_note" not in frame.columns


def test_it_reverse_codes_items_and_treats_dont_know_as_missing(two_waves, districts, definition):
    answers = answers_with(definition, safe_walk_dark=4, safe_walk_day=4, safe_home_night=4, safe_transport=4,
                           worry_burglary=1, worry_pickpocket=1, worry_fraud=1, worry_violence=1,
                           env_disorder=5, env_lighting=9, env_cctv=2, pol_trust=9,
                           vic_transport_theft=1, vic_transport_theft_reported=0,
                           unsafe_place_type=2, unsafe_bus_route="12а")
    response_submit(district=districts["KRG-SAR"], language="ru", answers=answers)
    row = data.load_frame(districts=["KRG-SAR"]).iloc[0]
    assert row["item:env_disorder"] == 0.0  # "strongly agree" that disorder is a problem: least favourable
    assert row["item:env_cctv"] == 25.0
    assert pd.isna(row["item:env_lighting"])  # don't know
    assert pd.isna(row["item:pol_trust"])  # don't know
    assert row["vic:transport_theft"] == 1.0 and row["vic:transport_theft_reported"] == 0.0
    assert pd.isna(row["vic:burglary_reported"])  # not asked
    assert row["unsafe_bus_route"] == "12A"
    assert row["sdg_safe"] == 1.0 and row["feeling"] == 100.0


def test_the_index_items_carry_the_would_feel_answer_for_those_who_never_walk_alone(districts, definition, wave):
    answers = answers_with(definition, safe_walk_dark=8, safe_walk_dark_would=1, worry_fraud=5)
    response_submit(district=districts["KRG-SAR"], language="ru", answers=answers)
    row = data.load_frame().iloc[0]
    assert row["feel:safe_walk_dark"] == 0.0
    assert row["feel:worry_fraud"] == 0.0  # extremely worried: least favourable
    assert "feel:safe_walk_dark_would" not in row.index


def test_detail_waves_read_the_answers_of_those_waves_only(two_waves):
    full = data.load_frame()
    light = data.load_frame(detail_waves=["2020"])
    assert list(light.columns) == list(full.columns)
    current = light["wave"] == "2020"
    pd.testing.assert_frame_equal(light[current], full[current])
    earlier = light[~current]
    assert earlier["item:env_lighting"].isna().all() and earlier["vic:fraud"].isna().all()
    pd.testing.assert_frame_equal(earlier[["feeling", "sdg_safe", "age_group", "sex"]],
                                  full[~current][["feeling", "sdg_safe", "age_group", "sex"]])


def test_it_filters_by_wave_and_district_codes(two_waves):
    frame = data.load_frame(waves=["2019"], districts=["KRG-TEM"])
    assert len(frame) == 6
    assert set(frame["wave"]) == {"2019"} and set(frame["district"]) == {"KRG-TEM"}
    assert len(data.load_frame(waves=["2020", "2019"])) == 40


def test_an_empty_scope_gives_an_empty_frame_with_the_base_columns(two_waves):
    frame = data.load_frame(waves=["1999"])
    assert len(frame) == 0
    for column in ("wave", "district", "channel", "age_group", "sex", "feeling", "sdg_safe", "unsafe_bus_route"):
        assert column in frame.columns


def test_it_scores_each_response_by_its_own_checklist_version(two_waves, checklist, definition, districts):
    """A wave answered in two versions is read by item code; each version's options decide."""
    draft = checklist_new_version(source=checklist)
    # Version 2 words env_lighting the other way round ("streets are badly lit"): reverse-coded.
    Item.objects.filter(section__checklist=draft, code="env_lighting").update(reverse=True)
    Item.objects.filter(section__checklist=draft, code="env_cctv").update(code="env_cameras")
    checklist_publish(checklist=draft)
    base = answers_with(definition, env_lighting=5, env_cctv=None)
    response_submit(district=districts["KRG-SAR"], language="ru", answers={**base, "env_cctv": 4},
                    checklist=checklist)
    response_submit(district=districts["KRG-SAR"], language="kk", answers={**base, "env_cameras": 4},
                    checklist=draft)
    frame = data.load_frame(districts=["KRG-SAR"])
    assert list(frame["item:env_lighting"]) == [100.0, 0.0]
    assert frame["item:env_cctv"].iloc[0] == 75.0 and pd.isna(frame["item:env_cctv"].iloc[1])
    assert pd.isna(frame["item:env_cameras"].iloc[0]) and frame["item:env_cameras"].iloc[1] == 75.0


def test_population_lists_the_units_residents_answer_for(districts):
    population = data.population()
    assert len(population) == 14
    assert "KRG" not in population and "KRG-KAR" not in population
    assert population["KRG-KZB"]["adult_population"] == 191000
    assert population["KRG-KZB"]["margins"]["sex"] == {"1": 0.54, "2": 0.46}


@pytest.mark.postgres
def test_the_postgresql_copy_path_gives_the_same_frame_as_the_orm_path(two_waves, districts, definition,
                                                                       monkeypatch):
    # A route that looks like a number and one that looks like a missing value stay text.
    for route in ("102", "NA"):
        answers = answers_with(definition, safe_walk_dark=8, safe_walk_dark_would=2, unsafe_place_type=2,
                               unsafe_bus_route=route)
        response_submit(district=districts["KRG-SAR"], language="ru", answers=answers)
    copied = data.load_frame()
    copied_light = data.load_frame(waves=["2020", "2019"], districts=["KRG-TEM", "KRG-SAR"], detail_waves=["2020"])
    monkeypatch.setattr(data, "_use_copy", lambda: False)
    through_orm = data.load_frame()
    pd.testing.assert_frame_equal(copied, through_orm)
    pd.testing.assert_frame_equal(
        copied_light,
        data.load_frame(waves=["2020", "2019"], districts=["KRG-TEM", "KRG-SAR"], detail_waves=["2020"]),
    )
    assert set(copied["unsafe_bus_route"].dropna()) >= {"102", "NA"}
    answers_copied, _ = data.load_answers(waves=["2020"])
    monkeypatch.setattr(data, "_use_copy", lambda: True)
    answers_again, _ = data.load_answers(waves=["2020"])
    pd.testing.assert_frame_equal(answers_copied, answers_again)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_copy_streams_read_one_snapshot_and_give_the_orm_frame(checklist, definition, districts, wave,
                                                                         settings, monkeypatch):
    seed_responses(definition=definition, checklist=checklist, wave=wave, district=districts["KRG-KZB"],
                   count=25, safety=0.5, seed=5)
    settings.REPORT_COPY_STREAMS = 3
    streamed = data.load_frame()
    monkeypatch.setattr(data, "_use_copy", lambda: False)
    pd.testing.assert_frame_equal(streamed, data.load_frame())
    assert len(streamed) == 25


@pytest.mark.postgres
def test_a_stored_answer_that_is_not_a_number_counts_as_missing_on_both_paths(two_waves, monkeypatch):
    """clean_answers never stores one, but old or imported data might."""
    response = Response.objects.filter(wave__code="2020").order_by("pk").first()
    Response.objects.filter(pk=response.pk).update(answers={**response.answers, "env_lighting": "bright"})
    copied = data.load_frame()
    monkeypatch.setattr(data, "_use_copy", lambda: False)
    pd.testing.assert_frame_equal(copied, data.load_frame())
    position = list(Response.objects.filter(is_void=False).order_by("pk").values_list("pk", flat=True)).index(
        response.pk)
    assert pd.isna(copied["item:env_lighting"].iloc[position])
