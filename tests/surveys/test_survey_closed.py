"""Without an open wave or a published checklist the survey says it is closed, never a 500."""

import pytest

from checklist.models import Checklist
from surveys.models import Response

pytestmark = pytest.mark.django_db

PAGES = ["/survey/", "/survey/KRG-KZB/", "/survey/KRG-KZB/questions/", "/survey/NOPE/"]


@pytest.mark.parametrize("url", PAGES)
def test_without_an_open_wave_every_page_says_the_survey_is_closed(client, checklist, districts, url):
    page = client.get(url)
    assert page.status_code == 200
    assert "Опрос закрыт" in page.content.decode()


@pytest.mark.parametrize("url", PAGES)
def test_without_a_published_checklist_every_page_says_the_survey_is_closed(client, districts, wave, url):
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="kk")
    assert page.status_code == 200
    assert "Сауалнама жабық" in page.content.decode()


def test_a_sheet_sent_after_the_wave_closed_is_not_stored(client, survey_ready, definition, complete_answers):
    survey_ready["wave"].is_open = False
    survey_ready["wave"].save()
    page = client.post("/survey/KRG-KZB/questions/", complete_answers() | {"version": "1"})
    assert page.status_code == 200
    assert "Опрос закрыт" in page.content.decode()
    assert Response.objects.count() == 0


def test_the_thanks_page_works_without_a_checklist(client, db):
    assert Checklist.current() is None
    page = client.get("/survey/thanks/")
    assert page.status_code == 200
    assert "Спасибо за участие." in page.content.decode()
