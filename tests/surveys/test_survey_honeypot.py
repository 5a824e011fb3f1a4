"""A filled honeypot (a field people never see) looks like success but stores nothing."""

import pytest

from surveys.models import Response

pytestmark = pytest.mark.django_db


def test_a_filled_honeypot_gets_the_thanks_and_stores_nothing(fill_in, survey_ready, definition, complete_answers):
    page = fill_in(answers=complete_answers() | {"homepage": "http://spam.example"})
    assert page.status_code == 302
    assert page["Location"] == "/survey/thanks/"
    assert Response.objects.count() == 0


def test_a_filled_honeypot_does_not_count_against_the_rate_limit(
    fill_in, survey_ready, definition, settings, complete_answers
):
    settings.SURVEY_RATE_LIMIT = 1
    fill_in(answers=complete_answers() | {"homepage": "spam"})
    assert fill_in()["Location"] == "/survey/thanks/"
    assert Response.objects.count() == 1


def test_the_honeypot_is_hidden_from_people_and_screen_readers(client, survey_ready):
    html = client.get("/survey/KRG-KZB/questions/").content.decode()
    honeypot = html[html.index('<div class="hp-field"') :]
    honeypot = honeypot[: honeypot.index("</div>")]
    assert 'aria-hidden="true"' in honeypot
    assert 'tabindex="-1"' in honeypot
    assert 'autocomplete="off"' in honeypot
