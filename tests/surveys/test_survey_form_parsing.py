"""SurveyForm turns form fields into typed answers; validation stays with clean_answers."""

import pytest
from django.http import QueryDict

from checklist.definition import ChecklistDef, ItemDef, OptionDef, SectionDef
from surveys.forms import SurveyForm

YES_NO = (OptionDef(1, {"en": "Yes"}), OptionDef(0, {"en": "No"}))
DEFINITION = ChecklistDef(
    version=3,
    title={"en": "T"},
    sections=(
        SectionDef(
            code="A",
            title={"en": "A"},
            intro={},
            items=(
                ItemDef(code="count", kind="number", section="A", text={"en": "How many?"}, min_value=0, max_value=10),
                ItemDef(code="seen", kind="yes_no", section="A", text={"en": "Seen?"}, options=YES_NO, required=True),
                ItemDef(
                    code="where",
                    kind="multiple",
                    section="A",
                    text={"en": "Where?"},
                    options=(OptionDef(1, {"en": "Bus"}), OptionDef(2, {"en": "Park"})),
                    show_if_item="seen",
                    show_if_values=(1,),
                ),
                ItemDef(code="note", kind="text", section="A", text={"en": "Note"}, max_length=20),
            ),
        ),
    ),
)


def bound(text: str) -> SurveyForm:
    return SurveyForm(DEFINITION, data=QueryDict(text))


@pytest.mark.parametrize(
    ("typed", "value"), [("3", 3), ("2,5", 2.5), (" 1 000 ", 1000), ("abc", "abc"), ("inf", "inf"), ("nan", "nan")]
)
def test_a_typed_number_becomes_a_number_or_stays_text_for_validation_to_refuse(typed, value):
    assert bound(f"count={typed}").answers["count"] == value


def test_choices_become_integers_and_checkboxes_a_list():
    assert bound("seen=1&where=1&where=2").answers == {"seen": 1, "where": [1, 2]}


def test_blank_fields_are_left_out():
    assert bound("count=&note=%20%20&seen=0").answers == {"seen": 0}


def test_a_follow_up_whose_condition_is_false_is_dropped():
    assert bound("seen=0&where=1").answers == {"seen": 0}


def test_follow_ups_are_numbered_after_their_question():
    form = SurveyForm(DEFINITION)
    numbers = [question.number for question in form.parts()[0].questions]
    assert numbers == ["1", "2", "2a", "3"]


def test_a_form_from_an_older_version_is_noticed():
    assert bound("version=2&seen=1").version_changed
    assert not bound("version=3&seen=1").version_changed
