"""One validation for every channel: checklist/answers.py."""

from django.utils import translation

from checklist.answers import (
    NOT_A_NUMBER,
    NOT_AN_OPTION,
    NOT_SHOWN,
    NOT_TEXT,
    REQUIRED,
    TOO_LONG,
    UNKNOWN_ITEM,
    clean_answers,
    normalise_place,
)
from checklist.definition import ChecklistDef, ItemDef, SectionDef


def complete(definition) -> dict:
    """A valid response: the first option of every required, unconditional item."""
    return {i.code: i.options[0].value for i in definition.items if i.required and not i.show_if_item}


def test_a_complete_response_has_no_errors(definition):
    answers = complete(definition)
    answers.update(
        {f"{c}_reported": 0 for c in ("vic_burglary", "vic_transport_theft", "vic_fraud", "vic_assault_hooliganism")}
    )
    cleaned, errors = clean_answers(definition, answers)
    assert errors == {}
    assert cleaned["safe_walk_dark"] == answers["safe_walk_dark"]


def test_it_asks_for_every_required_answer(definition):
    _, errors = clean_answers(definition, {})
    assert errors["safe_walk_dark"] == [str(REQUIRED)]
    assert "age_group" not in errors  # optional


def test_it_rejects_an_unknown_question(definition):
    _, errors = clean_answers(definition, {**complete(definition), "favourite_colour": 1})
    assert errors["favourite_colour"] == [str(UNKNOWN_ITEM)]


def test_it_rejects_an_answer_outside_the_scale(definition):
    _, errors = clean_answers(definition, {**complete(definition), "safe_walk_day": 7})
    assert errors["safe_walk_day"] == [str(NOT_AN_OPTION)]


def test_it_rejects_a_wrong_type(definition):
    for bad in ("3", True, [3], 3.5, {"v": 3}):
        _, errors = clean_answers(definition, {**complete(definition), "safe_walk_day": bad})
        assert errors["safe_walk_day"] == [str(NOT_AN_OPTION)], bad


def test_it_rejects_an_answer_to_a_question_that_was_not_shown(definition):
    answers = {**complete(definition), "safe_walk_dark": 4, "safe_walk_dark_would": 3}
    _, errors = clean_answers(definition, answers)
    assert errors["safe_walk_dark_would"] == [str(NOT_SHOWN)]


def test_a_follow_up_is_required_only_when_shown(definition):
    answers = complete(definition)
    answers["vic_fraud"] = 0
    _, errors = clean_answers(definition, answers)
    assert "vic_fraud_reported" not in errors
    answers["vic_fraud"] = 1
    _, errors = clean_answers(definition, answers)
    assert errors["vic_fraud_reported"] == [str(REQUIRED)]


def test_text_over_its_length_is_refused(definition):
    _, errors = clean_answers(definition, {**complete(definition), "unsafe_place_note": "x" * 201})
    assert errors["unsafe_place_note"] == [str(TOO_LONG % {"limit": 200, "length": 201})]
    _, errors = clean_answers(definition, {**complete(definition), "unsafe_place_note": 5})
    assert errors["unsafe_place_note"] == [str(NOT_TEXT)]


def test_bus_routes_are_normalised_across_alphabets():
    assert normalise_place("  12а ") == "12A"
    assert normalise_place("43 A") == normalise_place("43  А")


def test_number_items_respect_their_range():
    item = ItemDef(code="people", kind="number", section="A", text={"en": "How many?"}, min_value=0, max_value=20)
    definition = ChecklistDef(version=1, title={}, sections=(SectionDef("A", {}, {}, (item,)),))
    assert clean_answers(definition, {"people": 3}) == ({"people": 3}, {})
    with translation.override("en"):  # the messages are translated; these are the English ones
        assert "at least 0" in clean_answers(definition, {"people": -1})[1]["people"][0]
        assert "at most 20" in clean_answers(definition, {"people": 21})[1]["people"][0]
    assert clean_answers(definition, {"people": "3"})[1]["people"] == [str(NOT_A_NUMBER)]
    assert clean_answers(definition, {"people": True})[1]["people"] == [str(NOT_A_NUMBER)]
