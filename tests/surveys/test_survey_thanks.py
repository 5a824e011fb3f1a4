"""After sending, the thank-you text of the checklist in the resident's language, and a way home."""

import pytest

from checklist.definition import pick

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_thanks_page_shows_the_checklist_thanks_text(client, survey_ready, definition, language):
    page = client.get("/survey/thanks/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert pick(definition.thanks, language)[:50] in page.content.decode()


def test_the_thanks_page_leads_home_and_not_back_into_the_form(client, survey_ready):
    html = client.get("/survey/thanks/").content.decode()
    assert 'href="/"' in html
    assert "/questions/" not in html


def test_the_resident_lands_on_the_thanks_after_sending(fill_in, client, survey_ready, definition):
    page = fill_in(HTTP_ACCEPT_LANGUAGE="kk")
    thanks = client.get(page["Location"], HTTP_ACCEPT_LANGUAGE="kk")
    assert "Жауаптарыңыз жіберілді" in thanks.content.decode()
