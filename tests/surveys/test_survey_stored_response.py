"""The stored response: the right district, language, wave, version and scores, and nothing
that could identify the resident."""

import datetime

import pytest
import time_machine
from django.forms.models import model_to_dict

from checklist.scoring import respondent_scores
from surveys.models import Response

pytestmark = pytest.mark.django_db


def test_the_response_keeps_district_language_wave_version_and_channel(fill_in, survey_ready, definition):
    fill_in(code="KRG-TEM", HTTP_ACCEPT_LANGUAGE="kk")
    response = Response.objects.get()
    assert response.district.code == "KRG-TEM"
    assert response.language == "kk"
    assert response.channel == "online"
    assert response.wave == survey_ready["wave"]
    assert response.checklist == survey_ready["checklist"]


def test_the_stored_scores_are_those_of_the_scoring_functions(fill_in, survey_ready, definition, complete_answers):
    choose = {"safe_walk_dark": 2, "safe_walk_day": 3, "worry_burglary": 5, "env_lighting": 1, "pol_trust": 9}
    fill_in(answers=complete_answers(choose=choose))
    response = Response.objects.get()
    expected = respondent_scores(definition, response.answers)
    assert response.feeling == pytest.approx(expected.feeling)
    assert response.environment == pytest.approx(expected.environment)
    assert response.police == pytest.approx(expected.police)
    assert response.overall == pytest.approx(expected.overall)
    assert response.sdg_safe is False  # "a bit unsafe" after dark
    assert response.answers["pol_trust"] == 9  # "don't know" is kept, and counts as missing


def test_the_answers_are_stored_as_typed_values(fill_in, survey_ready, definition, complete_answers):
    answers = complete_answers() | {"unsafe_place_type": "2", "unsafe_bus_route": " 12а "}
    fill_in(answers=answers)
    stored = Response.objects.get().answers
    assert stored["safe_walk_dark"] == 4
    assert stored["unsafe_bus_route"] == "12A"  # normalised, Cyrillic а written as Latin A


def test_only_the_day_is_stored_and_no_address_or_browser(fill_in, survey_ready):
    with time_machine.travel("2026-03-02 23:47:13+05:00", tick=False):
        fill_in(REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Tester/1.0")
    response = Response.objects.get()
    assert response.submitted_on == datetime.date(2026, 3, 2)
    row = repr(model_to_dict(response)) + repr(Response.objects.values().get())
    for trace in ("192.0.2.44", "Tester", "Android", "23:47", "csrf", "sessionid"):
        assert trace not in row
    field_types = {field.get_internal_type() for field in Response._meta.concrete_fields}
    assert "DateTimeField" not in field_types
    assert "GenericIPAddressField" not in field_types
