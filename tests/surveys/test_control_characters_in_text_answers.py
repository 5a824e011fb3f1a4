"""A text answer holding a control character (a NUL, which PostgreSQL cannot store, or any other
invisible C0 character but tab and line breaks) is refused by the one answer validator, so every
channel refuses it the same way: the resident form with a field error in the resident's language
(it was a 500 on PostgreSQL), the API and paper entry with the same message."""

import re

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from checklist.answers import CONTROL_CHARACTERS
from surveys.models import Response
from surveys.paper_models import PaperEntry

pytestmark = pytest.mark.django_db


def error_of(html: str, code: str) -> str:
    match = re.search(rf'<p class="field-error" id="error-{code}">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).split(":", 1)[1].strip() if match else ""


def said(message, language: str) -> str:
    with translation.override(language):
        return str(message)


@pytest.mark.parametrize(
    "code, extra",
    [("unsafe_place_note", {}), ("unsafe_bus_route", {"unsafe_place_type": "2"})],
    ids=["a text item", "a place item"],
)
@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b"], ids=["NUL", "BEL", "ESC"])
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_form_shows_a_field_error_in_the_residents_language_and_stores_nothing(
    fill_in, survey_ready, complete_answers, code, extra, character, language
):
    answers = complete_answers() | extra | {code: f"12{character}A"}
    page = fill_in(answers=answers, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert error_of(page.content.decode(), code) == said(CONTROL_CHARACTERS, language)
    assert not Response.objects.exists()


def test_tabs_and_line_breaks_in_a_note_are_still_fine(fill_in, survey_ready, complete_answers):
    page = fill_in(answers=complete_answers() | {"unsafe_place_note": "Рынок,\r\nу входа\tслева"})
    assert page.status_code == 302
    assert Response.objects.get().answers["unsafe_place_note"] == "Рынок,\r\nу входа\tслева"


def test_the_api_refuses_a_control_character_with_the_same_message(client, survey_ready, valid_answers):
    body = {"district": "KRG-KZB", "language": "kk", "answers": valid_answers | {"unsafe_place_note": "a\x07b"}}
    response = client.post("/api/v1/responses/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code == 400
    assert response.json() == {"answers": {"unsafe_place_note": [said(CONTROL_CHARACTERS, "kk")]}}
    assert not Response.objects.exists()


def test_paper_entry_refuses_a_control_character_with_the_same_message(paper_batch, volunteer_a, sheet_answers):
    sheet = paper_batch.sheets.order_by("number").first()
    api = APIClient()
    api.force_authenticate(volunteer_a)
    body = {"serial": sheet.serial, "answers": sheet_answers | {"unsafe_place_note": "a\x1bb"}}
    response = api.post("/api/v1/paper/entries/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"answers": {"unsafe_place_note": [said(CONTROL_CHARACTERS, "ru")]}}
    assert not PaperEntry.objects.exists()
