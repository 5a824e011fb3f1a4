"""POST /api/v1/responses/ with wrong answers: 400, a message under the item's code, nothing stored."""

from pathlib import Path

import pytest
from django.utils import translation

from checklist import answers as messages
from checklist.loading import checklist_load
from surveys.models import Response

URL = "/api/v1/responses/"

# A second version with the kinds checklist v1 does not use: a number and a multiple choice.
CHECKLIST_V2 = (Path(__file__).resolve().parent.parent / "data" / "checklist-other-kinds.yaml").read_text(
    encoding="utf-8"
)


def refused(client, body, language="en") -> dict:
    """POST the body asking for messages in `language`, check it was refused with 400 and
    nothing was stored; return the errors."""
    before = Response.objects.count()
    response = client.post(URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400, response.content
    assert Response.objects.count() == before
    return response.json()


def en(message, **params) -> str:
    with translation.override("en"):
        return str(message % params if params else message)


@pytest.fixture
def body(survey_ready, valid_answers):
    return {"district": "KRG-KZB", "language": "ru", "answers": valid_answers}


@pytest.fixture
def body_v2(survey_ready):
    checklist_load(text=CHECKLIST_V2)
    return {"district": "KRG-KZB", "language": "ru", "answers": {"safe_walk_day": 2}}


def test_an_unknown_item_is_refused_under_its_code(client, body):
    body["answers"]["favourite_colour"] = 1
    assert refused(client, body) == {"answers": {"favourite_colour": [en(messages.UNKNOWN_ITEM)]}}


def test_a_value_outside_the_options_is_refused(client, body):
    body["answers"]["safe_walk_day"] = 7
    assert refused(client, body) == {"answers": {"safe_walk_day": [en(messages.NOT_AN_OPTION)]}}


def test_a_string_for_a_scale_is_refused(client, body):
    body["answers"]["safe_walk_day"] = "3"
    assert refused(client, body) == {"answers": {"safe_walk_day": [en(messages.NOT_AN_OPTION)]}}


def test_a_boolean_for_a_yes_no_question_is_refused(client, body):
    body["answers"]["pol_inspector_known"] = True
    assert refused(client, body) == {"answers": {"pol_inspector_known": [en(messages.NOT_AN_OPTION)]}}


def test_a_list_where_one_value_is_expected_is_refused(client, body):
    body["answers"]["safe_walk_day"] = [3]
    assert refused(client, body) == {"answers": {"safe_walk_day": [en(messages.NOT_AN_OPTION)]}}


def test_an_object_as_an_answer_is_refused(client, body):
    body["answers"]["safe_walk_day"] = {"value": 3}
    assert refused(client, body) == {"answers": {"safe_walk_day": [en(messages.NOT_AN_OPTION)]}}


def test_a_fraction_for_a_scale_is_refused(client, body):
    body["answers"]["safe_walk_day"] = 2.5
    assert refused(client, body) == {"answers": {"safe_walk_day": [en(messages.NOT_AN_OPTION)]}}


def test_a_number_for_a_text_question_is_refused(client, body):
    body["answers"]["unsafe_place_note"] = 12
    assert refused(client, body) == {"answers": {"unsafe_place_note": [en(messages.NOT_TEXT)]}}


def test_a_missing_required_answer_is_refused(client, body):
    del body["answers"]["pol_trust"]
    assert refused(client, body) == {"answers": {"pol_trust": [en(messages.REQUIRED)]}}


def test_a_null_or_empty_answer_to_a_required_question_counts_as_missing(client, body):
    body["answers"] |= {"pol_trust": None, "pol_fair": ""}
    errors = refused(client, body)["answers"]
    assert errors == {"pol_trust": [en(messages.REQUIRED)], "pol_fair": [en(messages.REQUIRED)]}


def test_empty_answers_name_every_required_question(client, body, definition):
    body["answers"] = {}
    errors = refused(client, body)["answers"]
    required = {item.code for item in definition.items if item.required and not item.show_if_item}
    assert set(errors) == required


def test_a_follow_up_that_becomes_required_must_be_answered(client, body):
    body["answers"]["vic_burglary"] = 1  # yes: "did you report it?" is now shown and required
    assert refused(client, body) == {"answers": {"vic_burglary_reported": [en(messages.REQUIRED)]}}


def test_an_answer_to_a_hidden_question_is_refused(client, body):
    body["answers"]["vic_burglary_reported"] = 1  # shown only after "yes" to vic_burglary; it was "no"
    assert refused(client, body) == {"answers": {"vic_burglary_reported": [en(messages.NOT_SHOWN)]}}


def test_a_text_over_its_length_is_refused_with_the_limit_and_the_length(client, body):
    body["answers"]["unsafe_place_note"] = "д" * 201
    errors = refused(client, body)["answers"]
    assert errors == {"unsafe_place_note": [en(messages.TOO_LONG, limit=200, length=201)]}


def test_a_place_over_its_length_is_refused(client, body):
    body["answers"] |= {"unsafe_place_type": 2, "unsafe_bus_route": "12A" * 4}
    errors = refused(client, body)["answers"]
    assert errors == {"unsafe_bus_route": [en(messages.TOO_LONG, limit=10, length=12)]}


def test_a_number_below_its_minimum_is_refused(client, body_v2):
    body_v2["answers"]["household_size"] = 0
    errors = refused(client, body_v2)["answers"]
    assert errors == {"household_size": [en(messages.BELOW_MIN, limit="1")]}


def test_a_number_above_its_maximum_is_refused(client, body_v2):
    body_v2["answers"]["household_size"] = 21
    errors = refused(client, body_v2)["answers"]
    assert errors == {"household_size": [en(messages.ABOVE_MAX, limit="20")]}


def test_a_string_for_a_number_is_refused(client, body_v2):
    body_v2["answers"]["household_size"] = "3"
    assert refused(client, body_v2) == {"answers": {"household_size": [en(messages.NOT_A_NUMBER)]}}


def test_a_single_value_for_a_multiple_choice_is_refused(client, body_v2):
    body_v2["answers"]["transport_used"] = 1
    assert refused(client, body_v2) == {"answers": {"transport_used": [en(messages.NOT_A_LIST)]}}


def test_a_repeated_or_unknown_option_in_a_multiple_choice_is_refused(client, body_v2):
    body_v2["answers"]["transport_used"] = [1, 1]
    assert refused(client, body_v2) == {"answers": {"transport_used": [en(messages.NOT_AN_OPTION)]}}
    body_v2["answers"]["transport_used"] = [1, 4]
    assert refused(client, body_v2) == {"answers": {"transport_used": [en(messages.NOT_AN_OPTION)]}}


def test_the_new_kinds_are_stored_when_valid(client, body_v2):
    body_v2["answers"] |= {"household_size": 4, "transport_used": [3, 1]}
    response = client.post(URL, body_v2, content_type="application/json")
    assert response.status_code == 201
    assert Response.objects.get().answers == {"safe_walk_day": 2, "household_size": 4, "transport_used": [1, 3]}


def test_every_wrong_answer_is_reported_at_once(client, body):
    body["answers"] |= {"safe_walk_day": 0, "unknown": 1, "vic_fraud_reported": 1}
    del body["answers"]["pol_fair"]
    assert set(refused(client, body)["answers"]) == {"safe_walk_day", "unknown", "vic_fraud_reported", "pol_fair"}


def test_messages_follow_the_accept_language_header_in_kazakh(client, body):
    del body["answers"]["pol_trust"]
    body["answers"]["safe_walk_day"] = 7
    errors = refused(client, body, language="kk")["answers"]
    assert errors == {
        "pol_trust": ["Осы сұраққа жауап беріңіз."],
        "safe_walk_day": ["Ұсынылған жауаптардың бірін таңдаңыз."],
    }


def test_messages_follow_the_accept_language_header_in_russian(client, body):
    body["answers"]["unsafe_place_note"] = "д" * 201
    errors = refused(client, body, language="ru")["answers"]
    assert errors == {"unsafe_place_note": ["Слишком длинный ответ: можно не больше 200 симв., у вас 201."]}
