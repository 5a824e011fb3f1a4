"""The resident form's hidden client_id: a page sent again after it was stored shows the thanks;
a page whose token was stored with other answers is not taken for it. The resident is told,
in their language, that nothing was saved, keeps the answers and can send them as a new response."""

import pytest
from django.utils import translation

from surveys.models import Response
from surveys.views import CLIENT_ID_REUSED_ON_FORM

pytestmark = pytest.mark.django_db


def told(language: str) -> str:
    with translation.override(language):
        return str(CLIENT_ID_REUSED_ON_FORM)


def test_a_token_stored_with_other_answers_is_refused_with_a_message_and_nothing_is_stored(
    fill_in, survey_ready, complete_answers, client_id_of
):
    token = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
    assert fill_in(client_id=token).status_code == 302
    other = complete_answers(choose={"safe_walk_day": 2, "pol_fair": 5})
    page = fill_in(answers=other, client_id=token)
    assert page.status_code == 409
    html = page.content.decode()
    assert told("ru") in html
    assert Response.objects.count() == 1 and Response.objects.get().answers["safe_walk_day"] != 2
    # The answers are kept, and the page carries a new token, so sending it again stores them.
    assert 'name="safe_walk_day" value="2" checked' in html
    fresh = client_id_of(html)
    assert fresh != token
    assert fill_in(answers=other, client_id=fresh).status_code == 302
    assert Response.objects.count() == 2


def test_a_token_stored_for_another_district_is_refused(fill_in, survey_ready):
    token = "3f2a7c9e-8d41-4b6a-a1f0-5c3e9b7d2a64"
    fill_in(code="KRG-KZB", client_id=token)
    assert fill_in(code="KRG-TEM", client_id=token).status_code == 409
    assert list(Response.objects.values_list("district__code", flat=True)) == ["KRG-KZB"]


def test_the_message_speaks_kazakh(fill_in, survey_ready, complete_answers):
    token = "9c1e4b2a-6f3d-4e8a-b7c5-2d0a9f8e1b36"
    fill_in(client_id=token, HTTP_ACCEPT_LANGUAGE="kk")
    page = fill_in(answers=complete_answers(choose={"pol_fair": 5}), client_id=token, HTTP_ACCEPT_LANGUAGE="kk")
    assert page.status_code == 409
    assert told("kk") in page.content.decode() and told("kk") != told("ru")


def test_the_same_page_sent_again_still_shows_the_thanks(fill_in, survey_ready):
    token = "5e8b2f1a-0c7d-4a9e-8b36-f4d1c2a7e590"
    assert fill_in(client_id=token).status_code == 302
    again = fill_in(client_id=token)
    assert again.status_code == 302 and again["Location"] == "/survey/thanks/"
    assert Response.objects.count() == 1
