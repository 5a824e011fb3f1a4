"""A form filled in against an older checklist version is shown again, not stored blindly."""

import pytest

from surveys.models import Response

pytestmark = pytest.mark.django_db


def test_a_form_of_another_version_comes_back_with_the_answers_and_a_notice(client, survey_ready, complete_answers):
    answers = complete_answers() | {"safe_walk_day": "2"}
    page = client.post("/survey/KRG-KZB/questions/", answers | {"version": "0"}, HTTP_ACCEPT_LANGUAGE="kk")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Сіз жауап беріп жатқанда сауалнама жаңартылды." in html
    assert 'id="q-safe_walk_day-2" name="safe_walk_day" value="2" checked' in html
    assert Response.objects.count() == 0


def test_sending_it_again_stores_it(client, survey_ready, complete_answers, client_id_of):
    page = client.post("/survey/KRG-KZB/questions/", complete_answers() | {"version": "0"})
    token = client_id_of(page.content.decode())
    again = client.post("/survey/KRG-KZB/questions/", complete_answers() | {"version": "1", "client_id": token})
    assert again.status_code == 302
    assert Response.objects.count() == 1
