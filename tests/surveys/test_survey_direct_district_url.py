"""/survey/<district-code>/ (QR codes on posters and buses) starts in that district."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_district_page_shows_the_consent_and_the_district(client, survey_ready):
    page = client.get("/survey/KRG-TEM/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Темиртау" in html
    assert "Прежде чем начать" in html
    assert 'href="/survey/KRG-TEM/questions/"' in html


def test_a_code_typed_in_lower_case_leads_to_the_district(client, survey_ready):
    page = client.get("/survey/krg-tem/")
    assert page.status_code == 302
    assert page["Location"] == "/survey/KRG-TEM/"


def test_the_form_of_the_district_answers_for_it(client, survey_ready):
    html = client.get("/survey/KRG-TEM/questions/").content.decode()
    assert 'action="/survey/KRG-TEM/questions/"' in html
    assert "Темиртау" in html


@pytest.mark.parametrize("code", ["NOPE", "KRG", "KRG-KAR"])
def test_an_unknown_or_non_answering_code_gets_a_friendly_404_with_the_picker(client, survey_ready, code):
    for url in (f"/survey/{code}/", f"/survey/{code}/questions/"):
        page = client.get(url)
        html = page.content.decode()
        assert page.status_code == 404
        assert "Район не найден" in html
        assert f"«{code}»" in html
        assert '<select name="district"' in html


def test_the_404_page_speaks_kazakh_too(client, survey_ready):
    html = client.get("/survey/NOPE/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "Аудан табылмады" in html


def test_posting_to_an_unknown_district_stores_nothing(client, survey_ready):
    from surveys.models import Response

    page = client.post("/survey/NOPE/questions/", {"safe_walk_dark": "4"})
    assert page.status_code == 404
    assert Response.objects.count() == 0
