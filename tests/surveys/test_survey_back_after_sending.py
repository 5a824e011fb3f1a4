"""Going Back after sending warns before a second response from this device, and a second
response is a new one, never a repeat of the first (issue 11, item 1)."""

import pytest
from playwright.sync_api import expect

from surveys.models import Response
from tests.surveys.survey_pages import reveal, send
from tests.surveys.test_survey_browser import answer_everything_but

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _send(page, definition):
    answer_everything_but(page, definition, skip="", choose={})
    send(page)
    expect(page.locator("[data-survey-done]")).to_be_visible()


def test_back_after_sending_shows_a_blank_form_with_a_warning_and_a_fresh_token(
    page, live_server, survey_ready, definition
):
    url = f"{live_server.url}/survey/KRG-KZB/questions/"
    page.goto(url)
    expect(page.locator(".answered-before").first).to_be_hidden()
    first_token = page.locator("input[name=client_id]").input_value()
    _send(page, definition)

    page.go_back()
    expect(page).to_have_url(url)
    expect(page.locator(".answered-before").first).to_be_visible()
    expect(page.locator(".answered-before").first).to_contain_text("Вы уже ответили на этом устройстве")
    assert page.locator(".survey-form input:checked").count() == 0, "the last resident's answers are gone"
    assert page.locator("input[name=client_id]").input_value() != first_token

    # Someone else in the family answers: a second response, stored as such.
    _send(page, definition)
    assert Response.objects.count() == 2


def test_the_device_remembers_only_a_flag_per_wave(page, live_server, survey_ready, definition, wave):
    page.goto(f"{live_server.url}/survey/KRG-KZB/questions/")
    _send(page, definition)
    stored = page.evaluate("Object.fromEntries(Object.entries(window.localStorage))")
    assert stored == {f"survey-answered:{wave.code}": "1"}
    assert page.evaluate("window.sessionStorage.length") == 0, "the sent answers' draft is gone"


def test_a_text_box_counts_its_characters_up_to_its_limit(page, live_server, survey_ready, definition):
    item = next(item for item in definition.items if item.code == "unsafe_place_note")
    page.goto(f"{live_server.url}/survey/KRG-KZB/questions/")
    reveal(page, "unsafe_place_note")
    box = page.locator("#q-unsafe_place_note")
    expect(box).to_have_attribute("maxlength", str(item.max_length))
    box.fill("Двор у дома 12")
    expect(page.locator("#count-unsafe_place_note")).to_have_text(f"14 из {item.max_length} символов")
    box.fill("x" * (item.max_length + 50))
    assert len(box.input_value()) == item.max_length

