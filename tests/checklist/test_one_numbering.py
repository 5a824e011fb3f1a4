"""One numbering for every channel (issue 11, item 5): "question 17" is one item on the form,
the printed sheet, the keying screen, reconciliation and the exports."""

import re

from django.urls import reverse

from surveys.forms import SurveyForm
from surveys.paper_pdf import sheet_layout


def test_questions_are_numbered_in_order_and_follow_ups_take_a_letter(definition):
    numbers = definition.numbers
    assert numbers[definition.items[0].code] == "1"
    for item in definition.items:
        if item.show_if_item:
            assert re.fullmatch(rf"{numbers[item.show_if_item]}[a-z]", numbers[item.code]), item.code
        else:
            assert numbers[item.code].isdigit()
    assert definition.question_count == max(int(n) for n in numbers.values() if n.isdigit())


def test_the_online_form_and_the_printed_sheet_number_every_question_alike(definition):
    online = {q.code: q.number for part in SurveyForm(definition).parts() for q in part.questions}
    printed = {
        printed.item.code: printed.number
        for section in sheet_layout(definition, "ru")
        for block in section.blocks
        for printed in block.items
    }
    assert online == printed == definition.numbers


def test_the_keying_screen_shows_the_same_numbers(login, volunteer_a, paper_batch, definition):
    sheet = paper_batch.sheets.order_by("number").first()
    page = login(volunteer_a).get(reverse("paper:entry", args=[sheet.serial])).content.decode()
    text = re.sub(r"<[^>]+>", " ", page)
    for item in definition.items:
        assert re.search(rf"\b{re.escape(definition.numbers[item.code])}\.\s", text), item.code

